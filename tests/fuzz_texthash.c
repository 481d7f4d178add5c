/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_texthash.c - libFuzzer target for the postmap source reader
 * (map_source_read, shared with vmap) and the texthash map built on it.
 *
 * The first input byte chooses the options (bit 0: keep the case of keys,
 * bit 1: stop the read early through the callback); the rest is the
 * source file, written to an unlinked scratch file opened through
 * /proc/self/fd.  Every entry the reader hands out is checked against its
 * contract, then the file is opened as "texthash:path" and every key is
 * looked up: the value must be the first entry's for that key (the first
 * duplicate wins), the dump must list each key once in file order, and
 * keys that were never read must not be found.
 *
 * Built and run by tests/fuzz.sh; by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Iinclude tests/fuzz_texthash.c src/map*.c src/status.c \
 *       src/log.c -ldb -o fuzz_texthash     (without src/map_mysql*.c)
 *   ./fuzz_texthash -max_total_time=30 NEWDIR tests/fuzz-corpus/texthash
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "map.h"
#include "status.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_ent {
	char	*key;
	char	*value;
	int	line;
	size_t	index;		/* in file order */
	int	first;		/* the first entry with this key */
	size_t	first_index;	/* index of the first entry with this key */
};

struct fuzz_ents {
	struct fuzz_ent *v;
	size_t	n, cap;
	int	fold;
	int	lines;		/* physical lines in the file */
	size_t	stop_at;	/* callback returns 7 here; 0 = never */
	size_t	dumped;		/* dump position */
};

static char fuzz_path[64];
static char fuzz_spec[80];
static int fuzz_fd = -1;

/* One scratch file, unlinked at once and reopened through /proc. */
static void
fuzz_setup(void)
{
	char	tmpl[] = "/tmp/vdfuzz.XXXXXX";
	struct dstatus why;

	if ((fuzz_fd = mkstemp(tmpl)) < 0 || unlink(tmpl) < 0)
		abort();
	snprintf(fuzz_path, sizeof(fuzz_path), "/proc/self/fd/%d", fuzz_fd);
	snprintf(fuzz_spec, sizeof(fuzz_spec), "texthash:%s", fuzz_path);
	/* Format the warnings too, into the void. */
	if (log_open("fuzz", "mail", "/dev/null", &why) < 0)
		abort();
}

static int
fuzz_space(int c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f');
}

/* The reader's contract for one entry (map.h, map_texthash.c). */
static int
fuzz_collect(const char *key, const char *value, int line, void *ctx)
{
	struct fuzz_ents *e = ctx;
	struct fuzz_ent *nv;
	size_t	vlen = strlen(value);
	const char *cp;

	if (*key == '\0' || vlen == 0 || fuzz_space((unsigned char)*key) ||
	    fuzz_space((unsigned char)value[0]) ||
	    fuzz_space((unsigned char)value[vlen - 1]) ||
	    strchr(key, '\n') != NULL || strchr(value, '\n') != NULL)
		abort();
	if (line < 1 || line > e->lines ||
	    (e->n > 0 && line <= e->v[e->n - 1].line))
		abort();
	if (e->fold)
		for (cp = key; *cp != '\0'; cp++)
			if (*cp >= 'A' && *cp <= 'Z')
				abort();
	if (e->n == e->cap) {
		e->cap = e->cap * 2 + 16;
		if ((nv = realloc(e->v, e->cap * sizeof(*nv))) == NULL)
			abort();
		e->v = nv;
	}
	e->v[e->n].key = strdup(key);
	e->v[e->n].value = strdup(value);
	if (e->v[e->n].key == NULL || e->v[e->n].value == NULL)
		abort();
	e->v[e->n].line = line;
	e->v[e->n].index = e->n;
	e->v[e->n].first = 0;
	e->n++;
	return (e->stop_at != 0 && e->n == e->stop_at ? 7 : 0);
}

static int
fuzz_by_key(const void *a, const void *b)
{
	const struct fuzz_ent *x = a, *y = b;
	int	c = strcmp(x->key, y->key);

	if (c != 0)
		return (c);
	return (x->index < y->index ? -1 : x->index > y->index);
}

static int
fuzz_by_index(const void *a, const void *b)
{
	const struct fuzz_ent *x = a, *y = b;

	return (x->index < y->index ? -1 : x->index > y->index);
}

/* Mark the first entry of each key (sorting, so that big files stay fast). */
static void
fuzz_mark_first(struct fuzz_ents *e)
{
	size_t	i;

	if (e->n == 0)
		return;
	qsort(e->v, e->n, sizeof(*e->v), fuzz_by_key);
	for (i = 0; i < e->n; i++) {
		e->v[i].first = i == 0 || strcmp(e->v[i - 1].key,
		    e->v[i].key) != 0;
		e->v[i].first_index = e->v[i].first ? e->v[i].index :
		    e->v[i - 1].first_index;
	}
	qsort(e->v, e->n, sizeof(*e->v), fuzz_by_index);
}

/* Was key read at all?  (A linear scan: only for a few probes.) */
static const struct fuzz_ent *
fuzz_find(const struct fuzz_ents *e, const char *key)
{
	size_t	i;

	for (i = 0; i < e->n; i++)
		if (e->v[i].first && strcmp(e->v[i].key, key) == 0)
			return (&e->v[i]);
	return (NULL);
}

/* The dump: each key once, in file order, with its first value. */
static int
fuzz_dump_fn(const char *key, const char *value, void *ctx)
{
	struct fuzz_ents *e = ctx;

	while (e->dumped < e->n && !e->v[e->dumped].first)
		e->dumped++;
	if (e->dumped == e->n || strcmp(e->v[e->dumped].key, key) != 0 ||
	    strcmp(e->v[e->dumped].value, value) != 0)
		abort();
	e->dumped++;
	return (0);
}

static void
fuzz_lookup(struct map *m, const char *key, const struct fuzz_ent *want)
{
	struct dstatus why;
	char	*value = NULL;

	switch (map_lookup(m, key, &value, &why)) {
	case MAP_FOUND:
		if (want == NULL || value == NULL ||
		    strcmp(value, want->value) != 0)
			abort();
		free(value);
		break;
	case MAP_NOTFOUND:
		if (want != NULL && *key != '\0')
			abort();
		break;
	default:
		abort();
	}
}

/* Probes that were (mostly) never read: changed copies of real keys. */
static void
fuzz_probes(struct map *m, const struct fuzz_ents *e)
{
	static const char *const fixed[] = {
		"", "user@example.com", "@example.com", "#", " ", "\"",
	};
	char	buf[256];
	size_t	i, len;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		fuzz_lookup(m, fixed[i], fuzz_find(e, fixed[i]));
	for (i = 0; i < e->n && i < 8; i++) {
		len = strlen(e->v[i].key);
		if (len + 2 > sizeof(buf))
			continue;
		memcpy(buf, e->v[i].key, len + 1);
		buf[len] = 'x';
		buf[len + 1] = '\0';
		fuzz_lookup(m, buf, fuzz_find(e, buf));
		buf[len] = '\0';
		if (buf[0] >= 'a' && buf[0] <= 'z')
			buf[0] = (char)(buf[0] - 'a' + 'A');
		else if (buf[0] >= 'A' && buf[0] <= 'Z')
			buf[0] = (char)(buf[0] - 'A' + 'a');
		fuzz_lookup(m, buf, fuzz_find(e, buf));
	}
}

static void
fuzz_free(struct fuzz_ents *e)
{
	size_t	i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].key);
		free(e->v[i].value);
	}
	free(e->v);
	e->v = NULL;
	e->n = e->cap = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ents e;
	struct dstatus why;
	struct map *m;
	size_t	i, full;
	int	opts = 0, r;

	if (fuzz_fd < 0)
		fuzz_setup();
	if (size > 0) {
		opts = data[0];
		data++;
		size--;
	}
	if (ftruncate(fuzz_fd, 0) < 0 ||
	    pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
		abort();
	memset(&e, 0, sizeof(e));
	e.fold = (opts & 1) == 0;
	e.lines = size > 0 && data[size - 1] != '\n';
	for (i = 0; i < size; i++)
		e.lines += data[i] == '\n';
	if (map_source_read(fuzz_path, e.fold, fuzz_collect, &e, &why) != 0)
		abort();
	full = e.n;
	/* A callback's non-zero return stops the read and is returned. */
	if ((opts & 2) && full > 0) {
		fuzz_free(&e);
		e.stop_at = (size_t)(opts >> 2) % full + 1;
		if (map_source_read(fuzz_path, e.fold, fuzz_collect, &e,
		    &why) != 7 || e.n != e.stop_at)
			abort();
		fuzz_free(&e);
		e.stop_at = 0;
		if (map_source_read(fuzz_path, e.fold, fuzz_collect, &e,
		    &why) != 0 || e.n != full)
			abort();
	}
	fuzz_mark_first(&e);
	m = map_open_strict(fuzz_spec, e.fold ? 0 : MAP_OPEN_NOFOLD, &why);
	if (m == NULL)
		abort();
	for (i = 0; i < e.n; i++)
		fuzz_lookup(m, e.v[i].key, &e.v[e.v[i].first_index]);
	fuzz_probes(m, &e);
	r = m->ops->dump(m, fuzz_dump_fn, &e, &why);
	while (e.dumped < e.n && !e.v[e.dumped].first)
		e.dumped++;
	if (r != 0 || e.dumped != e.n)
		abort();
	map_close(m);
	fuzz_free(&e);
	return (0);
}
