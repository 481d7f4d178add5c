/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_map_util.h - helpers shared by the map check suites (check_map,
 * check_map_db): a temporary directory per test, Berkeley DB files made
 * with the real API, lookups that assert their outcome, and a capture of
 * stderr, where warnings go when log_verbose is on.
 */
#ifndef VDELIVER_CHECK_MAP_UTIL_H
#define VDELIVER_CHECK_MAP_UTIL_H

#include <check.h>
#include <db.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_util.h"
#include "log.h"
#include "map.h"
#include "status.h"

static char *dir;

static inline void
setup(void)
{
	dir = tu_mkdtemp();
}

static inline void
teardown(void)
{
	tu_rmtree(dir);
	free(dir);
}

/* Build dir/name.db with the Berkeley DB API; pairs end with NULL. */
static inline char *
make_db(const char *name, DBTYPE type, const char *const pairs[], int nul)
{
	char	*path, *dbpath;
	DB	*db;
	DBT	k, v;
	int	i;

	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	ck_assert_int_ge(asprintf(&dbpath, "%s.db", path), 0);
	ck_assert_int_eq(db_create(&db, NULL, 0), 0);
	ck_assert_int_eq(db->open(db, NULL, dbpath, NULL, type, DB_CREATE,
	    0644), 0);
	for (i = 0; pairs[i] != NULL; i += 2) {
		memset(&k, 0, sizeof(k));
		memset(&v, 0, sizeof(v));
		k.data = (void *)pairs[i];
		k.size = (u_int32_t)(strlen(pairs[i]) + (nul ? 1 : 0));
		v.data = (void *)pairs[i + 1];
		v.size = (u_int32_t)(strlen(pairs[i + 1]) + (nul ? 1 : 0));
		ck_assert_int_eq(db->put(db, NULL, &k, &v, 0), 0);
	}
	ck_assert_int_eq(db->close(db, 0), 0);
	free(dbpath);
	return (path);
}

/* Open "type:path" strictly; the test fails if it cannot. */
static inline struct map *
open_ok(const char *type, const char *path, int flags)
{
	struct dstatus why;
	struct map *map;
	char	*spec;

	ck_assert_int_ge(asprintf(&spec, "%s:%s", type, path), 0);
	map = map_open_strict(spec, flags, &why);
	ck_assert_msg(map != NULL, "open %s: %s", spec, why.text);
	free(spec);
	return (map);
}

/* Lookup expecting a value (want != NULL) or "not found" (want NULL). */
static inline void
expect(struct map *map, const char *key, const char *want)
{
	struct dstatus why;
	enum map_result r;
	char	*value;

	r = map_lookup(map, key, &value, &why);
	if (want == NULL) {
		ck_assert_msg(r == MAP_NOTFOUND, "%s: %s: result %d (%s)",
		    map->spec, key, r, r == MAP_ERROR ? why.text : "found");
		return;
	}
	ck_assert_msg(r == MAP_FOUND, "%s: %s: result %d (%s)", map->spec,
	    key, r, r == MAP_ERROR ? why.text : "not found");
	ck_assert_str_eq(value, want);
	free(value);
}

/* Lookup expecting an error whose text contains `part'. */
static inline void
expect_error(struct map *map, const char *key, const char *part)
{
	struct dstatus why;
	char	*value;

	ck_assert_int_eq(map_lookup(map, key, &value, &why), MAP_ERROR);
	ck_assert_ptr_null(value);
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_int_eq(why.ex, 75);
	ck_assert_msg(strstr(why.text, part) != NULL, "[%s] lacks [%s]",
	    why.text, part);
}

/* stderr (where -v sends warnings) into a file, and back. */
static int saved_stderr = -1;

static inline void
capture_start(void)
{
	char	*path;
	int	fd;

	ck_assert_int_ge(asprintf(&path, "%s/stderr", dir), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
	free(path);
	log_verbose_enable(1);
}

static inline char *
capture_end(void)
{
	char	*path, *text;
	FILE	*fp;
	long	len;

	log_verbose_enable(0);
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	ck_assert_int_ge(asprintf(&path, "%s/stderr", dir), 0);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)len + 1);
	ck_assert_int_eq(fread(text, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	free(path);
	return (text);
}

#endif
