/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_journal.c - journal.c, the mbox crash journal, against real files
 * and real (dead and live) processes: a journal left by a dead process is
 * repaired, one of a live process is respected, one for another inode,
 * a complete append or a rewritten mbox is only removed, something that
 * is not our journal is left alone; and a delivery after a crash.
 */
#include "check_mailbox_util.h"
#include "journal.h"
#include "lock.h"
#include "log.h"

#define OLD	"From a@b  Sun Nov 22 02:27:04 2026\nSubject: old\n\nold\n\n"
#define PART	"From s@x  Sun Nov 22 02:27:05 2026\nSubject: new\n\nhalf a li"
#define JNAME	"dom/user" JOURNAL_SUFFIX

static char *logfile;
static int mfd = -1;			/* dom/user, O_RDWR */
static struct stat mst;
static struct journal jr;

/* dom/user holding OLD and PART: a delivery cut short after OLD. */
static void
jsetup(void)
{
	struct dstatus why;
	int	dfd;

	setup();
	ck_assert_int_ge(asprintf(&logfile, "%s/maillog", tdir), 0);
	ck_assert_int_eq(log_open("vdtest", "mail", logfile, &why), 0);
	make_dir("dom");
	make_file("dom/user", OLD PART);
	mfd = openat(basefd, "dom/user", O_RDWR | O_APPEND);
	ck_assert_int_ge(mfd, 0);
	ck_assert_int_eq(fstat(mfd, &mst), 0);
	dfd = openat(basefd, "dom", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(journal_init(&jr, dfd, "user", "/v/dom/user"), 0);
}

static void
jteardown(void)
{
	log_close();
	close(jr.dirfd);
	close(mfd);
	free(logfile);
	teardown();
}

/* Leave a journal as delivery `pid' would have: it was to add len bytes. */
static void
make_journal(off_t before, off_t len, unsigned long long ino, long pid)
{
	struct journal_rec r;
	char	text[512];

	lock_owner_self(&r.owner);
	r.owner.pid = pid;
	r.before = before;
	r.after = before + len;
	r.dev = (unsigned long long)mst.st_dev;
	r.ino = ino;
	ck_assert_int_eq(journal_format(text, sizeof(text), &r), 0);
	ck_assert_int_eq(symlinkat(text, basefd, JNAME), 0);
}

/* A pid that was ours and is gone: a child that exited and was reaped. */
static long
dead_pid(void)
{
	pid_t	pid = fork();

	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	return ((long)pid);
}

static int
exists(const char *rel)
{
	struct stat st;

	return (fstatat(basefd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0);
}

static void
assert_mbox(const char *text)
{
	size_t	len;
	char	*got = slurp("dom/user", &len);

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, text);
	free(got);
}

static void
assert_logged(const char *text)
{
	char	*got;
	size_t	len;
	FILE	*fp;

	fp = fopen(logfile, "r");
	ck_assert_ptr_nonnull(fp);
	got = calloc(1, 8192);
	len = fread(got, 1, 8191, fp);
	fclose(fp);
	ck_assert_msg(strstr(got, text) != NULL, "log lacks \"%s\": %.*s",
	    text, (int)len, got);
	free(got);
}

START_TEST(test_journal_record)
{
	struct journal_rec r, p;
	char	text[512];

	lock_owner_self(&r.owner);
	r.before = 10;
	r.after = 5000000000LL;
	r.dev = 0xfe01;
	r.ino = 0x123456789aULL;
	ck_assert_int_eq(journal_format(text, sizeof(text), &r), 0);
	ck_assert_int_eq(strncmp(text, "vdj1 10 5000000000 fe01 123456789a ",
	    35), 0);
	ck_assert_int_eq(journal_parse(text, &p), 0);
	ck_assert(p.before == 10 && p.after == 5000000000LL &&
	    p.dev == 0xfe01 && p.ino == 0x123456789aULL &&
	    p.owner.pid == getpid() && p.owner.pidns == r.owner.pidns);
	ck_assert_int_eq(journal_format(text, 20, &r), -1);
	ck_assert_int_eq(journal_parse("vdj2 1 2 3 4 5 h 6", &p), -1);
	ck_assert_int_eq(journal_parse("vdj1 9 9 3 4 5 h 6", &p), -1);
	ck_assert_int_eq(journal_parse("vdj1 1 2 3 4", &p), -1);
	ck_assert_int_eq(journal_parse("vdj1 1 2 3 4 5 h 6", &p), 0);
}
END_TEST

START_TEST(test_journal_dead)
{
	struct dstatus why;

	make_journal(strlen(OLD), 1000, mst.st_ino, dead_pid());
	ck_assert_int_eq(journal_recover(&jr, mfd, 500, &why), 0);
	assert_mbox(OLD);
	ck_assert(!exists(JNAME));
	assert_logged("warning: removed a partial message (58 bytes) from "
	    "the end of /v/dom/user, left by process");
}
END_TEST

START_TEST(test_journal_live)
{
	struct dstatus why;

	make_journal(strlen(OLD), 1000, mst.st_ino, getppid());
	ck_assert_int_eq(journal_recover(&jr, mfd, 500, &why), -1);
	assert_status(&why, "4.2.0", 75, "mailbox is being written by process");
	assert_mbox(OLD PART);
	ck_assert(exists(JNAME));
	/* Older than stale_lock_time: the writer is taken for dead. */
	ck_assert_int_eq(journal_recover(&jr, mfd, -1, &why), 0);
	assert_mbox(OLD);
}
END_TEST

START_TEST(test_journal_other_inode)
{
	struct dstatus why;

	make_journal(strlen(OLD), 1000, mst.st_ino + 1, dead_pid());
	ck_assert_int_eq(journal_recover(&jr, mfd, 500, &why), 0);
	assert_mbox(OLD PART);
	ck_assert(!exists(JNAME));
	assert_logged("ignored crash journal user.vdeliver-journal of process");
}
END_TEST

/* Every byte was written (killed before the journal went): kept. */
START_TEST(test_journal_complete)
{
	struct dstatus why;

	make_journal(strlen(OLD), strlen(PART), mst.st_ino, dead_pid());
	ck_assert_int_eq(journal_recover(&jr, mfd, 500, &why), 0);
	assert_mbox(OLD PART);
	ck_assert(!exists(JNAME));
	assert_logged("its message is complete and may arrive twice");
}
END_TEST

/* No "From " where the append began: something rewrote the mbox. */
START_TEST(test_journal_rewritten)
{
	struct dstatus why;

	make_journal(strlen(OLD) - 3, 1000, mst.st_ino, dead_pid());
	ck_assert_int_eq(journal_recover(&jr, mfd, 500, &why), 0);
	assert_mbox(OLD PART);
	ck_assert(!exists(JNAME));
	assert_logged("the mailbox was changed since");
}
END_TEST

/*
 * The repair reads the tail through the locked descriptor: a second
 * descriptor, once closed, would have dropped our fcntl lock.
 */
START_TEST(test_journal_keeps_fcntl_lock)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	struct dstatus why;
	int	status;
	pid_t	pid;

	ck_assert_int_eq(fcntl(mfd, F_SETLK, &fl), 0);
	make_journal(strlen(OLD), 1000, mst.st_ino, dead_pid());
	ck_assert_int_eq(journal_recover(&jr, mfd, 500, &why), 0);
	ck_assert_int_eq(lseek(mfd, 0, SEEK_END), strlen(OLD));
	if ((pid = fork()) == 0) {
		int	fd = openat(basefd, "dom/user", O_RDWR);

		_exit(fd >= 0 && fcntl(fd, F_SETLK, &fl) < 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the fcntl lock was lost during the repair");
	assert_mbox(OLD);	/* (its fclose() drops the lock: last) */
}
END_TEST

/* Not a symbolic link, or not ours: left alone, delivery unprotected. */
START_TEST(test_journal_foreign)
{
	struct dstatus why;
	off_t	start;

	make_file(JNAME, "somebody's mbox\n");
	ck_assert_int_eq(journal_recover(&jr, mfd, 500, &why), 1);
	ck_assert_int_eq(journal_begin(&jr, mfd, 100, 500, &start, &why), 1);
	ck_assert_int_eq(start, strlen(OLD PART));
	assert_mbox(OLD PART);
	ck_assert(exists(JNAME) && !jr.active);
	assert_logged("no crash journal for /v/dom/user");
	if (!is_root())
		return;
	ck_assert_int_eq(unlinkat(basefd, JNAME, 0), 0);
	make_journal(strlen(OLD), 1000, mst.st_ino, dead_pid());
	ck_assert_int_eq(fchownat(basefd, JNAME, TEST_UID + 1, TEST_GID,
	    AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_int_eq(journal_recover(&jr, mfd, 500, &why), 1);
	assert_mbox(OLD PART);
}
END_TEST

START_TEST(test_journal_unreadable)
{
	struct dstatus why;

	ck_assert_int_eq(symlinkat("vdj1 garbage", basefd, JNAME), 0);
	ck_assert_int_eq(journal_recover(&jr, mfd, 500, &why), 0);
	assert_mbox(OLD PART);
	ck_assert(!exists(JNAME));
	assert_logged("unreadable record");
}
END_TEST

/* begin repairs a dead leftover, then records; end removes the record. */
START_TEST(test_journal_begin_end)
{
	struct journal_rec r;
	struct dstatus why;
	char	text[512];
	off_t	start;
	ssize_t	n;

	make_journal(strlen(OLD), 1000, mst.st_ino, dead_pid());
	ck_assert_int_eq(journal_begin(&jr, mfd, 123, 500, &start, &why), 0);
	ck_assert_int_eq(start, strlen(OLD));
	assert_mbox(OLD);
	n = readlinkat(basefd, JNAME, text, sizeof(text) - 1);
	ck_assert_int_gt(n, 0);
	text[n] = '\0';
	ck_assert_int_eq(journal_parse(text, &r), 0);
	ck_assert(r.before == (off_t)strlen(OLD) &&
	    r.after == (off_t)strlen(OLD) + 123 && r.ino == mst.st_ino &&
	    r.dev == mst.st_dev && r.owner.pid == getpid());
	journal_end(&jr);
	ck_assert(!exists(JNAME));
	/* A name too long for the journal: the delivery goes on without. */
	memset(text, 'x', NAME_MAX - 3);
	text[NAME_MAX - 3] = '\0';
	ck_assert_int_eq(journal_init(&jr, jr.dirfd, text, "/v/dom/x"), -1);
	ck_assert_int_eq(journal_begin(&jr, mfd, 123, 500, &start, &why), 1);
	ck_assert_int_eq(start, strlen(OLD));
}
END_TEST

/* The real delivery after a crash: the partial goes, the message comes. */
START_TEST(test_journal_deliver)
{
	struct dstatus why;
	size_t	len, n;
	char	*text;

	make_journal(strlen(OLD), 1000, mst.st_ino, dead_pid());
	if (is_root())
		ck_assert_int_eq(fchownat(basefd, JNAME, TEST_UID, TEST_GID,
		    AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_int_eq(deliver("dom/user", 0, SENDER, BODY_IN, &why), 0);
	text = slurp("dom/user", &len);
	ck_assert_int_eq(strncmp(text, OLD, strlen(OLD)), 0);
	n = strlen(OLD) + from_line(text + strlen(OLD), SENDER);
	ck_assert_str_eq(text + n, HEADERS BODY_MBOX);
	free(text);
	ck_assert(!exists(JNAME) && !exists("dom/user.lock"));
	assert_logged("removed a partial message (58 bytes)");
}
END_TEST

static Suite *
journal_suite(void)
{
	Suite	*s = suite_create("journal");
	TCase	*tc = tcase_create("journal");

	tcase_add_checked_fixture(tc, jsetup, jteardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_journal_record);
	tcase_add_test(tc, test_journal_dead);
	tcase_add_test(tc, test_journal_live);
	tcase_add_test(tc, test_journal_other_inode);
	tcase_add_test(tc, test_journal_complete);
	tcase_add_test(tc, test_journal_rewritten);
	tcase_add_test(tc, test_journal_keeps_fcntl_lock);
	tcase_add_test(tc, test_journal_foreign);
	tcase_add_test(tc, test_journal_unreadable);
	tcase_add_test(tc, test_journal_begin_end);
	tcase_add_test(tc, test_journal_deliver);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(journal_suite()) == 0 ? 0 : 1);
}
