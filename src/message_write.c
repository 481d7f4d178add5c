/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * message_write.c - copy the spooled message to one mailbox file: From_
 * line, delivery headers, body (">From " quoted for mbox), blank line.
 *
 * Guarantees: constant memory (an input buffer of at most MESSAGE_WBUF
 * and a staging buffer of at most MESSAGE_OBUF bytes, whatever the
 * message size); never a byte written
 * that would take the file past out->limit (EFBIG instead, before the
 * write); errno of a failed write kept for the caller, who truncates back
 * or unlinks.  The message is read with message_read(), whose pread()
 * leaves no shared file position behind.
 *
 * Few copies: the pieces of the output (headers, body runs between the
 * lines to quote, the ">" themselves) are gathered as an iovec and
 * written with writev(); long body runs are written from the input
 * buffer itself, only short pieces are staged.  The body goes through
 * the buffer even when nothing needs quoting (maildir): copy_file_range()
 * from the spool file or standard input was measured slower here (ext4,
 * 20 and 200 MB: 10-15 % more wall time, the final fsync included) than
 * pread() + writev() of 1 MiB pieces aligned to the file offsets.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/uio.h>

#include "message.h"

#define MESSAGE_WBUF	(1024 * 1024)	/* input chunk */
#define MESSAGE_ALIGN	(64 * 1024)	/* writes end at file offsets of */
#define MESSAGE_OBUF	(256 * 1024)	/* staging for small pieces */
#define MESSAGE_SMALL	(8 * 1024)	/* a piece shorter is staged */
#define MESSAGE_IOV	64		/* pieces gathered per writev */
#define MESSAGE_SYNC_CHUNK (16 * 1024 * 1024)	/* writeback hint every */

/*
 * The output side: pieces not yet written, and what the limit allows.
 * Long pieces are written from where they are; short ones (headers, ">",
 * body lines between quoted ones) are staged in obuf, merged, so that a
 * body full of "From " lines still goes out in large writes.
 */
struct wout {
	int	fd;
	struct iovec iov[MESSAGE_IOV];
	int	niov;
	size_t	pending;		/* bytes in iov */
	char	*obuf;
	size_t	osize, olen;
	unsigned long long start;	/* file size before (alignment) */
	off_t	done;			/* bytes written to fd */
	off_t	hinted;			/* done at the last writeback hint */
	unsigned long long room;	/* bytes the limit allows in all */
};

/* Write out the gathered pieces, unless that would pass the limit. */
static int
wout_flush(struct wout *w)
{
	struct iovec *v = w->iov;
	int	n = w->niov;
	ssize_t	r;

	if ((unsigned long long)w->done + w->pending > w->room) {
		errno = EFBIG;
		return (-1);
	}
	while (n > 0) {
		if ((r = writev(w->fd, v, n)) > 0) {
			w->done += r;
			w->pending -= (size_t)r;
			/* Skip what went out; a piece may be cut. */
			for (; n > 0 && (size_t)r >= v->iov_len; v++, n--)
				r -= (ssize_t)v->iov_len;
			if (n > 0) {
				v->iov_base = (char *)v->iov_base + r;
				v->iov_len -= (size_t)r;
			}
			continue;
		}
		if (r == 0)
			errno = EIO;	/* no progress and no error: no spin */
		if (r == 0 || errno != EINTR)
			return (-1);
	}
	w->niov = 0;
	w->olen = 0;
	/*
	 * A big message: start writing what is in the page cache now, so
	 * that the caller's fsync waits for less.  Only a hint (the whole
	 * file's dirty pages: ours, the rest is clean); errors show there.
	 */
	if (w->done - w->hinted >= MESSAGE_SYNC_CHUNK) {
		(void)sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		w->hinted = w->done;
	}
	return (0);
}

/* Add a piece; a long one must stay valid until the next wout_flush(). */
static int
wout_add(struct wout *w, const char *p, size_t n)
{
	struct iovec *last;
	char	*tail;
	int	stage = n < MESSAGE_SMALL;

	if (n == 0)
		return (0);
	if ((w->niov == MESSAGE_IOV || (stage && w->olen + n > w->osize)) &&
	    wout_flush(w) < 0)
		return (-1);
	w->pending += n;
	if (stage) {
		tail = w->obuf + w->olen;
		memcpy(tail, p, n);
		w->olen += n;
		last = w->niov > 0 ? &w->iov[w->niov - 1] : NULL;
		if (last != NULL &&
		    (char *)last->iov_base + last->iov_len == tail) {
			last->iov_len += n;
			return (0);
		}
		p = tail;
	}
	w->iov[w->niov].iov_base = (void *)p;
	w->iov[w->niov].iov_len = n;
	w->niov++;
	return (0);
}

/*
 * Gather p[0..n) putting ">" before "From " at line starts (mboxo).  A
 * line start too close to the end of a chunk to be judged (fewer than 5
 * bytes left, not the last chunk) is left for the next chunk, which then
 * begins there.  Returns the bytes consumed, or -1.
 */
static ssize_t
body_quote(struct wout *w, const char *p, size_t n, int last, int *bol)
{
	const char *s = p, *end = p + n, *hit, *q;

	if (*bol && n < 5 && !last)
		return (0);
	if (*bol && n >= 5 && memcmp(p, "From ", 5) == 0 &&
	    wout_add(w, ">", 1) < 0)
		return (-1);
	while ((hit = memmem(s, (size_t)(end - s), "\nFrom ", 6)) != NULL) {
		if (wout_add(w, s, (size_t)(hit + 1 - s)) < 0 ||
		    wout_add(w, ">", 1) < 0)
			return (-1);
		s = hit + 1;
	}
	if (!last) {
		/* Only the last newline can start an undecided line. */
		for (q = end; q > s && q > end - 5; q--)
			if (q[-1] == '\n') {
				end = q;
				break;
			}
	}
	if (wout_add(w, s, (size_t)(end - s)) < 0)
		return (-1);
	*bol = end > p && end[-1] == '\n';
	return (end - p);
}

/*
 * The body from offset off up to end in chunks read into ibuf (size
 * bytes: MESSAGE_WBUF, or less for a small message), quoted or as it is; each chunk's
 * pieces are written before the next read.  Chunks are cut so that each
 * write ends at a MESSAGE_ALIGN boundary of the file (exactly so when
 * nothing is quoted): unaligned small writes make the page cache use
 * small folios, and the final fsync then takes much longer.
 */
static int
body_copy(const struct message *msg, struct wout *w, off_t off, off_t end,
    char *ibuf, size_t size, int quote)
{
	unsigned long long at;
	size_t	want;
	ssize_t	n;
	int	bol = 1;	/* the first body line counts as a line start */

	while (off < end) {
		at = w->start + (unsigned long long)w->done + w->pending;
		want = size < MESSAGE_ALIGN ? size :
		    size - (size_t)(at % MESSAGE_ALIGN);
		if ((off_t)want > end - off)
			want = (size_t)(end - off);
		if ((n = message_read(msg, ibuf, want, off)) <= 0) {
			if (n == 0)
				errno = EIO;	/* the spool file shrank */
			return (-1);
		}
		if (quote)
			n = body_quote(w, ibuf, (size_t)n,
			    off + n == message_size(msg), &bol);
		else if (wout_add(w, ibuf, (size_t)n) < 0)
			n = -1;
		if (n < 0 || wout_flush(w) < 0)
			return (-1);
		if (n == 0) {
			errno = EIO;	/* cannot happen: chunks are large */
			return (-1);
		}
		off += n;
	}
	return (0);
}

/* The body through one input buffer, quoted or as it is. */
static int
body_write(const struct message *msg, struct wout *w, int quote)
{
	off_t	size = message_size(msg);
	size_t	bsize;
	char	*ibuf;
	int	rc, err;

	/* A small message gets a small buffer (no alignment needed). */
	bsize = size < MESSAGE_WBUF ? (size_t)size + 1 : MESSAGE_WBUF;
	if ((ibuf = malloc(bsize)) == NULL)
		return (-1);
	rc = body_copy(msg, w, 0, size, ibuf, bsize, quote);
	err = errno;
	free(ibuf);
	errno = err;
	return (rc);
}

off_t
message_write(const struct message *msg, int fd,
    const struct message_out *out)
{
	struct wout w;
	size_t	fl = out->from_line != NULL ? strlen(out->from_line) : 0;
	size_t	hl = out->headers != NULL ? strlen(out->headers) : 0;
	unsigned long long start = out->start_size > 0 ?
	    (unsigned long long)out->start_size : 0;

	unsigned long long est;
	int	fail, err;

	memset(&w, 0, sizeof(w));
	w.fd = fd;
	w.start = start;
	w.room = ULLONG_MAX;
	est = fl + hl + (unsigned long long)message_size(msg) +
	    (out->blank_line != 0);
	if (out->limit != 0) {
		w.room = start < out->limit ? out->limit - start : 0;
		/* Exact without quoting, so then nothing at all is written. */
		if (est > w.room) {
			errno = EFBIG;
			return (-1);
		}
	}
	/* Staging sized to the message (quoting adds at most a sixth). */
	est += est / 5 + MESSAGE_SMALL;
	w.osize = est < MESSAGE_OBUF ? (size_t)est : MESSAGE_OBUF;
	if ((w.obuf = malloc(w.osize)) == NULL)
		return (-1);
	fail = wout_add(&w, out->from_line, fl) < 0 ||
	    wout_add(&w, out->headers, hl) < 0 ||
	    body_write(msg, &w, out->quote_from) < 0 ||
	    (out->blank_line && wout_add(&w, "\n", 1) < 0) ||
	    wout_flush(&w) < 0;
	err = errno;
	free(w.obuf);
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
