/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_mbox.c - mbox.c against real files: the exact copy, refused
 * targets, locks, the size limit and a full file system, each with the
 * mailbox byte-identical after a failure.
 */
#include "check_mailbox_util.h"

START_TEST(test_mbox_exact)
{
	struct dstatus why;
	struct stat st;
	size_t	len, n;
	char	*text;

	ck_assert_int_eq(deliver("example.com/user", 0, SENDER, BODY_IN, &why),
	    0);
	assert_status(&why, "2.0.0", 0, "delivered to mailbox");
	text = slurp("example.com/user", &len);
	ck_assert_ptr_nonnull(text);
	n = from_line(text, SENDER);
	ck_assert_str_eq(text + n, HEADERS BODY_MBOX);
	free(text);
	stat_rel("example.com/user", &st);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_uid, is_root() ? TEST_UID : getuid());
	stat_rel("example.com", &st);	/* made by the walk */
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(st.st_uid, is_root() ? TEST_UID : getuid());
	ck_assert_int_eq(count_dir("example.com", NULL, 0), 1);	/* no .lock */
}
END_TEST

START_TEST(test_mbox_append)
{
	struct dstatus why;
	size_t	len, n;
	char	*text;

	ck_assert_int_eq(deliver("user", 0, SENDER, BODY_IN, &why), 0);
	ck_assert_int_eq(deliver("user", 0, "", BODY_IN, &why), 0);
	text = slurp("user", &len);
	n = from_line(text, SENDER);
	ck_assert_int_eq(strncmp(text + n, HEADERS BODY_MBOX,
	    strlen(HEADERS BODY_MBOX)), 0);
	n += strlen(HEADERS BODY_MBOX);
	n += from_line(text + n, "MAILER-DAEMON");
	ck_assert_str_eq(text + n, HEADERS BODY_MBOX);
	free(text);
}
END_TEST

/* A refused mbox: status, and the target and directory untouched. */
static void
refused(const char *dsn, int ex, const char *text)
{
	struct dstatus why;

	ck_assert_int_eq(deliver("dom/user", 0, SENDER, BODY_IN, &why), -1);
	assert_status(&why, dsn, ex, text);
	ck_assert_ptr_nonnull(strstr(why.text, "delivery failed to mailbox "));
}

START_TEST(test_mbox_symlink)
{
	struct stat st;
	size_t	len;
	char	*text;

	make_dir("dom");
	make_file("target", "old\n");
	ck_assert_int_eq(symlinkat("../target", basefd, "dom/user"), 0);
	refused("4.2.0", 75, "file is a symbolic link");
	text = slurp("target", &len);
	ck_assert_str_eq(text, "old\n");
	free(text);
	ck_assert_int_eq(fstatat(basefd, "dom/user.lock", &st, 0), -1);
}
END_TEST

START_TEST(test_mbox_hardlink)
{
	size_t	len;
	char	*text;

	make_dir("dom");
	make_file("dom/user", "old\n");
	ck_assert_int_eq(linkat(basefd, "dom/user", basefd, "dom/other", 0), 0);
	refused("4.2.0", 75, "file has 2 hard links");
	text = slurp("dom/user", &len);
	ck_assert_str_eq(text, "old\n");
	free(text);
	ck_assert_int_eq(count_dir("dom", NULL, 0), 2);	/* lock removed */
}
END_TEST

START_TEST(test_mbox_directory)
{
	make_dir("dom");
	make_dir("dom/user");
	refused("4.2.0", 75, "Is a directory");
	ck_assert_int_eq(count_dir("dom/user", NULL, 0), 0);
}
END_TEST

START_TEST(test_mbox_fifo)
{
	struct stat st;

	make_dir("dom");
	ck_assert_int_eq(mkfifoat(basefd, "dom/user", 0600), 0);
	refused("5.3.5", 78, "is not a regular file");
	stat_rel("dom/user", &st);
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_int_eq(count_dir("dom", NULL, 0), 1);	/* no dotlock */
}
END_TEST

START_TEST(test_mbox_owner)
{
	struct dstatus why;
	size_t	len;
	char	*text;

	if (!is_root()) {
		printf("SKIP test_mbox_owner: needs root\n");
		return;
	}
	make_dir("dom");
	make_file("dom/user", "old\n");
	ck_assert_int_eq(fchownat(basefd, "dom/user", TEST_UID + 1, TEST_GID,
	    0), 0);
	ck_assert_int_eq(fchmodat(basefd, "dom/user", 0666, 0), 0);
	refused("4.2.0", 75, "is not owned by recipient");
	text = slurp("dom/user", &len);
	ck_assert_str_eq(text, "old\n");
	free(text);

	vc.strict_ownership = 0;
	ck_assert_int_eq(deliver("dom/user", 0, SENDER, BODY_IN, &why), 0);
	text = slurp("dom/user", &len);
	ck_assert_int_eq(strncmp(text, "old\nFrom " SENDER "  ",
	    strlen("old\nFrom " SENDER "  ")), 0);
	free(text);
}
END_TEST

/* Over the limit: 5.2.2 and the mailbox back to its exact bytes. */
START_TEST(test_mbox_limit)
{
	struct dstatus why;
	size_t	len, one, len2;
	char	*before, *after;

	ck_assert_int_eq(deliver("user", 0, SENDER, BODY_IN, &why), 0);
	before = slurp("user", &one);
	/* Refused before writing (even the unquoted copy is too big). */
	vc.mailbox_limit = one + 10;
	ck_assert_int_eq(deliver("user", 0, SENDER, BODY_IN, &why), -1);
	assert_status(&why, "5.2.2", 73, "error writing message: File too large");
	after = slurp("user", &len);
	ck_assert_int_eq(len, one);
	ck_assert_int_eq(memcmp(before, after, one), 0);
	free(after);
	/* One byte short: only the From quoting overflows, mid-write. */
	vc.mailbox_limit = 2 * one - 1;
	ck_assert_int_eq(deliver("user", 0, SENDER, BODY_IN, &why), -1);
	assert_status(&why, "5.2.2", 73, "File too large");
	after = slurp("user", &len2);
	ck_assert_int_eq(len2, one);
	ck_assert_int_eq(memcmp(before, after, one), 0);
	free(after);
	/* Exactly enough. */
	vc.mailbox_limit = 2 * one;
	ck_assert_int_eq(deliver("user", 0, SENDER, BODY_IN, &why), 0);
	free(slurp("user", &len));
	ck_assert_int_eq(len, 2 * one);
	free(before);
}
END_TEST

START_TEST(test_mbox_limit_partial)
{
	struct dstatus why;
	size_t	one, len;
	char	*body = big_body(), *before, *after;

	ck_assert_int_eq(deliver("user", 0, SENDER, body, &why), 0);
	before = slurp("user", &one);
	vc.mailbox_limit = 2 * one - 1;
	ck_assert_int_eq(deliver("user", 0, SENDER, body, &why), -1);
	assert_status(&why, "5.2.2", 73, "File too large");
	after = slurp("user", &len);
	ck_assert_int_eq(len, one);
	ck_assert_int_eq(memcmp(before, after, one), 0);
	free(after);
	free(before);
	free(body);
}
END_TEST

/*
 * A full file system, for real: as root, a 256 KB tmpfs mounted on the
 * base in a private mount namespace (this test process only).
 */
START_TEST(test_enospc)
{
	struct dstatus why;
	size_t	one, len;
	char	opts[64], *body = big_body(), *big, *before, *after;

	if (!is_root() || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("SKIP test_enospc: needs root and mount namespaces\n");
		free(body);
		return;
	}
	snprintf(opts, sizeof(opts), "size=256k,mode=0755,uid=%d,gid=%d",
	    TEST_UID, TEST_GID);
	ck_assert_int_eq(mount("tmpfs", base, "tmpfs", 0, opts), 0);
	close(basefd);
	basefd = open(base, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(basefd, 0);
	ck_assert_int_eq(deliver("user", 0, SENDER, BODY_IN, &why), 0);
	before = slurp("user", &one);
	big = malloc(2 * strlen(body) + 1);
	strcat(strcpy(big, body), body);	/* 420 KB */
	ck_assert_int_eq(deliver("user", 0, SENDER, big, &why), -1);
	assert_status(&why, "4.3.0", 75, "No space left on device");
	after = slurp("user", &len);
	ck_assert_int_eq(len, one);
	ck_assert_int_eq(memcmp(before, after, one), 0);
	ck_assert_int_eq(deliver("md", 1, SENDER, big, &why), -1);
	assert_status(&why, "4.3.0", 75, "No space left on device");
	ck_assert_int_eq(count_dir("md/tmp", NULL, 0), 0);
	ck_assert_int_eq(count_dir("md/new", NULL, 0), 0);
	free(after);
	free(before);
	free(big);
	free(body);
	close(basefd);
	ck_assert_int_eq(umount2(base, MNT_DETACH), 0);
	basefd = open(base, O_RDONLY | O_DIRECTORY);
}
END_TEST

START_TEST(test_mbox_dotlock_held)
{
	struct dstatus why;
	struct stat st;
	size_t	len;
	char	*text;
	int	fd;

	make_dir("dom");
	make_file("dom/user", "old\n");
	fd = openat(basefd, "dom/user.lock", O_WRONLY | O_CREAT | O_EXCL, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(deliver("dom/user", 0, SENDER, BODY_IN, &why), -1);
	assert_status(&why, "4.2.0", 75, "/dom/user.lock: File exists");
	text = slurp("dom/user", &len);
	ck_assert_str_eq(text, "old\n");
	free(text);
	stat_rel("dom/user.lock", &st);		/* not ours to remove */
}
END_TEST

START_TEST(test_mbox_fcntl_held)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	struct dstatus why;
	size_t	len;
	char	*text;
	int	fd;

	make_dir("dom");
	make_file("dom/user", "old\n");
	/* fcntl locks are per process: the delivery child cannot get it. */
	fd = openat(basefd, "dom/user", O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_SETLK, &fl), 0);
	ck_assert_int_eq(deliver("dom/user", 0, SENDER, BODY_IN, &why), -1);
	assert_status(&why, "4.2.0", 75, "unable to lock for exclusive access: "
	    "Resource temporarily unavailable");
	text = slurp("dom/user", &len);
	ck_assert_str_eq(text, "old\n");
	free(text);
	ck_assert_int_eq(count_dir("dom", NULL, 0), 1);	/* dotlock gone */
	close(fd);
	ck_assert_int_eq(deliver("dom/user", 0, SENDER, BODY_IN, &why), 0);
}
END_TEST

START_TEST(test_mbox_symlink_dir)
{
	make_dir("real");
	ck_assert_int_eq(symlinkat("real", basefd, "dom"), 0);
	refused("4.2.0", 75, "symbolic link");
	ck_assert_int_eq(count_dir("real", NULL, 0), 0);
}
END_TEST

/*
 * mbox.c counts the "From " lines to quote before writing (the crash
 * journal records the final size) and refuses a copy of another length:
 * "From " lines starting at each offset around the 64 KiB chunks of that
 * count, in memory and (past 128 KiB) in the spool file.
 */
START_TEST(test_mbox_quote_chunks)
{
	static const long at[] = {65530, 65531, 65532, 65533, 65534, 65535,
	    65536, 65537, 131066, 131068, 131071, 131072, 131073};
	struct dstatus why;
	size_t	i, len, head = strlen("Subject: q\n\n");
	char	*body, *text;
	long	p;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		p = at[i];
		body = malloc(p + 64);
		memcpy(body, "Subject: q\n\n", head);
		memset(body + head, 'a', p - head - 1);
		strcpy(body + p - 1, "\nFrom x\nFrom y");
		ck_assert_msg(deliver("user", 0, SENDER, body, &why) == 0,
		    "From at %ld: %s", p, why.text);
		text = slurp("user", &len);
		ck_assert_str_eq(text + len - 18, "\n>From x\n>From y\n\n");
		ck_assert_int_eq(unlinkat(basefd, "user", 0), 0);
		free(text);
		free(body);
	}
}
END_TEST

static Suite *
mbox_suite(void)
{
	Suite	*s = suite_create("mbox");
	TCase	*tc = tcase_create("mbox");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_mbox_exact);
	tcase_add_test(tc, test_mbox_append);
	tcase_add_test(tc, test_mbox_symlink);
	tcase_add_test(tc, test_mbox_hardlink);
	tcase_add_test(tc, test_mbox_directory);
	tcase_add_test(tc, test_mbox_fifo);
	tcase_add_test(tc, test_mbox_owner);
	tcase_add_test(tc, test_mbox_limit);
	tcase_add_test(tc, test_mbox_limit_partial);
	tcase_add_test(tc, test_enospc);
	tcase_add_test(tc, test_mbox_dotlock_held);
	tcase_add_test(tc, test_mbox_fcntl_held);
	tcase_add_test(tc, test_mbox_symlink_dir);
	tcase_add_test(tc, test_mbox_quote_chunks);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(mbox_suite()) == 0 ? 0 : 1);
}
