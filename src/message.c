/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * message.c - spool the message once from standard input, normalised; the
 * copy to a mailbox is message_write.c.
 *
 * Guarantees: memory stays bounded whatever the message size (at most
 * MESSAGE_MEM_MAX bytes of message; beyond that everything goes to an
 * unlinked temporary file that vanishes with the process, through one
 * MESSAGE_SPOOL_BUF buffer).  The spooled
 * bytes are the input minus a leading From_ line, with CRLF folded to LF
 * and a final LF added to a non-empty message; every other byte (bare CR,
 * NUL) is kept, and an empty input stays empty.  The spool file is only
 * read with pread(), so forked children share no file position.
 *
 * Standard input that is a regular file is only scanned (spool_inplace_fd):
 * if it holds no CR, the message is that file from the end of its From_
 * line, plus the final LF if missing (message_read() supplies it); any CR
 * and it is read again from the start and spooled.
 *
 * Spooling reads straight into the message buffer and normalises in place:
 * folding CRLF only shrinks the data, so the output never overtakes the
 * input, and the common case (no CR at all) copies nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#include "message.h"
#include "status.h"

#define MESSAGE_SPOOL_BUF  (1024 * 1024)	/* read/write chunk once spilled */
#define MESSAGE_DT_MAX	   1000		/* Delivered-To values kept (Postfix) */
#define MESSAGE_DT_LEN	   1000		/* bytes kept of one value */
#define MESSAGE_SENDER_LEN 1000		/* bytes kept of the From_ sender */

static const char message_dt_name[] = "delivered-to:";
#define MESSAGE_DT_NAMELEN (sizeof(message_dt_name) - 1)

struct message {
	char	*mem;		/* the whole message, or NULL: in fd */
	int	fd;		/* spool file, or stdin read in place, or -1 */
	off_t	base;		/* where the message starts in fd */
	off_t	flen;		/* bytes of it in fd; the rest is the LF added */
	off_t	size;
	char	*sender;	/* From_ line sender, NULL: no From_ line */
	char	**dt;		/* Delivered-To values, top header block */
	size_t	ndt;
	off_t	quotes;		/* lines that begin "From " (mbox quoting) */
};

/* The From_ line: undecided, inside (before/in/after the sender), gone. */
enum { FROM_UNKNOWN, FROM_SKIP, FROM_TOKEN, FROM_REST, FROM_DONE, FROM_NONE };
/* The header scan: line start, field name, other line, value, done. */
enum { HS_BOL, HS_NAME, HS_SKIP, HS_BLANK, HS_VALUE, HS_DONE };

struct spool {
	struct message *msg;
	const char *tmpdir;
	char	*buf;		/* cap bytes */
	size_t	cap;		/* MESSAGE_MEM_MAX; MESSAGE_SPOOL_BUF in a file */
	size_t	len;		/* bytes in buf */
	int	cr_last;	/* buf[len - 1] is a CR the next LF folds */
	size_t	scanned;	/* buf[0..scanned) seen by the header scan */
	off_t	flushed;	/* bytes already in the spool file */
	char	last;		/* the last byte flushed */
	int	from;		/* FROM_* */
	char	sender[MESSAGE_SENDER_LEN + 1];
	size_t	slen;
	int	hs;		/* HS_* */
	size_t	npos;		/* bytes of the field name matched */
	char	val[MESSAGE_DT_LEN + 1];
	size_t	vlen;
	int	inplace;	/* stdin is a regular file: only scan it */
	int	retry;		/* in place is not possible: spool after all */
	off_t	removed;	/* bytes of the From_ line (in place) */
	char	qtail[5];	/* the last bytes counted (a "\nFrom " cut) */
	size_t	qlen;
};

/*
 * A spool failure concerns our temporary file, never the mailbox, so it
 * defers even for EDQUOT/EFBIG (which status_errno() would bounce).
 */
static void
spool_fail(struct dstatus *why, int err, const char *text, const char *dir)
{
	if (err == EDQUOT || err == EFBIG)
		status_set(why, "4.3.0", "%s%s%s: %s", text, dir ? " in " : "",
		    dir ? dir : "", strerror(err));
	else
		status_errno(why, err, "4.3.0", "%s%s%s", text,
		    dir ? " in " : "", dir ? dir : "");
}

static int
spool_write_all(int fd, const char *p, size_t n)
{
	ssize_t	r;

	while (n > 0) {
		if ((r = write(fd, p, n)) > 0) {
			p += r;
			n -= (size_t)r;
		} else if (r == 0)
			errno = EIO;	/* no progress and no error: no spin */
		if (r == 0 || (r < 0 && errno != EINTR))
			return (-1);
	}
	return (0);
}

/* Fold CRLF to LF in the n bytes just read to buf + len, in place. */
static void
spool_fold(struct spool *sp, size_t n)
{
	char	*src = sp->buf + sp->len, *end = src + n, *dst = src, *cr;
	size_t	k;

	if (sp->cr_last && *src == '\n') {
		dst[-1] = '\n';		/* CRLF split across two reads */
		src++;
	}
	sp->cr_last = 0;
	while (src < end) {
		if ((cr = memchr(src, '\r', (size_t)(end - src))) == NULL)
			cr = end;
		k = (size_t)(cr - src);
		if (dst != src)
			memmove(dst, src, k);
		dst += k;
		if ((src = cr) == end)
			break;
		if (++src < end && *src == '\n')
			*dst++ = *src++;
		else {
			*dst++ = '\r';
			sp->cr_last = src == end;
		}
	}
	sp->len = (size_t)(dst - sp->buf);
}

/*
 * Remove a leading "From " line from buf[0..settled) and keep its sender,
 * the first word after "From " (extra blanks skipped).  The line may span
 * reads: returns 1 while it has not ended, 0 once decided.
 */
static int
spool_from(struct spool *sp, size_t settled, int eof)
{
	char	*b = sp->buf, *nl;
	size_t	i = 0, end;

	if (sp->from == FROM_UNKNOWN) {
		if (settled < 5 && !eof)
			return (1);
		if (settled < 5 || memcmp(b, "From ", 5) != 0) {
			sp->from = FROM_NONE;
			return (0);
		}
		sp->from = FROM_SKIP;
		i = 5;
	}
	nl = memchr(b + i, '\n', settled - i);
	end = nl != NULL ? (size_t)(nl - b) : settled;
	for (; i < end && sp->from != FROM_REST; i++) {
		if (b[i] != ' ' && b[i] != '\t') {
			sp->from = FROM_TOKEN;
			if (sp->slen < MESSAGE_SENDER_LEN)
				sp->sender[sp->slen++] = b[i];
		} else if (sp->from == FROM_TOKEN)
			sp->from = FROM_REST;
	}
	i = nl != NULL ? end + 1 : settled;
	memmove(b, b + i, sp->len - i);
	sp->len -= i;
	if (nl != NULL || eof)
		sp->from = FROM_DONE;
	return (sp->from != FROM_DONE);
}

/* Keep one Delivered-To value, blanks trimmed; past the cap, drop it. */
static int
spool_dt_keep(struct spool *sp)
{
	struct message *msg = sp->msg;

	while (sp->vlen > 0 && (sp->val[sp->vlen - 1] == ' ' ||
	    sp->val[sp->vlen - 1] == '\t'))
		sp->vlen--;
	sp->val[sp->vlen] = '\0';
	if (msg->ndt == MESSAGE_DT_MAX)
		return (0);
	if (msg->dt == NULL &&
	    (msg->dt = calloc(MESSAGE_DT_MAX, sizeof(*msg->dt))) == NULL)
		return (-1);
	if ((msg->dt[msg->ndt] = strdup(sp->val)) == NULL)
		return (-1);
	msg->ndt++;
	return (0);
}

/*
 * Collect the Delivered-To values of the top header block (up to the first
 * empty line).  A state machine, so that lines may straddle reads; lines
 * of no interest are skipped with memchr.
 */
static int
spool_scan(struct spool *sp, const char *p, const char *end)
{
	const char *nl;
	size_t	n;
	char	c;

	while (p < end && sp->hs != HS_DONE) {
		c = *p;
		if (sp->hs == HS_BOL) {
			sp->hs = c == '\n' ? HS_DONE : HS_NAME;
			sp->npos = 0;
		} else if (sp->hs == HS_NAME) {
			c = c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
			if (c != message_dt_name[sp->npos]) {
				sp->hs = HS_SKIP;
				continue;
			}
			p++;
			if (++sp->npos == MESSAGE_DT_NAMELEN) {
				sp->hs = HS_BLANK;
				sp->vlen = 0;
			}
		} else if (sp->hs == HS_BLANK && (c == ' ' || c == '\t'))
			p++;
		else {
			if (sp->hs == HS_BLANK)
				sp->hs = HS_VALUE;
			nl = memchr(p, '\n', (size_t)(end - p));
			n = (size_t)((nl != NULL ? nl : end) - p);
			if (sp->hs == HS_VALUE) {
				if (n > MESSAGE_DT_LEN - sp->vlen)
					n = MESSAGE_DT_LEN - sp->vlen;
				memcpy(sp->val + sp->vlen, p, n);
				sp->vlen += n;
			}
			if (nl == NULL)
				break;
			if (sp->hs == HS_VALUE && spool_dt_keep(sp) < 0)
				return (-1);
			p = nl + 1;
			sp->hs = HS_BOL;
		}
	}
	return (0);
}

/*
 * Count the lines of the message that begin with "From " (what mbox
 * quoting will prefix with ">"), over the settled bytes p[0..n) as they
 * come: a "\nFrom " may straddle two pieces, so the last five bytes of
 * the previous one are kept (a "\n" stands before the first line).
 */
static void
spool_count_from(struct spool *sp, const char *p, size_t n)
{
	char	edge[10];
	const char *s, *hit, *end = p + n;
	size_t	h = n < 5 ? n : 5, i;

	memcpy(edge, sp->qtail, sp->qlen);
	memcpy(edge + sp->qlen, p, h);
	for (i = 0; i < sp->qlen; i++)		/* starts before p */
		if (i + 6 <= sp->qlen + h && memcmp(edge + i, "\nFrom ", 6) == 0)
			sp->msg->quotes++;
	for (s = p; (hit = memmem(s, (size_t)(end - s), "\nFrom ", 6)) != NULL;
	    s = hit + 1)
		sp->msg->quotes++;
	if (n >= 5) {
		memcpy(sp->qtail, end - 5, 5);
		sp->qlen = 5;
	} else {
		i = sp->qlen + n > 5 ? sp->qlen + n - 5 : 0;
		memmove(sp->qtail, edge + i, sp->qlen + n - i);
		sp->qlen = sp->qlen + n - i;
	}
}

static int
spool_tmpfile(const char *dir, struct dstatus *why)
{
	char	path[PATH_MAX];
	int	fd, err;

#ifdef O_TMPFILE
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0)
		return (fd);
#endif
	/* No O_TMPFILE here (old kernel, some file systems): the old way. */
	if ((size_t)snprintf(path, sizeof(path), "%s/vdeliver.XXXXXX", dir) >=
	    sizeof(path))
		err = ENAMETOOLONG;
	else if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
		err = errno;
	else if (unlink(path) < 0) {
		err = errno;
		close(fd);
	} else
		return (fd);
	spool_fail(why, err, "cannot create temporary file", dir);
	return (-1);
}

/*
 * Write out the buffer, creating the spool file on the first call.  A CR
 * at the end stays behind: the next read may turn it into an LF.
 */
static int
spool_flush(struct spool *sp, struct dstatus *why)
{
	struct message *msg = sp->msg;
	size_t	n = sp->len - (size_t)sp->cr_last;

	char	*nb;

	if (sp->inplace)
		;	/* the bytes are in stdin already, at the same place */
	else if (msg->fd < 0 &&
	    (msg->fd = spool_tmpfile(sp->tmpdir, why)) < 0)
		return (-1);
	else if (spool_write_all(msg->fd, sp->buf, n) < 0) {
		spool_fail(why, errno, "error writing temporary file", NULL);
		return (-1);
	}
	if (n > 0)
		sp->last = sp->buf[n - 1];
	sp->flushed += (off_t)n;
	if (sp->cr_last)
		sp->buf[0] = '\r';
	sp->len -= n;
	sp->scanned = 0;
	/* A message this big: read and write it in larger chunks. */
	if (sp->cap < MESSAGE_SPOOL_BUF &&
	    (nb = realloc(sp->buf, MESSAGE_SPOOL_BUF)) != NULL) {
		sp->buf = nb;
		sp->cap = MESSAGE_SPOOL_BUF;
	}
	return (0);
}

/*
 * Normalise, strip and scan the n bytes just read; n == 0 is the end of
 * the input, where a CR left over stays a CR.  Only the settled bytes (not
 * a trailing CR) are looked at, so a split CRLF is never seen as a CR.
 */
static int
spool_chunk(struct spool *sp, size_t n, struct dstatus *why)
{
	size_t	settled, before;
	int	more;

	/* In place, any CR would need folding: spool the message instead. */
	if (sp->inplace && memchr(sp->buf + sp->len, '\r', n) != NULL) {
		sp->retry = 1;
		return (-1);
	}
	if (n > 0)
		spool_fold(sp, n);
	else
		sp->cr_last = 0;
	settled = sp->len - (size_t)sp->cr_last;
	if (sp->from < FROM_DONE) {
		before = sp->len;
		more = spool_from(sp, settled, n == 0);
		sp->removed += (off_t)(before - sp->len);
		if (more)
			return (0);
	}
	settled = sp->len - (size_t)sp->cr_last;
	spool_count_from(sp, sp->buf + sp->scanned, settled - sp->scanned);
	if (spool_scan(sp, sp->buf + sp->scanned, sp->buf + settled) < 0) {
		status_set(why, "4.3.0", "out of memory");
		return (-1);
	}
	sp->scanned = settled;
	/* Room for the next read: spill to the file (or write) when full. */
	if (n > 0 && sp->len == sp->cap)
		return (spool_flush(sp, why));
	return (0);
}

/* Add the missing final LF, write out the rest, hand over the result. */
static int
spool_end(struct spool *sp, struct dstatus *why)
{
	struct message *msg = sp->msg;
	char	last = sp->len > 0 ? sp->buf[sp->len - 1] : sp->last;

	if (sp->flushed + (off_t)sp->len > 0 && last != '\n') {
		sp->buf[sp->len++] = '\n';	/* spool_chunk left room */
		if (spool_chunk(sp, 0, why) < 0)
			return (-1);
	}
	if (sp->slen == 2 && memcmp(sp->sender, "<>", 2) == 0)
		sp->slen = 0;		/* "From <> date": the null sender */
	sp->sender[sp->slen] = '\0';
	if (sp->from == FROM_DONE &&
	    (msg->sender = strdup(sp->sender)) == NULL) {
		status_set(why, "4.3.0", "out of memory");
		return (-1);
	}
	msg->size = sp->flushed + (off_t)sp->len;
	msg->flen = msg->size;
	if (sp->inplace && sp->flushed > 0) {
		/* Read in place: the added LF (if any) is not in the file. */
		if (last != '\n')
			msg->flen--;
		msg->base += sp->removed;
		return (0);
	}
	if (sp->inplace) {
		close(msg->fd);		/* small enough to keep in memory */
		msg->fd = -1;
	}
	if (msg->fd >= 0 && sp->len > 0 && spool_flush(sp, why) < 0)
		return (-1);
	if (msg->fd < 0) {
		msg->mem = sp->buf;
		sp->buf = NULL;
	}
	return (0);
}

/*
 * Standard input that is a regular file is read in place: one pass scans
 * it (From_ line, Delivered-To, no CR) without writing a spool file, and
 * the copies later read it at its offsets.  The message is the bytes seen
 * by that pass; if the file shrinks afterwards a copy comes up short and
 * fails, never a partial message.  Returns the descriptor (a duplicate,
 * closed with the message) and sets *start, or -1: spool as usual.
 */
static int
spool_inplace_fd(int fd, off_t *start)
{
	struct stat st;
	int	dfd;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (*start = lseek(fd, 0, SEEK_CUR)) < 0 ||
	    st.st_size - *start <= MESSAGE_MEM_MAX)
		return (-1);
	if ((dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return (-1);
	return (dfd);
}

/* One pass over fd: spooled, or only scanned when sp->inplace. */
static int
spool_run(struct spool *sp, int fd, struct dstatus *why)
{
	ssize_t	n;

	do {
		n = read(fd, sp->buf + sp->len, sp->cap - sp->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			spool_fail(why, errno, "error reading message", NULL);
			return (-1);
		}
		if (spool_chunk(sp, (size_t)n, why) < 0)
			return (-1);
	} while (n != 0);
	return (spool_end(sp, why));
}

static struct message *
spool_new(struct spool *sp, const char *tmpdir, struct dstatus *why)
{
	struct message *msg;

	memset(sp, 0, sizeof(*sp));
	if ((msg = calloc(1, sizeof(*msg))) == NULL ||
	    (sp->buf = malloc(MESSAGE_MEM_MAX)) == NULL) {
		free(msg);
		status_set(why, "4.3.0", "out of memory");
		return (NULL);
	}
	sp->cap = MESSAGE_MEM_MAX;
	msg->fd = -1;
	sp->msg = msg;
	sp->qtail[0] = '\n';		/* the first line is a line start */
	sp->qlen = 1;
	/* An empty $TMPDIR means unset, not the root directory. */
	sp->tmpdir = tmpdir != NULL && *tmpdir != '\0' ? tmpdir : "/tmp";
	return (msg);
}

struct message *
message_spool(int fd, const char *tmpdir, struct dstatus *why)
{
	struct spool *sp;
	struct message *msg = NULL;
	off_t	start;
	int	dfd, rc;

	if ((sp = malloc(sizeof(*sp))) == NULL) {
		status_set(why, "4.3.0", "out of memory");
		return (NULL);
	}
	if ((dfd = spool_inplace_fd(fd, &start)) >= 0) {
		if ((msg = spool_new(sp, tmpdir, why)) == NULL) {
			close(dfd);
			goto fail;
		}
		msg->fd = dfd;
		msg->base = start;
		sp->inplace = 1;
		rc = spool_run(sp, fd, why);
		if (rc == 0)
			goto done;
		if (!sp->retry)
			goto fail;
		/* A CR somewhere: from the start again, through a spool. */
		free(sp->buf);
		message_free(msg);
		msg = NULL;
		if (lseek(fd, start, SEEK_SET) < 0) {
			spool_fail(why, errno, "error reading message", NULL);
			goto fail1;
		}
	}
	if ((msg = spool_new(sp, tmpdir, why)) == NULL ||
	    spool_run(sp, fd, why) < 0)
		goto fail;
done:
	free(sp->buf);
	free(sp);
	return (msg);
fail:
	free(sp->buf);
fail1:
	free(sp);
	message_free(msg);
	return (NULL);
}

void
message_free(struct message *msg)
{
	size_t	i;

	if (msg == NULL)
		return;
	if (msg->fd >= 0)
		close(msg->fd);
	for (i = 0; i < msg->ndt; i++)
		free(msg->dt[i]);
	free(msg->dt);
	free(msg->sender);
	free(msg->mem);
	free(msg);
}

const char *
message_envelope_sender(const struct message *msg)
{
	return (msg->sender);
}

off_t
message_size(const struct message *msg)
{
	return (msg->size);
}

off_t
message_from_lines(const struct message *msg)
{
	return (msg->quotes);
}

int
message_has_delivered_to(const struct message *msg, const char *addr)
{
	size_t	i;

	for (i = 0; i < msg->ndt; i++)
		if (strcasecmp(msg->dt[i], addr) == 0)
			return (1);
	return (0);
}

ssize_t
message_read(const struct message *msg, void *buf, size_t len, off_t off)
{
	size_t	got = 0, flen;
	ssize_t	r = 0;

	if (off < 0) {
		errno = EINVAL;
		return (-1);
	}
	if (off >= msg->size)
		return (0);
	if (len > (size_t)(msg->size - off))
		len = (size_t)(msg->size - off);
	if (msg->mem != NULL) {
		memcpy(buf, msg->mem + off, len);
		return ((ssize_t)len);
	}
	/* In place, the final LF added is not in the file: fill it in. */
	flen = off < msg->flen ? (size_t)(msg->flen - off) : 0;
	if (flen > len)
		flen = len;
	while (got < flen) {
		r = pread(msg->fd, (char *)buf + got, flen - got,
		    msg->base + off + (off_t)got);
		if (r > 0)
			got += (size_t)r;
		else if (r == 0)
			return ((ssize_t)got);	/* the file shrank: short */
		else if (errno != EINTR)
			return (-1);
	}
	if (got < len)
		((char *)buf)[got++] = '\n';
	return ((ssize_t)got);
}
