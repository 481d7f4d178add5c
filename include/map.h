/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map.h - lookup tables: "type:name" parsing, the backend registry, map
 * lists and the key-major search.
 *
 * Every lookup returns found (with a value), not found, or error; an error
 * is never turned into "not found".  A map that cannot be opened becomes a
 * surrogate that fails every lookup with the open error, so mail defers
 * instead of bouncing (as Postfix's dict_surrogate).
 */
#ifndef VDELIVER_MAP_H
#define VDELIVER_MAP_H

struct dstatus;

enum map_result {
	MAP_FOUND,
	MAP_NOTFOUND,
	MAP_ERROR
};

/* map_ops.flags */
#define MAP_PATTERN	0x1	/* regexp/pcre: sees only the full address */

/* map_open() flags */
#define MAP_OPEN_NOSUBST 0x1	/* regexp: skip rules with $n substitution */
#define MAP_OPEN_FOLD	 0x2	/* (vmap -q) nothing special; reserved */
#define MAP_OPEN_NOFOLD	 0x4	/* texthash: keep the case of keys (vmap -f) */

struct map;

struct map_ops {
	const char *type;
	int	flags;
	/* name is the part after "type:"; NULL + why on failure */
	struct map *(*open)(const char *name, int open_flags,
		    struct dstatus *why);
	/* *value_r malloc'd on MAP_FOUND; why filled (4.3.5) on MAP_ERROR */
	enum map_result (*lookup)(struct map *map, const char *key,
		    char **value_r, struct dstatus *why);
	/* optional: iterate every pair (vmap -s); NULL = unsupported */
	int	(*dump)(struct map *map,
		    int (*fn)(const char *key, const char *value, void *ctx),
		    void *ctx, struct dstatus *why);
	void	(*close)(struct map *map);
};

/* Embedded first in each backend's private struct. */
struct map {
	const struct map_ops *ops;
	char	*spec;		/* "type:name" as configured */
};

/* Open one "type:name"; never NULL: a surrogate on failure (see above). */
struct map *map_open(const char *spec, int open_flags);
/* As map_open but returns NULL + why on failure (vmap). */
struct map *map_open_strict(const char *spec, int open_flags,
	    struct dstatus *why);
enum map_result map_lookup(struct map *map, const char *key, char **value_r,
	    struct dstatus *why);
void	map_close(struct map *map);
/* Space-separated list of compiled-in types (for -V). */
const char *map_types(void);

struct maplist {
	char	*param;		/* parameter name, for messages */
	int	count;
	struct map **maps;
};

/*
 * Split a list ("type:name" separated by commas and/or white space, with
 * { } grouping text that contains spaces) and open each map.  An empty
 * list is a configuration error (NULL + 4.3.5).
 */
struct maplist *maplist_open(const char *param, const char *value,
	    int open_flags, struct dstatus *why);

/*
 * Check a list's syntax and that every type is compiled in, without
 * opening anything (configuration time): 0, or -1 with 4.3.5.
 */
int	maplist_check(const char *param, const char *value,
	    struct dstatus *why);

/*
 * Key-major search: keys[0] in every map, then keys[1] in every map that
 * is not MAP_PATTERN, ...  Stops at the first hit or the first error.  An
 * empty value is an error.  On MAP_FOUND: *value_r malloc'd, *map_r and
 * *key_r point into the list / keys (may be NULL if not wanted).
 */
enum map_result maplist_search(struct maplist *list, char *const keys[],
	    int nkeys, char **value_r, const char **map_r, const char **key_r,
	    struct dstatus *why);
void	maplist_close(struct maplist *list);

/*
 * Read a postmap source file (texthash, vmap): "key value" per line, value
 * trimmed, a line starting with white space continues the previous one
 * (newline dropped, white space kept), '#' and blank lines skipped (also
 * inside an entry), keys lower-cased unless fold == 0.  A key without a
 * value is skipped with a warning.  fn gets each entry in file order with
 * the line number where it started; a non-zero return stops the read and
 * is returned.  Duplicates are the caller's business.  -1 + 4.3.5 on I/O
 * errors.
 */
int	map_source_read(const char *path, int fold,
	    int (*fn)(const char *key, const char *value, int line, void *ctx),
	    void *ctx, struct dstatus *why);

/*
 * map_regexp.c's pattern scan, for its unit test: the literal every match
 * of pattern (regcomp cflags) contains, into lit (size bytes, NUL added),
 * its length (0: none known); *simple_r when regcomp surely accepts the
 * pattern and it has no groups.  C locale only.
 */
size_t	map_regexp_scan(const char *pattern, int cflags, char *lit,
	    size_t size, int *simple_r);

/* Backends (map_*.c). */
extern const struct map_ops map_static_ops;
extern const struct map_ops map_texthash_ops;
extern const struct map_ops map_hash_ops;
extern const struct map_ops map_btree_ops;
#ifdef HAVE_MYSQL
extern const struct map_ops map_mysql_ops;
#endif
extern const struct map_ops map_regexp_ops;

#endif
