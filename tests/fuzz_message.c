/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_message.c - libFuzzer target for the message module: spooling
 * (From_ line, CRLF folding, final LF, the Delivered-To scan, spilling to
 * the temporary file), message_read, message_has_delivered_to and
 * message_write with ">From " quoting, size limits and write errors.
 *
 * Input: four control bytes, then the message.
 *   c0  bits 0-2  read size class: each read(2) returns at most 1, 4, 16,
 *                 64, 256, 1 Ki, 4 Ki bytes, or all that was asked (7)
 *       bits 3-4  EINTR before some reads (never, 1/8, 1/2, 1/2)
 *       bit  5    fail one read with EIO (the read number is c2 % 8)
 *   c1  bits 0-4  seed of the read sizes
 *       bits 5-7  size: as given (0-4), repeated past 128 KiB (5: the
 *                 spool file), repeated past 300 KiB (6), cut to
 *                 128 KiB - 2 .. + 2 (7); big ones read at least 1 KiB
 *                 at a time, for speed
 *   c2  EIO read number, limit and start size material
 *   c3  message_write: bit 0 quote_from, 1 blank_line, 2 From_ line,
 *       3 delivery headers, bits 4-5 limit (none, exact, one byte short,
 *       small), bit 6 write to /dev/full, bit 7 a start size
 *
 * Reads are served by a --wrap=read shim, so every chunk boundary (a CRLF
 * or a "From " split between reads) is reproducible.  Every result is
 * compared with a simple one-pass model of message.h; any difference,
 * crash, sanitizer report, leak or leaked descriptor is a bug.
 *
 * Built and run by tests/fuzz.sh (which reads the line below); by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Iinclude tests/fuzz_message.c src/message.c src/message_write.c \
 *       src/status.c -Wl,--wrap=read -o fuzz_message
 *   ./fuzz_message -max_total_time=30 NEWDIR tests/fuzz-corpus/message
 *
 * fuzz-ldflags: -Wl,--wrap=read
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "message.h"
#include "status.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
ssize_t	__real_read(int fd, void *buf, size_t n);
ssize_t	__wrap_read(int fd, void *buf, size_t n);

#define MODEL_DT_MAX	1000	/* as message.c: values kept */
#define MODEL_DT_LEN	1000	/* bytes kept of one value */
#define MODEL_SENDER_LEN 1000

/* The input side: what the shim hands to message_spool(). */
static struct {
	int	fd;		/* reserved descriptor number */
	const char *data;
	size_t	len, off;
	size_t	max;		/* largest chunk, 0 = as asked */
	int	eintr;		/* 0, or one in (eintr + 1) reads */
	int	eio_at;		/* read number that fails, -1 = none */
	int	reads;
	uint32_t rng;
} in = { .fd = -1 };

static int out_fd = -1, full_fd = -1, free_fd;

static uint32_t
rng_next(void)
{
	in.rng ^= in.rng << 13;
	in.rng ^= in.rng >> 17;
	in.rng ^= in.rng << 5;
	return (in.rng);
}

ssize_t
__wrap_read(int fd, void *buf, size_t n)
{
	size_t	k;

	if (fd != in.fd || in.data == NULL)
		return (__real_read(fd, buf, n));
	if (in.reads++ == in.eio_at) {
		errno = EIO;
		return (-1);
	}
	if (in.eintr && rng_next() % (uint32_t)(in.eintr + 1) == 0) {
		errno = EINTR;
		return (-1);
	}
	k = in.len - in.off;
	if (k > n)
		k = n;
	if (in.max != 0 && k > 1)
		k = 1 + rng_next() % (k < in.max ? k : in.max);
	memcpy(buf, in.data + in.off, k);
	in.off += k;
	return ((ssize_t)k);
}

static void
fuzz_setup(void)
{
	if ((in.fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 ||
	    (out_fd = memfd_create("fuzz-out", MFD_CLOEXEC)) < 0 ||
	    (full_fd = open("/dev/full", O_WRONLY | O_CLOEXEC)) < 0 ||
	    (free_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		abort();
	close(free_fd);
}

/* What message_spool() should make of the input. */
struct model {
	char	*msg;		/* normalised message */
	size_t	len;
	char	*sender;	/* NULL: no From_ line */
	char	*dt[MODEL_DT_MAX];
	size_t	ndt;
};

/* The From_ line of the CRLF-folded text f[0..n): strip, keep sender. */
static size_t
model_from(struct model *m, const char *f, size_t n)
{
	const char *nl, *tok;
	size_t	end, i, tlen;

	if (n < 5 || memcmp(f, "From ", 5) != 0)
		return (0);
	nl = memchr(f, '\n', n);
	end = nl != NULL ? (size_t)(nl - f) : n;
	for (i = 5; i < end && (f[i] == ' ' || f[i] == '\t'); i++)
		;
	tok = f + i;
	for (; i < end && f[i] != ' ' && f[i] != '\t'; i++)
		;
	tlen = (size_t)(f + i - tok);
	if (tlen > MODEL_SENDER_LEN)
		tlen = MODEL_SENDER_LEN;
	if (tlen == 2 && memcmp(tok, "<>", 2) == 0)
		tlen = 0;
	/* A C string: a NUL in the sender ends it. */
	if ((m->sender = strndup(tok, tlen)) == NULL)
		abort();
	return (nl != NULL ? end + 1 : n);
}

/* Delivered-To values of the top header block (up to an empty line). */
static void
model_scan(struct model *m)
{
	const char *p = m->msg, *end = m->msg + m->len, *nl, *v;
	size_t	n;

	while (p < end && *p != '\n') {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			abort();	/* the final LF is always there */
		if (nl - p >= 13 && strncasecmp(p, "delivered-to:", 13) == 0) {
			for (v = p + 13; v < nl && (*v == ' ' || *v == '\t');
			    v++)
				;
			n = (size_t)(nl - v);
			if (n > MODEL_DT_LEN)
				n = MODEL_DT_LEN;
			while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--;
			if (m->ndt < MODEL_DT_MAX &&
			    (m->dt[m->ndt++] = strndup(v, n)) == NULL)
				abort();
		}
		p = nl + 1;
	}
}

static void
model_build(struct model *m, const char *d, size_t n)
{
	const char *p = d, *end = d + n, *cr;
	size_t	k = 0, skip;

	memset(m, 0, sizeof(*m));
	if ((m->msg = malloc(n + 1)) == NULL)
		abort();
	/* One pass, left to right: CRLF -> LF, everything else kept. */
	while (p < end) {
		if ((cr = memchr(p, '\r', (size_t)(end - p))) == NULL)
			cr = end;
		memcpy(m->msg + k, p, (size_t)(cr - p));
		k += (size_t)(cr - p);
		if ((p = cr) == end)
			break;
		if (p + 1 < end && p[1] == '\n')
			p++;
		m->msg[k++] = *p++;
	}
	skip = model_from(m, m->msg, k);
	memmove(m->msg, m->msg + skip, k - skip);
	m->len = k - skip;
	if (m->len > 0 && m->msg[m->len - 1] != '\n')
		m->msg[m->len++] = '\n';
	model_scan(m);
}

static void
model_free(struct model *m)
{
	size_t	i;

	for (i = 0; i < m->ndt; i++)
		free(m->dt[i]);
	free(m->sender);
	free(m->msg);
}

static int
model_has_dt(const struct model *m, const char *addr)
{
	size_t	i;

	for (i = 0; i < m->ndt; i++)
		if (strcasecmp(m->dt[i], addr) == 0)
			return (1);
	return (0);
}

/* The spooled message read back in odd-sized pieces equals the model. */
static void
check_read(const struct message *msg, const struct model *m)
{
	static char buf[4096];
	off_t	off = 0;
	ssize_t	r;
	size_t	want;

	if (message_size(msg) != (off_t)m->len)
		abort();
	while ((size_t)off < m->len) {
		want = 1 + rng_next() % sizeof(buf);
		r = message_read(msg, buf, want, off);
		if (r <= 0 || (size_t)r > want ||
		    memcmp(buf, m->msg + off, (size_t)r) != 0)
			abort();
		off += r;
	}
	if (message_read(msg, buf, sizeof(buf), off) != 0 ||
	    message_read(msg, buf, 1, -1) != -1 || errno != EINVAL)
		abort();
}

static void
check_sender_dt(const struct message *msg, const struct model *m)
{
	const char *s = message_envelope_sender(msg);
	char	probe[MODEL_DT_LEN + 2];
	size_t	i, n;

	if ((s == NULL) != (m->sender == NULL) ||
	    (s != NULL && strcmp(s, m->sender) != 0))
		abort();
	if (message_has_delivered_to(msg, "user@example.com") !=
	    model_has_dt(m, "user@example.com"))
		abort();
	for (i = 0; i < m->ndt && i < 16; i++) {
		if (!message_has_delivered_to(msg, m->dt[i]))
			abort();
		n = strlen(m->dt[i]);
		memcpy(probe, m->dt[i], n + 1);
		if (n > 0) {
			probe[0] ^= 0x20;	/* another case, or not a letter */
			if (message_has_delivered_to(msg, probe) !=
			    model_has_dt(m, probe))
				abort();
			probe[0] ^= 0x20;
		}
		probe[n] = ' ';
		probe[n + 1] = '\0';
		if (message_has_delivered_to(msg, probe) !=
		    model_has_dt(m, probe))
			abort();
	}
}

/* The copy message_write() should produce, ">From " quoting included. */
static char *
model_output(const struct model *m, const struct message_out *o, size_t *len)
{
	size_t	fl = o->from_line ? strlen(o->from_line) : 0;
	size_t	hl = o->headers ? strlen(o->headers) : 0, i, k, n;
	const char *nl;
	char	*e;

	/* At most one '>' per line, and lines are at least one byte. */
	if ((e = malloc(fl + hl + 2 * m->len + 2)) == NULL)
		abort();
	memcpy(e, o->from_line ? o->from_line : "", fl);
	memcpy(e + fl, o->headers ? o->headers : "", hl);
	k = fl + hl;
	/* Line by line: the message always ends in a newline. */
	for (i = 0; i < m->len; i += n) {
		nl = memchr(m->msg + i, '\n', m->len - i);
		n = nl != NULL ? (size_t)(nl - (m->msg + i)) + 1 : m->len - i;
		if (o->quote_from && n >= 5 &&
		    memcmp(m->msg + i, "From ", 5) == 0)
			e[k++] = '>';
		memcpy(e + k, m->msg + i, n);
		k += n;
	}
	if (o->blank_line)
		e[k++] = '\n';
	*len = k;
	return (e);
}

static void
check_write(const struct message *msg, const struct model *m, int c2,
    int c3)
{
	static const char headers[] = "Return-Path: <s@x>\n"
	    "Delivered-To: user@example.com\n";
	struct message_out o;
	char	from[1200], *want, *got;
	size_t	wlen, base;
	off_t	r;
	int	full = (c3 & 0x40) != 0;

	memset(&o, 0, sizeof(o));
	o.quote_from = c3 & 1;
	o.blank_line = (c3 & 2) != 0;
	if ((c3 & 4) && message_from_line(from, sizeof(from), m->sender,
	    (time_t)c2 * 86400 * 31) == 0)
		o.from_line = from;
	o.headers = (c3 & 8) ? headers : NULL;
	o.start_size = (c3 & 0x80) ? (off_t)(c2 * 7) - 100 : 0;
	want = model_output(m, &o, &wlen);
	base = o.start_size > 0 ? (size_t)o.start_size : 0;
	switch ((c3 >> 4) & 3) {
	case 1: o.limit = base + wlen; break;
	case 2: o.limit = base + wlen - 1; break;
	case 3: o.limit = (unsigned long long)c2 * 3 + 1; break;
	}
	/* Nothing fits at all: EFBIG before a byte is written. */
	base = o.limit == 0 ? 0 : base < o.limit ? o.limit - base : 0;
	if (ftruncate(out_fd, 0) < 0 || lseek(out_fd, 0, SEEK_SET) != 0)
		abort();
	errno = 0;
	r = message_write(msg, full ? full_fd : out_fd, &o);
	if (o.limit != 0 && wlen > base) {
		/* To /dev/full, a first buffer within the limit gets ENOSPC. */
		if (r != -1 || (errno != EFBIG && (!full || errno != ENOSPC)))
			abort();
	} else if (full && wlen > 0) {
		if (r != -1 || errno != ENOSPC)
			abort();
	} else if (r != (off_t)wlen)
		abort();
	if (full) {
		free(want);
		return;
	}
	/* What was written is a prefix of the copy (all of it on success). */
	r = lseek(out_fd, 0, SEEK_END);
	if (r < 0 || (size_t)r > wlen || (o.limit != 0 && (size_t)r > base) ||
	    (got = malloc((size_t)r + 1)) == NULL ||
	    pread(out_fd, got, (size_t)r, 0) != r ||
	    memcmp(got, want, (size_t)r) != 0)
		abort();
	free(got);
	free(want);
}

/* The message: as given, repeated past a size, or cut near 128 KiB. */
static char *
fuzz_input(const uint8_t *data, size_t size, int mode, int c2, size_t *len)
{
	size_t	want, n = 0;
	char	*d;

	want = mode == 1 ? 140000 : mode == 2 ? 300000 :
	    (size_t)MESSAGE_MEM_MAX - 2 + (size_t)(c2 % 5);
	if (mode == 0 || size == 0)
		want = size;
	if ((d = malloc(want + size + 1)) == NULL)
		abort();
	while (n < want) {
		memcpy(d + n, data, size);
		n += size;
	}
	*len = mode == 3 ? want : n;
	return (d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = {1, 4, 16, 64, 256, 1024, 4096, 0};
	struct dstatus why;
	struct message *msg;
	struct model m;
	char	*d;
	size_t	len;
	int	c0, c1, c2, c3, fd;

	if (size < 4)
		return (0);
	if (in.fd < 0)
		fuzz_setup();
	c0 = data[0], c1 = data[1], c2 = data[2], c3 = data[3];
	d = fuzz_input(data + 4, size - 4, c1 >> 5 < 5 ? 0 : (c1 >> 5) - 4, c2,
	    &len);
	in.data = d;
	in.len = len;
	in.off = 0;
	in.max = maxes[c0 & 7];
	/* Byte-sized reads of 300 KiB would make the run crawl. */
	if (len > 16384 && in.max != 0 && in.max < 1024)
		in.max = 1024;
	in.eintr = (c0 >> 3) & 3 ? ((c0 >> 3) & 3) == 1 ? 7 : 1 : 0;
	in.eio_at = (c0 & 0x20) ? c2 % 8 : -1;
	in.reads = 0;
	in.rng = 0x9e3779b9u ^ (uint32_t)(c1 & 31) ^ ((uint32_t)c2 << 8);
	memset(&why, 0, sizeof(why));
	msg = message_spool(in.fd, getenv("TMPDIR"), &why);
	in.data = NULL;
	if (msg == NULL) {
		/* Only the injected EIO may fail, and it defers. */
		if (in.eio_at < 0 || in.reads <= in.eio_at ||
		    strcmp(why.dsn, "4.3.0") != 0)
			abort();
	} else {
		if (in.eio_at >= 0 && in.reads > in.eio_at)
			abort();
		model_build(&m, d, len);
		check_read(msg, &m);
		check_sender_dt(msg, &m);
		check_write(msg, &m, c2, c3);
		model_free(&m);
		message_free(msg);
	}
	free(d);
	/* No descriptor left behind (the spool file is closed). */
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != free_fd)
		abort();
	close(fd);
	return (0);
}
