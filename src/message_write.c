/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * message_write.c - copy the spooled message to one mailbox file: From_
 * line, delivery headers, body (">From " quoted for mbox), blank line.
 *
 * Guarantees: constant memory (one 64 KiB output buffer and one 64 KiB
 * input buffer, whatever the message size); never a byte written that
 * would take the file past out->limit (EFBIG instead, before the write);
 * errno of a failed write(2) kept for the caller, who truncates back.
 * Only the public message interface is used: the message is read with
 * message_read(), whose pread() leaves no shared file position behind.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "message.h"

#define MESSAGE_BUF	(64 * 1024)	/* input chunk and output buffer */

/* The output side: one 64 KiB buffer, and what the size limit allows. */
struct wbuf {
	int	fd;
	char	*buf;
	size_t	len;
	off_t	done;			/* bytes written to fd */
	unsigned long long room;	/* bytes the limit allows in all */
};

/* Write out the buffer, unless that would go past the size limit. */
static int
wbuf_flush(struct wbuf *w)
{
	const char *p = w->buf;
	ssize_t	r;

	if ((unsigned long long)w->done + w->len > w->room) {
		errno = EFBIG;
		return (-1);
	}
	while (w->len > 0) {
		if ((r = write(w->fd, p, w->len)) > 0) {
			p += r;
			w->len -= (size_t)r;
			w->done += r;
		} else if (r == 0)
			errno = EIO;	/* no progress and no error: no spin */
		if (r == 0 || (r < 0 && errno != EINTR))
			return (-1);
	}
	return (0);
}

static int
wbuf_put(struct wbuf *w, const char *p, size_t n)
{
	size_t	k;

	for (; n > 0; p += k, n -= k) {
		if (w->len == MESSAGE_BUF && wbuf_flush(w) < 0)
			return (-1);
		k = n < MESSAGE_BUF - w->len ? n : MESSAGE_BUF - w->len;
		memcpy(w->buf + w->len, p, k);
		w->len += k;
	}
	return (0);
}

/*
 * Copy p[0..n) putting ">" before "From " at line starts (mboxo).  A line
 * start too close to the end of a chunk to be judged is left for the next
 * chunk, which then begins there.  Returns the bytes consumed, or -1.
 */
static ssize_t
body_quote(struct wbuf *w, const char *p, size_t n, int last, int *bol)
{
	const char *s = p, *end = p + n, *nl, *q;

	while (s < end) {
		if (*bol && end - s < 5 && !last)
			break;
		if (*bol && end - s >= 5 && memcmp(s, "From ", 5) == 0 &&
		    wbuf_put(w, ">", 1) < 0)
			return (-1);
		nl = memchr(s, '\n', (size_t)(end - s));
		q = nl != NULL ? nl + 1 : end;
		if (wbuf_put(w, s, (size_t)(q - s)) < 0)
			return (-1);
		*bol = nl != NULL;
		s = q;
	}
	return (s - p);
}

/* The body in 64 KiB chunks read into ibuf, quoted or as it is. */
static int
body_copy(const struct message *msg, struct wbuf *w, char *ibuf, int quote)
{
	off_t	off = 0;
	ssize_t	n;
	int	bol = 1;	/* the first body line counts as a line start */

	while (off < message_size(msg)) {
		if ((n = message_read(msg, ibuf, MESSAGE_BUF, off)) <= 0) {
			if (n == 0)
				errno = EIO;	/* the spool file shrank */
			return (-1);
		}
		if (quote)
			n = body_quote(w, ibuf, (size_t)n,
			    off + n == message_size(msg), &bol);
		else if (wbuf_put(w, ibuf, (size_t)n) < 0)
			n = -1;
		if (n < 0)
			return (-1);
		off += n;
	}
	return (0);
}

off_t
message_write(const struct message *msg, int fd,
    const struct message_out *out)
{
	struct wbuf w = { fd, NULL, 0, 0, ULLONG_MAX };
	size_t	fl = out->from_line != NULL ? strlen(out->from_line) : 0;
	size_t	hl = out->headers != NULL ? strlen(out->headers) : 0;
	unsigned long long start = out->start_size > 0 ?
	    (unsigned long long)out->start_size : 0;
	int	fail, err;

	if (out->limit != 0) {
		w.room = start < out->limit ? out->limit - start : 0;
		/* Exact without quoting, so then nothing at all is written. */
		if (fl + hl + (unsigned long long)message_size(msg) +
		    (out->blank_line != 0) > w.room) {
			errno = EFBIG;
			return (-1);
		}
	}
	if ((w.buf = malloc(2 * MESSAGE_BUF)) == NULL)
		return (-1);
	fail = wbuf_put(&w, out->from_line, fl) < 0 ||
	    wbuf_put(&w, out->headers, hl) < 0 ||
	    body_copy(msg, &w, w.buf + MESSAGE_BUF, out->quote_from) < 0 ||
	    (out->blank_line && wbuf_put(&w, "\n", 1) < 0) ||
	    wbuf_flush(&w) < 0;
	err = errno;
	free(w.buf);
	errno = err;
	return (fail ? -1 : w.done);
}

int
message_from_line(char *buf, size_t size, const char *sender, time_t when)
{
	/* asctime()'s names, spelled out so that no locale changes them. */
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	int	n;

	if (localtime_r(&when, &tm) == NULL)
		return (-1);
	if (sender == NULL || *sender == '\0')
		sender = "MAILER-DAEMON";
	n = snprintf(buf, size, "From %s  %.3s %.3s %2d %02d:%02d:%02d %d\n",
	    sender, days + 3 * tm.tm_wday, months + 3 * tm.tm_mon, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
	return (n < 0 || (size_t)n >= size ? -1 : 0);
}
