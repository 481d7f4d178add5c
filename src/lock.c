/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lock.c - dotlock, flock and fcntl mailbox locks with bounded retries,
 * and owner records that tell a crashed holder from a live one.
 *
 * Every lock is tried without blocking, so a delivery never hangs on a
 * mailbox: it either gets the lock within the configured patience
 * (deliver_lock_attempts x deliver_lock_delay) or defers with 4.2.0.
 * The waits start short and double up to LOCK_MAX_WAIT_MS (or
 * deliver_lock_delay if that is shorter), each jittered by +-25% so that
 * deliveries queued behind the same lock do not wake in lock step: a
 * lock that frees is noticed within ~25 ms, however long the patience.
 * The patience is time (attempts x delay on the monotonic clock, and at
 * least `attempts' tries), not a number of sleeps, so the short waits do
 * not shorten it.  The dotlock is created O_EXCL as Postfix does,
 * so MUAs and Postfix interoperate with it; unlike Postfix's (mode 0,
 * empty) it is mode 0600 and names its holder, so that a lock left by a
 * killed delivery is removed at once instead of after stale_lock_time.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
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
#define LOCK_MAX_WAIT_MS 20	/* longest back-off wait */
#define LOCK_RELEASE_TRIES 200	/* x LOCK_FIRST_MS: 1 s at most */

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
	int	fd;			/* our lock, once taken */
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
/* Milliseconds on the monotonic clock. */
static long long
lock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int
lock_retry(int (*try_once)(void *), void *ctx, const char *what,
    const struct lock_policy *pol, int *err_r)
{
	long long budget, start = -1;
	long	wait, cap, delay = pol->delay_ms > 0 ? pol->delay_ms : 0;
	int	tries = 0, again = 0, r;

	budget = (long long)(pol->attempts > 0 ? pol->attempts : 1) * delay;
	cap = delay < LOCK_MAX_WAIT_MS ? delay : LOCK_MAX_WAIT_MS;
	wait = cap < LOCK_FIRST_MS ? cap : LOCK_FIRST_MS;
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
		/* The clock starts at the first busy answer. */
		if (start < 0)
			start = lock_now_ms();
		if (tries >= pol->attempts && lock_now_ms() - start >= budget)
			return (-1);
		lock_sleep_jitter(wait);
		wait = wait * 2 < cap ? wait * 2 : cap;
	}
}

#define LOCK_STR(x)	LOCK_STR2(x)
#define LOCK_STR2(x)	#x
#define LOCK_RECORD_MAX	(LOCK_HOST_MAX + 64)	/* "pid host pidns\n" */

/*
 * The host name and the pid namespace are looked up once per process
 * (a dotlock and a journal record per delivery both need them); a forked
 * child shares both, and gets its own pid from getpid().
 */
void
lock_owner_self(struct lock_owner *o)
{
	static struct lock_owner self;
	static int known;
	char	host[256];
	struct stat st;
	size_t	i;

	if (!known) {
		if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		/* One word in the record: blanks and controls become '_'. */
		for (i = 0; host[i] != '\0' && i < LOCK_HOST_MAX; i++)
			self.host[i] = (unsigned char)host[i] <= ' ' ||
			    host[i] == 0x7f ? '_' : host[i];
		self.host[i] = '\0';
		/*
		 * Containers may share a host name and a mail volume but
		 * not their pids: kill(pid, 0) only means something in
		 * our own pid namespace.
		 */
		if (stat("/proc/self/ns/pid", &st) == 0)
			self.pidns = (unsigned long long)st.st_ino;
		known = 1;
	}
	*o = self;
	o->pid = (long)getpid();
}

int
lock_owner_format(char *buf, size_t size, const struct lock_owner *o)
{
	int	n;

	n = snprintf(buf, size, "%ld %s %llx", o->pid, o->host, o->pidns);
	return (n < 0 || (size_t)n >= size ? -1 : 0);
}

int
lock_owner_parse(const char *text, struct lock_owner *o)
{
	int	n = -1;

	memset(o, 0, sizeof(*o));
	if (sscanf(text, "%ld %" LOCK_STR(LOCK_HOST_MAX) "s %llx%n", &o->pid,
	    o->host, &o->pidns, &n) != 3 || n < 0 || o->pid <= 0)
		return (-1);
	for (text += n; *text == ' ' || *text == '\n'; text++)
		;
	return (*text == '\0' ? 0 : -1);
}

/* When this machine booted (wall clock), 0 if unknown. */
static time_t
lock_boot_time(void)
{
	struct timespec real, up;

	if (clock_gettime(CLOCK_REALTIME, &real) < 0 ||
	    clock_gettime(CLOCK_BOOTTIME, &up) < 0)
		return (0);
	return (real.tv_sec - up.tv_sec - 1);	/* 1 s for the rounding */
}

/*
 * Has pid exited?  A killed delivery stays a zombie until its parent (the
 * MTA) reaps it, and kill(pid, 0) succeeds on a zombie: /proc tells.
 */
static int
lock_pid_gone(long pid)
{
	char	buf[512], *p;
	ssize_t	n;
	int	fd;

	if (kill((pid_t)pid, 0) < 0)
		return (errno == ESRCH);
	snprintf(buf, sizeof(buf), "/proc/%ld/stat", pid);
	if ((fd = open(buf, O_RDONLY | O_CLOEXEC)) < 0)
		return (0);
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	buf[n > 0 ? n : 0] = '\0';
	/* "pid (comm) S ...": comm may hold anything, so the last ')' */
	p = strrchr(buf, ')');
	return (p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

/*
 * A pid that was reused keeps a dead writer "alive": that only delays
 * the verdict until the record is older than stale_s.
 */
int
lock_owner_gone(const struct lock_owner *o, time_t made, long stale_s)
{
	struct lock_owner self;

	if (made < time(NULL) - stale_s)
		return (1);
	lock_owner_self(&self);
	if (o->pid <= 0 || strcmp(o->host, self.host) != 0)
		return (0);	/* another machine: only the age tells */
	if (made < lock_boot_time())
		return (1);
	if (o->pidns == 0 || o->pidns != self.pidns)
		return (0);
	if (o->pid == self.pid)
		return (1);	/* we are asking, so we do not hold it */
	return (lock_pid_gone(o->pid));
}

/*
 * A lock nobody can read (another program's mode 0 lock) ages out: its
 * ctime older than stale_s seconds (ctime, unlike mtime, cannot be set
 * back with utime()).  There is an unavoidable window between the
 * fstatat and the unlinkat in which another process may replace the
 * stale lock with a fresh one that we then remove; the kernel locks
 * taken after the dotlock still keep two writers apart in that case.
 * Postfix has the same window.
 */
static int
lock_dot_stale_blind(struct lock_dot *dot)
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

/*
 * Judge the lock open on fd (flock'ed, still the one at the name): read
 * its owner record and remove it if stale.
 */
static int
lock_dot_judge(struct lock_dot *dot, int fd, const struct stat *st)
{
	char	buf[LOCK_RECORD_MAX + 1];
	struct lock_owner o;
	ssize_t	n;
	int	known, young;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	known = n > 0 && lock_owner_parse(buf, &o) == 0;
	young = st->st_ctime >= time(NULL) - dot->stale_s;
	if (known ? !lock_owner_gone(&o, st->st_ctime, dot->stale_s) : young)
		return (LOCK_BUSY);
	if (unlinkat(dot->dirfd, dot->name, 0) < 0)
		return (errno == ENOENT ? LOCK_AGAIN : LOCK_BUSY);
	if (known && young)
		log_warn("removed stale lock file %s.lock of process %ld on "
		    "%s, which is gone", dot->path, o.pid, o.host);
	else
		log_warn("removed stale lock file %s.lock", dot->path);
	return (LOCK_AGAIN);
}

/*
 * The lock exists: is it stale?  Deliveries that find the same dead lock
 * take turns with flock() on the lock file itself, and each checks under
 * that flock that the name still refers to the file it judged.  So none
 * of them can remove a fresh lock that another one made after removing
 * the dead one (with pid records a dead lock is removed at once, and
 * several waiting deliveries would otherwise race for it).
 */
static int
lock_dot_stale(struct lock_dot *dot)
{
	struct stat st, cur;
	int	fd, r;

	fd = openat(dot->dirfd, dot->name, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return (errno == ENOENT ? LOCK_AGAIN :
		    lock_dot_stale_blind(dot));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK;	/* another one is judging */
		(void)close(fd);
		/* No flock at all (some NFS setups): judge by age as Postfix. */
		return (r ? LOCK_BUSY : lock_dot_stale_blind(dot));
	}
	if (fstat(fd, &st) < 0 || fstatat(dot->dirfd, dot->name, &cur,
	    AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != cur.st_dev ||
	    st.st_ino != cur.st_ino)
		r = LOCK_AGAIN;		/* removed or replaced meanwhile */
	else if (!S_ISREG(st.st_mode))
		r = LOCK_BUSY;
	else
		r = lock_dot_judge(dot, fd, &st);
	(void)close(fd);		/* and with it the flock */
	return (r);
}

/*
 * Make the lock with its record already in it: an unnamed O_TMPFILE
 * inode is written, then linked to the lock name, which fails with
 * EEXIST just as O_EXCL does.  So a lock of ours is never seen empty,
 * even if we are killed right after making it.  Where O_TMPFILE or /proc
 * is missing (NFS, old kernels): O_EXCL, then the write; a lock seen
 * empty in between is judged by its age, and a failed write leaves a
 * valid, anonymous lock.  Returns the lock's descriptor, or -1.
 */
static int
lock_dot_make(struct lock_dot *dot, const char *rec)
{
	char	proc[64];
	size_t	len = strlen(rec);
	int	fd, err;

	fd = openat(dot->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (pwrite(fd, rec, len, 0) == (ssize_t)len && linkat(AT_FDCWD,
		    proc, dot->dirfd, dot->name, AT_SYMLINK_FOLLOW) == 0)
			return (fd);
		err = errno;
		(void)close(fd);
		if (err == EEXIST) {
			errno = EEXIST;
			return (-1);
		}
	}
	fd = openat(dot->dirfd, dot->name, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd >= 0 && pwrite(fd, rec, len, 0) < 0)
		log_debug("dotlock: cannot write owner: %s", strerror(errno));
	return (fd);
}

static int
lock_dot_try(void *ctx)
{
	struct lock_dot *dot = ctx;
	struct lock_owner self;
	char	rec[LOCK_RECORD_MAX + 2];
	int	r;

	lock_owner_self(&self);
	if (lock_owner_format(rec, sizeof(rec) - 1, &self) < 0)
		rec[0] = '\0';
	else
		strcat(rec, "\n");
	if ((dot->fd = lock_dot_make(dot, rec)) >= 0)
		return (LOCK_TAKEN);
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
	dot.fd = -1;
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
	return (dot.fd);
}

/*
 * Remove our lock under its flock, as a stale-lock breaker would: a
 * breaker that has judged it holds the flock until it is done, so it
 * never reads our record, sees us gone and then removes a newer lock
 * by name.  If the name is no longer our file (it aged out and was
 * broken), it belongs to somebody else now and stays.
 */
void
lock_dotlock_release(int dirfd, const char *name, int fd)
{
	char	lockname[NAME_MAX + 1];
	struct stat st, cur;
	int	n;

	n = snprintf(lockname, sizeof(lockname), "%s.lock", name);
	if (n < 0 || (size_t)n >= sizeof(lockname) || fd < 0) {
		if (fd >= 0)
			(void)close(fd);
		return;
	}
	/* Breakers hold it for a few syscalls; a stopped one is not waited for. */
	for (n = 0; n < LOCK_RELEASE_TRIES && flock(fd, LOCK_EX | LOCK_NB) < 0 &&
	    (errno == EWOULDBLOCK || errno == EINTR); n++)
		lock_sleep_jitter(LOCK_FIRST_MS);
	/* If the check itself fails, the name is ours as far as we know. */
	if (fstat(fd, &st) == 0 && fstatat(dirfd, lockname, &cur,
	    AT_SYMLINK_NOFOLLOW) == 0 && (st.st_dev != cur.st_dev ||
	    st.st_ino != cur.st_ino))
		log_warn("lock file %s was replaced by someone else's",
		    lockname);
	else if (unlinkat(dirfd, lockname, 0) < 0 && errno != ENOENT)
		log_warn("cannot remove lock file %s: %s", lockname,
		    strerror(errno));
	(void)close(fd);
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
