/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmap.c - build, query and dump lookup tables (the postmap of vdeliver).
 *
 *	vmap [-fv] [-c config] [type:]/path...		build /path.db
 *	vmap [-fv] [-c config] -q key [type:]name...	print the value
 *	vmap [-fv] [-c config] -s [type:]name...	print every pair
 *
 * A name without a type means hash:, as postmap.  Building reads the
 * source with the texthash reader (so the two can never disagree about
 * the format or about which duplicate wins), writes every pair
 * NUL-terminated (byte-compatible with postmap) into a temporary file in
 * the same directory, fsyncs it and renames it over /path.db, then fsyncs
 * the directory: readers see the old table or the new one, never a
 * half-built one, and a failed build leaves the old table alone.  The new
 * .db gets the source's owner (when run as root) and mode 0644 limited to
 * the read bits the source grants, as postmap.
 *
 * Exit: 0 built / found, 1 not found, 75 error (message on stderr), 64
 * usage.  Keys (built and queried) are lower-cased unless -f.
 */
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/stat.h>

#include "address.h"
#include "log.h"
#include "map.h"
#include "map_db.h"
#include "status.h"

#define VMAP_NOTFOUND	1
#define VMAP_BUILD_CACHE (16 * 1024 * 1024)	/* postmap's db_create_buf */

/* What one build writes to. */
struct vmap_build {
	const struct map_db_lib *lib;
	DB	*db;
	const char *tmp;
	struct dstatus *why;
};

static void
vmap_usage(void)
{
	fprintf(stderr, "usage: vmap [-fv] [-c config] [type:]/path...\n"
	    "       vmap [-fv] [-c config] -q key [type:]name...\n"
	    "       vmap [-fv] [-c config] -s [type:]name...\n");
	exit(EX_USAGE);
}

/* "type:name", with hash: in front of a bare name (malloc'd). */
static char *
vmap_spec(const char *arg)
{
	char	*spec;

	if (strchr(arg, ':') != NULL)
		spec = strdup(arg);
	else if (asprintf(&spec, "hash:%s", arg) < 0)
		spec = NULL;
	if (spec == NULL) {
		fprintf(stderr, "vmap: out of memory\n");
		exit(EX_TEMPFAIL);
	}
	return (spec);
}

/* texthash dump callback: store one pair the way postmap does. */
static int
vmap_put(const char *key, const char *value, void *ctx)
{
	struct vmap_build *b = ctx;
	DBT	k, v;
	int	r;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)strlen(key) + 1;
	v.data = (void *)value;
	v.size = (u_int32_t)strlen(value) + 1;
	if ((r = b->db->put(b->db, NULL, &k, &v, DB_NOOVERWRITE)) != 0) {
		status_set(b->why, "4.3.5", "write %s: key \"%s\": %s", b->tmp,
		    key, b->lib->errstr(r));
		return (-1);
	}
	return (0);
}

/* Berkeley DB chatter has no place on a tool's stderr; codes suffice. */
static void
vmap_db_quiet(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	(void)msg;
}

/* Fill the open, empty temporary file fd with the pairs of src. */
static int
vmap_fill(struct map *src, DBTYPE type, const char *tmp, int fd,
    struct dstatus *why)
{
	struct vmap_build b = { NULL, NULL, tmp, why };
	int	r;

	if ((b.lib = map_db_lib_load(why)) == NULL)
		return (-1);
	if ((r = b.lib->create(&b.db, NULL, 0)) != 0) {
		status_set(why, "4.3.5", "create %s: %s", tmp,
		    b.lib->errstr(r));
		return (-1);
	}
	b.db->set_errcall(b.db, vmap_db_quiet);
	/* A hash table is built fast only with a cache of its size. */
	(void)b.db->set_cachesize(b.db, 0, VMAP_BUILD_CACHE, 0);
	if ((r = b.db->open(b.db, NULL, tmp, NULL, type, DB_CREATE, 0)) != 0) {
		status_set(why, "4.3.5", "create %s: %s", tmp,
		    b.lib->errstr(r));
		b.db->close(b.db, 0);
		return (-1);
	}
	if (src->ops->dump(src, vmap_put, &b, why) != 0) {
		b.db->close(b.db, 0);
		return (-1);
	}
	/* close() writes every cached page; fsync makes them durable. */
	if ((r = b.db->close(b.db, 0)) != 0) {
		status_set(why, "4.3.5", "write %s: %s", tmp,
		    b.lib->errstr(r));
		return (-1);
	}
	if (fsync(fd) < 0) {
		status_set(why, "4.3.5", "fsync %s: %s", tmp, strerror(errno));
		return (-1);
	}
	return (0);
}

/* Give the new table the source's owner and read permissions. */
static int
vmap_set_perms(int fd, const char *tmp, const struct stat *st,
    struct dstatus *why)
{
	if (geteuid() == 0 && fchown(fd, st->st_uid, st->st_gid) < 0) {
		status_set(why, "4.3.5", "chown %s: %s", tmp, strerror(errno));
		return (-1);
	}
	if (fchmod(fd, 0600 | (st->st_mode & 044)) < 0) {
		status_set(why, "4.3.5", "chmod %s: %s", tmp, strerror(errno));
		return (-1);
	}
	return (0);
}

/* fsync the directory that holds path, so the rename is durable. */
static int
vmap_sync_dir(const char *path, struct dstatus *why)
{
	char	*copy, *dir;
	int	fd, rc = 0;

	if ((copy = strdup(path)) == NULL) {
		status_set(why, "4.3.0", "out of memory");
		return (-1);
	}
	dir = dirname(copy);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(fd) < 0) {
		status_set(why, "4.3.5", "fsync directory %s: %s", dir,
		    strerror(errno));
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	free(copy);
	return (rc);
}

/* Write src into a temporary file beside dbpath and rename it over. */
static int
vmap_write(struct map *src, DBTYPE type, const char *dbpath,
    const struct stat *st, struct dstatus *why)
{
	char	*tmp;
	int	fd, rc = -1;

	if (asprintf(&tmp, "%s.vmapXXXXXX", dbpath) < 0) {
		status_set(why, "4.3.0", "out of memory");
		return (-1);
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		status_set(why, "4.3.5", "create temporary file %s: %s", tmp,
		    strerror(errno));
		free(tmp);
		return (-1);
	}
	if (vmap_set_perms(fd, tmp, st, why) == 0 &&
	    vmap_fill(src, type, tmp, fd, why) == 0) {
		if (rename(tmp, dbpath) == 0)
			rc = vmap_sync_dir(dbpath, why);
		else
			status_set(why, "4.3.5", "rename %s to %s: %s", tmp,
			    dbpath, strerror(errno));
	}
	close(fd);
	if (rc < 0)
		(void)unlink(tmp);
	free(tmp);
	return (rc);
}

static int
vmap_build(const char *spec, int open_flags, struct dstatus *why)
{
	const char *path = strchr(spec, ':') + 1;
	char	*srcspec = NULL, *dbpath = NULL;
	struct map *src = NULL;
	struct stat st;
	DBTYPE	type;
	int	rc = -1;

	if (strncmp(spec, "hash:", 5) == 0)
		type = DB_HASH;
	else if (strncmp(spec, "btree:", 6) == 0)
		type = DB_BTREE;
	else {
		status_set(why, "4.3.5", "%s: only hash and btree tables are "
		    "built; other types are used as they are", spec);
		return (-1);
	}
	if (stat(path, &st) < 0) {
		status_set(why, "4.3.5", "open %s: %s", path, strerror(errno));
		return (-1);
	}
	if (asprintf(&srcspec, "texthash:%s", path) < 0 ||
	    asprintf(&dbpath, "%s.db", path) < 0) {
		status_set(why, "4.3.0", "out of memory");
		goto out;
	}
	if ((src = map_open_strict(srcspec, open_flags, why)) != NULL)
		rc = vmap_write(src, type, dbpath, &st, why);
out:
	map_close(src);
	free(srcspec);
	free(dbpath);
	return (rc);
}

/* -q: the first map that has key answers. */
static int
vmap_query(const char *key, char **specs, int n, int open_flags,
    int verbose, struct dstatus *why)
{
	struct map *map;
	enum map_result r = MAP_NOTFOUND;
	char	*value;
	int	i;

	for (i = 0; i < n && r == MAP_NOTFOUND; i++) {
		if ((map = map_open_strict(specs[i], open_flags, why)) == NULL)
			return (-1);
		/* Lookups are traced only with -v; warnings always show. */
		log_verbose_enable(verbose);
		r = map_lookup(map, key, &value, why);
		log_verbose_enable(1);
		if (r == MAP_FOUND) {
			if (*value == '\0')
				log_warn("table %s: key %s: empty string "
				    "result is not allowed", specs[i], key);
			printf("%s\n", value);
			free(value);
		}
		map_close(map);
	}
	if (r == MAP_ERROR)
		return (-1);
	return (r == MAP_FOUND ? 0 : VMAP_NOTFOUND);
}

static int
vmap_print(const char *key, const char *value, void *ctx)
{
	(void)ctx;
	/* A tab, as postmap -s: the output is itself a valid source. */
	return (printf("%s\t%s\n", key, value) < 0 ? -1 : 0);
}

/* -s: every pair of every map. */
static int
vmap_dump(char **specs, int n, int open_flags, struct dstatus *why)
{
	struct map *map;
	int	i, r;

	for (i = 0; i < n; i++) {
		if ((map = map_open_strict(specs[i], open_flags, why)) == NULL)
			return (-1);
		if (map->ops->dump == NULL) {
			status_set(why, "4.3.5", "%s: a table of type %s "
			    "cannot be listed", specs[i], map->ops->type);
			r = -1;
		} else if ((r = map->ops->dump(map, vmap_print, NULL,
		    why)) != 0) {
			if (ferror(stdout))
				status_set(why, "4.3.0", "write standard "
				    "output: %s", strerror(errno));
			r = -1;
		}
		map_close(map);
		if (r < 0)
			return (-1);
	}
	return (0);
}

/* Run the operation on every operand; the exit code. */
static int
vmap_run(const char *query, int dump, char **specs, int n, int open_flags,
    int verbose)
{
	struct dstatus why;
	char	*key = NULL;
	int	i, r = 0;

	if (query != NULL) {
		/* vdeliver looks up folded addresses: query what it sees. */
		key = (open_flags & MAP_OPEN_NOFOLD) ? strdup(query) :
		    address_fold(query);
		if (key == NULL) {
			fprintf(stderr, "vmap: out of memory\n");
			return (EX_TEMPFAIL);
		}
		r = vmap_query(key, specs, n, open_flags, verbose, &why);
		free(key);
	} else if (dump) {
		r = vmap_dump(specs, n, open_flags, &why);
	} else {
		for (i = 0; i < n && r == 0; i++)
			r = vmap_build(specs[i], open_flags, &why);
	}
	if (r == 0 && fflush(stdout) != 0) {
		status_set(&why, "4.3.0", "write standard output: %s",
		    strerror(errno));
		r = -1;
	}
	if (r < 0) {
		fprintf(stderr, "vmap: %s\n", why.text);
		return (EX_TEMPFAIL);
	}
	return (r);
}

int
main(int argc, char **argv)
{
	struct dstatus why;
	const char *query = NULL;
	char	**specs;
	int	ch, i, dump = 0, verbose = 0, open_flags = 0, rc;

	while ((ch = getopt(argc, argv, "c:fq:sv")) != -1) {
		switch (ch) {
		case 'c':
			/* Accepted for scripts written for later versions. */
			break;
		case 'f':
			open_flags |= MAP_OPEN_NOFOLD;
			break;
		case 'q':
			query = optarg;
			break;
		case 's':
			dump = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			vmap_usage();
		}
	}
	if (optind >= argc || (query != NULL && dump))
		vmap_usage();
	/* Warnings (duplicates, stale tables) go to stderr and the log. */
	if (log_open("vmap", "mail", NULL, &why) < 0)
		fprintf(stderr, "vmap: %s\n", why.text);
	log_verbose_enable(1);
	if ((specs = calloc((size_t)(argc - optind), sizeof(*specs))) == NULL) {
		fprintf(stderr, "vmap: out of memory\n");
		return (EX_TEMPFAIL);
	}
	for (i = optind; i < argc; i++)
		specs[i - optind] = vmap_spec(argv[i]);
	rc = vmap_run(query, dump, specs, argc - optind, open_flags, verbose);
	for (i = 0; i < argc - optind; i++)
		free(specs[i]);
	free(specs);
	log_close();
	return (rc);
}
