/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map_static.c - "static:value": the same value for every key.
 *
 * "static:{ text with spaces }" strips the braces and the blanks inside
 * them, as Postfix's dict_static; anything after the closing brace, or a
 * missing one, is an open error (so the map becomes a surrogate that
 * defers).  An empty value is returned as such: the list search turns it
 * into an error.  There is nothing to dump.
 */
#include <stdlib.h>
#include <string.h>

#include "map.h"
#include "status.h"

struct map_static {
	struct map map;
	char	*value;
};

#define MAP_STATIC_BLANKS " \t\r\n"

/* The text inside { }, trimmed, into *value_r (malloc'd); -1 + why. */
static int
map_static_unbrace(const char *name, char **value_r, struct dstatus *why)
{
	const char *cp, *start, *end;
	int	depth = 0;

	for (cp = name; *cp != '\0'; cp++) {
		if (*cp == '{')
			depth++;
		else if (*cp == '}' && --depth == 0)
			break;
	}
	if (*cp == '\0') {
		status_set(why, "4.3.5", "static:%s: missing '}'", name);
		return (-1);
	}
	if (cp[1 + strspn(cp + 1, MAP_STATIC_BLANKS)] != '\0') {
		status_set(why, "4.3.5", "static:%s: syntax error after '}'",
		    name);
		return (-1);
	}
	start = name + 1 + strspn(name + 1, MAP_STATIC_BLANKS);
	for (end = cp; end > start && strchr(MAP_STATIC_BLANKS, end[-1]);
	    end--)
		;
	if ((*value_r = strndup(start, (size_t)(end - start))) == NULL) {
		status_set(why, "4.3.0", "static:%s: out of memory", name);
		return (-1);
	}
	return (0);
}

static struct map *
map_static_open(const char *name, int open_flags, struct dstatus *why)
{
	struct map_static *ms;

	(void)open_flags;
	if ((ms = calloc(1, sizeof(*ms))) == NULL) {
		status_set(why, "4.3.0", "static:%s: out of memory", name);
		return (NULL);
	}
	if (name[0] == '{') {
		if (map_static_unbrace(name, &ms->value, why) < 0) {
			free(ms);
			return (NULL);
		}
	} else if ((ms->value = strdup(name)) == NULL) {
		free(ms);
		status_set(why, "4.3.0", "static:%s: out of memory", name);
		return (NULL);
	}
	return (&ms->map);
}

static enum map_result
map_static_lookup(struct map *map, const char *key, char **value_r,
    struct dstatus *why)
{
	struct map_static *ms = (struct map_static *)map;

	(void)key;
	if ((*value_r = strdup(ms->value)) == NULL) {
		status_set(why, "4.3.0", "%s: out of memory", map->spec);
		return (MAP_ERROR);
	}
	return (MAP_FOUND);
}

static void
map_static_close(struct map *map)
{
	struct map_static *ms = (struct map_static *)map;

	free(ms->value);
	free(ms);
}

const struct map_ops map_static_ops = {
	.type = "static",
	.flags = 0,
	.open = map_static_open,
	.lookup = map_static_lookup,
	.dump = NULL,
	.close = map_static_close,
};
