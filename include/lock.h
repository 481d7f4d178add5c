/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lock.h - dotlock, flock and fcntl locking with bounded retries.
 *
 * Retries: the total patience is attempts x delay_ms.  Within it the lock
 * is retried with a short exponential back-off (starting at a few
 * milliseconds, capped at delay_ms, each wait jittered +-25%), so a lock
 * that frees sooner is taken sooner; the number of tries is at least
 * `attempts'.  A dotlock whose ctime is older than stale_s seconds is
 * removed (and a warning logged) before a retry.
 */
#ifndef VDELIVER_LOCK_H
#define VDELIVER_LOCK_H

struct dstatus;

struct lock_policy {
	int	attempts;	/* deliver_lock_attempts */
	long	delay_ms;	/* deliver_lock_delay */
	long	stale_s;	/* stale_lock_time */
};

/*
 * Create "<name>.lock" in dirfd with O_CREAT|O_EXCL, mode 0.  On
 * persistent EEXIST: 4.2.0 "unable to create lock file <path>.lock: File
 * exists"; other errors stop at once (4.2.0 from errno).  path is the
 * mailbox path used in messages.
 */
int	lock_dotlock(int dirfd, const char *name, const char *path,
	    const struct lock_policy *pol, struct dstatus *why);
void	lock_dotlock_release(int dirfd, const char *name);

/* flock(LOCK_EX|LOCK_NB) with retries; 4.2.0 "unable to lock for exclusive access: ..." */
int	lock_flock(int fd, const struct lock_policy *pol, struct dstatus *why);
/* fcntl(F_SETLK, F_WRLCK, whole file) with retries; same text. */
int	lock_fcntl(int fd, const struct lock_policy *pol, struct dstatus *why);

/* Sleep for about ms milliseconds, +-25% jitter. */
void	lock_sleep_jitter(long ms);

#endif
