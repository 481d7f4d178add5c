/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map.c - "type:name" parsing, the backend registry, the surrogate map,
 * map lists and the key-major search.
 *
 * Guarantees: a lookup answers found, not found or error, and an error is
 * never turned into "not found".  A map that cannot be opened is replaced
 * by a surrogate that fails every lookup with the open error (4.3.5), so
 * mail for it defers instead of bouncing, as Postfix's dict_surrogate.
 * The list search is key-major (each key in every map before the next
 * key) and stops at the first hit or the first error; an empty value is
 * an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "map.h"
#include "status.h"

#ifdef HAVE_MYSQL
extern const struct map_ops map_mysql_ops;
#endif

/* Every compiled-in backend; optional ones under their #ifdef. */
static const struct map_ops *const map_registry[] = {
	&map_static_ops,
	&map_texthash_ops,
	&map_hash_ops,
	&map_btree_ops,
	&map_regexp_ops,
#ifdef HAVE_MYSQL
	&map_mysql_ops,
#endif
};

#define MAP_NTYPES (sizeof(map_registry) / sizeof(map_registry[0]))

/* What separates the elements of a map list (outside braces). */
#define MAP_LIST_SEP	", \t\r\n"

static const struct map_ops *
map_find_ops(const char *type, size_t len)
{
	size_t	i;

	for (i = 0; i < MAP_NTYPES; i++)
		if (strlen(map_registry[i]->type) == len &&
		    strncmp(map_registry[i]->type, type, len) == 0)
			return (map_registry[i]);
	return (NULL);
}

const char *
map_types(void)
{
	/* Built once from the registry: constant for the process. */
	static char names[128];
	size_t	i, len = 0;

	if (names[0] != '\0')
		return (names);
	for (i = 0; i < MAP_NTYPES && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len,
		    "%s%s", i > 0 ? " " : "", map_registry[i]->type);
	return (names);
}

/*
 * The surrogate: every lookup and dump fails with the saved open error.
 */
struct map_surrogate {
	struct map map;
	struct dstatus why;
};

static enum map_result
map_surrogate_lookup(struct map *map, const char *key, char **value_r,
    struct dstatus *why)
{
	struct map_surrogate *ms = (struct map_surrogate *)map;

	(void)key;
	*value_r = NULL;
	*why = ms->why;
	return (MAP_ERROR);
}

static int
map_surrogate_dump(struct map *map,
    int (*fn)(const char *key, const char *value, void *ctx), void *ctx,
    struct dstatus *why)
{
	struct map_surrogate *ms = (struct map_surrogate *)map;

	(void)fn;
	(void)ctx;
	*why = ms->why;
	return (-1);
}

static void
map_surrogate_close(struct map *map)
{
	free(map);
}

static const struct map_ops map_surrogate_ops = {
	.type = "surrogate",
	.flags = 0,
	.open = NULL,
	.lookup = map_surrogate_lookup,
	.dump = map_surrogate_dump,
	.close = map_surrogate_close,
};

/*
 * When not even a surrogate can be allocated: one shared, static
 * surrogate that map_close() never frees, so that map_open() still never
 * returns NULL.
 */
static struct map_surrogate map_oom = {
	.map = { .ops = &map_surrogate_ops, .spec = "surrogate:out-of-memory" },
	.why = { .ex = 75, .dsn = "4.3.0", .text = "out of memory" },
};

static struct map *
map_surrogate_new(const char *spec, const struct dstatus *why)
{
	struct map_surrogate *ms;

	if ((ms = calloc(1, sizeof(*ms))) == NULL)
		return (NULL);
	if ((ms->map.spec = strdup(spec)) == NULL) {
		free(ms);
		return (NULL);
	}
	ms->map.ops = &map_surrogate_ops;
	ms->why = *why;
	return (&ms->map);
}

struct map *
map_open_strict(const char *spec, int open_flags, struct dstatus *why)
{
	const struct map_ops *ops;
	const char *colon = strchr(spec, ':');
	struct map *map;

	if (colon == NULL || colon == spec) {
		status_set(why, "4.3.5",
		    "need type:name format for a lookup table: \"%s\"", spec);
		return (NULL);
	}
	if ((ops = map_find_ops(spec, (size_t)(colon - spec))) == NULL) {
		status_set(why, "4.3.5", "unsupported dictionary type: %.*s",
		    (int)(colon - spec), spec);
		return (NULL);
	}
	if ((map = ops->open(colon + 1, open_flags, why)) == NULL)
		return (NULL);
	map->ops = ops;
	if ((map->spec = strdup(spec)) == NULL) {
		ops->close(map);
		status_set(why, "4.3.0", "%s: out of memory", spec);
		return (NULL);
	}
	return (map);
}

struct map *
map_open(const char *spec, int open_flags)
{
	struct dstatus why;
	struct map *map;

	if ((map = map_open_strict(spec, open_flags, &why)) != NULL)
		return (map);
	log_debug("%s: unusable, every lookup will fail: %s", spec, why.text);
	if ((map = map_surrogate_new(spec, &why)) != NULL)
		return (map);
	return (&map_oom.map);
}

enum map_result
map_lookup(struct map *map, const char *key, char **value_r,
    struct dstatus *why)
{
	enum map_result r;

	*value_r = NULL;
	/* An empty key is never looked up (Postfix maps.c). */
	if (*key == '\0')
		return (MAP_NOTFOUND);
	r = map->ops->lookup(map, key, value_r, why);
	if (r == MAP_FOUND)
		log_debug("%s: lookup %s: found %s", map->spec, key, *value_r);
	else if (r == MAP_NOTFOUND)
		log_debug("%s: lookup %s: not found", map->spec, key);
	else
		log_debug("%s: lookup %s: error: %s", map->spec, key,
		    why->text);
	return (r);
}

void
map_close(struct map *map)
{
	char	*spec;

	if (map == NULL || map == &map_oom.map)
		return;
	spec = map->spec;
	map->ops->close(map);
	free(spec);
}

/*
 * The next element of a map list at *cp: separators are commas and white
 * space, except inside { }.  Returns 1 with the element, 0 at the end, -1
 * on unbalanced braces.
 */
static int
maplist_next(const char **cp, const char **start_r, size_t *len_r)
{
	const char *p = *cp + strspn(*cp, MAP_LIST_SEP);
	int	depth = 0;

	*start_r = p;
	for (; *p != '\0'; p++) {
		if (*p == '{')
			depth++;
		else if (*p == '}' && --depth < 0)
			return (-1);
		else if (depth == 0 && strchr(MAP_LIST_SEP, *p) != NULL)
			break;
	}
	if (depth != 0)
		return (-1);
	*len_r = (size_t)(p - *start_r);
	*cp = p;
	return (*len_r > 0);
}

/* Open one list element and append it; -1 + why on failure. */
static int
maplist_add(struct maplist *list, const char *start, size_t len,
    int open_flags, struct dstatus *why)
{
	struct map **maps;
	char	*spec;

	if ((spec = strndup(start, len)) == NULL)
		goto nomem;
	if (strchr(spec, ':') == NULL || spec[0] == ':') {
		status_set(why, "4.3.5", "%s: need type:name format: \"%s\"",
		    list->param, spec);
		free(spec);
		return (-1);
	}
	maps = realloc(list->maps, sizeof(*maps) * (size_t)(list->count + 1));
	if (maps == NULL) {
		free(spec);
		goto nomem;
	}
	list->maps = maps;
	list->maps[list->count++] = map_open(spec, open_flags);
	free(spec);
	return (0);
nomem:
	status_set(why, "4.3.0", "%s: out of memory", list->param);
	return (-1);
}

int
maplist_check(const char *param, const char *value, struct dstatus *why)
{
	const char *cp = value, *start, *colon;
	size_t	len;
	int	r, count = 0;

	while ((r = maplist_next(&cp, &start, &len)) > 0) {
		count++;
		colon = memchr(start, ':', len);
		if (colon == NULL || colon == start) {
			status_set(why, "4.3.5", "%s: need type:name format: "
			    "\"%.*s\"", param, (int)len, start);
			return (-1);
		}
		if (map_find_ops(start, (size_t)(colon - start)) == NULL) {
			status_set(why, "4.3.5", "%s: unsupported map type "
			    "\"%.*s\" (compiled in: %s)", param,
			    (int)(colon - start), start, map_types());
			return (-1);
		}
	}
	if (r < 0 || count == 0) {
		status_set(why, "4.3.5", "%s: %s", param, r < 0 ?
		    "unbalanced '{' or '}'" : "no lookup table is specified");
		return (-1);
	}
	return (0);
}

struct maplist *
maplist_open(const char *param, const char *value, int open_flags,
    struct dstatus *why)
{
	struct maplist *list;
	const char *cp = value, *start;
	size_t	len;
	int	r;

	if ((list = calloc(1, sizeof(*list))) == NULL ||
	    (list->param = strdup(param)) == NULL) {
		free(list);
		status_set(why, "4.3.0", "%s: out of memory", param);
		return (NULL);
	}
	while ((r = maplist_next(&cp, &start, &len)) > 0)
		if (maplist_add(list, start, len, open_flags, why) < 0)
			goto fail;
	if (r < 0) {
		status_set(why, "4.3.5", "%s: unbalanced '{' or '}' in \"%s\"",
		    param, value);
		goto fail;
	}
	if (list->count == 0) {
		status_set(why, "4.3.5", "%s: no lookup table is specified",
		    param);
		goto fail;
	}
	return (list);
fail:
	maplist_close(list);
	return (NULL);
}

/* One key in one map of the list: an empty value becomes an error. */
static enum map_result
maplist_try(const struct maplist *list, struct map *map, const char *key,
    char **value_r, struct dstatus *why)
{
	struct dstatus sub;
	enum map_result r;

	r = map_lookup(map, key, value_r, &sub);
	if (r == MAP_ERROR) {
		/* A map error defers, whatever its backend said. */
		status_set(why, sub.dsn[0] == '4' ? sub.dsn : "4.3.5",
		    "table %s: lookup %s: %s: %s", list->param, key, map->spec,
		    sub.text);
	} else if (r == MAP_FOUND && **value_r == '\0') {
		free(*value_r);
		*value_r = NULL;
		status_set(why, "4.3.5", "table %s: lookup %s: %s: empty "
		    "string result is not allowed", list->param, key,
		    map->spec);
		r = MAP_ERROR;
	}
	return (r);
}

enum map_result
maplist_search(struct maplist *list, char *const keys[], int nkeys,
    char **value_r, const char **map_r, const char **key_r,
    struct dstatus *why)
{
	struct map *map;
	enum map_result r;
	int	k, m;

	*value_r = NULL;
	if (nkeys < 0) {
		status_set(why, "4.3.0", "table %s: out of memory",
		    list->param);
		return (MAP_ERROR);
	}
	for (k = 0; k < nkeys; k++) {
		for (m = 0; m < list->count; m++) {
			map = list->maps[m];
			/* regexp and the like see only the full address. */
			if (k > 0 && (map->ops->flags & MAP_PATTERN))
				continue;
			if ((r = maplist_try(list, map, keys[k], value_r,
			    why)) == MAP_NOTFOUND)
				continue;
			if (r == MAP_FOUND && map_r != NULL)
				*map_r = map->spec;
			if (r == MAP_FOUND && key_r != NULL)
				*key_r = keys[k];
			return (r);
		}
	}
	return (MAP_NOTFOUND);
}

void
maplist_close(struct maplist *list)
{
	int	i;

	if (list == NULL)
		return;
	for (i = 0; i < list->count; i++)
		map_close(list->maps[i]);
	free(list->maps);
	free(list->param);
	free(list);
}
