/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_message.c - the message module: spooling and normalisation fed
 * through real pipes and files (split exactly where a read boundary
 * matters), the Delivered-To scan, mbox quoting and the size limit
 * written to real descriptors, the From_ line, and bounded memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "check_util.h"
#include "message.h"
#include "status.h"

#define K64 65536

/*
 * Feed pieces through a pipe from a child that writes the next piece only
 * once the pipe is empty: each read() then ends exactly at a piece end.
 */
static int
feed(const char *const *piece, const size_t *len, size_t n, pid_t *pid)
{
	int	p[2], avail;
	size_t	i, off;
	ssize_t	w;

	ck_assert_int_eq(pipe(p), 0);
	*pid = fork();
	ck_assert_int_ge(*pid, 0);
	if (*pid > 0) {
		close(p[1]);
		return (p[0]);
	}
	close(p[0]);
	for (i = 0; i < n; i++) {
		for (off = 0; off < len[i]; off += (size_t)w)
			if ((w = write(p[1], piece[i] + off, len[i] - off)) < 0)
				_exit(1);
		do
			usleep(200);
		while (ioctl(p[1], FIONREAD, &avail) == 0 && avail > 0);
	}
	_exit(0);
}

static struct message *
spool_pieces(const char *const *piece, const size_t *len, size_t n)
{
	struct dstatus why;
	struct message *msg;
	pid_t	pid;
	int	fd = feed(piece, len, n, &pid), st;

	msg = message_spool(fd, NULL, &why);
	ck_assert_msg(msg != NULL, "%s %s", why.dsn, why.text);
	close(fd);
	while (waitpid(pid, &st, 0) < 0)
		ck_assert_int_eq(errno, EINTR);
	ck_assert_int_eq(st, 0);
	return (msg);
}

static struct message *
spool_buf(const char *s, size_t n)
{
	return (spool_pieces(&s, &n, 1));
}

static struct message *
spool_str(const char *s)
{
	return (spool_buf(s, strlen(s)));
}

/* The spooled message, read back in odd-sized pieces to test offsets. */
static char *
contents(const struct message *msg)
{
	size_t	size = (size_t)message_size(msg), off = 0;
	char	*b = malloc(size + 1);
	ssize_t	n;

	ck_assert_ptr_nonnull(b);
	while ((n = message_read(msg, b + off, 7777, (off_t)off)) > 0)
		off += (size_t)n;
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(off, size);
	b[size] = '\0';
	return (b);
}

static void
expect(const struct message *msg, const char *want, size_t wlen)
{
	char	*got = contents(msg);

	ck_assert_int_eq(message_size(msg), (off_t)wlen);
	ck_assert_msg(memcmp(got, want, wlen) == 0, "content differs");
	free(got);
}

#define EXPECT(msg, lit) expect((msg), (lit), sizeof(lit) - 1)

/* What the spool must produce (no From_ line in the input). */
static size_t
ref_norm(const char *in, size_t n, char *out)
{
	size_t	i, o = 0;

	for (i = 0; i < n; i++)
		if (!(in[i] == '\r' && i + 1 < n && in[i + 1] == '\n'))
			out[o++] = in[i];
	if (o > 0 && out[o - 1] != '\n')
		out[o++] = '\n';
	return (o);
}

/* Lines of a normalised message that begin with "From ". */
static off_t
ref_from_lines(const char *m, size_t n)
{
	off_t	c = 0;
	size_t	i;

	for (i = 0; i + 5 <= n; i++)
		if ((i == 0 || m[i - 1] == '\n') && memcmp(m + i, "From ", 5) == 0)
			c++;
	return (c);
}

/* What message_write must produce with quoting. */
static size_t
ref_quote(const char *in, size_t n, char *out)
{
	size_t	i, o = 0;

	for (i = 0; i < n; i++) {
		if ((i == 0 || in[i - 1] == '\n') && n - i >= 5 &&
		    memcmp(in + i, "From ", 5) == 0)
			out[o++] = '>';
		out[o++] = in[i];
	}
	return (o);
}

/* Write msg into a fresh memfd holding pre bytes first; returns the fd. */
static int
write_out(const struct message *msg, const struct message_out *out,
    size_t pre, off_t *ret)
{
	int	fd = memfd_create("out", 0);
	char	*junk = calloc(1, pre + 1);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, junk, pre), (ssize_t)pre);
	free(junk);
	*ret = message_write(msg, fd, out);
	return (fd);
}

static char *
file_bytes(int fd, size_t *len)
{
	struct stat st;
	char	*b;

	ck_assert_int_eq(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size + 1);
	ck_assert_int_eq(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
	*len = (size_t)st.st_size;
	return (b);
}

/* A pseudo-random message over a small alphabet rich in CR, LF, "From ". */
static char *
random_msg(size_t n, unsigned seed)
{
	static const char *const words[] = {
		"From ", "\r\n", "\r", "\n", "x", "From", "\0", " From ",
		">From ", "abcdefghij", "\n\n"
	};
	char	*b = malloc(n);
	size_t	o = 0, k, w;

	srand(seed);
	while (o < n) {
		w = (size_t)rand() % (sizeof(words) / sizeof(words[0]));
		k = w == 6 ? 1 : strlen(words[w]);
		if (k > n - o)
			k = n - o;
		memcpy(b + o, words[w], k);
		o += k;
	}
	if (n >= 5)
		memcpy(b, "Head:", 5);	/* never a From_ line */
	return (b);
}

START_TEST(t_from_sender)
{
	struct message *msg = spool_str("From alice@example.com  Sun Nov 22 "
	    "02:27:04 2026\nSubject: x\n\nbody\n");

	ck_assert_str_eq(message_envelope_sender(msg), "alice@example.com");
	EXPECT(msg, "Subject: x\n\nbody\n");
	message_free(msg);
}
END_TEST

START_TEST(t_from_variants)
{
	static const struct {
		const char *in, *sender, *out;
	} t[] = {
		{"From \nA: b\n\nx\n", "", "A: b\n\nx\n"},
		{"From\t\nA: b\n", NULL, "From\t\nA: b\n"},
		{"From <> Sun Nov 22 02:27:04 2026\nA: b\n", "", "A: b\n"},
		{"From   spaced@x  date\nA: b\n", "spaced@x", "A: b\n"},
		{"From a@b date\r\nX: y\r\n", "a@b", "X: y\n"},
		{"From tab@x\tdate\nX: y\n", "tab@x", "X: y\n"},
		{"From only@x", "only@x", ""},
		{"From a@b d\nFrom c@d e\n", "a@b", "From c@d e\n"},
		{"Subject: x\n\nFrom y\n", NULL, "Subject: x\n\nFrom y\n"},
		{"from x\nA: b\n", NULL, "from x\nA: b\n"},
		{">From x\n", NULL, ">From x\n"},
		{"From\nA\n", NULL, "From\nA\n"},
		{"Fro", NULL, "Fro\n"},
		{" From x\n", NULL, " From x\n"},
	};
	struct message *msg;
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		msg = spool_str(t[i].in);
		if (t[i].sender == NULL)
			ck_assert_ptr_null(message_envelope_sender(msg));
		else
			ck_assert_str_eq(message_envelope_sender(msg),
			    t[i].sender);
		expect(msg, t[i].out, strlen(t[i].out));
		message_free(msg);
	}
}
END_TEST

START_TEST(t_from_split)
{
	static const char *const p[] = {
		"Fr", "om bo", "b@x ", "date\r", "\nSubj", "ect: s\r",
		"\n\r\nbody"
	};
	size_t	len[7], i;
	struct message *msg;

	for (i = 0; i < 7; i++)
		len[i] = strlen(p[i]);
	msg = spool_pieces(p, len, 7);
	ck_assert_str_eq(message_envelope_sender(msg), "bob@x");
	EXPECT(msg, "Subject: s\n\nbody\n");
	message_free(msg);
}
END_TEST

/* A From_ line longer than the memory buffer: sender capped, rest intact. */
START_TEST(t_from_huge_line)
{
	size_t	n = 300000, i;
	char	*in = malloc(n + 20);
	struct message *msg;

	memcpy(in, "From ", 5);
	for (i = 5; i < n; i++)
		in[i] = (char)('a' + i % 26);
	memcpy(in + n, "\nA: b\n\nbody\n", 12);
	msg = spool_buf(in, n + 12);
	ck_assert_uint_eq(strlen(message_envelope_sender(msg)), 1000);
	ck_assert_int_eq(memcmp(message_envelope_sender(msg), in + 5, 1000), 0);
	EXPECT(msg, "A: b\n\nbody\n");
	message_free(msg);
	free(in);
}
END_TEST

START_TEST(t_norm_small)
{
	static const struct {
		const char *in;
		size_t	inlen;
		const char *out;
		size_t	outlen;
	} t[] = {
#define T(a, b) { a, sizeof(a) - 1, b, sizeof(b) - 1 }
		T("a\r\nb\r\n", "a\nb\n"),
		T("a\rb\r\r\nc\r", "a\rb\r\nc\r\n"),
		T("a\0b\n\0", "a\0b\n\0\n"),
		T("abc", "abc\n"),
		T("abc\n", "abc\n"),
		T("\r", "\r\n"),
		T("\r\n", "\n"),
		T("\n", "\n"),
		T("", ""),
#undef T
	};
	struct message *msg;
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		msg = spool_buf(t[i].in, t[i].inlen);
		ck_assert_ptr_null(message_envelope_sender(msg));
		expect(msg, t[i].out, t[i].outlen);
		message_free(msg);
	}
}
END_TEST

/*
 * CRLF split by read boundaries: at 64 KiB (in memory), at the point where
 * memory is full and the message spills, and between later file chunks.
 */
START_TEST(t_crlf_boundaries)
{
	size_t	cuts[] = { K64, 2 * K64, 2 * K64 + 1, 3 * K64 - 1, 5 * K64 };
	size_t	len[6], n = 6 * K64, i, wlen;
	const char *p[6];
	char	*in = random_msg(n, 7), *want = malloc(n + 1);
	struct message *msg;

	for (i = 0; i < 5; i++) {
		in[cuts[i] - 1] = '\r';
		in[cuts[i]] = '\n';
	}
	for (i = 0; i < 6; i++) {
		p[i] = in + (i == 0 ? 0 : cuts[i - 1]);
		len[i] = (i == 5 ? n : cuts[i]) - (i == 0 ? 0 : cuts[i - 1]);
	}
	wlen = ref_norm(in, n, want);
	msg = spool_pieces(p, len, 6);
	expect(msg, want, wlen);
	message_free(msg);
	free(in);
	free(want);
}
END_TEST

/*
 * From a regular file every read() returns what was asked for, so the
 * boundaries are known: the first read fills memory with a CR as its last
 * byte (the spill must carry it), the second and third reads (128 KiB - 1
 * after the carried CR) also end in a CR, the third in a bare one.  No
 * other CR comes before 3 * 128 KiB.
 */
START_TEST(t_crlf_file)
{
	size_t	n = 4 * MESSAGE_MEM_MAX, m = MESSAGE_MEM_MAX, i, wlen;
	char	*in = malloc(n), *rnd = random_msg(m, 3), *want = malloc(n + 1);
	struct dstatus why;
	struct message *msg;
	int	fd = memfd_create("in", 0);

	for (i = 0; i < n; i++)
		in[i] = i % 80 == 79 ? '\n' : 'a';
	memcpy(in + 3 * m, rnd, m);
	memcpy(in + m - 1, "\r\n", 2);
	memcpy(in + 2 * m - 2, "\r\n", 2);
	memcpy(in + 3 * m - 3, "\rx", 2);	/* a bare CR carried over */
	in[n - 1] = '\r';	/* a CR at the very end is kept */
	ck_assert_int_eq(write(fd, in, n), (ssize_t)n);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	wlen = ref_norm(in, n, want);
	ck_assert_int_eq(want[wlen - 2], '\r');
	ck_assert_int_eq(want[m - 1], '\n');
	msg = message_spool(fd, NULL, &why);
	ck_assert_ptr_nonnull(msg);
	expect(msg, want, wlen);
	message_free(msg);
	close(fd);
	free(in), free(rnd), free(want);
}
END_TEST

/*
 * The "From " lines counted while spooling, with the pieces cut at every
 * offset of a "\nFrom " (and after a From_ line, a CRLF, a bare CR).
 */
START_TEST(t_count_from_split)
{
	static const char *const ins[] = {
		"From a\nFrom b\nxFrom c\n\nFrom \nFrom",
		"From s@x date\r\nFrom b\r\nFrom c\rFrom d\r\n\r\nFrom ",
		"x\nFro\nFrom\tno\n>From no\nFrom yes\n",
	};
	char	want[128];
	const char *p[3];
	size_t	len[3], n, i, j, wlen, skip;
	struct message *msg;

	for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		n = strlen(ins[i]);
		/* the reference: the leading From_ line goes, then normalise */
		skip = strncmp(ins[i], "From ", 5) != 0 ? 0 :
		    (size_t)(strchr(ins[i], '\n') + 1 - ins[i]);
		wlen = ref_norm(ins[i] + skip, n - skip, want);
		for (j = 0; j + 1 < n; j++) {
			p[0] = ins[i];
			len[0] = j + 1;
			p[1] = ins[i] + j + 1;
			len[1] = n - j - 1 > 3 ? 3 : n - j - 1;
			p[2] = p[1] + len[1];
			len[2] = n - j - 1 - len[1];
			msg = spool_pieces(p, len, len[2] > 0 ? 3 : 2);
			expect(msg, want, wlen);
			ck_assert_msg(message_from_lines(msg) ==
			    ref_from_lines(want, wlen), "input %zu cut %zu: "
			    "%lld", i, j, (long long)message_from_lines(msg));
			message_free(msg);
		}
	}
}
END_TEST

/* Random content in random pieces, in memory and spilled. */
START_TEST(t_norm_random)
{
	size_t	sizes[] = { 1000, 100000, 1500000 }, n, off, k, np, wlen;
	const char *p[64];
	size_t	len[64];
	char	*in, *want;
	struct message *msg;

	n = sizes[_i];
	in = random_msg(n, 100 + (unsigned)_i);
	want = malloc(n + 1);
	srand(42);
	for (off = np = 0; off < n; off += k, np++) {
		k = np == 63 ? n - off : 1 + (size_t)rand() % (n / 20 + 1);
		if (k > n - off)
			k = n - off;
		p[np] = in + off;
		len[np] = k;
	}
	wlen = ref_norm(in, n, want);
	msg = spool_pieces(p, len, np);
	expect(msg, want, wlen);
	ck_assert_int_eq(message_from_lines(msg), ref_from_lines(want, wlen));
	message_free(msg);
	free(in);
	free(want);
}
END_TEST

START_TEST(t_dt_several)
{
	struct message *msg = spool_str("Return-Path: <x@y>\r\n"
	    "Delivered-To: a@x.org\r\n"
	    "delivered-to:   B@Y.org  \t\r\n"
	    "DELIVERED-TO:c@z\n"
	    "Delivered-To: fold@x\n b@y\n"
	    "Delivered-To : s@x\nX-Delivered-To: t@x\n Delivered-To: u@x\n"
	    "Delivered-To: \n"
	    "Subject: s\n\nDelivered-To: body@x\n");

	ck_assert(message_has_delivered_to(msg, "a@x.org"));
	ck_assert(message_has_delivered_to(msg, "A@X.ORG"));
	ck_assert(message_has_delivered_to(msg, "b@y.org"));
	ck_assert(message_has_delivered_to(msg, "c@z"));
	ck_assert(message_has_delivered_to(msg, "fold@x"));
	ck_assert(!message_has_delivered_to(msg, "b@y"));
	ck_assert(!message_has_delivered_to(msg, "fold@x b@y"));
	ck_assert(!message_has_delivered_to(msg, "s@x"));
	ck_assert(!message_has_delivered_to(msg, "t@x"));
	ck_assert(!message_has_delivered_to(msg, "u@x"));
	ck_assert(!message_has_delivered_to(msg, "body@x"));
	ck_assert(!message_has_delivered_to(msg, "a@x"));
	message_free(msg);
}
END_TEST

START_TEST(t_dt_edges)
{
	struct message *msg;

	msg = spool_str("\nDelivered-To: a@x\n");
	ck_assert(!message_has_delivered_to(msg, "a@x"));
	message_free(msg);
	msg = spool_str("From s@x d\nDelivered-To: a@x\n\n");
	ck_assert(message_has_delivered_to(msg, "a@x"));
	message_free(msg);
	msg = spool_str("Subject: s\nDelivered-To: last@x");
	ck_assert(message_has_delivered_to(msg, "last@x"));
	message_free(msg);
	msg = spool_str("Subject: s\r\n\r\nDelivered-To: a@x\r\n");
	ck_assert(!message_has_delivered_to(msg, "a@x"));
	message_free(msg);
}
END_TEST

START_TEST(t_dt_split)
{
	static const char *const p[] = {
		"Deliv", "ered-To: us", "er@x\r", "\nDelivered-To: v@x \r",
		"\n", "Delivered-To", ": w@x\n", "\n", "Delivered-To: z@x\n"
	};
	static const char *const p2[] = { "Delivered-To: a@", "x\n\nbody\n" };
	size_t	len[9], i;
	struct message *msg;

	for (i = 0; i < 9; i++)
		len[i] = strlen(p[i]);
	msg = spool_pieces(p, len, 9);
	ck_assert(message_has_delivered_to(msg, "user@x"));
	ck_assert(message_has_delivered_to(msg, "v@x"));
	ck_assert(message_has_delivered_to(msg, "w@x"));
	ck_assert(!message_has_delivered_to(msg, "z@x"));
	message_free(msg);
	/* The value ends in the read where the header block ends. */
	len[0] = strlen(p2[0]);
	len[1] = strlen(p2[1]);
	msg = spool_pieces(p2, len, 2);
	ck_assert(message_has_delivered_to(msg, "a@x"));
	message_free(msg);
}
END_TEST

/* 5000 headers: the first 1000 are kept, and a value is capped at 1000. */
START_TEST(t_dt_caps)
{
	size_t	cap = 5000 * 40 + 6000, o = 0, i;
	char	*in = malloc(cap), addr[1100];
	struct message *msg;

	o += (size_t)sprintf(in + o, "Delivered-To: ");
	memset(in + o, 'v', 5000);
	o += 5000;
	in[o++] = '\n';
	for (i = 1; i <= 5000; i++)
		o += (size_t)sprintf(in + o, "Delivered-To: u%zu@x\n", i);
	o += (size_t)sprintf(in + o, "\nbody\n");
	msg = spool_buf(in, o);
	ck_assert(message_has_delivered_to(msg, "u1@x"));
	ck_assert(message_has_delivered_to(msg, "u999@x"));
	ck_assert(!message_has_delivered_to(msg, "u1000@x"));
	ck_assert(!message_has_delivered_to(msg, "u5000@x"));
	memset(addr, 'v', 1000);
	addr[1000] = '\0';
	ck_assert(message_has_delivered_to(msg, addr));
	addr[1000] = 'v';
	addr[1001] = '\0';
	ck_assert(!message_has_delivered_to(msg, addr));
	message_free(msg);
	free(in);
}
END_TEST

/* A header block larger than memory: the scan goes on after the spill. */
START_TEST(t_dt_deep)
{
	size_t	o = 0, i;
	char	*in = malloc(400000);
	struct message *msg;

	for (i = 0; i < 3000; i++)
		o += (size_t)sprintf(in + o, "X-Filler-%04zu: %090d\r\n", i, 0);
	o += (size_t)sprintf(in + o, "Delivered-To: deep@x\r\n\r\nbody\r\n");
	msg = spool_buf(in, o);
	ck_assert_int_gt(message_size(msg), MESSAGE_MEM_MAX);
	ck_assert(message_has_delivered_to(msg, "deep@x"));
	message_free(msg);
	free(in);
}
END_TEST

/* The spool file: unlinked in tmpdir, needed only when memory is full. */
/* How many descriptors of this process are files in dir. */
static int
fds_in(const char *dir)
{
	char	fdpath[64], link[512];
	int	fd, found = 0;
	ssize_t	n;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		n = readlink(fdpath, link, sizeof(link) - 1);
		if (n > 0 && (link[n] = '\0', strncmp(link, dir,
		    strlen(dir)) == 0))
			found++;
	}
	return (found);
}

/*
 * A regular file of pre junk bytes, then in (n bytes), positioned at in;
 * the path in *path (in dir).
 */
static int
input_file(const char *dir, const char *in, size_t n, size_t pre)
{
	char	*path, *junk = calloc(1, pre + 1);
	int	fd;

	ck_assert_int_ge(asprintf(&path, "%s/in", dir), 0);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(write(fd, junk, pre), (ssize_t)pre);
	ck_assert_int_eq(write(fd, in, n), (ssize_t)n);
	ck_assert_int_eq(lseek(fd, (off_t)pre, SEEK_SET), (off_t)pre);
	free(junk), free(path);
	return (fd);
}

/* A big LF-only message: no CR, some "From " lines, maybe a final LF. */
static char *
lf_msg(size_t n, int final_lf)
{
	char	*b = malloc(n);
	size_t	i;

	for (i = 0; i < n; i++)
		b[i] = i % 61 == 60 ? '\n' : (char)('a' + i % 26);
	for (i = 1000; i + 6 < n; i += 99991)
		memcpy(b + i, "\nFrom ", 6);
	memcpy(b, "Subject: x\n\n", 13);
	b[n - 1] = final_lf ? '\n' : 'z';
	return (b);
}

/* Both copies (quoted and kernel) of msg must be exactly want. */
static void
expect_copies(const struct message *msg, const char *want, size_t wlen,
    const char *dir)
{
	struct message_out out = { NULL, "X: y\n", 0, 0, 0, 0 };
	char	*path, *got, *q = malloc(2 * wlen + 16);
	size_t	glen, qlen;
	int	fd;

	expect(msg, want, wlen);
	ck_assert_int_eq(message_from_lines(msg), ref_from_lines(want, wlen));
	ck_assert_int_ge(asprintf(&path, "%s/out", dir), 0);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(message_write(msg, fd, &out), (off_t)wlen + 5);
	got = file_bytes(fd, &glen);
	ck_assert_uint_eq(glen, wlen + 5);
	ck_assert_msg(memcmp(got, "X: y\n", 5) == 0 &&
	    memcmp(got + 5, want, wlen) == 0, "kernel copy differs");
	free(got);
	close(fd);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0600);
	out.quote_from = 1;
	qlen = ref_quote(want, wlen, q);
	ck_assert_int_eq(message_write(msg, fd, &out), (off_t)qlen + 5);
	got = file_bytes(fd, &glen);
	ck_assert_msg(glen == qlen + 5 && memcmp(got + 5, q, qlen) == 0,
	    "quoted copy differs");
	free(got);
	close(fd);
	unlink(path);
	free(path), free(q);
}

/*
 * Standard input that is a regular file is read in place: no spool file,
 * the message starts at the file position (after a From_ line), the final
 * LF is added; loop 0/1: without/with a From_ line, 2: no final LF.
 */
START_TEST(t_inplace)
{
	static const char from[] = "From sender@x  Thu Jan  1 00:00:00 2026\n";
	size_t	n = 3 * 1024 * 1024 + 5, fl = _i == 1 ? sizeof(from) - 1 : 0;
	char	*body = lf_msg(n, _i != 2), *in = malloc(n + fl);
	char	*want = malloc(n + 1), *dir = tu_mkdtemp();
	struct dstatus why;
	struct message *msg;
	size_t	wlen;
	int	fd;

	memcpy(in, from, fl);
	memcpy(in + fl, body, n);
	fd = input_file(dir, in, n + fl, 4097);
	wlen = ref_norm(body, n, want);
	ck_assert_uint_eq(wlen, n + (_i == 2));
	msg = message_spool(fd, dir, &why);
	ck_assert_msg(msg != NULL, "%s %s", why.dsn, why.text);
	/* Only the input itself (stdin's duplicate): no spool file. */
	ck_assert_int_eq(fds_in(dir), 2);
	if (_i == 1)
		ck_assert_str_eq(message_envelope_sender(msg), "sender@x");
	else
		ck_assert_ptr_null(message_envelope_sender(msg));
	expect_copies(msg, want, wlen, dir);
	message_free(msg);
	ck_assert_int_eq(fds_in(dir), 1);
	close(fd);
	tu_rmtree(dir);
	free(dir), free(body), free(in), free(want);
}
END_TEST

/* A CR anywhere (here past 1 MB): spooled and folded after all. */
START_TEST(t_inplace_crlf)
{
	size_t	n = 2 * 1024 * 1024, wlen, at = 1024 * 1024 + 7;
	char	*in = lf_msg(n, 1), *want = malloc(n + 1), *dir = tu_mkdtemp();
	struct dstatus why;
	struct message *msg;
	int	fd;

	memcpy(in + at, "\r\n", 2);
	in[at + 100] = '\r';	/* a bare one */
	fd = input_file(dir, in, n, 0);
	wlen = ref_norm(in, n, want);
	ck_assert_uint_eq(wlen, n - 1);
	msg = message_spool(fd, dir, &why);
	ck_assert_msg(msg != NULL, "%s %s", why.dsn, why.text);
	ck_assert_int_eq(fds_in(dir), 2);	/* input and spool file */
	expect_copies(msg, want, wlen, dir);
	message_free(msg);
	close(fd);
	tu_rmtree(dir);
	free(dir), free(in), free(want);
}
END_TEST

/* The loop check sees the Delivered-To lines of a file read in place. */
START_TEST(t_inplace_dt)
{
	static const char head[] = "From s@x  date\nX: 1\n"
	    "Delivered-To:  One@Example.COM \nDelivered-To:\ttwo@x\n\n"
	    "Delivered-To: body@x\n";
	size_t	n = 1024 * 1024, hl = sizeof(head) - 1;
	char	*in = lf_msg(n, 1), *dir = tu_mkdtemp();
	struct dstatus why;
	struct message *msg;
	int	fd;

	memcpy(in, head, hl);
	fd = input_file(dir, in, n, 0);
	msg = message_spool(fd, dir, &why);
	ck_assert_msg(msg != NULL, "%s %s", why.dsn, why.text);
	ck_assert_int_eq(message_size(msg), (off_t)(n - 15));
	ck_assert_int_eq(message_has_delivered_to(msg, "one@example.com"), 1);
	ck_assert_int_eq(message_has_delivered_to(msg, "two@x"), 1);
	ck_assert_int_eq(message_has_delivered_to(msg, "body@x"), 0);
	message_free(msg);
	close(fd);
	tu_rmtree(dir);
	free(dir), free(in);
}
END_TEST

/*
 * The file changes after the scan: shrunk, every copy fails (EIO), none
 * is short; grown, the copies hold the bytes scanned, no more.
 */
START_TEST(t_inplace_changed)
{
	struct message_out out = { NULL, "X: y\n", 0, 0, 0, 0 };
	size_t	n = 3 * 1024 * 1024, i;
	char	*in = lf_msg(n, 1), *dir = tu_mkdtemp(), *path;
	struct dstatus why;
	struct message *msg;
	int	fd, o;

	ck_assert_int_ge(asprintf(&path, "%s/out", dir), 0);
	fd = input_file(dir, in, n, 0);
	msg = message_spool(fd, dir, &why);
	ck_assert_msg(msg != NULL, "%s %s", why.dsn, why.text);
	ck_assert_int_eq(write(fd, "more\n", 5), 5);	/* grown */
	expect_copies(msg, in, n, dir);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(ftruncate(fd, (off_t)(i == 0 ? n - 1 :
		    i == 1 ? n / 2 : 0)), 0);
		for (out.quote_from = 0; out.quote_from < 2; out.quote_from++) {
			o = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
			ck_assert_int_ge(o, 0);
			errno = 0;
			ck_assert_int_eq(message_write(msg, o, &out), -1);
			ck_assert_int_eq(errno, EIO);
			close(o);
		}
	}
	message_free(msg);
	close(fd);
	unlink(path);
	tu_rmtree(dir);
	free(dir), free(in), free(path);
}
END_TEST

START_TEST(t_spool_tmpdir)
{
	char	*dir = tu_mkdtemp(), *big = malloc(300000), link[512];
	char	fdpath[64];
	struct dstatus why;
	struct message *msg;
	int	fd, in = memfd_create("in", 0), found = 0;
	ssize_t	n;

	for (n = 0; n < 300000; n++)
		big[n] = n % 100 == 99 ? '\n' : 'b';
	big[5] = '\r';		/* a regular file, but not read in place */
	ck_assert_int_eq(write(in, big, 300000), 300000);
	ck_assert_int_eq(lseek(in, 0, SEEK_SET), 0);
	msg = message_spool(in, dir, &why);
	ck_assert_ptr_nonnull(msg);
	for (fd = 0; fd < 1024; fd++) {
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		n = readlink(fdpath, link, sizeof(link) - 1);
		if (n > 0 && (link[n] = '\0', strncmp(link, dir,
		    strlen(dir)) == 0)) {
			found++;
			ck_assert_ptr_nonnull(strstr(link, "(deleted)"));
		}
	}
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(rmdir(dir), 0);	/* nothing left behind */
	message_free(msg);
	/* An empty tmpdir (TMPDIR="") is /tmp. */
	ck_assert_int_eq(lseek(in, 0, SEEK_SET), 0);
	msg = message_spool(in, "", &why);
	ck_assert_ptr_nonnull(msg);
	ck_assert_int_eq(message_size(msg), 300000);
	message_free(msg);
	/* Without a usable tmpdir a small message still works... */
	ck_assert_int_eq(lseek(in, 0, SEEK_SET), 0);
	ck_assert_int_eq(ftruncate(in, 100000), 0);
	msg = message_spool(in, dir, &why);
	ck_assert_ptr_nonnull(msg);
	ck_assert_int_eq(message_size(msg), 100000);
	message_free(msg);
	/* ...and a large one defers. */
	ck_assert_int_eq(lseek(in, 0, SEEK_SET), 0);
	ck_assert_int_eq(write(in, big, 300000), 300000);
	ck_assert_int_eq(lseek(in, 0, SEEK_SET), 0);
	ck_assert_ptr_null(message_spool(in, dir, &why));
	ck_assert_str_eq(why.dsn, "4.3.0");
	ck_assert_int_eq(why.ex, 75);
	ck_assert_ptr_nonnull(strstr(why.text, dir));
	close(in);
	free(big);
	free(dir);
}
END_TEST

/*
 * This process's write(2) count, from /proc/self/io; -1 if unknown.  No
 * ck_assert in here: check itself write()s for every assertion.  Under
 * valgrind its own scheduler writes too: -1 there.
 */
static long
write_calls(void)
{
	const char *pre = getenv("LD_PRELOAD");
	FILE	*fp;
	char	line[128];
	long	n = -1;

	if (pre != NULL && strstr(pre, "vgpreload") != NULL)
		return (-1);
	if ((fp = fopen("/proc/self/io", "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "syscw: %ld", &n) == 1)
			break;
	fclose(fp);
	return (n);
}

/* Input trickling in 4 KiB reads still goes to the file 64 KiB a time. */
START_TEST(t_spool_buffered)
{
	size_t	n = 1 << 20, i, len[256];
	const char *p[256];
	char	*in = malloc(n);
	struct dstatus why;
	struct message *msg;
	long	before, after;
	pid_t	pid;
	int	fd, st;

	for (i = 0; i < n; i++)
		in[i] = i % 64 == 63 ? '\n' : 'w';
	for (i = 0; i < 256; i++) {
		p[i] = in + i * 4096;
		len[i] = 4096;
	}
	fd = feed(p, len, 256, &pid);
	/* Counted before the feeder is reaped: its writes would count too. */
	before = write_calls();
	msg = message_spool(fd, NULL, &why);
	after = write_calls();
	ck_assert_ptr_nonnull(msg);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(st, 0);
	close(fd);
	if (before >= 0)
		ck_assert_int_le(after - before, 1 + (long)(n / K64));
	expect(msg, in, n);
	message_free(msg);
	free(in);
}
END_TEST

START_TEST(t_spool_read_error)
{
	struct dstatus why;
	int	fd = open("/tmp", O_RDONLY | O_DIRECTORY);

	ck_assert_ptr_null(message_spool(fd, NULL, &why));
	ck_assert_str_eq(why.dsn, "4.3.0");
	ck_assert_int_eq(why.ex, 75);
	ck_assert_str_eq(why.text, "error reading message: Is a directory");
	close(fd);
	ck_assert_ptr_null(message_spool(-1, NULL, &why));
	ck_assert_str_eq(why.dsn, "4.3.0");
}
END_TEST

static void
on_alarm(int sig)
{
	(void)sig;
}

/* Reads interrupted by a signal (no SA_RESTART) are retried. */
START_TEST(t_spool_eintr)
{
	static const char *const p[] = { "Subject: a\n", "\n", "b", "c\n" };
	size_t	len[4] = { 11, 1, 1, 2 };
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } }, off;
	struct sigaction sa;
	struct dstatus why;
	struct message *msg;
	pid_t	pid;
	int	fd, st;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	fd = feed(p, len, 4, &pid);
	setitimer(ITIMER_REAL, &it, NULL);
	msg = message_spool(fd, NULL, &why);
	memset(&off, 0, sizeof(off));
	setitimer(ITIMER_REAL, &off, NULL);
	/* The handler stays: valgrind may deliver a last SIGALRM late. */
	ck_assert_ptr_nonnull(msg);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	close(fd);
	EXPECT(msg, "Subject: a\n\nbc\n");
	message_free(msg);
}
END_TEST

START_TEST(t_read_offsets)
{
	char	b[16];
	struct message *msg = spool_str("0123456789\n");

	ck_assert_int_eq(message_read(msg, b, 4, 3), 4);
	ck_assert_int_eq(memcmp(b, "3456", 4), 0);
	ck_assert_int_eq(message_read(msg, b, 16, 9), 2);
	ck_assert_int_eq(message_read(msg, b, 16, 11), 0);
	ck_assert_int_eq(message_read(msg, b, 16, 100), 0);
	errno = 0;
	ck_assert_int_eq(message_read(msg, b, 16, -1), -1);
	ck_assert_int_eq(errno, EINVAL);
	message_free(msg);
}
END_TEST

/* Two children read the spool file at once: no shared file position. */
START_TEST(t_read_concurrent)
{
	size_t	n = 1000000, wlen, glen;
	char	*in = random_msg(n, 5), *want = malloc(n + 1), *got;
	struct message_out out = { NULL, "H: x\n", 0, 0, 0, 0 };
	struct message *msg = spool_buf(in, n);
	int	fd[2], i, st;
	pid_t	pid[2];
	off_t	r;

	wlen = ref_norm(in, n, want);
	for (i = 0; i < 2; i++) {
		fd[i] = memfd_create("out", 0);
		if ((pid[i] = fork()) == 0) {
			r = message_write(msg, fd[i], &out);
			message_free(msg);
			free(in), free(want);
			_exit(r < 0);
		}
	}
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert_int_eq(st, 0);
		got = file_bytes(fd[i], &glen);
		ck_assert_uint_eq(glen, wlen + 5);
		ck_assert_int_eq(memcmp(got + 5, want, wlen), 0);
		free(got);
		close(fd[i]);
	}
	fd[0] = write_out(msg, &out, 0, &r);
	ck_assert_int_eq(r, (off_t)wlen + 5);
	close(fd[0]);
	message_free(msg);
	free(in);
	free(want);
}
END_TEST

START_TEST(t_write_quote)
{
	struct message_out out = { "From s  d\n", "H: 1\n", 1, 1, 0, 0 };
	struct message *msg = spool_str("From env@x d\nFrom the start\n"
	    "From x\n>From x\n From x\nfrom x\nFrom\nFromx\n\nFrom x\n"
	    "From end");
	static const char want[] = "From s  d\nH: 1\n>From the start\n"
	    ">From x\n>From x\n From x\nfrom x\nFrom\nFromx\n\n>From x\n"
	    ">From end\n\n";
	size_t	len;
	off_t	r;
	int	fd = write_out(msg, &out, 0, &r);
	char	*got = file_bytes(fd, &len);

	ck_assert_int_eq(r, (off_t)sizeof(want) - 1);
	ck_assert_uint_eq(len, sizeof(want) - 1);
	ck_assert_int_eq(memcmp(got, want, len), 0);
	free(got);
	close(fd);
	out.quote_from = 0;
	out.blank_line = 0;
	out.from_line = NULL;
	fd = write_out(msg, &out, 0, &r);
	got = file_bytes(fd, &len);
	ck_assert_uint_eq(len, 5 + (size_t)message_size(msg));
	ck_assert_int_eq(memcmp(got, "H: 1\nFrom the start\n", 20), 0);
	free(got);
	close(fd);
	message_free(msg);
}
END_TEST

/*
 * A "From " line starting at and around each 64 KiB boundary, in memory
 * and spooled, plus random content: compared with a reference quoter.
 */
START_TEST(t_write_quote_boundary)
{
	size_t	sizes[] = { 100000, 400000 }, n, pos, wlen, qlen, glen;
	struct message_out out = { NULL, "X: y\n", 1, 0, 0, 0 };
	char	*in, *want, *q, *got;
	struct message *msg;
	int	fd;
	off_t	r;

	for (pos = K64 - 6; pos <= K64 + 6; pos++) {
		n = sizes[_i];
		in = malloc(n);
		memset(in, 'a', n);
		for (size_t i = 79; i < n; i += 80)
			in[i] = '\n';
		in[pos - 1] = '\n';
		memcpy(in + pos, "From x\n", 7);
		memcpy(in + (pos + 3 * K64) % n, "\nFrom ", 6);
		want = malloc(n + 1);
		q = malloc(2 * n + 8);
		wlen = ref_norm(in, n, want);
		memcpy(q, "X: y\n", 5);
		qlen = 5 + ref_quote(want, wlen, q + 5);
		msg = spool_buf(in, n);
		fd = write_out(msg, &out, 0, &r);
		got = file_bytes(fd, &glen);
		ck_assert_int_eq(r, (off_t)qlen);
		ck_assert_uint_eq(glen, qlen);
		ck_assert_msg(memcmp(got, q, qlen) == 0, "pos %zu", pos);
		close(fd);
		message_free(msg);
		free(in), free(want), free(q), free(got);
	}
}
END_TEST

/*
 * The same at the 1 MiB input chunks of message_write(): a "From " line
 * starting at and around the first chunk boundary (a line start there
 * cannot be judged until the next chunk), newlines just before it.
 */
START_TEST(t_write_quote_chunk)
{
	const size_t M1 = 1024 * 1024, n = 3 * M1 + 12345;
	struct message_out out = { NULL, "X: y\n", 1, 0, 0, 0 };
	size_t	pos, wlen, qlen, glen, i;
	char	*in = malloc(n), *want = malloc(n + 1), *q = malloc(2 * n + 8);
	char	*got;
	struct message *msg;
	int	fd;
	off_t	r;

	for (pos = M1 - 7; pos <= M1 + 2; pos++) {
		for (i = 0; i < n; i++)
			in[i] = i % 61 == 60 ? '\n' : 'm';
		for (i = pos - 6; i < pos; i++)
			in[i] = '\n';	/* empty lines up to the From_ */
		memcpy(in + pos, "From y\n", 7);
		wlen = ref_norm(in, n, want);
		memcpy(q, "X: y\n", 5);
		qlen = 5 + ref_quote(want, wlen, q + 5);
		msg = spool_buf(in, n);
		fd = write_out(msg, &out, 0, &r);
		got = file_bytes(fd, &glen);
		ck_assert_int_eq(r, (off_t)qlen);
		ck_assert_uint_eq(glen, qlen);
		ck_assert_msg(memcmp(got, q, qlen) == 0, "pos %zu", pos);
		close(fd);
		message_free(msg);
		free(got);
	}
	free(in), free(want), free(q);
}
END_TEST

/*
 * Without quoting, a spooled body (5 MB) to a regular file, to an
 * O_APPEND file, to a memfd (tmpfs): the bytes are the same.
 */
START_TEST(t_write_kernel_copy)
{
	const size_t n = 5 * 1024 * 1024 + 77;
	struct message_out out = { NULL, "X: y\n", 0, 0, 0, 0 };
	char	*in = malloc(n), *want = malloc(n + 6), *got, *dir, *path;
	size_t	i, wlen, glen;
	struct message *msg;
	int	fd, k;
	off_t	r;

	for (i = 0; i < n; i++)
		in[i] = i % 73 == 72 ? '\n' : (char)('a' + i % 26);
	memcpy(want, "X: y\n", 5);
	wlen = 5 + ref_norm(in, n, want + 5);
	msg = spool_buf(in, n);
	dir = tu_mkdtemp();
	ck_assert_int_ge(asprintf(&path, "%s/out", dir), 0);
	for (k = 0; k < 3; k++) {
		if (k == 2)
			fd = memfd_create("out", 0);
		else
			fd = open(path, O_RDWR | O_CREAT | O_TRUNC |
			    (k == 1 ? O_APPEND : 0), 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, "old\n", 4), 4);
		r = message_write(msg, fd, &out);
		ck_assert_int_eq(r, (off_t)wlen);
		got = file_bytes(fd, &glen);
		ck_assert_uint_eq(glen, wlen + 4);
		ck_assert_msg(memcmp(got, "old\n", 4) == 0 &&
		    memcmp(got + 4, want, wlen) == 0, "target %d", k);
		free(got);
		close(fd);
	}
	message_free(msg);
	unlink(path);
	tu_rmtree(dir);
	free(dir), free(path), free(in), free(want);
}
END_TEST

START_TEST(t_write_quote_random)
{
	size_t	n = 2000000, wlen, qlen, glen;
	struct message_out out = { "F\n", "", 1, 1, 0, 0 };
	char	*in = random_msg(n, 11), *want = malloc(n + 1);
	char	*q = malloc(2 * n + 8), *got;
	struct message *msg = spool_buf(in, n);
	off_t	r;
	int	fd;
	long	calls;

	wlen = ref_norm(in, n, want);
	q[0] = 'F', q[1] = '\n';
	qlen = 2 + ref_quote(want, wlen, q + 2);
	q[qlen++] = '\n';
	fd = memfd_create("out", 0);
	/* One write(2) per full 64 KiB buffer; no ck_assert in between. */
	calls = write_calls();
	r = message_write(msg, fd, &out);
	if (calls >= 0)
		ck_assert_int_le(write_calls() - calls,
		    (long)((qlen + K64 - 1) / K64));
	got = file_bytes(fd, &glen);
	ck_assert_uint_eq(glen, qlen);
	ck_assert_int_eq(r, (off_t)qlen);
	ck_assert(memcmp(got, q, qlen) == 0);
	close(fd);
	message_free(msg);
	free(in), free(want), free(q), free(got);
}
END_TEST

START_TEST(t_write_empty)
{
	struct message_out out = { "From s  d\n", "H: 1\n", 1, 1, 0, 0 };
	struct message *msg = spool_str("");
	size_t	len;
	off_t	r;
	int	fd = write_out(msg, &out, 0, &r);
	char	*got = file_bytes(fd, &len);

	ck_assert_int_eq(message_size(msg), 0);
	ck_assert_int_eq(r, 16);
	ck_assert_int_eq(memcmp(got, "From s  d\nH: 1\n\n", 16), 0);
	free(got);
	close(fd);
	message_free(msg);
}
END_TEST

/* Exactly at the limit succeeds; one byte over writes nothing. */
START_TEST(t_write_limit)
{
	size_t	n = _i ? 300000 : 3000, total, len;
	char	*in = random_msg(n, 13);
	struct message *msg = spool_buf(in, n);
	struct message_out out = { "From s  d\n", "H: 1\n", 0, 1, 1000, 0 };
	off_t	r;
	int	fd;

	total = 10 + 5 + (size_t)message_size(msg) + 1;
	out.limit = 1000 + total;
	fd = write_out(msg, &out, 1000, &r);
	ck_assert_int_eq(r, (off_t)total);
	free(file_bytes(fd, &len));
	ck_assert_uint_eq(len, 1000 + total);
	close(fd);
	out.limit--;
	errno = 0;
	fd = write_out(msg, &out, 1000, &r);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, EFBIG);
	free(file_bytes(fd, &len));
	ck_assert_uint_eq(len, 1000);
	close(fd);
	out.start_size = 5000;
	out.limit = 4000;
	fd = write_out(msg, &out, 0, &r);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, EFBIG);
	close(fd);
	message_free(msg);
	free(in);
}
END_TEST

/* With quoting the size is only known while writing: never past limit. */
START_TEST(t_write_limit_quoted)
{
	size_t	n = 400000, wlen, qlen, len, i;
	char	*in = malloc(n), *want = malloc(n + 1), *q = malloc(2 * n);
	struct message *msg;
	struct message_out out = { NULL, "", 1, 0, 7, 0 };
	off_t	r;
	int	fd;

	for (i = 0; i < n; i++)
		in[i] = i % 10 == 9 ? '\n' : "From abcd"[i % 10];
	memcpy(in, "Head:", 5);		/* not a From_ line */
	msg = spool_buf(in, n);
	wlen = ref_norm(in, n, want);
	qlen = ref_quote(want, wlen, q);
	ck_assert_uint_eq(qlen, wlen + wlen / 10 - 1);
	out.limit = 7 + qlen;
	fd = write_out(msg, &out, 7, &r);
	ck_assert_int_eq(r, (off_t)qlen);
	free(file_bytes(fd, &len));
	ck_assert_uint_eq(len, 7 + qlen);
	close(fd);
	for (i = 1; i <= 2; i++) {
		out.limit = 7 + qlen - (i == 1 ? 1 : qlen / 20);
		fd = write_out(msg, &out, 7, &r);
		ck_assert_int_eq(r, -1);
		ck_assert_int_eq(errno, EFBIG);
		free(file_bytes(fd, &len));
		ck_assert_uint_le(len, out.limit);
		close(fd);
	}
	message_free(msg);
	free(in), free(want), free(q);
}
END_TEST

/*
 * Writes into a pipe kept full by a slow reader, with a timer firing:
 * write(2) returns short or fails with EINTR, and the copy is still whole.
 */
START_TEST(t_write_eintr)
{
	size_t	n = 1000000, wlen, glen;
	char	*in = random_msg(n, 17), *want = malloc(n + 1), *got, b[4096];
	struct message_out out = { NULL, "", 0, 0, 0, 0 };
	struct itimerval it = { { 0, 500 }, { 0, 500 } }, off;
	struct sigaction sa;
	struct message *msg = spool_buf(in, n);
	int	p[2], sink = memfd_create("sink", 0), st;
	ssize_t	k;
	pid_t	pid;
	off_t	r;

	wlen = ref_norm(in, n, want);
	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[1]);
		message_free(msg);
		free(in), free(want);
		while ((k = read(p[0], b, sizeof(b))) > 0 &&
		    write(sink, b, (size_t)k) == k)
			usleep(50);
		_exit(k != 0);
	}
	close(p[0]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	r = message_write(msg, p[1], &out);
	memset(&off, 0, sizeof(off));
	setitimer(ITIMER_REAL, &off, NULL);
	close(p[1]);
	ck_assert_int_eq(r, (off_t)wlen);
	while (waitpid(pid, &st, 0) < 0)
		ck_assert_int_eq(errno, EINTR);
	ck_assert_int_eq(st, 0);
	got = file_bytes(sink, &glen);
	ck_assert_uint_eq(glen, wlen);
	ck_assert(memcmp(got, want, wlen) == 0);
	close(sink);
	message_free(msg);
	free(in), free(want), free(got);
}
END_TEST

START_TEST(t_write_errors)
{
	struct message_out out = { NULL, "H: 1\n", 0, 0, 0, 0 };
	struct message *msg = spool_str("Subject: x\n\nbody\n");
	int	fd = open("/dev/full", O_WRONLY);

	ck_assert_int_ge(fd, 0);
	errno = 0;
	ck_assert_int_eq(message_write(msg, fd, &out), -1);
	ck_assert_int_eq(errno, ENOSPC);
	close(fd);
	fd = open("/dev/null", O_RDONLY);
	errno = 0;
	ck_assert_int_eq(message_write(msg, fd, &out), -1);
	ck_assert_int_eq(errno, EBADF);
	close(fd);
	message_free(msg);
}
END_TEST

START_TEST(t_from_line)
{
	char	b[128];

	setenv("TZ", "UTC", 1);
	tzset();
	ck_assert_int_eq(message_from_line(b, sizeof(b), "alice@example.com",
	    1795314424), 0);
	ck_assert_str_eq(b,
	    "From alice@example.com  Sun Nov 22 02:27:04 2026\n");
	ck_assert_int_eq(message_from_line(b, sizeof(b), "", 1772694489), 0);
	ck_assert_str_eq(b, "From MAILER-DAEMON  Thu Mar  5 07:08:09 2026\n");
	ck_assert_int_eq(message_from_line(b, sizeof(b), NULL, 0), 0);
	ck_assert_str_eq(b, "From MAILER-DAEMON  Thu Jan  1 00:00:00 1970\n");
	ck_assert_int_eq(message_from_line(b, 46, "", 1772694489), 0);
	ck_assert_int_eq(message_from_line(b, 45, "", 1772694489), -1);
	setenv("TZ", "EST5", 1);
	tzset();
	ck_assert_int_eq(message_from_line(b, sizeof(b), "a@b", 1772694489), 0);
	ck_assert_str_eq(b, "From a@b  Thu Mar  5 02:08:09 2026\n");
}
END_TEST

/* 100 MB from a pipe: the peak resident size must barely move. */
START_TEST(t_memory)
{
	size_t	total = 100u << 20, off, k;
	struct rusage before, after;
	struct dstatus why;
	struct message *msg;
	char	*chunk = malloc(K64), *b;
	uint32_t sum = 0, want = 0;
	int	p[2], st;
	pid_t	pid;
	ssize_t	n;

	for (k = 0; k < K64; k++)
		chunk[k] = k % 100 == 99 ? '\n' : (char)('a' + k % 23);
	chunk[K64 - 1] = '\n';
	for (off = 0; off < total; off += K64)
		for (k = 0; k < K64; k++)
			want = want * 31 + (uint8_t)chunk[k];
	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		for (off = 0; off < total; off += K64)
			if (write(p[1], chunk, K64) != K64)
				break;
		free(chunk);
		_exit(off < total);
	}
	close(p[1]);
	getrusage(RUSAGE_SELF, &before);
	msg = message_spool(p[0], NULL, &why);
	getrusage(RUSAGE_SELF, &after);
	ck_assert_ptr_nonnull(msg);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(st, 0);
	ck_assert_int_eq(message_size(msg), (off_t)total);
	ck_assert_msg(after.ru_maxrss - before.ru_maxrss < 3072,
	    "peak RSS grew by %ld KiB", after.ru_maxrss - before.ru_maxrss);
	b = chunk;
	for (off = 0; (n = message_read(msg, b, K64, (off_t)off)) > 0;
	    off += (size_t)n)
		for (k = 0; k < (size_t)n; k++)
			sum = sum * 31 + (uint8_t)b[k];
	ck_assert_uint_eq(off, total);
	ck_assert_uint_eq(sum, want);
	message_free(msg);
	close(p[0]);
	free(chunk);
}
END_TEST

static Suite *
message_suite(void)
{
	Suite	*s = suite_create("message");
	TCase	*tc;

	tc = tcase_create("from");
	tcase_add_test(tc, t_from_sender);
	tcase_add_test(tc, t_from_variants);
	tcase_add_test(tc, t_from_split);
	tcase_add_test(tc, t_from_huge_line);
	suite_add_tcase(s, tc);
	tc = tcase_create("normalise");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_norm_small);
	tcase_add_test(tc, t_crlf_boundaries);
	tcase_add_test(tc, t_crlf_file);
	tcase_add_loop_test(tc, t_norm_random, 0, 3);
	tcase_add_test(tc, t_count_from_split);
	suite_add_tcase(s, tc);
	tc = tcase_create("headers");
	tcase_add_test(tc, t_dt_several);
	tcase_add_test(tc, t_dt_edges);
	tcase_add_test(tc, t_dt_split);
	tcase_add_test(tc, t_dt_caps);
	tcase_add_test(tc, t_dt_deep);
	suite_add_tcase(s, tc);
	tc = tcase_create("spool");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, t_spool_tmpdir);
	tcase_add_loop_test(tc, t_inplace, 0, 3);
	tcase_add_test(tc, t_inplace_crlf);
	tcase_add_test(tc, t_inplace_dt);
	tcase_add_test(tc, t_inplace_changed);
	tcase_add_test(tc, t_spool_read_error);
	tcase_add_test(tc, t_spool_buffered);
	tcase_add_test(tc, t_spool_eintr);
	tcase_add_test(tc, t_read_offsets);
	tcase_add_test(tc, t_read_concurrent);
	tcase_add_test(tc, t_memory);
	suite_add_tcase(s, tc);
	tc = tcase_create("write");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_write_quote);
	tcase_add_loop_test(tc, t_write_quote_boundary, 0, 2);
	tcase_add_test(tc, t_write_quote_random);
	tcase_add_test(tc, t_write_quote_chunk);
	tcase_add_test(tc, t_write_kernel_copy);
	tcase_add_test(tc, t_write_empty);
	tcase_add_loop_test(tc, t_write_limit, 0, 2);
	tcase_add_test(tc, t_write_limit_quoted);
	tcase_add_test(tc, t_write_errors);
	tcase_add_test(tc, t_write_eintr);
	tcase_add_test(tc, t_from_line);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(message_suite()) == 0 ? 0 : 1);
}
