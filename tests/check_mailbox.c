/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_mailbox.c - mbox.c, maildir.c and priv.c against real files.
 *
 * Every delivery runs in a forked child, as the real mailbox code does:
 * as root the child first switches to uid/gid 5001 with priv_drop(), so
 * ownership and permission checks are the kernel's, not a mock's.
 * Without root the child delivers as the caller and the cases that need
 * a foreign owner print SKIP.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <regex.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check_util.h"
#include "conf.h"
#include "delivery.h"
#include "mailbox.h"
#include "message.h"
#include "priv.h"
#include "status.h"

#define TEST_UID	5001
#define TEST_GID	5001
#define SENDER		"sender@example.org"
#define HEADERS		"Return-Path: <" SENDER ">\nDelivered-To: user@example.com\n"
#define BODY_IN		"Subject: test\nFrom: a@example.org\n\nFrom the start\n" \
			">From quoted\n From space\nfrom lower\nlast line"
#define BODY_MBOX	"Subject: test\nFrom: a@example.org\n\n>From the start\n" \
			">From quoted\n From space\nfrom lower\nlast line\n\n"
#define BODY_MAILDIR	"Subject: test\nFrom: a@example.org\n\nFrom the start\n" \
			">From quoted\n From space\nfrom lower\nlast line\n"

static char *tdir, *base;
static int basefd = -1;
static struct vconfig vc;

static int
is_root(void)
{
	return (geteuid() == 0);
}

static void
setup(void)
{
	tdir = tu_mkdtemp();
	ck_assert_int_ge(asprintf(&base, "%s/base", tdir), 0);
	ck_assert_int_eq(chmod(tdir, 0755), 0);
	ck_assert_int_eq(mkdir(base, 0755), 0);
	if (is_root())
		ck_assert_int_eq(chown(base, TEST_UID, TEST_GID), 0);
	basefd = open(base, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(basefd, 0);
	memset(&vc, 0, sizeof(vc));
	vc.mailbox_base = base;
	vc.lock_methods = CONF_LOCK_FCNTL | CONF_LOCK_DOTLOCK;
	vc.lock_attempts = 2;
	vc.lock_delay_ms = 10;
	vc.stale_lock_time = 500;
	vc.strict_ownership = 1;
	vc.mailbox_limit = 0;
}

static void
teardown(void)
{
	close(basefd);
	tu_rmtree(tdir);
	free(base);
	free(tdir);
}

/* Read base/rel whole; NULL if missing. */
static char *
slurp(const char *rel, size_t *len_r)
{
	char	*path, *buf;
	FILE	*fp;
	long	n;

	ck_assert_int_ge(asprintf(&path, "%s/%s", base, rel), 0);
	fp = fopen(path, "r");
	free(path);
	if (fp == NULL)
		return (NULL);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len_r = (size_t)n;
	return (buf);
}

/* Number of entries in base/rel (-1: missing); the last name in name_r. */
static int
count_dir(const char *rel, char *name_r, size_t size)
{
	struct dirent *de;
	char	*path;
	DIR	*d;
	int	n = 0;

	ck_assert_int_ge(asprintf(&path, "%s/%s", base, rel), 0);
	d = opendir(path);
	free(path);
	if (d == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (name_r != NULL)
			snprintf(name_r, size, "%s", de->d_name);
		n++;
	}
	closedir(d);
	return (n);
}

static void
stat_rel(const char *rel, struct stat *st)
{
	ck_assert_int_eq(fstatat(basefd, rel, st, AT_SYMLINK_NOFOLLOW), 0);
}

/* Make base/rel as root (or us), owned by the recipient. */
static void
make_file(const char *rel, const char *text)
{
	int	fd = openat(basefd, rel, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	if (is_root())
		ck_assert_int_eq(fchown(fd, TEST_UID, TEST_GID), 0);
	close(fd);
}

static void
make_dir(const char *rel)
{
	ck_assert_int_eq(mkdirat(basefd, rel, 0700), 0);
	if (is_root())
		ck_assert_int_eq(fchownat(basefd, rel, TEST_UID, TEST_GID, 0),
		    0);
}

/*
 * Deliver body to relpath (maildir when maildir is set) in a child
 * running as the recipient; returns the child's result and status.
 */
static int
deliver(const char *relpath, int maildir, const char *sender,
    const char *body, struct dstatus *why)
{
	struct delivery dl;
	struct message *msg;
	char	*in = tu_write(tdir, "msg.in", body);
	int	fd = open(in, O_RDONLY), pfd[2], status, rc;
	pid_t	pid;

	msg = message_spool(fd, tdir, why);
	ck_assert_ptr_nonnull(msg);
	close(fd);
	free(in);
	memset(&dl, 0, sizeof(dl));
	dl.recipient = "user@example.com";
	dl.sender = sender;
	dl.relpath = (char *)relpath;
	ck_assert_int_ge(asprintf(&dl.path, "%s/%s%s", base, relpath,
	    maildir ? "/" : ""), 0);
	dl.format = maildir ? FORMAT_MAILDIR : FORMAT_MBOX;
	dl.uid = is_root() ? TEST_UID : getuid();
	dl.gid = is_root() ? TEST_GID : getgid();
	ck_assert_int_eq(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		umask(077);
		rc = -2;
		if (is_root() && priv_drop(dl.uid, dl.gid, why) < 0)
			;
		else if (maildir)
			rc = maildir_deliver(&dl, msg, HEADERS, &vc, basefd, why);
		else
			rc = mbox_deliver(&dl, msg, HEADERS, &vc, basefd, why);
		if (write(pfd[1], why, sizeof(*why)) != sizeof(*why))
			_exit(99);
		_exit(rc == 0 ? 0 : rc == -1 ? 1 : 2);
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], why, sizeof(*why)), sizeof(*why));
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) < 2);
	message_free(msg);
	free(dl.path);
	return (WEXITSTATUS(status) == 0 ? 0 : -1);
}

static void
assert_status(const struct dstatus *why, const char *dsn, int ex,
    const char *text)
{
	ck_assert_str_eq(why->dsn, dsn);
	ck_assert_int_eq(why->ex, ex);
	ck_assert_msg(strstr(why->text, text) != NULL, "\"%s\" lacks \"%s\"",
	    why->text, text);
}

/* Check one From_ line at p ("From <sender>  <24-char date>\n"). */
static size_t
from_line(const char *p, const char *sender)
{
	size_t	n = strlen("From ") + strlen(sender) + 2;

	ck_assert_int_eq(strncmp(p, "From ", 5), 0);
	ck_assert_int_eq(strncmp(p + 5, sender, strlen(sender)), 0);
	ck_assert_int_eq(strncmp(p + n - 2, "  ", 2), 0);
	ck_assert_int_eq(p[n + 24], '\n');
	return (n + 25);
}

START_TEST(test_mbox_exact)
{
	struct dstatus why;
	struct stat st;
	size_t	len, n;
	char	*text;

	ck_assert_int_eq(deliver("example.com/user", 0, SENDER, BODY_IN, &why),
	    0);
	assert_status(&why, "2.0.0", 0, "delivered to mailbox");
	text = slurp("example.com/user", &len);
	ck_assert_ptr_nonnull(text);
	n = from_line(text, SENDER);
	ck_assert_str_eq(text + n, HEADERS BODY_MBOX);
	free(text);
	stat_rel("example.com/user", &st);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_uid, is_root() ? TEST_UID : getuid());
	stat_rel("example.com", &st);	/* made by the walk */
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(st.st_uid, is_root() ? TEST_UID : getuid());
	ck_assert_int_eq(count_dir("example.com", NULL, 0), 1);	/* no .lock */
}
END_TEST

START_TEST(test_mbox_append)
{
	struct dstatus why;
	size_t	len, n;
	char	*text;

	ck_assert_int_eq(deliver("user", 0, SENDER, BODY_IN, &why), 0);
	ck_assert_int_eq(deliver("user", 0, "", BODY_IN, &why), 0);
	text = slurp("user", &len);
	n = from_line(text, SENDER);
	ck_assert_int_eq(strncmp(text + n, HEADERS BODY_MBOX,
	    strlen(HEADERS BODY_MBOX)), 0);
	n += strlen(HEADERS BODY_MBOX);
	n += from_line(text + n, "MAILER-DAEMON");
	ck_assert_str_eq(text + n, HEADERS BODY_MBOX);
	free(text);
}
END_TEST

/* A refused mbox: status, and the target and directory untouched. */
static void
refused(const char *dsn, int ex, const char *text)
{
	struct dstatus why;

	ck_assert_int_eq(deliver("dom/user", 0, SENDER, BODY_IN, &why), -1);
	assert_status(&why, dsn, ex, text);
	ck_assert_ptr_nonnull(strstr(why.text, "delivery failed to mailbox "));
}

START_TEST(test_mbox_symlink)
{
	struct stat st;
	size_t	len;
	char	*text;

	make_dir("dom");
	make_file("target", "old\n");
	ck_assert_int_eq(symlinkat("../target", basefd, "dom/user"), 0);
	refused("4.2.0", 75, "file is a symbolic link");
	text = slurp("target", &len);
	ck_assert_str_eq(text, "old\n");
	free(text);
	ck_assert_int_eq(fstatat(basefd, "dom/user.lock", &st, 0), -1);
}
END_TEST

START_TEST(test_mbox_hardlink)
{
	size_t	len;
	char	*text;

	make_dir("dom");
	make_file("dom/user", "old\n");
	ck_assert_int_eq(linkat(basefd, "dom/user", basefd, "dom/other", 0), 0);
	refused("4.2.0", 75, "file has 2 hard links");
	text = slurp("dom/user", &len);
	ck_assert_str_eq(text, "old\n");
	free(text);
	ck_assert_int_eq(count_dir("dom", NULL, 0), 2);	/* lock removed */
}
END_TEST

START_TEST(test_mbox_directory)
{
	make_dir("dom");
	make_dir("dom/user");
	refused("4.2.0", 75, "Is a directory");
	ck_assert_int_eq(count_dir("dom/user", NULL, 0), 0);
}
END_TEST

START_TEST(test_mbox_fifo)
{
	struct stat st;

	make_dir("dom");
	ck_assert_int_eq(mkfifoat(basefd, "dom/user", 0600), 0);
	refused("5.3.5", 78, "is not a regular file");
	stat_rel("dom/user", &st);
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_int_eq(count_dir("dom", NULL, 0), 1);	/* no dotlock */
}
END_TEST

START_TEST(test_mbox_owner)
{
	struct dstatus why;
	size_t	len;
	char	*text;

	if (!is_root()) {
		printf("SKIP test_mbox_owner: needs root\n");
		return;
	}
	make_dir("dom");
	make_file("dom/user", "old\n");
	ck_assert_int_eq(fchownat(basefd, "dom/user", TEST_UID + 1, TEST_GID,
	    0), 0);
	ck_assert_int_eq(fchmodat(basefd, "dom/user", 0666, 0), 0);
	refused("4.2.0", 75, "is not owned by recipient");
	text = slurp("dom/user", &len);
	ck_assert_str_eq(text, "old\n");
	free(text);

	vc.strict_ownership = 0;
	ck_assert_int_eq(deliver("dom/user", 0, SENDER, BODY_IN, &why), 0);
	text = slurp("dom/user", &len);
	ck_assert_int_eq(strncmp(text, "old\nFrom " SENDER "  ",
	    strlen("old\nFrom " SENDER "  ")), 0);
	free(text);
}
END_TEST

/* Over the limit: 5.2.2 and the mailbox back to its exact bytes. */
START_TEST(test_mbox_limit)
{
	struct dstatus why;
	size_t	len, one, len2;
	char	*before, *after;

	ck_assert_int_eq(deliver("user", 0, SENDER, BODY_IN, &why), 0);
	before = slurp("user", &one);
	/* Refused before writing (even the unquoted copy is too big). */
	vc.mailbox_limit = one + 10;
	ck_assert_int_eq(deliver("user", 0, SENDER, BODY_IN, &why), -1);
	assert_status(&why, "5.2.2", 73, "error writing message: File too large");
	after = slurp("user", &len);
	ck_assert_int_eq(len, one);
	ck_assert_int_eq(memcmp(before, after, one), 0);
	free(after);
	/* One byte short: only the From quoting overflows, mid-write. */
	vc.mailbox_limit = 2 * one - 1;
	ck_assert_int_eq(deliver("user", 0, SENDER, BODY_IN, &why), -1);
	assert_status(&why, "5.2.2", 73, "File too large");
	after = slurp("user", &len2);
	ck_assert_int_eq(len2, one);
	ck_assert_int_eq(memcmp(before, after, one), 0);
	free(after);
	/* Exactly enough. */
	vc.mailbox_limit = 2 * one;
	ck_assert_int_eq(deliver("user", 0, SENDER, BODY_IN, &why), 0);
	free(slurp("user", &len));
	ck_assert_int_eq(len, 2 * one);
	free(before);
}
END_TEST

/*
 * Over 64 KB, so that message_write() has flushed part of the copy when
 * the quoted "From " line at the very end crosses the limit: the
 * truncation back is what restores the mailbox here.
 */
static char *
big_body(void)
{
	char	*body = malloc(3000 * 70 + 64), *p = body;
	int	i;

	p += sprintf(p, "Subject: big\n\n");
	for (i = 0; i < 3000; i++) {
		memset(p, 'x', 69);
		p[69] = '\n';
		p += 70;
	}
	strcpy(p, "From the end\n");
	return (body);
}

START_TEST(test_mbox_limit_partial)
{
	struct dstatus why;
	size_t	one, len;
	char	*body = big_body(), *before, *after;

	ck_assert_int_eq(deliver("user", 0, SENDER, body, &why), 0);
	before = slurp("user", &one);
	vc.mailbox_limit = 2 * one - 1;
	ck_assert_int_eq(deliver("user", 0, SENDER, body, &why), -1);
	assert_status(&why, "5.2.2", 73, "File too large");
	after = slurp("user", &len);
	ck_assert_int_eq(len, one);
	ck_assert_int_eq(memcmp(before, after, one), 0);
	free(after);
	free(before);
	free(body);
}
END_TEST

/*
 * A full file system, for real: as root, a 256 KB tmpfs mounted on the
 * base in a private mount namespace (this test process only).
 */
START_TEST(test_enospc)
{
	struct dstatus why;
	size_t	one, len;
	char	opts[64], *body = big_body(), *big, *before, *after;

	if (!is_root() || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("SKIP test_enospc: needs root and mount namespaces\n");
		free(body);
		return;
	}
	snprintf(opts, sizeof(opts), "size=256k,mode=0755,uid=%d,gid=%d",
	    TEST_UID, TEST_GID);
	ck_assert_int_eq(mount("tmpfs", base, "tmpfs", 0, opts), 0);
	close(basefd);
	basefd = open(base, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(basefd, 0);
	ck_assert_int_eq(deliver("user", 0, SENDER, BODY_IN, &why), 0);
	before = slurp("user", &one);
	big = malloc(2 * strlen(body) + 1);
	strcat(strcpy(big, body), body);	/* 420 KB */
	ck_assert_int_eq(deliver("user", 0, SENDER, big, &why), -1);
	assert_status(&why, "4.3.0", 75, "No space left on device");
	after = slurp("user", &len);
	ck_assert_int_eq(len, one);
	ck_assert_int_eq(memcmp(before, after, one), 0);
	ck_assert_int_eq(deliver("md", 1, SENDER, big, &why), -1);
	assert_status(&why, "4.3.0", 75, "No space left on device");
	ck_assert_int_eq(count_dir("md/tmp", NULL, 0), 0);
	ck_assert_int_eq(count_dir("md/new", NULL, 0), 0);
	free(after);
	free(before);
	free(big);
	free(body);
	close(basefd);
	ck_assert_int_eq(umount2(base, MNT_DETACH), 0);
	basefd = open(base, O_RDONLY | O_DIRECTORY);
}
END_TEST

START_TEST(test_mbox_dotlock_held)
{
	struct dstatus why;
	struct stat st;
	size_t	len;
	char	*text;
	int	fd;

	make_dir("dom");
	make_file("dom/user", "old\n");
	fd = openat(basefd, "dom/user.lock", O_WRONLY | O_CREAT | O_EXCL, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(deliver("dom/user", 0, SENDER, BODY_IN, &why), -1);
	assert_status(&why, "4.2.0", 75, "/dom/user.lock: File exists");
	text = slurp("dom/user", &len);
	ck_assert_str_eq(text, "old\n");
	free(text);
	stat_rel("dom/user.lock", &st);		/* not ours to remove */
}
END_TEST

START_TEST(test_mbox_fcntl_held)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	struct dstatus why;
	size_t	len;
	char	*text;
	int	fd;

	make_dir("dom");
	make_file("dom/user", "old\n");
	/* fcntl locks are per process: the delivery child cannot get it. */
	fd = openat(basefd, "dom/user", O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_SETLK, &fl), 0);
	ck_assert_int_eq(deliver("dom/user", 0, SENDER, BODY_IN, &why), -1);
	assert_status(&why, "4.2.0", 75, "unable to lock for exclusive access: "
	    "Resource temporarily unavailable");
	text = slurp("dom/user", &len);
	ck_assert_str_eq(text, "old\n");
	free(text);
	ck_assert_int_eq(count_dir("dom", NULL, 0), 1);	/* dotlock gone */
	close(fd);
	ck_assert_int_eq(deliver("dom/user", 0, SENDER, BODY_IN, &why), 0);
}
END_TEST

START_TEST(test_mbox_symlink_dir)
{
	make_dir("real");
	ck_assert_int_eq(symlinkat("real", basefd, "dom"), 0);
	refused("4.2.0", 75, "symbolic link");
	ck_assert_int_eq(count_dir("real", NULL, 0), 0);
}
END_TEST

START_TEST(test_maildir)
{
	static const char *const subs[] = {"dom/md", "dom/md/tmp",
	    "dom/md/new", "dom/md/cur"};
	char	name[512], rel[600], host[300], *text;
	regmatch_t m[5];
	struct dstatus why;
	struct stat st;
	unsigned long long dev, ino, size;
	regex_t	re;
	size_t	i, len;

	ck_assert_int_eq(deliver("dom/md", 1, SENDER, BODY_IN, &why), 0);
	assert_status(&why, "2.0.0", 0, "delivered to maildir");
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		stat_rel(subs[i], &st);
		ck_assert(S_ISDIR(st.st_mode));
		ck_assert_int_eq(st.st_mode & 07777, 0700);
		ck_assert_int_eq(st.st_uid, is_root() ? TEST_UID : getuid());
	}
	ck_assert_int_eq(count_dir("dom/md/tmp", NULL, 0), 0);
	ck_assert_int_eq(count_dir("dom/md/cur", NULL, 0), 0);
	ck_assert_int_eq(count_dir("dom/md/new", name, sizeof(name)), 1);
	ck_assert_int_eq(maildir_host(host, sizeof(host)), 0);
	/* The pid is the delivering child's: only its shape is known. */
	ck_assert_int_eq(regcomp(&re, "^[0-9]+\\.M[0-9]+P[0-9]+V([0-9a-f]+)"
	    "I([0-9a-f]+)\\.([^/]+),S=([0-9]+)$", REG_EXTENDED), 0);
	ck_assert_msg(regexec(&re, name, 5, m, 0) == 0, "bad name %s", name);
	regfree(&re);
	ck_assert_int_eq(m[3].rm_eo - m[3].rm_so, strlen(host));
	ck_assert_int_eq(strncmp(name + m[3].rm_so, host, strlen(host)), 0);
	dev = strtoull(name + m[1].rm_so, NULL, 16);
	ino = strtoull(name + m[2].rm_so, NULL, 16);
	size = strtoull(name + m[4].rm_so, NULL, 10);
	snprintf(rel, sizeof(rel), "dom/md/new/%s", name);
	stat_rel(rel, &st);
	ck_assert_uint_eq(size, (unsigned long long)st.st_size);
	ck_assert_uint_eq(dev, (unsigned long long)st.st_dev);
	ck_assert_uint_eq(ino, (unsigned long long)st.st_ino);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_nlink, 1);
	text = slurp(rel, &len);
	ck_assert_str_eq(text, HEADERS BODY_MAILDIR);
	free(text);
	ck_assert_int_eq(deliver("dom/md", 1, SENDER, BODY_IN, &why), 0);
	ck_assert_int_eq(count_dir("dom/md/new", NULL, 0), 2);
	ck_assert_int_eq(count_dir("dom/md/tmp", NULL, 0), 0);
}
END_TEST

START_TEST(test_maildir_limit)
{
	struct dstatus why;

	vc.mailbox_limit = 10;
	ck_assert_int_eq(deliver("md", 1, SENDER, BODY_IN, &why), -1);
	assert_status(&why, "5.2.2", 73, "maildir delivery failed: ");
	ck_assert_ptr_nonnull(strstr(why.text, "File too large"));
	ck_assert_int_eq(count_dir("md/tmp", NULL, 0), 0);
	ck_assert_int_eq(count_dir("md/new", NULL, 0), 0);
	/* Exactly one byte short: fails only after writing started. */
	vc.mailbox_limit = strlen(HEADERS BODY_MAILDIR) - 1;
	ck_assert_int_eq(deliver("md", 1, SENDER, BODY_IN, &why), -1);
	assert_status(&why, "5.2.2", 73, "File too large");
	ck_assert_int_eq(count_dir("md/tmp", NULL, 0), 0);
	ck_assert_int_eq(count_dir("md/new", NULL, 0), 0);
	vc.mailbox_limit = strlen(HEADERS BODY_MAILDIR);
	ck_assert_int_eq(deliver("md", 1, SENDER, BODY_IN, &why), 0);
	ck_assert_int_eq(count_dir("md/new", NULL, 0), 1);
}
END_TEST

START_TEST(test_maildir_symlink)
{
	struct dstatus why;

	make_dir("md");
	make_dir("elsewhere");
	ck_assert_int_eq(symlinkat("../elsewhere", basefd, "md/tmp"), 0);
	ck_assert_int_eq(deliver("md", 1, SENDER, BODY_IN, &why), -1);
	assert_status(&why, "4.2.0", 75, "symbolic link");
	ck_assert_int_eq(count_dir("elsewhere", NULL, 0), 0);
	ck_assert_int_eq(count_dir("md/new", NULL, 0), -1);
}
END_TEST

START_TEST(test_maildir_names)
{
	char	buf[128], small[8];

	ck_assert_int_eq(maildir_tmp_name(buf, sizeof(buf), 1700000000, 42,
	    123, "mx"), 0);
	ck_assert_str_eq(buf, "1700000000.M42P123.mx");
	ck_assert_int_eq(maildir_new_name(buf, sizeof(buf), 1700000000, 42,
	    123, 0xfe00, 0x1a2b, "mx", 1234), 0);
	ck_assert_str_eq(buf, "1700000000.M42P123Vfe00I1a2b.mx,S=1234");
	ck_assert_int_eq(maildir_tmp_name(small, sizeof(small), 1700000000,
	    42, 123, "mx"), -1);
	ck_assert_int_eq(maildir_new_name(small, sizeof(small), 1, 2, 3, 4,
	    5, "mx", 6), -1);
	ck_assert_int_eq(maildir_host(small, 1), -1);
}
END_TEST

/* As root, in a private UTS namespace: '/' and ':' are escaped. */
START_TEST(test_maildir_host)
{
	char	buf[64];

	if (!is_root() || unshare(CLONE_NEWUTS) < 0) {
		printf("SKIP test_maildir_host: needs root\n");
		return;
	}
	ck_assert_int_eq(sethostname("a/b:c.d", 7), 0);
	ck_assert_int_eq(maildir_host(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "a\\057b\\072c.d");
	ck_assert_int_eq(maildir_host(buf, 12), -1);
}
END_TEST

START_TEST(test_priv_drop)
{
	struct dstatus why;
	uid_t	r, e, s;
	gid_t	groups[4];
	int	status;
	pid_t	pid;

	ck_assert_int_eq(priv_drop(0, 0, &why), -1);
	assert_status(&why, "4.3.5", 75, "uid 0");
	if (!is_root()) {
		printf("SKIP test_priv_drop: needs root\n");
		ck_assert_int_eq(priv_drop(getuid(), getgid(), &why), 0);
		return;
	}
	ck_assert(priv_is_root());
	ck_assert(!priv_is_setuid());
	if ((pid = fork()) == 0) {
		if (priv_drop(TEST_UID, TEST_GID + 1, &why) < 0)
			_exit(1);
		if (getresuid(&r, &e, &s) < 0 || r != TEST_UID ||
		    e != TEST_UID || s != TEST_UID || getegid() != TEST_GID + 1)
			_exit(2);
		if (getgroups(4, groups) != 1 || groups[0] != TEST_GID + 1)
			_exit(3);
		if (setuid(0) == 0 || seteuid(0) == 0 || priv_is_root())
			_exit(4);
		/* A second drop to someone else must fail. */
		if (priv_drop(TEST_UID + 1, TEST_GID, &why) == 0 ||
		    strcmp(why.dsn, "4.3.5") != 0 ||
		    strstr(why.text, "cannot switch to uid 5002 gid 5001") ==
		    NULL)
			_exit(5);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

static Suite *
mailbox_suite(void)
{
	Suite	*s = suite_create("mailbox");
	TCase	*tc = tcase_create("mailbox");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_mbox_exact);
	tcase_add_test(tc, test_mbox_append);
	tcase_add_test(tc, test_mbox_symlink);
	tcase_add_test(tc, test_mbox_hardlink);
	tcase_add_test(tc, test_mbox_directory);
	tcase_add_test(tc, test_mbox_fifo);
	tcase_add_test(tc, test_mbox_owner);
	tcase_add_test(tc, test_mbox_limit);
	tcase_add_test(tc, test_mbox_limit_partial);
	tcase_add_test(tc, test_enospc);
	tcase_add_test(tc, test_mbox_dotlock_held);
	tcase_add_test(tc, test_mbox_fcntl_held);
	tcase_add_test(tc, test_mbox_symlink_dir);
	tcase_add_test(tc, test_maildir);
	tcase_add_test(tc, test_maildir_limit);
	tcase_add_test(tc, test_maildir_symlink);
	tcase_add_test(tc, test_maildir_names);
	tcase_add_test(tc, test_maildir_host);
	tcase_add_test(tc, test_priv_drop);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(mailbox_suite()) == 0 ? 0 : 1);
}
