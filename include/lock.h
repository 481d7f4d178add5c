/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lock.h - dotlock, flock and fcntl locking with bounded retries, and
 * the owner records that let a crashed holder be recognised.
 *
 * Retries: the total patience is attempts x delay_ms of elapsed time.
 * Within it the lock is retried with a short exponential back-off
 * (starting at a few milliseconds, capped at 20 ms or delay_ms if less,
 * each wait jittered +-25%), so a lock that frees is taken within a few
 * tens of milliseconds; the number of tries is at least `attempts'.
 *
 * Owner records: a dotlock made here holds "pid host pidns\n" (the pid
 * first, as liblockfile writes it).  A dotlock is stale, and removed with
 * a warning before a retry, when its ctime is older than stale_s seconds,
 * or at once when its record names a process of this machine and pid
 * namespace that no longer exists (kill(pid, 0) fails with ESRCH) or the
 * record predates the last boot.  Locks without a readable record (other
 * programs make them empty, mode 0) only age.
 */
#ifndef VDELIVER_LOCK_H
#define VDELIVER_LOCK_H

#include <stddef.h>
#include <time.h>

struct dstatus;

struct lock_policy {
	int	attempts;	/* deliver_lock_attempts */
	long	delay_ms;	/* deliver_lock_delay */
	long	stale_s;	/* stale_lock_time */
};

#define LOCK_HOST_MAX	64

/* Who made a dotlock or a crash journal (journal.h). */
struct lock_owner {
	long	pid;
	char	host[LOCK_HOST_MAX + 1];	/* gethostname(), no blanks */
	unsigned long long pidns;		/* pid namespace inode, 0 unknown */
};

/* This process. */
void	lock_owner_self(struct lock_owner *o);
/* "pid host pidns" (no newline); -1 if it does not fit. */
int	lock_owner_format(char *buf, size_t size, const struct lock_owner *o);
/* Parse that text (trailing white space allowed): 0, or -1 if malformed. */
int	lock_owner_parse(const char *text, struct lock_owner *o);
/*
 * Is the record's writer certainly gone?  made: the record file's ctime.
 * 1 when made is older than stale_s seconds, or when the writer was on
 * this host and in this pid namespace and has exited (or the record is
 * older than the last boot); 0 when it may still run.
 */
int	lock_owner_gone(const struct lock_owner *o, time_t made, long stale_s);

/*
 * Create "<name>.lock" in dirfd with O_CREAT|O_EXCL, mode 0600, holding
 * our owner record; returns its descriptor, for the release.  On
 * persistent EEXIST: 4.2.0 "unable to create lock file <path>.lock: File
 * exists"; other errors stop at once (4.2.0 from errno).  path is the
 * mailbox path used in messages.
 */
int	lock_dotlock(int dirfd, const char *name, const char *path,
	    const struct lock_policy *pol, struct dstatus *why);
/* Remove the lock (if it is still ours) and close fd. */
void	lock_dotlock_release(int dirfd, const char *name, int fd);

/* flock(LOCK_EX|LOCK_NB) with retries; 4.2.0 "unable to lock for exclusive access: ..." */
int	lock_flock(int fd, const struct lock_policy *pol, struct dstatus *why);
/* fcntl(F_SETLK, F_WRLCK, whole file) with retries; same text. */
int	lock_fcntl(int fd, const struct lock_policy *pol, struct dstatus *why);

/* Sleep for about ms milliseconds, +-25% jitter. */
void	lock_sleep_jitter(long ms);

#endif
