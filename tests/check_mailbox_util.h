/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_mailbox_util.h - fixture and helpers of the mailbox suites
 * (check_mbox.c, check_maildir.c, check_journal.c): a mailbox base per
 * test and deliveries through the real mailbox code.
 *
 * Every delivery runs in a forked child, as the real mailbox code does:
 * as root the child first switches to uid/gid 5001 with priv_drop(), so
 * ownership and permission checks are the kernel's, not a mock's.
 * Without root the child delivers as the caller and the cases that need
 * a foreign owner print SKIP.
 */
#ifndef VDELIVER_CHECK_MAILBOX_UTIL_H
#define VDELIVER_CHECK_MAILBOX_UTIL_H

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

static inline int
is_root(void)
{
	return (geteuid() == 0);
}

static inline void
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

static inline void
teardown(void)
{
	close(basefd);
	tu_rmtree(tdir);
	free(base);
	free(tdir);
}

/* Read base/rel whole; NULL if missing. */
static inline char *
slurp(const char *rel, size_t *len_r)
{
	char	*path, *buf;
	FILE	*fp;
	long	n;

	*len_r = 0;
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
static inline int
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

static inline void
stat_rel(const char *rel, struct stat *st)
{
	ck_assert_int_eq(fstatat(basefd, rel, st, AT_SYMLINK_NOFOLLOW), 0);
}

/* Make base/rel as root (or us), owned by the recipient. */
static inline void
make_file(const char *rel, const char *text)
{
	int	fd = openat(basefd, rel, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	if (is_root())
		ck_assert_int_eq(fchown(fd, TEST_UID, TEST_GID), 0);
	close(fd);
}

static inline void
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
static inline int
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

static inline void
assert_status(const struct dstatus *why, const char *dsn, int ex,
    const char *text)
{
	ck_assert_str_eq(why->dsn, dsn);
	ck_assert_int_eq(why->ex, ex);
	ck_assert_msg(strstr(why->text, text) != NULL, "\"%s\" lacks \"%s\"",
	    why->text, text);
}

/* Check one From_ line at p ("From <sender>  <24-char date>\n"). */
static inline size_t
from_line(const char *p, const char *sender)
{
	size_t	n = strlen("From ") + strlen(sender) + 2;

	ck_assert_int_eq(strncmp(p, "From ", 5), 0);
	ck_assert_int_eq(strncmp(p + 5, sender, strlen(sender)), 0);
	ck_assert_int_eq(strncmp(p + n - 2, "  ", 2), 0);
	ck_assert_int_eq(p[n + 24], '\n');
	return (n + 25);
}

/*
 * Over 64 KB, so that message_write() has flushed part of the copy when
 * the quoted "From " line at the very end crosses the limit: the
 * truncation back is what restores the mailbox here.
 */
static inline char *
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


#endif
