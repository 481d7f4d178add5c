/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_lock_util.h - fixture and helpers of check_lock.c and
 * check_dotlock.c: a temporary directory per test, a clock, the -v
 * "busy" counter and a pid that is certainly gone.
 */
#ifndef VDELIVER_CHECK_LOCK_UTIL_H
#define VDELIVER_CHECK_LOCK_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check_util.h"
#include "lock.h"
#include "log.h"
#include "priv.h"
#include "status.h"

#define TEST_UID	5001
#define TEST_GID	5001
#define MBOX		"/virtual/example.com/user"	/* for messages */

static char *tdir;
static int dirfd_ = -1;
static const struct lock_policy quick = {3, 20, 500};

static inline void
setup(void)
{
	tdir = tu_mkdtemp();
	dirfd_ = open(tdir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dirfd_, 0);
}

static inline void
teardown(void)
{
	close(dirfd_);
	tu_rmtree(tdir);
	free(tdir);
}

static inline double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Run f with -v diagnostics captured; returns how often "busy" was logged. */
static inline int
count_busy(int (*f)(struct dstatus *), struct dstatus *why, int *rc_r)
{
	char	buf[65536], *p;
	int	saved, cap, n = 0;
	ssize_t	len;

	cap = openat(dirfd_, "stderr.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(cap, 0);
	saved = dup(2);
	dup2(cap, 2);
	log_verbose_enable(1);
	*rc_r = f(why);
	log_verbose_enable(0);
	dup2(saved, 2);
	close(saved);
	len = pread(cap, buf, sizeof(buf) - 1, 0);
	close(cap);
	ck_assert_int_ge(len, 0);
	buf[len] = '\0';
	for (p = buf; (p = strstr(p, "busy")) != NULL; p++)
		n++;
	return (n);
}

/* A pid that was ours and is gone: a child that exited and was reaped. */
static inline long
dead_pid(void)
{
	pid_t	pid = fork();

	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	return ((long)pid);
}

#endif
