/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map_db.c - "hash:/path" and "btree:/path": Berkeley DB files /path.db as
 * written by Postfix's postmap (and by vmap).
 *
 * The file is opened read-only, without a DB environment, under a shared
 * flock taken on a separate descriptor before Berkeley DB touches the
 * file; every lookup and dump holds a shared flock on the database's own
 * descriptor.  So a postmap that rewrites the file in place (under an
 * exclusive flock) is never read half-way, and vmap's rename never
 * matters.  Lookups try key+NUL, then the key without NUL, and stick to
 * the form that hit first, as Postfix; values come back without their
 * NUL.  A missing, unreadable or corrupt file is an open error naming the
 * file, so the map becomes a surrogate that defers.  Berkeley DB's own
 * messages are kept in the map and appended to the error: stderr belongs
 * to the DSN line.
 */
#include <db.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "dynlib.h"
#include "log.h"
#include "map.h"
#include "map_db.h"
#include "status.h"

#define MAP_DB_TRY1NULL	0x1	/* keys stored with a trailing NUL */
#define MAP_DB_TRY0NULL	0x2	/* keys stored without */

/* A source edited this recently may be being rebuilt right now. */
#define MAP_DB_AGE_SLACK 100

/* The soname of the library whose db.h we were built with. */
#define MAP_DB_STR(x)	#x
#define MAP_DB_SONAME(maj, min)	"libdb-" MAP_DB_STR(maj) "." MAP_DB_STR(min) ".so"

static const struct dynlib_sym map_db_syms[] = {
	{ "db_create", offsetof(struct map_db_lib, create) },
	{ "db_strerror", offsetof(struct map_db_lib, errstr) },
};

const struct map_db_lib *
map_db_lib_load(struct dstatus *why)
{
	/* Process-wide, like the library itself: filled once. */
	static struct map_db_lib table;
	static struct dynlib lib = {
		.soname = MAP_DB_SONAME(DB_VERSION_MAJOR, DB_VERSION_MINOR),
		.syms = map_db_syms,
		.nsyms = sizeof(map_db_syms) / sizeof(map_db_syms[0]),
		.table = &table,
		.what = "the Berkeley DB library",
	};

	return (dynlib_load(&lib, why) == 0 ? &table : NULL);
}

struct map_db {
	struct map map;
	const struct map_db_lib *lib;
	DB	*db;
	int	fd;		/* the database's own descriptor, for flock */
	int	nul;		/* MAP_DB_TRY*NULL still in play */
	char	*path;		/* "/path.db", for messages */
	char	bdb_msg[256];	/* Berkeley DB's first error message */
};

static void
map_db_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	struct map_db *md = env->app_private;

	(void)pfx;
	if (md != NULL && md->bdb_msg[0] == '\0')
		snprintf(md->bdb_msg, sizeof(md->bdb_msg), " (%s)", msg);
}

static void
map_db_close(struct map *map)
{
	struct map_db *md = (struct map_db *)map;

	if (md->db != NULL)
		md->db->close(md->db, 0);
	free(md->path);
	free(md);
}

/* Warn once when the source changed after the table was built. */
static void
map_db_check_age(const struct map_db *md, const char *source)
{
	struct stat dbst, srcst;

	if (fstat(md->fd, &dbst) == 0 && stat(source, &srcst) == 0 &&
	    srcst.st_mtime > dbst.st_mtime &&
	    srcst.st_mtime < time(NULL) - MAP_DB_AGE_SLACK)
		log_warn("database %s is older than source file %s",
		    md->path, source);
}

/* Open md->path as a DB of the given type; -1 + why. */
static int
map_db_open_file(struct map_db *md, DBTYPE type, struct dstatus *why)
{
	int	r;

	if ((md->lib = map_db_lib_load(why)) == NULL)
		return (-1);
	if ((r = md->lib->create(&md->db, NULL, 0)) != 0) {
		md->db = NULL;
		status_set(why, "4.3.5", "create DB handle for %s: %s",
		    md->path, md->lib->errstr(r));
		return (-1);
	}
	md->db->get_env(md->db)->app_private = md;
	md->db->set_errcall(md->db, map_db_errcall);
	r = md->db->open(md->db, NULL, md->path, NULL, type, DB_RDONLY, 0);
	if (r == 0)
		r = md->db->fd(md->db, &md->fd);
	if (r != 0) {
		status_set(why, "4.3.5", "open database %s: %s%s", md->path,
		    md->lib->errstr(r), md->bdb_msg);
		return (-1);
	}
	if (fcntl(md->fd, F_SETFD, FD_CLOEXEC) < 0) {
		status_set(why, "4.3.5", "open database %s: close-on-exec: %s",
		    md->path, strerror(errno));
		return (-1);
	}
	return (0);
}

static struct map *
map_db_open(const char *name, DBTYPE type, const char *tname,
    struct dstatus *why)
{
	struct map_db *md;
	int	lock_fd, r;

	if ((md = calloc(1, sizeof(*md))) == NULL ||
	    asprintf(&md->path, "%s.db", name) < 0) {
		free(md);
		status_set(why, "4.3.0", "%s:%s: out of memory", tname, name);
		return (NULL);
	}
	/* Lock first, so that an in-place rewrite is never half seen. */
	if ((lock_fd = open(md->path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		status_set(why, "4.3.5", "open database %s: %s", md->path,
		    strerror(errno));
		map_db_close(&md->map);
		return (NULL);
	}
	if (flock(lock_fd, LOCK_SH) < 0) {
		status_set(why, "4.3.5", "shared-lock database %s for open: %s",
		    md->path, strerror(errno));
		r = -1;
	} else {
		r = map_db_open_file(md, type, why);
	}
	close(lock_fd);
	if (r < 0) {
		map_db_close(&md->map);
		return (NULL);
	}
	md->nul = MAP_DB_TRY1NULL | MAP_DB_TRY0NULL;
	map_db_check_age(md, name);
	return (&md->map);
}

/* A malloc'd C string from a DBT, without one trailing NUL. */
static char *
map_db_string(const DBT *d)
{
	size_t	len = d->size;
	char	*s;

	if (len > 0 && ((const char *)d->data)[len - 1] == '\0')
		len--;
	if ((s = malloc(len + 1)) == NULL)
		return (NULL);
	memcpy(s, d->data, len);
	s[len] = '\0';
	return (s);
}

/* One get with or without the NUL; DB's status. */
static int
map_db_get(struct map_db *md, const char *key, int with_nul, char **value_r)
{
	DBT	k, v;
	int	r;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)(strlen(key) + (with_nul ? 1 : 0));
	if ((r = md->db->get(md->db, NULL, &k, &v, 0)) != 0)
		return (r);
	if ((*value_r = map_db_string(&v)) == NULL)
		return (ENOMEM);
	/* The first form that hits is the form of the whole file. */
	md->nul &= with_nul ? ~MAP_DB_TRY0NULL : ~MAP_DB_TRY1NULL;
	return (0);
}

static enum map_result
map_db_lookup(struct map *map, const char *key, char **value_r,
    struct dstatus *why)
{
	struct map_db *md = (struct map_db *)map;
	int	r = DB_NOTFOUND;

	if (flock(md->fd, LOCK_SH) < 0) {
		status_set(why, "4.3.5", "lock database %s: %s", md->path,
		    strerror(errno));
		return (MAP_ERROR);
	}
	md->bdb_msg[0] = '\0';
	if (md->nul & MAP_DB_TRY1NULL)
		r = map_db_get(md, key, 1, value_r);
	if (r == DB_NOTFOUND && (md->nul & MAP_DB_TRY0NULL))
		r = map_db_get(md, key, 0, value_r);
	(void)flock(md->fd, LOCK_UN);
	if (r == 0)
		return (MAP_FOUND);
	if (r == DB_NOTFOUND)
		return (MAP_NOTFOUND);
	status_set(why, r == ENOMEM ? "4.3.0" : "4.3.5",
	    "error reading %s: %s%s", md->path, md->lib->errstr(r), md->bdb_msg);
	return (MAP_ERROR);
}

/* Walk every pair with a cursor; fn's non-zero result stops the walk. */
static int
map_db_walk(struct map_db *md,
    int (*fn)(const char *key, const char *value, void *ctx), void *ctx,
    int *stop_r)
{
	DBC	*c;
	DBT	k, v;
	char	*key, *value;
	int	r;

	if ((r = md->db->cursor(md->db, NULL, &c, 0)) != 0)
		return (r);
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	while (*stop_r == 0 && (r = c->get(c, &k, &v, DB_NEXT)) == 0) {
		key = map_db_string(&k);
		value = map_db_string(&v);
		if (key == NULL || value == NULL)
			r = ENOMEM;
		else
			*stop_r = fn(key, value, ctx);
		free(key);
		free(value);
		if (r != 0)
			break;
	}
	c->close(c);
	return (r == DB_NOTFOUND ? 0 : r);
}

static int
map_db_dump(struct map *map,
    int (*fn)(const char *key, const char *value, void *ctx), void *ctx,
    struct dstatus *why)
{
	struct map_db *md = (struct map_db *)map;
	int	r, stop = 0;

	/* One shared lock for the whole walk: a consistent snapshot. */
	if (flock(md->fd, LOCK_SH) < 0) {
		status_set(why, "4.3.5", "lock database %s: %s", md->path,
		    strerror(errno));
		return (-1);
	}
	md->bdb_msg[0] = '\0';
	r = map_db_walk(md, fn, ctx, &stop);
	(void)flock(md->fd, LOCK_UN);
	if (stop != 0)
		return (stop);
	if (r != 0) {
		status_set(why, r == ENOMEM ? "4.3.0" : "4.3.5",
		    "error reading %s: %s%s", md->path, md->lib->errstr(r),
		    md->bdb_msg);
		return (-1);
	}
	return (0);
}

static struct map *
map_db_hash_open(const char *name, int open_flags, struct dstatus *why)
{
	(void)open_flags;
	return (map_db_open(name, DB_HASH, "hash", why));
}

static struct map *
map_db_btree_open(const char *name, int open_flags, struct dstatus *why)
{
	(void)open_flags;
	return (map_db_open(name, DB_BTREE, "btree", why));
}

const struct map_ops map_hash_ops = {
	.type = "hash",
	.flags = 0,
	.open = map_db_hash_open,
	.lookup = map_db_lookup,
	.dump = map_db_dump,
	.close = map_db_close,
};

const struct map_ops map_btree_ops = {
	.type = "btree",
	.flags = 0,
	.open = map_db_btree_open,
	.lookup = map_db_lookup,
	.dump = map_db_dump,
	.close = map_db_close,
};
