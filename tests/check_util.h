/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_util.h - helpers shared by the check suites: a temporary
 * directory per test and small file helpers.
 */
#ifndef VDELIVER_CHECK_UTIL_H
#define VDELIVER_CHECK_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* Make a fresh temporary directory; returns a static path buffer copy. */
static inline char *
tu_mkdtemp(void)
{
	char	tmpl[] = "/tmp/vdcheck.XXXXXX";
	char	*d = mkdtemp(tmpl);

	ck_assert_ptr_nonnull(d);
	return (strdup(d));
}

/* Write text to dir/name; returns the malloc'd full path. */
static inline char *
tu_write(const char *dir, const char *name, const char *text)
{
	char	*path;
	FILE	*fp;

	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return (path);
}

/* Remove a directory tree (test cleanup). */
static inline void
tu_rmtree(const char *dir)
{
	char	*cmd;

	if (asprintf(&cmd, "rm -rf '%s'", dir) >= 0) {
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup of %s failed\n", dir);
		free(cmd);
	}
}

/* Run a suite; returns the number of failures (0 = success). */
static inline int
tu_run(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed);
}

#endif
