/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_map.c - the map layer on real files: static, texthash and the
 * postmap source reader, surrogates, list parsing and the key-major
 * search.  hash and btree are in check_map_db.c.
 */
#include "check_map_util.h"

START_TEST(test_static)
{
	struct map *map;
	struct dstatus why;

	map = open_ok("static", "example.com/all/", 0);
	expect(map, "anything@example.com", "example.com/all/");
	expect(map, "@other", "example.com/all/");
	ck_assert_str_eq(map->spec, "static:example.com/all/");
	ck_assert_ptr_null(map->ops->dump);
	map_close(map);
	/* Braces are stripped with the blanks inside them. */
	map = open_ok("static", "{  a b\t}", 0);
	expect(map, "k", "a b");
	map_close(map);
	map = open_ok("static", "{ {x} }", 0);
	expect(map, "k", "{x}");
	map_close(map);
	/* An empty value is a value here; the list search rejects it. */
	map = open_ok("static", "", 0);
	expect(map, "k", "");
	map_close(map);
	map = open_ok("static", "{ }", 0);
	expect(map, "k", "");
	map_close(map);
	ck_assert_ptr_null(map_open_strict("static:{ a b", 0, &why));
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_ptr_nonnull(strstr(why.text, "missing '}'"));
	ck_assert_ptr_null(map_open_strict("static:{a} b", 0, &why));
	ck_assert_ptr_nonnull(strstr(why.text, "syntax error after '}'"));
	/* map_open never fails: a surrogate defers every lookup. */
	map = map_open("static:{ a b", 0);
	expect_error(map, "k", "missing '}'");
	expect_error(map, "other", "missing '}'");
	map_close(map);
}
END_TEST

START_TEST(test_open_errors)
{
	struct dstatus why;
	struct map *map;

	ck_assert_ptr_null(map_open_strict("nosuchtype:/x", 0, &why));
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_str_eq(why.text, "unsupported dictionary type: nosuchtype");
	ck_assert_ptr_null(map_open_strict("/etc/no-colon", 0, &why));
	ck_assert_ptr_nonnull(strstr(why.text, "type:name"));
	map = map_open("nosuchtype:/x", 0);
	ck_assert_str_eq(map->spec, "nosuchtype:/x");
	expect_error(map, "u@d", "unsupported dictionary type: nosuchtype");
	map_close(map);
	ck_assert_ptr_nonnull(strstr(map_types(),
	    "static texthash hash btree"));
	/* The empty key is never looked up. */
	map = open_ok("static", "x", 0);
	expect(map, "", NULL);
	map_close(map);
}
END_TEST

static const char source_text[] =
    "# a comment\n"
    "User@Example.COM\texample.com/user/  \n"
    "long@d first\n"
    "  second part\n"
    "# a comment inside the entry\n"
    "\n"
    "\tthird\n"
    "dup@d one\n"
    "novalue\n"
    "dup@d two\n"
    "\"a b\"@d quoted\n"
    "a\\ b@d escaped\n"
    "  # indented comment\n"
    "crlf@d value\r\n"
    "unbalanced\"@d x\n"
    "last@d no newline";

/* Entries as the reader hands them out, for the test to compare. */
struct collected {
	char	text[1024];
	int	n;
};

static int
collect(const char *key, const char *value, int line, void *ctx)
{
	struct collected *c = ctx;
	size_t	len = strlen(c->text);

	snprintf(c->text + len, sizeof(c->text) - len, "%d[%s]=[%s]\n", line,
	    key, value);
	return (++c->n == 100 ? 42 : 0);
}

START_TEST(test_source_read)
{
	struct collected c = { "", 0 };
	struct dstatus why;
	char	*path = tu_write(dir, "src", source_text), *err;

	capture_start();
	ck_assert_int_eq(map_source_read(path, 0, collect, &c, &why), 0);
	err = capture_end();
	ck_assert_str_eq(c.text,
	    "2[User@Example.COM]=[example.com/user/]\n"
	    "3[long@d]=[first  second part\tthird]\n"
	    "8[dup@d]=[one]\n"
	    "10[dup@d]=[two]\n"
	    "11[\"a b\"@d]=[quoted]\n"
	    "12[a\\ b@d]=[escaped]\n"
	    "14[crlf@d]=[value]\n"
	    "16[last@d]=[no newline]\n");
	ck_assert_ptr_nonnull(strstr(err, "src, line 9: expected format"));
	ck_assert_ptr_nonnull(strstr(err, "src, line 15: unbalanced"));
	free(err);
	/* fold = 1 lower-cases keys only. */
	c.text[0] = '\0';
	ck_assert_int_eq(map_source_read(path, 1, collect, &c, &why), 0);
	ck_assert_ptr_nonnull(strstr(c.text,
	    "2[user@example.com]=[example.com/user/]\n"));
	free(path);
}
END_TEST

START_TEST(test_source_edges)
{
	struct collected c = { "", 0 };
	struct dstatus why;
	char	*path, *err, big[4000];
	int	i;

	/* Text that continues nothing is skipped, with its continuations. */
	path = tu_write(dir, "lead", "  orphan x\n  more\nk v\n");
	capture_start();
	ck_assert_int_eq(map_source_read(path, 1, collect, &c, &why), 0);
	err = capture_end();
	ck_assert_str_eq(c.text, "3[k]=[v]\n");
	ck_assert_ptr_nonnull(strstr(err, "line 1: logical line must not"));
	free(err);
	free(path);
	/* A non-zero callback result stops the read and is returned. */
	big[0] = '\0';
	for (i = 0; i < 150; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big),
		    "k%d v\n", i);
	path = tu_write(dir, "many", big);
	c.text[0] = '\0';
	c.n = 0;
	ck_assert_int_eq(map_source_read(path, 1, collect, &c, &why), 42);
	ck_assert_int_eq(c.n, 100);
	free(path);
	/* Unreadable sources are errors naming the file. */
	ck_assert_int_eq(map_source_read("/nonexistent/src", 1, collect, &c,
	    &why), -1);
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_str_eq(why.text,
	    "open /nonexistent/src: No such file or directory");
	ck_assert_int_eq(map_source_read(dir, 1, collect, &c, &why), -1);
	ck_assert_ptr_nonnull(strstr(why.text, "Is a directory"));
}
END_TEST

static int
collect_pair(const char *key, const char *value, void *ctx)
{
	struct collected *c = ctx;
	size_t	len = strlen(c->text);

	snprintf(c->text + len, sizeof(c->text) - len, "%s=%s\n", key, value);
	return (0);
}

START_TEST(test_texthash)
{
	struct collected c = { "", 0 };
	struct dstatus why;
	struct map *map;
	char	*path = tu_write(dir, "th", source_text), *err;

	capture_start();
	map = open_ok("texthash", path, 0);
	err = capture_end();
	/* The first duplicate wins; the warning names both lines. */
	ck_assert_msg(strstr(err, "th, line 10: duplicate entry \"dup@d\" "
	    "ignored: the first one, on line 8, wins") != NULL, "%s", err);
	free(err);
	expect(map, "dup@d", "one");
	expect(map, "user@example.com", "example.com/user/");
	expect(map, "User@Example.COM", NULL);
	expect(map, "long@d", "first  second part\tthird");
	expect(map, "\"a b\"@d", "quoted");
	expect(map, "a b@d", NULL);
	expect(map, "novalue", NULL);
	expect(map, "last@d", "no newline");
	expect(map, "@d", NULL);
	ck_assert_int_eq(map->ops->dump(map, collect_pair, &c, &why), 0);
	ck_assert_str_eq(c.text, "user@example.com=example.com/user/\n"
	    "long@d=first  second part\tthird\ndup@d=one\n"
	    "\"a b\"@d=quoted\na\\ b@d=escaped\ncrlf@d=value\n"
	    "last@d=no newline\n");
	map_close(map);
	/* MAP_OPEN_NOFOLD (vmap -f) keeps the case of keys. */
	map = open_ok("texthash", path, MAP_OPEN_NOFOLD);
	expect(map, "User@Example.COM", "example.com/user/");
	expect(map, "user@example.com", NULL);
	map_close(map);
	free(path);
}
END_TEST

START_TEST(test_texthash_big)
{
	char	key[32], want[32];
	struct map *map;
	FILE	*fp;
	char	*path;
	int	i;

	/* Many keys: the table must grow without losing any. */
	ck_assert_int_ge(asprintf(&path, "%s/big", dir), 0);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	for (i = 0; i < 5000; i++)
		fprintf(fp, "user%d@d maildir/%d/\n", i, i);
	ck_assert_int_eq(fclose(fp), 0);
	map = open_ok("texthash", path, 0);
	for (i = 0; i < 5000; i += 7) {
		snprintf(key, sizeof(key), "user%d@d", i);
		snprintf(want, sizeof(want), "maildir/%d/", i);
		expect(map, key, want);
	}
	expect(map, "user5000@d", NULL);
	map_close(map);
	free(path);
}
END_TEST

START_TEST(test_texthash_missing)
{
	struct dstatus why;
	struct map *map;
	char	*spec;

	ck_assert_int_ge(asprintf(&spec, "texthash:%s/none", dir), 0);
	ck_assert_ptr_null(map_open_strict(spec, 0, &why));
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_ptr_nonnull(strstr(why.text, "/none: No such file"));
	map = map_open(spec, 0);
	expect_error(map, "u@d", "/none: No such file");
	ck_assert_int_eq(map->ops->dump(map, collect_pair, NULL, &why), -1);
	map_close(map);
	free(spec);
}
END_TEST

START_TEST(test_list_parse)
{
	struct dstatus why;
	struct maplist *list;
	const char *bad[] = { "static:{ a b", "static:a}, static:b", "",
	    " ,\t, ", "hash:/x, /etc/plain", ":x", NULL };
	int	i;

	list = maplist_open("virtual_mailbox_maps",
	    "static:{ a b }, static:x\n\tstatic:{c},,texthash:/none", 0, &why);
	ck_assert_ptr_nonnull(list);
	ck_assert_str_eq(list->param, "virtual_mailbox_maps");
	ck_assert_int_eq(list->count, 4);
	expect(list->maps[0], "k", "a b");
	expect(list->maps[1], "k", "x");
	expect(list->maps[2], "k", "c");
	expect_error(list->maps[3], "k", "open /none");
	maplist_close(list);
	for (i = 0; bad[i] != NULL; i++) {
		why.dsn[0] = '\0';
		list = maplist_open("virtual_uid_maps", bad[i], 0, &why);
		ck_assert_msg(list == NULL, "[%s] accepted", bad[i]);
		ck_assert_str_eq(why.dsn, "4.3.5");
		ck_assert_ptr_nonnull(strstr(why.text, "virtual_uid_maps"));
	}
}
END_TEST

/* Open a two-map list of texthash files with the given contents. */
static struct maplist *
two_maps(const char *text1, const char *spec2)
{
	struct dstatus why;
	struct maplist *list;
	char	*p1 = tu_write(dir, "m1", text1), *value;

	ck_assert_int_ge(asprintf(&value, "texthash:%s %s", p1, spec2), 0);
	list = maplist_open("virtual_mailbox_maps", value, 0, &why);
	ck_assert_msg(list != NULL, "%s", why.text);
	free(value);
	free(p1);
	return (list);
}

START_TEST(test_search_key_major)
{
	char	*keys[] = { "u@d", "@d" }, *keys2[] = { "v@d", "@d" };
	char	*keys3[] = { "x@e", "@e" }, *value, *p2, *spec2;
	const char *map, *key;
	struct dstatus why;
	struct maplist *list;

	p2 = tu_write(dir, "m2", "u@d exact\n");
	ck_assert_int_ge(asprintf(&spec2, "texthash:%s", p2), 0);
	list = two_maps("@d catchall\n", spec2);
	/* Map 2 has the full address: it beats map 1's catch-all. */
	ck_assert_int_eq(maplist_search(list, keys, 2, &value, &map, &key,
	    &why), MAP_FOUND);
	ck_assert_str_eq(value, "exact");
	ck_assert_str_eq(map, spec2);
	ck_assert_str_eq(key, "u@d");
	free(value);
	ck_assert_int_eq(maplist_search(list, keys2, 2, &value, &map, &key,
	    &why), MAP_FOUND);
	ck_assert_str_eq(value, "catchall");
	ck_assert_str_eq(key, "@d");
	free(value);
	ck_assert_int_eq(maplist_search(list, keys3, 2, &value, NULL, NULL,
	    &why), MAP_NOTFOUND);
	ck_assert_ptr_null(value);
	ck_assert_int_eq(maplist_search(list, keys3, 0, &value, NULL, NULL,
	    &why), MAP_NOTFOUND);
	ck_assert_int_eq(maplist_search(list, keys3, -1, &value, NULL, NULL,
	    &why), MAP_ERROR);
	ck_assert_str_eq(why.dsn, "4.3.0");
	maplist_close(list);
	free(spec2);
	free(p2);
}
END_TEST

START_TEST(test_search_error_stops)
{
	char	*keys[] = { "u+x@d", "u@d", "@d" }, *keys1[] = { "u@d" };
	char	*value, *spec2;
	struct dstatus why;
	struct maplist *list;

	ck_assert_int_ge(asprintf(&spec2, "hash:%s/missing", dir), 0);
	list = two_maps("u@d mbox\n", spec2);
	/* Map 2 fails on the full address before map 1 sees u@d. */
	ck_assert_int_eq(maplist_search(list, keys, 3, &value, NULL, NULL,
	    &why), MAP_ERROR);
	ck_assert_ptr_null(value);
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_int_eq(why.ex, 75);
	ck_assert_msg(strstr(why.text, "table virtual_mailbox_maps: lookup "
	    "u+x@d: hash:") == why.text, "%s", why.text);
	ck_assert_ptr_nonnull(strstr(why.text,
	    "missing.db: No such file or directory"));
	/* A hit in map 1 ends the search before the broken map. */
	ck_assert_int_eq(maplist_search(list, keys1, 1, &value, NULL, NULL,
	    &why), MAP_FOUND);
	ck_assert_str_eq(value, "mbox");
	free(value);
	maplist_close(list);
	free(spec2);
}
END_TEST

START_TEST(test_search_empty_value)
{
	char	*keys[] = { "u@d", "@d" }, *value;
	struct dstatus why;
	struct maplist *list;

	list = two_maps("other@d x\n", "static:{ }");
	ck_assert_int_eq(maplist_search(list, keys, 2, &value, NULL, NULL,
	    &why), MAP_ERROR);
	ck_assert_ptr_null(value);
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_ptr_nonnull(strstr(why.text, "lookup u@d: static:{ }: "
	    "empty string result"));
	maplist_close(list);
}
END_TEST

/* A backend that records the keys it is asked for (pattern or not). */
struct probe {
	struct map map;
	char	*log;
};

static enum map_result
probe_lookup(struct map *map, const char *key, char **value_r,
    struct dstatus *why)
{
	struct probe *p = (struct probe *)map;

	(void)value_r;
	(void)why;
	strcat(p->log, map->spec);
	strcat(p->log, ":");
	strcat(p->log, key);
	strcat(p->log, " ");
	return (MAP_NOTFOUND);
}

static void
probe_close(struct map *map)
{
	(void)map;
}

static const struct map_ops probe_pattern_ops = {
	.type = "pat", .flags = MAP_PATTERN, .lookup = probe_lookup,
	.close = probe_close,
};
static const struct map_ops probe_fixed_ops = {
	.type = "fix", .flags = 0, .lookup = probe_lookup,
	.close = probe_close,
};

START_TEST(test_search_pattern)
{
	char	log[256] = "", *keys[] = { "u+x@d", "u@d", "@d" }, *value;
	char	pspec[] = "P", fspec[] = "F", param[] = "virtual_uid_maps";
	struct probe p = { { &probe_pattern_ops, pspec }, log };
	struct probe f = { { &probe_fixed_ops, fspec }, log };
	struct map *maps[] = { &p.map, &f.map };
	struct maplist list = { param, 2, maps };
	struct dstatus why;

	ck_assert_int_eq(maplist_search(&list, keys, 3, &value, NULL, NULL,
	    &why), MAP_NOTFOUND);
	/* Key-major, and the pattern map sees only the full address. */
	ck_assert_str_eq(log, "P:u+x@d F:u+x@d F:u@d F:@d ");
}
END_TEST

static Suite *
map_suite(void)
{
	Suite	*s = suite_create("map");
	TCase	*tc = tcase_create("map");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_static);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_source_read);
	tcase_add_test(tc, test_source_edges);
	tcase_add_test(tc, test_texthash);
	tcase_add_test(tc, test_texthash_big);
	tcase_add_test(tc, test_texthash_missing);
	tcase_add_test(tc, test_list_parse);
	tcase_add_test(tc, test_search_key_major);
	tcase_add_test(tc, test_search_error_stops);
	tcase_add_test(tc, test_search_empty_value);
	tcase_add_test(tc, test_search_pattern);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(map_suite()) == 0 ? 0 : 1);
}
