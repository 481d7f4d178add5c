/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_lock.c - lock.c: dotlock, flock and fcntl locks with retries,
 * against real files and real competing processes.  Timing is only
 * bounded loosely (a loaded machine must not fail the suite).
 */
#include <errno.h>
#include <fcntl.h>
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

static void
setup(void)
{
	tdir = tu_mkdtemp();
	dirfd_ = open(tdir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dirfd_, 0);
}

static void
teardown(void)
{
	close(dirfd_);
	tu_rmtree(tdir);
	free(tdir);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Run f with -v diagnostics captured; returns how often "busy" was logged. */
static int
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

static int
dotlock_quick(struct dstatus *why)
{
	return (lock_dotlock(dirfd_, "user", MBOX, &quick, why));
}

/* No delay at all: still `attempts' tries. */
static int
dotlock_nodelay(struct dstatus *why)
{
	const struct lock_policy pol = {4, 0, 500};

	return (lock_dotlock(dirfd_, "user", MBOX, &pol, why));
}

START_TEST(test_dotlock_release)
{
	struct dstatus why;
	struct stat st;

	ck_assert_int_eq(lock_dotlock(dirfd_, "user", MBOX, &quick, &why), 0);
	ck_assert_int_eq(fstatat(dirfd_, "user.lock", &st,
	    AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0);
	ck_assert_int_eq(st.st_size, 0);
	/* Nothing else was created (the mailbox itself is not touched). */
	ck_assert_int_eq(fstatat(dirfd_, "user", &st, 0), -1);
	lock_dotlock_release(dirfd_, "user");
	ck_assert_int_eq(fstatat(dirfd_, "user.lock", &st, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_dotlock_held)
{
	struct dstatus why;
	struct stat st;
	double	t0;
	int	fd, rc, busy;

	fd = openat(dirfd_, "user.lock", O_WRONLY | O_CREAT | O_EXCL, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	t0 = now();
	busy = count_busy(dotlock_quick, &why, &rc);
	ck_assert_int_eq(rc, -1);
	ck_assert_double_lt(now() - t0, 5.0);
	ck_assert_int_ge(busy, quick.attempts);
	ck_assert_str_eq(why.dsn, "4.2.0");
	ck_assert_int_eq(why.ex, 75);
	ck_assert_str_eq(why.text, "unable to create lock file " MBOX
	    ".lock: File exists");
	/* A fresh lock is somebody's: it must still be there. */
	ck_assert_int_eq(fstatat(dirfd_, "user.lock", &st, 0), 0);
	ck_assert_int_eq(count_busy(dotlock_nodelay, &why, &rc), 4);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(why.dsn, "4.2.0");
}
END_TEST

/* The holder removes its lock after a while: we get it then. */
START_TEST(test_dotlock_freed)
{
	const struct lock_policy pol = {20, 50, 500};
	struct dstatus why;
	double	t0;
	pid_t	pid;
	int	fd;

	fd = openat(dirfd_, "user.lock", O_WRONLY | O_CREAT | O_EXCL, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	if ((pid = fork()) == 0) {
		usleep(150 * 1000);
		_exit(unlinkat(dirfd_, "user.lock", 0) == 0 ? 0 : 1);
	}
	t0 = now();
	ck_assert_int_eq(lock_dotlock(dirfd_, "user", MBOX, &pol, &why), 0);
	ck_assert_double_ge(now() - t0, 0.1);
	ck_assert_double_lt(now() - t0, 0.9);	/* patience is 1 s */
	waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(test_dotlock_stale)
{
	const struct lock_policy pol = {3, 20, 0};
	struct dstatus why;
	struct stat old, st;
	char	*logfile, text[4096];
	FILE	*fp;
	size_t	n;
	int	fd;

	ck_assert_int_ge(asprintf(&logfile, "%s/maillog", tdir), 0);
	ck_assert_int_eq(log_open("vdtest", "mail", logfile, &why), 0);
	fd = openat(dirfd_, "user.lock", O_WRONLY | O_CREAT | O_EXCL, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &old), 0);
	close(fd);
	/* ctime cannot be set back: let it age past stale_lock_time 0. */
	usleep(1100 * 1000);
	ck_assert_int_eq(lock_dotlock(dirfd_, "user", MBOX, &pol, &why), 0);
	ck_assert_int_eq(fstatat(dirfd_, "user.lock", &st, 0), 0);
	ck_assert_int_gt(st.st_ctime, old.st_ctime);	/* a new lock */
	ck_assert_int_eq(st.st_mode & 07777, 0);
	log_close();
	fp = fopen(logfile, "r");
	ck_assert_ptr_nonnull(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(text, "warning: removed stale lock "
	    "file " MBOX ".lock"));
	free(logfile);
}
END_TEST

/* A directory the recipient cannot write: fail at once, no retries. */
START_TEST(test_dotlock_eacces)
{
	const struct lock_policy pol = {20, 1000, 500};
	struct dstatus why;
	int	pfd[2], rc = -2;
	double	t0 = now();
	pid_t	pid;

	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(fchmod(dirfd_, 0555), 0);
	if ((pid = fork()) == 0) {
		if (geteuid() == 0 && priv_drop(TEST_UID, TEST_GID, &why) < 0)
			_exit(2);
		rc = lock_dotlock(dirfd_, "user", MBOX, &pol, &why);
		if (write(pfd[1], &why, sizeof(why)) != sizeof(why))
			_exit(3);
		_exit(rc == -1 ? 0 : 4);
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &why, sizeof(why)), sizeof(why));
	ck_assert_int_eq(waitpid(pid, &rc, 0), pid);
	ck_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	ck_assert_double_lt(now() - t0, 0.9);
	ck_assert_str_eq(why.dsn, "4.2.0");
	ck_assert_str_eq(why.text, "unable to create lock file " MBOX
	    ".lock: Permission denied");
	close(pfd[0]);
}
END_TEST

/*
 * A competing process takes a kernel lock of kind on tdir/mbox; it
 * releases it after hold_ms, or (hold_ms < 0) when *release_r is closed.
 * Returns once the lock is held.
 */
static pid_t
hold_lock(int use_flock, long hold_ms, int *release_r)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int	ready[2], release[2], fd;
	char	c;
	pid_t	pid;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(release), 0);
	if ((pid = fork()) == 0) {
		close(ready[0]);
		close(release[1]);
		fd = openat(dirfd_, "mbox", O_RDWR | O_CREAT, 0600);
		if (fd < 0 || (use_flock ? flock(fd, LOCK_EX) :
		    fcntl(fd, F_SETLKW, &fl)) < 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		if (hold_ms >= 0)
			usleep(hold_ms * 1000);
		else if (read(release[0], &c, 1) < 0)
			_exit(1);
		_exit(0);	/* exit releases the lock */
	}
	close(ready[1]);
	close(release[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*release_r = release[1];
	return (pid);
}

static void
kernel_lock_busy_then_free(int use_flock)
{
	struct dstatus why;
	int	release, fd, rc;
	pid_t	pid;

	pid = hold_lock(use_flock, -1, &release);
	fd = openat(dirfd_, "mbox", O_RDWR);
	ck_assert_int_ge(fd, 0);
	rc = use_flock ? lock_flock(fd, &quick, &why) :
	    lock_fcntl(fd, &quick, &why);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(why.dsn, "4.2.0");
	ck_assert_str_eq(why.text, "unable to lock for exclusive access: "
	    "Resource temporarily unavailable");
	close(release);
	ck_assert_int_eq(waitpid(pid, &rc, 0), pid);
	ck_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	rc = use_flock ? lock_flock(fd, &quick, &why) :
	    lock_fcntl(fd, &quick, &why);
	ck_assert_int_eq(rc, 0);
	close(fd);
}

static void
kernel_lock_freed_while_waiting(int use_flock)
{
	const struct lock_policy pol = {20, 50, 500};
	struct dstatus why;
	int	release, fd, rc;
	double	t0;
	pid_t	pid;

	pid = hold_lock(use_flock, 150, &release);
	fd = openat(dirfd_, "mbox", O_RDWR);
	ck_assert_int_ge(fd, 0);
	t0 = now();
	rc = use_flock ? lock_flock(fd, &pol, &why) :
	    lock_fcntl(fd, &pol, &why);
	ck_assert_int_eq(rc, 0);
	ck_assert_double_gt(now() - t0, 0.05);
	ck_assert_double_lt(now() - t0, 0.9);
	close(fd);
	close(release);
	waitpid(pid, NULL, 0);
}

START_TEST(test_fcntl)
{
	kernel_lock_busy_then_free(0);
	kernel_lock_freed_while_waiting(0);
}
END_TEST

START_TEST(test_flock)
{
	kernel_lock_busy_then_free(1);
	kernel_lock_freed_while_waiting(1);
}
END_TEST

START_TEST(test_bad_fd)
{
	const struct lock_policy pol = {20, 1000, 500};
	struct dstatus why;
	double	t0 = now();

	/* A hard error is not retried. */
	ck_assert_int_eq(lock_fcntl(-1, &pol, &why), -1);
	ck_assert_int_eq(lock_flock(-1, &pol, &why), -1);
	ck_assert_str_eq(why.dsn, "4.2.0");
	ck_assert_ptr_nonnull(strstr(why.text, "Bad file descriptor"));
	ck_assert_double_lt(now() - t0, 0.5);
}
END_TEST

START_TEST(test_sleep_jitter)
{
	double	t0 = now(), dt;

	lock_sleep_jitter(100);
	dt = now() - t0;
	ck_assert_double_ge(dt, 0.074);
	ck_assert_double_lt(dt, 2.0);
	t0 = now();
	lock_sleep_jitter(0);
	ck_assert_double_lt(now() - t0, 0.05);
}
END_TEST

static Suite *
lock_suite(void)
{
	Suite	*s = suite_create("lock");
	TCase	*tc = tcase_create("lock");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_dotlock_release);
	tcase_add_test(tc, test_dotlock_held);
	tcase_add_test(tc, test_dotlock_freed);
	tcase_add_test(tc, test_dotlock_stale);
	tcase_add_test(tc, test_dotlock_eacces);
	tcase_add_test(tc, test_fcntl);
	tcase_add_test(tc, test_flock);
	tcase_add_test(tc, test_bad_fd);
	tcase_add_test(tc, test_sleep_jitter);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(lock_suite()) == 0 ? 0 : 1);
}
