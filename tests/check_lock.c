/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_lock.c - lock.c: flock and fcntl locks with retries against real
 * files and real competing processes, and the owner records that tell a
 * dead lock holder from a live one.  Timing is only bounded loosely (a
 * loaded machine must not fail the suite).  Dotlocks: check_dotlock.c.
 */
#include "check_lock_util.h"

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

/*
 * With a long deliver_lock_delay the back-off is still capped at a few
 * tens of ms: a lock freed after 1.3 s is taken soon after, not at the
 * next doubled wait (2.56 s with waits doubling up to the delay).
 */
static void
kernel_lock_noticed_soon(int use_flock)
{
	const struct lock_policy pol = {20, 5000, 500};
	struct dstatus why;
	int	release, fd, rc;
	double	t0;
	pid_t	pid;

	pid = hold_lock(use_flock, 1300, &release);
	fd = openat(dirfd_, "mbox", O_RDWR);
	ck_assert_int_ge(fd, 0);
	t0 = now();
	rc = use_flock ? lock_flock(fd, &pol, &why) :
	    lock_fcntl(fd, &pol, &why);
	ck_assert_int_eq(rc, 0);
	ck_assert_double_gt(now() - t0, 1.0);
	ck_assert_double_lt(now() - t0, 1.9);
	close(fd);
	close(release);
	waitpid(pid, NULL, 0);
}

START_TEST(test_fcntl)
{
	kernel_lock_busy_then_free(0);
	kernel_lock_freed_while_waiting(0);
	kernel_lock_noticed_soon(0);
}
END_TEST

START_TEST(test_flock)
{
	kernel_lock_busy_then_free(1);
	kernel_lock_noticed_soon(1);
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

START_TEST(test_owner_record)
{
	struct lock_owner o, self;
	char	buf[256];

	lock_owner_self(&self);
	ck_assert_int_eq(self.pid, getpid());
	ck_assert_int_gt(strlen(self.host), 0);
	ck_assert_ptr_null(strpbrk(self.host, " \t\n"));
	ck_assert_int_eq(lock_owner_format(buf, sizeof(buf), &self), 0);
	ck_assert_int_eq(lock_owner_parse(buf, &o), 0);
	ck_assert(o.pid == self.pid && strcmp(o.host, self.host) == 0 &&
	    o.pidns == self.pidns);
	ck_assert_int_eq(lock_owner_format(buf, 8, &self), -1);
	ck_assert_int_eq(lock_owner_parse("12 h 1f\n", &o), 0);
	ck_assert(o.pid == 12 && o.pidns == 0x1f);
	ck_assert_int_eq(lock_owner_parse("", &o), -1);
	ck_assert_int_eq(lock_owner_parse("12 h", &o), -1);
	ck_assert_int_eq(lock_owner_parse("0 h 1", &o), -1);
	ck_assert_int_eq(lock_owner_parse("12 h 1 more", &o), -1);
}
END_TEST

START_TEST(test_owner_gone)
{
	struct lock_owner o;
	time_t	t = time(NULL);

	lock_owner_self(&o);
	o.pid = getppid();		/* alive */
	ck_assert_int_eq(lock_owner_gone(&o, t, 500), 0);
	ck_assert_int_eq(lock_owner_gone(&o, t - 600, 500), 1);	/* aged */
	ck_assert_int_eq(lock_owner_gone(&o, 1000, LONG_MAX / 2), 1); /* boot */
	o.pid = dead_pid();
	ck_assert_int_eq(lock_owner_gone(&o, t, 500), 1);
	o.pidns++;		/* another namespace: the pid says nothing */
	ck_assert_int_eq(lock_owner_gone(&o, t, 500), 0);
	o.pidns--;
	strcpy(o.host, "elsewhere");	/* another machine: only the age */
	ck_assert_int_eq(lock_owner_gone(&o, t, 500), 0);
	ck_assert_int_eq(lock_owner_gone(&o, t - 600, 500), 1);
}
END_TEST

/* A lock file "user.lock" naming pid (on this host). */
static Suite *
lock_suite(void)
{
	Suite	*s = suite_create("lock");
	TCase	*tc = tcase_create("lock");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_fcntl);
	tcase_add_test(tc, test_flock);
	tcase_add_test(tc, test_bad_fd);
	tcase_add_test(tc, test_sleep_jitter);
	tcase_add_test(tc, test_owner_record);
	tcase_add_test(tc, test_owner_gone);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(lock_suite()) == 0 ? 0 : 1);
}
