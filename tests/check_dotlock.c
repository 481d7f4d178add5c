/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_dotlock.c - lock.c: dotlocks with retries, their owner records,
 * stale and dead-holder locks, and deliveries racing for a dead lock,
 * against real files and real competing processes.
 */
#include "check_lock_util.h"

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
	struct lock_owner o, self;
	struct dstatus why;
	struct stat st;
	char	text[256];
	ssize_t	n;
	int	fd, lfd;

	lfd = lock_dotlock(dirfd_, "user", MBOX, &quick, &why);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(fstatat(dirfd_, "user.lock", &st,
	    AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_nlink, 1);
	/* It names us, in liblockfile's order: the pid first. */
	fd = openat(dirfd_, "user.lock", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, text, sizeof(text) - 1);
	ck_assert_int_gt(n, 0);
	text[n] = '\0';
	close(fd);
	ck_assert_int_eq(text[n - 1], '\n');
	ck_assert_int_eq(lock_owner_parse(text, &o), 0);
	lock_owner_self(&self);
	ck_assert_int_eq(o.pid, getpid());
	ck_assert_str_eq(o.host, self.host);
	ck_assert_uint_eq(o.pidns, self.pidns);
	ck_assert_uint_ne(o.pidns, 0);
	/* Nothing else was created (the mailbox itself is not touched). */
	ck_assert_int_eq(fstatat(dirfd_, "user", &st, 0), -1);
	lock_dotlock_release(dirfd_, "user", lfd);
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
	fd = lock_dotlock(dirfd_, "user", MBOX, &pol, &why);
	ck_assert_int_ge(fd, 0);
	close(fd);
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
	fd = lock_dotlock(dirfd_, "user", MBOX, &pol, &why);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(fstatat(dirfd_, "user.lock", &st, 0), 0);
	ck_assert_int_gt(st.st_ctime, old.st_ctime);	/* a new lock */
	ck_assert_int_eq(st.st_mode & 07777, 0600);
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
static void
make_owned_lock(long pid)
{
	struct lock_owner o;
	char	rec[256];
	int	fd;

	lock_owner_self(&o);
	o.pid = pid;
	ck_assert_int_eq(lock_owner_format(rec, sizeof(rec), &o), 0);
	fd = openat(dirfd_, "user.lock", O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, rec, strlen(rec)), (ssize_t)strlen(rec));
	close(fd);
}

/* A dead holder's lock goes at once, a live one's stays (stale 500 s). */
START_TEST(test_dotlock_dead_holder)
{
	struct dstatus why;
	struct stat st;
	double	t0;
	int	fd, rc;

	make_owned_lock(getppid());
	ck_assert_int_ge(count_busy(dotlock_quick, &why, &rc), quick.attempts);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(fstatat(dirfd_, "user.lock", &st, 0), 0);
	ck_assert_int_eq(unlinkat(dirfd_, "user.lock", 0), 0);
	make_owned_lock(dead_pid());
	t0 = now();
	fd = lock_dotlock(dirfd_, "user", MBOX, &quick, &why);
	ck_assert_int_ge(fd, 0);
	ck_assert_double_lt(now() - t0, 0.05);	/* no back-off wait */
	lock_dotlock_release(dirfd_, "user", fd);
	ck_assert_int_eq(fstatat(dirfd_, "user.lock", &st, 0), -1);
}
END_TEST

/* A lock that was broken and re-made by someone else is not ours to remove. */
START_TEST(test_dotlock_release_other)
{
	struct dstatus why;
	struct stat st;
	int	fd;

	fd = lock_dotlock(dirfd_, "user", MBOX, &quick, &why);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(unlinkat(dirfd_, "user.lock", 0), 0);
	make_owned_lock(getppid());
	lock_dotlock_release(dirfd_, "user", fd);
	ck_assert_int_eq(fstatat(dirfd_, "user.lock", &st, 0), 0);
}
END_TEST

/*
 * 160 short-lived processes, 16 at a time, take the lock once each, and
 * every fifth dies holding it: never two inside at once (each holds a
 * marker directory while inside), although a dead holder's lock is
 * removed at once.  Holders that release and exit at once are what a
 * breaker must not mistake for the dead holder of a newer lock.
 */
static int
breaker(int i)
{
	const struct lock_policy pol = {200, 20, 500};
	struct dstatus why;
	int	fd;

	if ((fd = lock_dotlock(dirfd_, "user", MBOX, &pol, &why)) < 0)
		return (1);
	if (mkdirat(dirfd_, "inside", 0700) < 0)
		return (2);
	usleep(300);
	if (unlinkat(dirfd_, "inside", AT_REMOVEDIR) < 0)
		return (3);
	if (i % 5 != 0)
		lock_dotlock_release(dirfd_, "user", fd);
	return (0);
}

START_TEST(test_dotlock_breakers)
{
	int	i, k, status, ok = 0;
	pid_t	pids[16];

	for (k = 0; k < 10; k++) {
		for (i = 0; i < 16; i++)
			if ((pids[i] = fork()) == 0)
				_exit(breaker(i));
		for (i = 0; i < 16; i++) {
			ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
			ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
		}
	}
	ck_assert_int_eq(ok, 160);
}
END_TEST

static Suite *
dotlock_suite(void)
{
	Suite	*s = suite_create("dotlock");
	TCase	*tc = tcase_create("dotlock");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_dotlock_release);
	tcase_add_test(tc, test_dotlock_held);
	tcase_add_test(tc, test_dotlock_freed);
	tcase_add_test(tc, test_dotlock_stale);
	tcase_add_test(tc, test_dotlock_eacces);
	tcase_add_test(tc, test_dotlock_dead_holder);
	tcase_add_test(tc, test_dotlock_release_other);
	tcase_add_test(tc, test_dotlock_breakers);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(dotlock_suite()) == 0 ? 0 : 1);
}
