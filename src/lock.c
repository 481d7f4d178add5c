/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lock.c - dotlock, flock and fcntl mailbox locks with bounded retries.
 *
 * Every lock is tried without blocking, so a delivery never hangs on a
 * mailbox: it either gets the lock within the configured patience
 * (deliver_lock_attempts x deliver_lock_delay) or defers with 4.2.0.
 * The waits start short and double up to deliver_lock_delay, each
 * jittered by +-25% so that deliveries queued behind the same lock do
 * not wake in lock step.  The dotlock is created as Postfix does
 * (O_EXCL, mode 0, empty), so MUAs and Postfix interoperate with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "lock.h"
#include "log.h"
#include "status.h"

#define LOCK_FIRST_MS	5	/* first back-off wait */

/* Result of one try. */
#define LOCK_TAKEN	0
#define LOCK_BUSY	1	/* wait, then try again */
#define LOCK_AGAIN	2	/* try again at once (stale lock removed) */
#define LOCK_FAILED	(-1)	/* hard error in errno: give up now */

struct lock_dot {
	int	dirfd;
	char	name[NAME_MAX + 1];	/* "<mailbox>.lock" */
	const char *path;		/* mailbox path, for messages */
	long	stale_s;
};

void
lock_sleep_jitter(long ms)
{
	struct timespec ts;
	unsigned long long us;
	uint32_t span;

	if (ms <= 0)
		return;
	us = (unsigned long long)ms * 1000;
	span = us / 2 + 1 < UINT32_MAX ? (uint32_t)(us / 2 + 1) : UINT32_MAX;
	us = us * 3 / 4 + arc4random_uniform(span);
	ts.tv_sec = (time_t)(us / 1000000);
	ts.tv_nsec = (long)(us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Call try_once until it takes the lock, fails hard, or the patience is
 * used up.  Returns 0, or -1 with the errno of the last try in *err_r.
 * Immediate retries (LOCK_AGAIN) are bounded too, so a lock that keeps
 * looking stale (e.g. a file server whose clock is behind) cannot spin.
 */
static int
lock_retry(int (*try_once)(void *), void *ctx, const char *what,
    const struct lock_policy *pol, int *err_r)
{
	long long budget, waited = 0;
	long	wait, delay = pol->delay_ms > 0 ? pol->delay_ms : 0;
	int	tries = 0, again = 0, r;

	budget = (long long)(pol->attempts > 0 ? pol->attempts : 1) * delay;
	wait = delay < LOCK_FIRST_MS ? delay : LOCK_FIRST_MS;
	for (;;) {
		r = try_once(ctx);
		tries++;
		if (r == LOCK_TAKEN) {
			log_debug("%s: locked after %d tries", what, tries);
			return (0);
		}
		*err_r = errno;
		if (r == LOCK_FAILED)
			return (-1);
		log_debug("%s: busy (try %d)", what, tries);
		if (r == LOCK_AGAIN && again++ < pol->attempts)
			continue;
		if (tries >= pol->attempts && waited >= budget)
			return (-1);
		lock_sleep_jitter(wait);
		waited += wait;
		wait = wait * 2 < delay ? wait * 2 : delay;
	}
}

/*
 * A lock whose ctime is older than stale_s seconds belongs to a crashed
 * deliverer (ctime, unlike mtime, cannot be set back with utime()).
 * There is an unavoidable window between the fstatat and the unlinkat in
 * which another process may replace the stale lock with a fresh one that
 * we then remove; the kernel locks taken after the dotlock still keep
 * two writers apart in that case.  Postfix has the same window.
 */
static int
lock_dot_stale(struct lock_dot *dot)
{
	struct stat st;

	if (fstatat(dot->dirfd, dot->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return (errno == ENOENT ? LOCK_AGAIN : LOCK_BUSY);
	if (st.st_ctime >= time(NULL) - dot->stale_s)
		return (LOCK_BUSY);
	if (unlinkat(dot->dirfd, dot->name, 0) < 0)
		return (errno == ENOENT ? LOCK_AGAIN : LOCK_BUSY);
	log_warn("removed stale lock file %s.lock", dot->path);
	return (LOCK_AGAIN);
}

static int
lock_dot_try(void *ctx)
{
	struct lock_dot *dot = ctx;
	int	fd, r;

	fd = openat(dot->dirfd, dot->name, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0);
	if (fd >= 0) {
		(void)close(fd);
		return (LOCK_TAKEN);
	}
	if (errno != EEXIST)
		return (LOCK_FAILED);
	r = lock_dot_stale(dot);
	errno = EEXIST;		/* what a persistent failure reports */
	return (r);
}

int
lock_dotlock(int dirfd, const char *name, const char *path,
    const struct lock_policy *pol, struct dstatus *why)
{
	struct lock_dot dot;
	int	n, err;

	dot.dirfd = dirfd;
	dot.path = path;
	dot.stale_s = pol->stale_s;
	n = snprintf(dot.name, sizeof(dot.name), "%s.lock", name);
	if (n < 0 || (size_t)n >= sizeof(dot.name)) {
		status_errno(why, ENAMETOOLONG, "4.2.0",
		    "unable to create lock file %s.lock", path);
		return (-1);
	}
	if (lock_retry(lock_dot_try, &dot, "dotlock", pol, &err) < 0) {
		status_errno(why, err, "4.2.0",
		    "unable to create lock file %s.lock", path);
		return (-1);
	}
	return (0);
}

void
lock_dotlock_release(int dirfd, const char *name)
{
	char	lockname[NAME_MAX + 1];
	int	n;

	n = snprintf(lockname, sizeof(lockname), "%s.lock", name);
	if (n < 0 || (size_t)n >= sizeof(lockname))
		return;
	if (unlinkat(dirfd, lockname, 0) < 0 && errno != ENOENT)
		log_warn("cannot remove lock file %s: %s", lockname,
		    strerror(errno));
}

static int
lock_flock_try(void *ctx)
{
	if (flock(*(int *)ctx, LOCK_EX | LOCK_NB) == 0)
		return (LOCK_TAKEN);
	if (errno == EWOULDBLOCK)
		return (LOCK_BUSY);
	return (errno == EINTR ? LOCK_AGAIN : LOCK_FAILED);
}

static int
lock_fcntl_try(void *ctx)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;		/* start 0, length 0: whole file */
	if (fcntl(*(int *)ctx, F_SETLK, &fl) == 0)
		return (LOCK_TAKEN);
	if (errno == EAGAIN || errno == EACCES) {
		errno = EAGAIN;		/* POSIX allows either: one text */
		return (LOCK_BUSY);
	}
	return (errno == EINTR ? LOCK_AGAIN : LOCK_FAILED);
}

int
lock_flock(int fd, const struct lock_policy *pol, struct dstatus *why)
{
	int	err;

	if (lock_retry(lock_flock_try, &fd, "flock", pol, &err) < 0) {
		status_errno(why, err, "4.2.0",
		    "unable to lock for exclusive access");
		return (-1);
	}
	return (0);
}

int
lock_fcntl(int fd, const struct lock_policy *pol, struct dstatus *why)
{
	int	err;

	if (lock_retry(lock_fcntl_try, &fd, "fcntl", pol, &err) < 0) {
		status_errno(why, err, "4.2.0",
		    "unable to lock for exclusive access");
		return (-1);
	}
	return (0);
}
