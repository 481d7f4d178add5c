/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_maildir.c - maildir.c (names, the tmp -> new protocol, limits,
 * symlinks, the cleanup of stale tmp/ files) and priv.c against real
 * files and real uids.
 */
#include "check_mailbox_util.h"

START_TEST(test_maildir)
{
	static const char *const subs[] = {"dom/md", "dom/md/tmp",
	    "dom/md/new", "dom/md/cur"};
	char	name[512], rel[600], host[300], *text;
	regmatch_t m[5];
	struct dstatus why;
	struct stat st;
	unsigned long long dev, ino, size;
	regex_t	re;
	size_t	i, len;

	ck_assert_int_eq(deliver("dom/md", 1, SENDER, BODY_IN, &why), 0);
	assert_status(&why, "2.0.0", 0, "delivered to maildir");
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		stat_rel(subs[i], &st);
		ck_assert(S_ISDIR(st.st_mode));
		ck_assert_int_eq(st.st_mode & 07777, 0700);
		ck_assert_int_eq(st.st_uid, is_root() ? TEST_UID : getuid());
	}
	ck_assert_int_eq(count_dir("dom/md/tmp", NULL, 0), 0);
	ck_assert_int_eq(count_dir("dom/md/cur", NULL, 0), 0);
	ck_assert_int_eq(count_dir("dom/md/new", name, sizeof(name)), 1);
	ck_assert_int_eq(maildir_host(host, sizeof(host)), 0);
	/* The pid is the delivering child's: only its shape is known. */
	ck_assert_int_eq(regcomp(&re, "^[0-9]+\\.M[0-9]+P[0-9]+V([0-9a-f]+)"
	    "I([0-9a-f]+)\\.([^/]+),S=([0-9]+)$", REG_EXTENDED), 0);
	ck_assert_msg(regexec(&re, name, 5, m, 0) == 0, "bad name %s", name);
	regfree(&re);
	ck_assert_int_eq(m[3].rm_eo - m[3].rm_so, strlen(host));
	ck_assert_int_eq(strncmp(name + m[3].rm_so, host, strlen(host)), 0);
	dev = strtoull(name + m[1].rm_so, NULL, 16);
	ino = strtoull(name + m[2].rm_so, NULL, 16);
	size = strtoull(name + m[4].rm_so, NULL, 10);
	snprintf(rel, sizeof(rel), "dom/md/new/%s", name);
	stat_rel(rel, &st);
	ck_assert_uint_eq(size, (unsigned long long)st.st_size);
	ck_assert_uint_eq(dev, (unsigned long long)st.st_dev);
	ck_assert_uint_eq(ino, (unsigned long long)st.st_ino);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_nlink, 1);
	text = slurp(rel, &len);
	ck_assert_str_eq(text, HEADERS BODY_MAILDIR);
	free(text);
	ck_assert_int_eq(deliver("dom/md", 1, SENDER, BODY_IN, &why), 0);
	ck_assert_int_eq(count_dir("dom/md/new", NULL, 0), 2);
	ck_assert_int_eq(count_dir("dom/md/tmp", NULL, 0), 0);
}
END_TEST

START_TEST(test_maildir_limit)
{
	struct dstatus why;

	vc.mailbox_limit = 10;
	ck_assert_int_eq(deliver("md", 1, SENDER, BODY_IN, &why), -1);
	assert_status(&why, "5.2.2", 73, "maildir delivery failed: ");
	ck_assert_ptr_nonnull(strstr(why.text, "File too large"));
	ck_assert_int_eq(count_dir("md/tmp", NULL, 0), 0);
	ck_assert_int_eq(count_dir("md/new", NULL, 0), 0);
	/* Exactly one byte short: fails only after writing started. */
	vc.mailbox_limit = strlen(HEADERS BODY_MAILDIR) - 1;
	ck_assert_int_eq(deliver("md", 1, SENDER, BODY_IN, &why), -1);
	assert_status(&why, "5.2.2", 73, "File too large");
	ck_assert_int_eq(count_dir("md/tmp", NULL, 0), 0);
	ck_assert_int_eq(count_dir("md/new", NULL, 0), 0);
	vc.mailbox_limit = strlen(HEADERS BODY_MAILDIR);
	ck_assert_int_eq(deliver("md", 1, SENDER, BODY_IN, &why), 0);
	ck_assert_int_eq(count_dir("md/new", NULL, 0), 1);
}
END_TEST

START_TEST(test_maildir_symlink)
{
	struct dstatus why;

	make_dir("md");
	make_dir("elsewhere");
	ck_assert_int_eq(symlinkat("../elsewhere", basefd, "md/tmp"), 0);
	ck_assert_int_eq(deliver("md", 1, SENDER, BODY_IN, &why), -1);
	assert_status(&why, "4.2.0", 75, "symbolic link");
	ck_assert_int_eq(count_dir("elsewhere", NULL, 0), 0);
	ck_assert_int_eq(count_dir("md/new", NULL, 0), -1);
}
END_TEST

START_TEST(test_maildir_names)
{
	char	buf[128], small[8];

	ck_assert_int_eq(maildir_tmp_name(buf, sizeof(buf), 1700000000, 42,
	    123, "mx"), 0);
	ck_assert_str_eq(buf, "1700000000.M42P123.mx");
	ck_assert_int_eq(maildir_new_name(buf, sizeof(buf), 1700000000, 42,
	    123, 0xfe00, 0x1a2b, "mx", 1234), 0);
	ck_assert_str_eq(buf, "1700000000.M42P123Vfe00I1a2b.mx,S=1234");
	ck_assert_int_eq(maildir_tmp_name(small, sizeof(small), 1700000000,
	    42, 123, "mx"), -1);
	ck_assert_int_eq(maildir_new_name(small, sizeof(small), 1, 2, 3, 4,
	    5, "mx", 6), -1);
	ck_assert_int_eq(maildir_host(small, 1), -1);
}
END_TEST

/* As root, in a private UTS namespace: '/' and ':' are escaped. */
START_TEST(test_maildir_host)
{
	char	buf[64];

	if (!is_root() || unshare(CLONE_NEWUTS) < 0) {
		printf("SKIP test_maildir_host: needs root\n");
		return;
	}
	ck_assert_int_eq(sethostname("a/b:c.d", 7), 0);
	ck_assert_int_eq(maildir_host(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "a\\057b\\072c.d");
	ck_assert_int_eq(maildir_host(buf, 12), -1);
}
END_TEST

START_TEST(test_priv_drop)
{
	struct dstatus why;
	uid_t	r, e, s;
	gid_t	groups[4];
	int	status;
	pid_t	pid;

	ck_assert_int_eq(priv_drop(0, 0, &why), -1);
	assert_status(&why, "4.3.5", 75, "uid 0");
	if (!is_root()) {
		printf("SKIP test_priv_drop: needs root\n");
		ck_assert_int_eq(priv_drop(getuid(), getgid(), &why), 0);
		return;
	}
	ck_assert(priv_is_root());
	ck_assert(!priv_is_setuid());
	if ((pid = fork()) == 0) {
		if (priv_drop(TEST_UID, TEST_GID + 1, &why) < 0)
			_exit(1);
		if (getresuid(&r, &e, &s) < 0 || r != TEST_UID ||
		    e != TEST_UID || s != TEST_UID || getegid() != TEST_GID + 1)
			_exit(2);
		if (getgroups(4, groups) != 1 || groups[0] != TEST_GID + 1)
			_exit(3);
		if (setuid(0) == 0 || seteuid(0) == 0 || priv_is_root())
			_exit(4);
		/* A second drop to someone else must fail. */
		if (priv_drop(TEST_UID + 1, TEST_GID, &why) == 0 ||
		    strcmp(why.dsn, "4.3.5") != 0 ||
		    strstr(why.text, "cannot switch to uid 5002 gid 5001") ==
		    NULL)
			_exit(5);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* Make md/tmp/name (a file, or a directory) with atime and mtime ago. */
static void
tmp_entry(const char *name, int dir, long atime_ago, long mtime_ago)
{
	struct timespec ts[2];
	char	rel[256];

	snprintf(rel, sizeof(rel), "md/tmp/%s", name);
	if (dir)
		make_dir(rel);
	else
		make_file(rel, "partial");
	ts[0].tv_sec = time(NULL) - atime_ago;
	ts[1].tv_sec = time(NULL) - mtime_ago;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(basefd, rel, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* md/tmp last read `ago' seconds ago. */
static void
tmp_read_ago(long ago)
{
	struct timespec ts[2] = {{time(NULL) - ago, 0}, {0, UTIME_OMIT}};

	ck_assert_int_eq(utimensat(basefd, "md/tmp", ts, 0), 0);
}

static int
tmp_has(const char *name)
{
	char	rel[256];
	struct stat st;

	snprintf(rel, sizeof(rel), "md/tmp/%s", name);
	return (fstatat(basefd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0);
}

#define H	3600L

/*
 * Stale tmp/ files (atime and mtime 36 hours old) go with a delivery,
 * when tmp/ was not read for 8 hours; anything else stays.
 */
START_TEST(test_maildir_clean_tmp)
{
	struct dstatus why;
	struct stat st;

	ck_assert_int_eq(deliver("md", 1, SENDER, BODY_IN, &why), 0);
	tmp_entry("old", 0, 40 * H, 40 * H);
	tmp_entry("young", 0, 0, 0);
	tmp_entry("read", 0, 1 * H, 40 * H);	/* a reader uses it */
	tmp_entry("written", 0, 40 * H, 1 * H);
	tmp_entry("dir", 1, 40 * H, 40 * H);
	tmp_read_ago(7 * H);
	ck_assert_int_eq(deliver("md", 1, SENDER, BODY_IN, &why), 0);
	ck_assert(tmp_has("old"));		/* scanned 7 h ago: not yet */
	tmp_read_ago(9 * H);
	ck_assert_int_eq(deliver("md", 1, SENDER, BODY_IN, &why), 0);
	ck_assert(!tmp_has("old"));
	ck_assert(tmp_has("young") && tmp_has("read") && tmp_has("written") &&
	    tmp_has("dir"));
	stat_rel("md/tmp", &st);
	ck_assert_int_ge(st.st_atime, time(NULL) - 60);	/* scan noted */
	ck_assert_int_eq(count_dir("md/new", NULL, 0), 3);
}
END_TEST

/* A scan looks at a bounded number of entries; the next one goes on. */
START_TEST(test_maildir_clean_bound)
{
	struct dstatus why;
	char	name[32];
	int	i, tmpfd, first, second;

	ck_assert_int_eq(deliver("md", 1, SENDER, BODY_IN, &why), 0);
	for (i = 0; i < 1200; i++) {
		snprintf(name, sizeof(name), "%d.M1P1.x", i);
		tmp_entry(name, 0, 40 * H, 40 * H);
	}
	tmp_read_ago(9 * H);
	tmpfd = openat(basefd, "md/tmp", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(tmpfd, 0);
	first = maildir_clean_tmp(tmpfd, time(NULL));
	ck_assert_int_gt(first, 900);
	ck_assert_int_lt(first, 1000);
	ck_assert_int_eq(maildir_clean_tmp(tmpfd, time(NULL)), 0);
	second = maildir_clean_tmp(tmpfd, time(NULL) + 9 * H);
	ck_assert_int_eq(first + second, 1200);
	ck_assert_int_eq(count_dir("md/tmp", NULL, 0), 0);
	close(tmpfd);
}
END_TEST

static Suite *
maildir_suite(void)
{
	Suite	*s = suite_create("maildir");
	TCase	*tc = tcase_create("maildir");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_maildir);
	tcase_add_test(tc, test_maildir_limit);
	tcase_add_test(tc, test_maildir_symlink);
	tcase_add_test(tc, test_maildir_names);
	tcase_add_test(tc, test_maildir_host);
	tcase_add_test(tc, test_maildir_clean_tmp);
	tcase_add_test(tc, test_maildir_clean_bound);
	tcase_add_test(tc, test_priv_drop);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(maildir_suite()) == 0 ? 0 : 1);
}
