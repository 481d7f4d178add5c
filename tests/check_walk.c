/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_walk.c - walk.c: mailbox path validation and the O_NOFOLLOW walk
 * below the base, against a real temporary directory tree.  As root the
 * ownership of created directories is checked in a child that really
 * switched to uid 5001.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check_util.h"
#include "priv.h"
#include "status.h"
#include "walk.h"

#define TEST_UID	5001
#define TEST_GID	5001

static char *tdir;		/* per test, removed in teardown */
static int basefd = -1;

static void
setup(void)
{
	struct dstatus why;

	tdir = tu_mkdtemp();
	basefd = walk_open_base(tdir, &why);
	ck_assert_int_ge(basefd, 0);
}

static void
teardown(void)
{
	close(basefd);
	tu_rmtree(tdir);
	free(tdir);
}

/* Does tdir/rel exist (without following a final symlink)? */
static int
exists(const char *rel)
{
	struct stat st;
	char	path[4096];

	snprintf(path, sizeof(path), "%s/%s", tdir, rel);
	return (lstat(path, &st) == 0);
}

static void
stat_rel(const char *rel, struct stat *st)
{
	char	path[4096];

	snprintf(path, sizeof(path), "%s/%s", tdir, rel);
	ck_assert_msg(lstat(path, st) == 0, "%s: %s", path, strerror(errno));
}

static const struct {
	const char *value;
	const char *relpath;	/* NULL: refused */
	int	maildir;
} path_cases[] = {
	{"a/b", "a/b", 0},
	{"/a//b/./c", "a/b/c", 0},
	{"a/b/", "a/b", 1},
	{"/x/", "x", 1},
	{"./a/.../b", "a/.../b", 0},
	{"d/..x", "d/..x", 0},
	{"a/.", "a", 0},		/* "." dropped: an mbox "a" */
	{"../x", NULL, 0},
	{"a/../b", NULL, 0},
	{"a/..", NULL, 0},
	{"a/../", NULL, 0},
	{"..", NULL, 0},
	{"", NULL, 0},
	{"/", NULL, 0},
	{".", NULL, 0},
	{"./", NULL, 0},
	{"//./", NULL, 0},
	{"a\nb", NULL, 0},
	{"a/b\n", NULL, 0},
	{"a\tb", NULL, 0},
	{"a\177b", NULL, 0},
};

START_TEST(test_check_path)
{
	struct dstatus why;
	char	*rel = (char *)"unset";
	int	maildir = -1, rc;

	rc = walk_check_path(path_cases[_i].value, &rel, &maildir, &why);
	if (path_cases[_i].relpath != NULL) {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(rel, path_cases[_i].relpath);
		ck_assert_int_eq(maildir, path_cases[_i].maildir);
		free(rel);
		return;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_null(rel);
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_int_eq(why.ex, 75);
	ck_assert_ptr_nonnull(strstr(why.text, "bad mailbox path"));
	/* A control character must not split the diagnostic line. */
	ck_assert_ptr_null(strpbrk(why.text, "\n\t\177"));
}
END_TEST

START_TEST(test_long_component)
{
	struct dstatus why;
	char	value[600], *rel = NULL;
	int	maildir;

	memset(value, 'x', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	ck_assert_int_eq(walk_check_path(value, &rel, &maildir, &why), -1);
	ck_assert_str_eq(why.dsn, "4.3.5");
}
END_TEST

START_TEST(test_creates_dirs)
{
	struct dstatus why;
	struct stat st, fst;
	int	fd;

	umask(022);	/* the walk itself must ask for 0700 */
	fd = walk_open_dir(basefd, "d1/d2/d3", 1, &why);
	ck_assert_msg(fd >= 0, "%s %s", why.dsn, why.text);
	stat_rel("d1", &st);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	stat_rel("d1/d2", &st);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	stat_rel("d1/d2/d3", &st);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(fstat(fd, &fst), 0);
	ck_assert(fst.st_ino == st.st_ino && fst.st_dev == st.st_dev);
	close(fd);
	/* Again, now that everything exists. */
	fd = walk_open_dir(basefd, "d1/d2/d3", 0, &why);
	ck_assert_int_ge(fd, 0);
	close(fd);
}
END_TEST

START_TEST(test_missing_no_create)
{
	struct dstatus why;

	ck_assert_int_eq(walk_open_dir(basefd, "m1/m2", 0, &why), -1);
	ck_assert_str_eq(why.dsn, "4.2.0");
	ck_assert_ptr_nonnull(strstr(why.text, "No such file"));
	ck_assert(!exists("m1"));
}
END_TEST

START_TEST(test_parent)
{
	struct dstatus why;
	const char *rel = "p1/p2/mbox", *leaf = NULL;
	struct stat st, fst;
	int	fd;

	fd = walk_open_parent(basefd, rel, 1, &leaf, &why);
	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_eq(leaf, rel + 6);
	ck_assert_str_eq(leaf, "mbox");
	stat_rel("p1/p2", &st);
	ck_assert_int_eq(fstat(fd, &fst), 0);
	ck_assert(fst.st_ino == st.st_ino);
	ck_assert(!exists("p1/p2/mbox"));
	close(fd);

	/* A bare name: the parent is the base itself. */
	fd = walk_open_parent(basefd, "top", 1, &leaf, &why);
	ck_assert_int_ge(fd, 0);
	ck_assert_str_eq(leaf, "top");
	ck_assert_int_eq(fstat(fd, &fst), 0);
	ck_assert_int_eq(fstat(basefd, &st), 0);
	ck_assert(fst.st_ino == st.st_ino);
	close(fd);

	/* "" is the base directory again. */
	fd = walk_open_dir(basefd, "", 0, &why);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &fst), 0);
	ck_assert(fst.st_ino == st.st_ino);
	close(fd);
}
END_TEST

START_TEST(test_symlink_inside)
{
	struct dstatus why;
	char	path[4096];

	ck_assert_int_eq(mkdirat(basefd, "real", 0700), 0);
	ck_assert_int_eq(symlinkat("real", basefd, "link"), 0);
	ck_assert_int_eq(walk_open_dir(basefd, "link/x", 1, &why), -1);
	ck_assert_str_eq(why.dsn, "4.2.0");
	ck_assert_ptr_nonnull(strstr(why.text, "symbolic link"));
	ck_assert_ptr_nonnull(strstr(why.text, "link"));
	ck_assert(!exists("real/x"));
	/* The symlink as the last component is refused too. */
	ck_assert_int_eq(walk_open_dir(basefd, "link", 1, &why), -1);
	ck_assert_ptr_nonnull(strstr(why.text, "symbolic link"));
	/* And as the parent of a leaf. */
	snprintf(path, sizeof(path), "link/mbox");
	ck_assert_int_eq(walk_open_parent(basefd, path, 1,
	    &(const char *){NULL}, &why), -1);
	ck_assert_str_eq(why.dsn, "4.2.0");
}
END_TEST

START_TEST(test_symlink_outside)
{
	struct dstatus why;
	char	*outside = tu_mkdtemp(), gone[4096];
	struct stat st;

	ck_assert_int_eq(mkdirat(basefd, "dom", 0700), 0);
	ck_assert_int_eq(symlinkat(outside, basefd, "dom/out"), 0);
	ck_assert_int_eq(walk_open_dir(basefd, "dom/out/sub/x", 1, &why), -1);
	ck_assert_str_eq(why.dsn, "4.2.0");
	ck_assert_ptr_nonnull(strstr(why.text, "symbolic link"));
	snprintf(gone, sizeof(gone), "%s/sub", outside);
	ck_assert_int_eq(stat(gone, &st), -1);

	/* A dangling link must not make the walk create its target. */
	snprintf(gone, sizeof(gone), "%s/new", outside);
	ck_assert_int_eq(symlinkat(gone, basefd, "dom/dangling"), 0);
	ck_assert_int_eq(walk_open_dir(basefd, "dom/dangling/x", 1, &why),
	    -1);
	ck_assert_ptr_nonnull(strstr(why.text, "symbolic link"));
	ck_assert_int_eq(stat(gone, &st), -1);
	tu_rmtree(outside);
	free(outside);
}
END_TEST

START_TEST(test_file_component)
{
	struct dstatus why;
	int	fd;

	fd = openat(basefd, "file", O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(walk_open_dir(basefd, "file/x", 1, &why), -1);
	ck_assert_str_eq(why.dsn, "4.2.0");
	ck_assert_ptr_nonnull(strstr(why.text, "not a directory"));
	ck_assert_int_eq(walk_open_dir(basefd, "file", 1, &why), -1);
	ck_assert_str_eq(why.dsn, "4.2.0");
}
END_TEST

START_TEST(test_open_base)
{
	struct dstatus why;
	char	path[4096];

	snprintf(path, sizeof(path), "%s/nonexistent", tdir);
	ck_assert_int_eq(walk_open_base(path, &why), -1);
	ck_assert_str_eq(why.dsn, "4.2.0");
	ck_assert_ptr_nonnull(strstr(why.text, path));
	free(tu_write(tdir, "plain", "x"));
	snprintf(path, sizeof(path), "%s/plain", tdir);
	ck_assert_int_eq(walk_open_base(path, &why), -1);
}
END_TEST

/* As root: directories made by the walk belong to the recipient. */
START_TEST(test_owner)
{
	struct dstatus why;
	struct stat st;
	pid_t	pid;
	int	status, fd;

	if (geteuid() != 0) {
		printf("SKIP test_owner: needs root\n");
		return;
	}
	ck_assert_int_eq(fchown(basefd, TEST_UID, TEST_GID), 0);
	ck_assert_int_eq(chmod(tdir, 0755), 0);
	if ((pid = fork()) == 0) {
		if (priv_drop(TEST_UID, TEST_GID, &why) < 0)
			_exit(2);
		fd = walk_open_dir(basefd, "u1/u2", 1, &why);
		_exit(fd >= 0 ? 0 : 3);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child status %d", status);
	stat_rel("u1", &st);
	ck_assert_int_eq(st.st_uid, TEST_UID);
	ck_assert_int_eq(st.st_gid, TEST_GID);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	stat_rel("u1/u2", &st);
	ck_assert_int_eq(st.st_uid, TEST_UID);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
}
END_TEST

static Suite *
walk_suite(void)
{
	Suite	*s = suite_create("walk");
	TCase	*tc = tcase_create("walk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_check_path, 0,
	    sizeof(path_cases) / sizeof(path_cases[0]));
	tcase_add_test(tc, test_long_component);
	tcase_add_test(tc, test_creates_dirs);
	tcase_add_test(tc, test_missing_no_create);
	tcase_add_test(tc, test_parent);
	tcase_add_test(tc, test_symlink_inside);
	tcase_add_test(tc, test_symlink_outside);
	tcase_add_test(tc, test_file_component);
	tcase_add_test(tc, test_open_base);
	tcase_add_test(tc, test_owner);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(walk_suite()) == 0 ? 0 : 1);
}
