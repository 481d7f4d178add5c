/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_map_db.c - hash and btree maps on Berkeley DB files made with the
 * real API, with and without trailing NULs: lookups, the sticky NUL form,
 * dumps, missing and corrupt files, the age warning and the shared flock
 * held while opening and while looking up.
 */
#include <poll.h>
#include <time.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "check_map_util.h"

static const char *const types[] = { "hash", "btree" };
static const DBTYPE dbtypes[] = { DB_HASH, DB_BTREE };

static const char *const pairs[] = {
	"u@d", "d/u/", "@d", "d/catchall", "x@e", "", NULL
};

struct dumped {
	char	text[512];
};

static int
dump_pair(const char *key, const char *value, void *ctx)
{
	struct dumped *d = ctx;
	size_t	len = strlen(d->text);

	/* Lengths too: a NUL left on a key or value must show. */
	snprintf(d->text + len, sizeof(d->text) - len, "%s(%zu)=%s(%zu)\n",
	    key, strlen(key), value, strlen(value));
	return (0);
}

/* Loop over {hash, btree} x {with NUL, without NUL}. */
START_TEST(test_db_lookup)
{
	const char *type = types[_i / 2];
	int	nul = _i % 2;
	struct dumped d = { "" };
	struct dstatus why;
	struct map *map;
	char	*path;

	path = make_db("m", dbtypes[_i / 2], pairs, nul);
	map = open_ok(type, path, 0);
	expect(map, "u@d", "d/u/");
	expect(map, "@d", "d/catchall");
	expect(map, "x@e", "");
	expect(map, "U@D", NULL);
	expect(map, "u", NULL);
	expect(map, "nobody@d", NULL);
	ck_assert_int_eq(map->ops->dump(map, dump_pair, &d, &why), 0);
	ck_assert_ptr_nonnull(strstr(d.text, "u@d(3)=d/u/(4)\n"));
	ck_assert_ptr_nonnull(strstr(d.text, "@d(2)=d/catchall(10)\n"));
	ck_assert_ptr_nonnull(strstr(d.text, "x@e(3)=(0)\n"));
	if (dbtypes[_i / 2] == DB_BTREE)
		ck_assert_str_eq(d.text, "@d(2)=d/catchall(10)\n"
		    "u@d(3)=d/u/(4)\nx@e(3)=(0)\n");
	map_close(map);
	free(path);
}
END_TEST

/* A file with one key of each form: the first form that hits sticks. */
START_TEST(test_db_sticky_nul)
{
	const char *const with[] = { "a", "1", NULL };
	char	*path, *dbpath;
	struct map *map;
	DB	*db;
	DBT	k, v;

	path = make_db("mixed", dbtypes[_i], with, 1);
	ck_assert_int_ge(asprintf(&dbpath, "%s.db", path), 0);
	ck_assert_int_eq(db_create(&db, NULL, 0), 0);
	ck_assert_int_eq(db->open(db, NULL, dbpath, NULL, dbtypes[_i], 0, 0),
	    0);
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = "b";
	k.size = 1;
	v.data = "2";
	v.size = 1;
	ck_assert_int_eq(db->put(db, NULL, &k, &v, 0), 0);
	ck_assert_int_eq(db->close(db, 0), 0);
	map = open_ok(types[_i], path, 0);
	expect(map, "a", "1");
	expect(map, "b", NULL);
	map_close(map);
	map = open_ok(types[_i], path, 0);
	expect(map, "b", "2");
	expect(map, "a", NULL);
	map_close(map);
	free(dbpath);
	free(path);
}
END_TEST

START_TEST(test_db_missing)
{
	struct dstatus why;
	struct map *map;
	char	*spec, *want;

	ck_assert_int_ge(asprintf(&spec, "%s:%s/none", types[_i], dir), 0);
	ck_assert_int_ge(asprintf(&want, "open database %s/none.db: No such "
	    "file or directory", dir), 0);
	ck_assert_ptr_null(map_open_strict(spec, 0, &why));
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_str_eq(why.text, want);
	map = map_open(spec, 0);
	expect_error(map, "u@d", want);
	expect_error(map, "@d", want);
	map_close(map);
	free(want);
	free(spec);
}
END_TEST

/* Garbage, an empty file and the other DB type are all open errors. */
START_TEST(test_db_corrupt)
{
	char	garbage[8192], *path, *spec;
	struct dstatus why;
	struct map *map;
	size_t	i;

	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)(1 + (i * 7919) % 251);
	garbage[sizeof(garbage) - 1] = '\0';
	free(tu_write(dir, "junk.db", garbage));
	free(tu_write(dir, "empty.db", ""));
	path = make_db("other", dbtypes[1 - _i], pairs, 1);
	ck_assert_int_ge(asprintf(&spec, "%s:%s/junk", types[_i], dir), 0);
	map = map_open(spec, 0);
	expect_error(map, "u@d", "open database ");
	expect_error(map, "u@d", "/junk.db: ");
	map_close(map);
	free(spec);
	ck_assert_int_ge(asprintf(&spec, "%s:%s/empty", types[_i], dir), 0);
	ck_assert_ptr_null(map_open_strict(spec, 0, &why));
	ck_assert_ptr_nonnull(strstr(why.text, "/empty.db: "));
	free(spec);
	ck_assert_int_ge(asprintf(&spec, "%s:%s", types[_i], path), 0);
	ck_assert_ptr_null(map_open_strict(spec, 0, &why));
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_ptr_nonnull(strstr(why.text, "/other.db: "));
	free(spec);
	free(path);
}
END_TEST

static void
set_mtime(const char *path, time_t t)
{
	struct timeval tv[2] = { { t, 0 }, { t, 0 } };

	ck_assert_int_eq(utimes(path, tv), 0);
}

/* Open the map with stderr captured; the captured text. */
static char *
open_captured(const char *path)
{
	struct map *map;

	capture_start();
	map = open_ok("hash", path, 0);
	map_close(map);
	return (capture_end());
}

START_TEST(test_db_age)
{
	time_t	now = time(NULL);
	char	*path, *dbpath, *err, *want;

	path = make_db("aged", DB_HASH, pairs, 1);
	ck_assert_int_ge(asprintf(&dbpath, "%s.db", path), 0);
	ck_assert_int_ge(asprintf(&want, "database %s is older than source "
	    "file %s", dbpath, path), 0);
	free(tu_write(dir, "aged", "u@d d/u/\n"));
	set_mtime(dbpath, now - 1000);
	set_mtime(path, now - 500);
	err = open_captured(path);
	ck_assert_msg(strstr(err, want) != NULL, "[%s]", err);
	free(err);
	/* Edited seconds ago: a rebuild may be under way; no warning. */
	set_mtime(path, now - 5);
	err = open_captured(path);
	ck_assert_str_eq(err, "");
	free(err);
	set_mtime(path, now - 2000);
	err = open_captured(path);
	ck_assert_str_eq(err, "");
	free(err);
	free(want);
	free(dbpath);
	free(path);
}
END_TEST

/* Has the child finished?  Waits up to ms. */
static int
child_done(pid_t pid, int ms, int *status)
{
	for (; ms > 0; ms -= 10) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return (1);
		usleep(10000);
	}
	return (0);
}

/* Is there something to read on fd within ms? */
static int
readable(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return (poll(&p, 1, ms) == 1);
}

/*
 * A writer's exclusive flock holds back both the open and each lookup
 * until it is released.
 */
START_TEST(test_db_flock)
{
	int	go[2], ready[2], lock_fd, status;
	char	*path, *dbpath, c = 'x';
	struct map *map;
	pid_t	pid;

	path = make_db("locked", dbtypes[_i], pairs, 1);
	ck_assert_int_ge(asprintf(&dbpath, "%s.db", path), 0);
	ck_assert_int_ge(lock_fd = open(dbpath, O_RDONLY), 0);
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(flock(lock_fd, LOCK_EX), 0);
	if ((pid = fork()) == 0) {
		map = open_ok(types[_i], path, 0);
		(void)!write(ready[1], &c, 1);
		(void)!read(go[0], &c, 1);
		expect(map, "u@d", "d/u/");
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(readable(ready[0], 300), 0);	/* open waits */
	ck_assert_int_eq(flock(lock_fd, LOCK_UN), 0);
	ck_assert_int_eq(readable(ready[0], 5000), 1);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_int_eq(flock(lock_fd, LOCK_EX), 0);
	ck_assert_int_eq(write(go[1], &c, 1), 1);
	ck_assert_int_eq(child_done(pid, 300, &status), 0);	/* lookup too */
	ck_assert_int_eq(flock(lock_fd, LOCK_UN), 0);
	ck_assert_int_eq(child_done(pid, 5000, &status), 1);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child status %d", status);
	close(lock_fd);
	free(dbpath);
	free(path);
}
END_TEST

static Suite *
map_db_suite(void)
{
	Suite	*s = suite_create("map_db");
	TCase	*tc = tcase_create("map_db");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_db_lookup, 0, 4);
	tcase_add_loop_test(tc, test_db_sticky_nul, 0, 2);
	tcase_add_loop_test(tc, test_db_missing, 0, 2);
	tcase_add_loop_test(tc, test_db_corrupt, 0, 2);
	tcase_add_test(tc, test_db_age);
	tcase_add_loop_test(tc, test_db_flock, 0, 2);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(map_db_suite()) == 0 ? 0 : 1);
}
