/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map_texthash.c - the postmap source format: the reader shared with vmap
 * (map_source_read) and the "texthash:/path" map built on it.
 *
 * The reader follows Postfix's readllines() and postmap exactly: a line
 * that starts with white space continues the previous one (the newline is
 * dropped, the white space kept); blank lines and lines whose first
 * non-blank is '#' are skipped, also in the middle of an entry; the key
 * ends at the first white space outside "double quotes" (a backslash
 * protects the next byte; quotes and backslashes stay in the key); the
 * value is trimmed.  Malformed entries are skipped with a warning naming
 * the file and line, as postmap does.
 *
 * texthash reads the whole file at open into an in-memory table; the
 * first of duplicate keys wins, with a warning naming both lines.  A
 * missing or unreadable file makes the open fail (a surrogate that
 * defers).  Dumps come out in file order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "map.h"
#include "status.h"

/* Locale-independent white space, as Postfix's ISSPACE on ASCII. */
static int
map_source_space(int c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f');
}

/* One logical line being assembled. */
struct map_source_buf {
	char	*text;
	size_t	len, cap;
	int	line;		/* where the entry started */
	int	err;		/* errno of a read or memory failure */
};

static int
map_source_append(struct map_source_buf *b, const char *text, size_t len)
{
	char	*p;
	size_t	cap;

	if (b->len + len + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 128; cap < b->len + len + 1;)
			cap *= 2;
		if ((p = realloc(b->text, cap)) == NULL)
			return (-1);
		b->text = p;
		b->cap = cap;
	}
	memcpy(b->text + b->len, text, len);
	b->len += len;
	b->text[b->len] = '\0';
	return (0);
}

/* Split a logical line in place into key and value; NULL value = bad. */
static char *
map_source_split(const char *path, char *text, int line)
{
	char	*cp, *end;
	int	in_quotes = 0;

	for (cp = text; *cp != '\0'; cp++) {
		if (*cp == '\\') {
			if (*++cp == '\0')
				break;
		} else if (map_source_space((unsigned char)*cp)) {
			if (!in_quotes)
				break;
		} else if (*cp == '"') {
			in_quotes = !in_quotes;
		}
	}
	if (in_quotes) {
		log_warn("%s, line %d: unbalanced '\"' in '%s' -- ignoring "
		    "this line", path, line, text);
		return (NULL);
	}
	if (*cp != '\0')
		*cp++ = '\0';
	while (map_source_space((unsigned char)*cp))
		cp++;
	for (end = cp + strlen(cp); end > cp &&
	    map_source_space((unsigned char)end[-1]); end--)
		;
	*end = '\0';
	if (*text == '\0' || *cp == '\0') {
		log_warn("%s, line %d: expected format: key whitespace value "
		    "-- ignoring this line", path, line);
		return (NULL);
	}
	return (cp);
}

/* Hand one complete logical line to fn. */
static int
map_source_emit(const char *path, struct map_source_buf *b, int fold,
    int (*fn)(const char *, const char *, int, void *), void *ctx)
{
	char	*value, *cp;

	if (b->len == 0)
		return (0);
	b->len = 0;
	/* Continuation text with nothing to continue: readllines skips it. */
	if (map_source_space((unsigned char)b->text[0])) {
		log_warn("%s, line %d: logical line must not start with "
		    "whitespace: \"%.30s%s\" -- ignoring this line", path,
		    b->line, b->text, strlen(b->text) > 30 ? "..." : "");
		return (0);
	}
	if ((value = map_source_split(path, b->text, b->line)) == NULL)
		return (0);
	if (b->text[strlen(b->text) - 1] == ':')
		log_warn("%s, line %d: record is in \"key: value\" format; is "
		    "this an alias file?", path, b->line);
	if (fold)
		for (cp = b->text; *cp != '\0'; cp++)
			if (*cp >= 'A' && *cp <= 'Z')
				*cp = (char)(*cp - 'A' + 'a');
	return (fn(b->text, value, b->line, ctx));
}

/* Read fp line by line; returns fn's non-zero result, else 0 (b->err). */
static int
map_source_loop(FILE *fp, const char *path, int fold,
    int (*fn)(const char *, const char *, int, void *), void *ctx,
    struct map_source_buf *b)
{
	char	*line = NULL, *cp;
	size_t	cap = 0, len;
	ssize_t	n;
	int	lineno = 0, r = 0;

	/* errno is cleared so that a failed getline() can be told from EOF. */
	while (b->err == 0 && (errno = 0, n = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		len = (size_t)n;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		for (cp = line; map_source_space((unsigned char)*cp); cp++)
			;
		/* Comments and blank lines do not end an entry. */
		if (*cp == '\0' || *cp == '#')
			continue;
		if (!map_source_space((unsigned char)line[0]) || b->len == 0) {
			if ((r = map_source_emit(path, b, fold, fn, ctx)) != 0)
				break;
			b->line = lineno;
		}
		if (map_source_append(b, line, len) < 0)
			b->err = ENOMEM;
	}
	if (b->err == 0 && r == 0 && (ferror(fp) || !feof(fp)))
		b->err = errno != 0 ? errno : EIO;
	free(line);
	if (b->err == 0 && r == 0)
		r = map_source_emit(path, b, fold, fn, ctx);
	return (r);
}

int
map_source_read(const char *path, int fold,
    int (*fn)(const char *key, const char *value, int line, void *ctx),
    void *ctx, struct dstatus *why)
{
	struct map_source_buf b = { NULL, 0, 0, 0, 0 };
	FILE	*fp;
	int	r;

	if ((fp = fopen(path, "re")) == NULL) {
		status_set(why, "4.3.5", "open %s: %s", path, strerror(errno));
		return (-1);
	}
	r = map_source_loop(fp, path, fold, fn, ctx, &b);
	fclose(fp);
	free(b.text);
	if (b.err == ENOMEM) {
		status_set(why, "4.3.0", "read %s: out of memory", path);
		return (-1);
	}
	if (b.err != 0) {
		status_set(why, "4.3.5", "read %s: %s", path, strerror(b.err));
		return (-1);
	}
	return (r);
}

/*
 * texthash: entries in file order, indexed by an open-addressing hash
 * table of entry numbers (slot value 0 = empty, else index + 1) that
 * doubles when half full.
 */
struct map_texthash_entry {
	char	*key;
	char	*value;		/* points into the key's allocation */
	int	line;
};

struct map_texthash {
	struct map map;
	char	*path;
	struct map_texthash_entry *ents;
	size_t	count, cap;
	size_t	*slots;
	size_t	nslots;		/* a power of two */
};

static size_t
map_texthash_hash(const char *key)
{
	size_t	h = 2166136261u;	/* FNV-1a */

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return (h);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t
map_texthash_slot(const struct map_texthash *th, const char *key)
{
	size_t	i = map_texthash_hash(key) & (th->nslots - 1);

	while (th->slots[i] != 0 &&
	    strcmp(th->ents[th->slots[i] - 1].key, key) != 0)
		i = (i + 1) & (th->nslots - 1);
	return (i);
}

static int
map_texthash_grow(struct map_texthash *th)
{
	struct map_texthash_entry *ents;
	size_t	*old = th->slots, i;

	if (th->count == th->cap) {
		i = th->cap ? th->cap * 2 : 64;
		if ((ents = realloc(th->ents, i * sizeof(*ents))) == NULL)
			return (-1);
		th->ents = ents;
		th->cap = i;
	}
	if ((th->count + 1) * 2 <= th->nslots)
		return (0);
	th->nslots = th->nslots ? th->nslots * 2 : 128;
	if ((th->slots = calloc(th->nslots, sizeof(*th->slots))) == NULL) {
		th->slots = old;
		th->nslots /= 2;
		return (-1);
	}
	for (i = 0; i < th->count; i++)
		th->slots[map_texthash_slot(th, th->ents[i].key)] = i + 1;
	free(old);
	return (0);
}

/* map_source_read callback: the first of duplicate keys wins; 1 = ENOMEM. */
static int
map_texthash_add(const char *key, const char *value, int line, void *ctx)
{
	struct map_texthash *th = ctx;
	struct map_texthash_entry *e;
	size_t	slot, klen = strlen(key);

	if (map_texthash_grow(th) < 0)
		return (1);
	slot = map_texthash_slot(th, key);
	if (th->slots[slot] != 0) {
		log_warn("%s, line %d: duplicate entry \"%s\" ignored: the "
		    "first one, on line %d, wins", th->path, line, key,
		    th->ents[th->slots[slot] - 1].line);
		return (0);
	}
	e = &th->ents[th->count];
	if ((e->key = malloc(klen + strlen(value) + 2)) == NULL)
		return (1);
	memcpy(e->key, key, klen + 1);
	e->value = e->key + klen + 1;
	strcpy(e->value, value);
	e->line = line;
	th->slots[slot] = ++th->count;
	return (0);
}

static void
map_texthash_close(struct map *map)
{
	struct map_texthash *th = (struct map_texthash *)map;
	size_t	i;

	for (i = 0; i < th->count; i++)
		free(th->ents[i].key);
	free(th->ents);
	free(th->slots);
	free(th->path);
	free(th);
}

static struct map *
map_texthash_open(const char *name, int open_flags, struct dstatus *why)
{
	struct map_texthash *th;
	int	r;

	if ((th = calloc(1, sizeof(*th))) == NULL ||
	    (th->path = strdup(name)) == NULL) {
		free(th);
		status_set(why, "4.3.0", "texthash:%s: out of memory", name);
		return (NULL);
	}
	r = map_source_read(name, (open_flags & MAP_OPEN_NOFOLD) == 0,
	    map_texthash_add, th, why);
	if (r != 0) {
		if (r > 0)
			status_set(why, "4.3.0", "texthash:%s: out of memory",
			    name);
		map_texthash_close(&th->map);
		return (NULL);
	}
	return (&th->map);
}

static enum map_result
map_texthash_lookup(struct map *map, const char *key, char **value_r,
    struct dstatus *why)
{
	struct map_texthash *th = (struct map_texthash *)map;
	size_t	slot;

	if (th->count == 0)
		return (MAP_NOTFOUND);
	slot = map_texthash_slot(th, key);
	if (th->slots[slot] == 0)
		return (MAP_NOTFOUND);
	if ((*value_r = strdup(th->ents[th->slots[slot] - 1].value)) == NULL) {
		status_set(why, "4.3.0", "%s: out of memory", map->spec);
		return (MAP_ERROR);
	}
	return (MAP_FOUND);
}

static int
map_texthash_dump(struct map *map,
    int (*fn)(const char *key, const char *value, void *ctx), void *ctx,
    struct dstatus *why)
{
	struct map_texthash *th = (struct map_texthash *)map;
	size_t	i;
	int	r;

	(void)why;
	for (i = 0; i < th->count; i++)
		if ((r = fn(th->ents[i].key, th->ents[i].value, ctx)) != 0)
			return (r);
	return (0);
}

const struct map_ops map_texthash_ops = {
	.type = "texthash",
	.flags = 0,
	.open = map_texthash_open,
	.lookup = map_texthash_lookup,
	.dump = map_texthash_dump,
	.close = map_texthash_close,
};
