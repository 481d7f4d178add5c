/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_conf.c - the conf module: main.cf syntax, loading files,
 * $expansion (every form, loops, bounds, syntax errors), built-in
 * defaults and -o overrides.  The typed value parsers, conf_settings()
 * and a realistic Postfix main.cf are in check_conf_settings.c.
 */
#include <time.h>

#include "check_util.h"
#include "conf.h"
#include "status.h"

static struct dstatus why;

/* Parse text as "main.cf"; the parse must succeed. */
static struct conf *
parse(const char *text)
{
	struct conf *cf = conf_new();

	ck_assert_ptr_nonnull(cf);
	memset(&why, 0, sizeof(why));
	if (conf_parse_text(cf, "main.cf", text, &why) < 0)
		ck_abort_msg("parse failed: %s %s", why.dsn, why.text);
	return (cf);
}

/* The parse must fail with 4.3.5 and a message containing each of a, b. */
static void
parse_fails(const char *text, const char *a, const char *b)
{
	struct conf *cf = conf_new();

	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(conf_parse_text(cf, "main.cf", text, &why), -1);
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_int_eq(why.ex, 75);
	ck_assert_msg(strstr(why.text, a) != NULL, "\"%s\" lacks \"%s\"",
	    why.text, a);
	ck_assert_msg(b == NULL || strstr(why.text, b) != NULL,
	    "\"%s\" lacks \"%s\"", why.text, b);
	conf_free(cf);
}

static void
raw_eq(const struct conf *cf, const char *name, const char *want)
{
	const char *v = conf_get_raw(cf, name);

	ck_assert_msg(v != NULL, "%s not set", name);
	ck_assert_str_eq(v, want);
}

/* The expanded value of name must be want. */
static void
get_eq(const struct conf *cf, const char *name, const char *want)
{
	char	*v;

	memset(&why, 0, sizeof(why));
	v = conf_get(cf, name, &why);
	ck_assert_msg(v != NULL, "conf_get(%s): %s %s", name, why.dsn,
	    why.text);
	ck_assert_str_eq(v, want);
	free(v);
}

/* Expanding name must fail with 4.3.5 mentioning a. */
static void
get_fails(const struct conf *cf, const char *name, const char *a)
{
	memset(&why, 0, sizeof(why));
	ck_assert_ptr_null(conf_get(cf, name, &why));
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_msg(strstr(why.text, a) != NULL, "\"%s\" lacks \"%s\"",
	    why.text, a);
}

/* Syntax */

START_TEST(test_basic)
{
	struct conf *cf = parse("a=1\nb   =   two words   \n"
	    "c\t=\tx\t\nE_9 =\nlong_name_1 = =v\n");
	int	line;

	raw_eq(cf, "a", "1");
	raw_eq(cf, "b", "two words");
	raw_eq(cf, "c", "x");
	raw_eq(cf, "E_9", "");
	raw_eq(cf, "long_name_1", "=v");
	ck_assert_str_eq(conf_where(cf, "c", &line), "main.cf");
	ck_assert_int_eq(line, 3);
	ck_assert_ptr_null(conf_get_raw(cf, "nope"));
	ck_assert_ptr_null(conf_get_raw(cf, "A"));	/* case matters */
	conf_free(cf);
	/* master.cf service names appear in real main.cf files */
	cf = parse("smtp-amavis_destination_recipient_limit = 1\n"
	    "a.b = 2\n");
	raw_eq(cf, "smtp-amavis_destination_recipient_limit", "1");
	raw_eq(cf, "a.b", "2");
	conf_free(cf);
}
END_TEST

START_TEST(test_continuation)
{
	struct conf *cf = parse("a = x\n  y\n\tz\nb = 1\n"
	    "c =\n    first,\n    # indented comment\n#flush comment\n\n"
	    "   \n    second\nd = 2\n");
	int	line;

	raw_eq(cf, "a", "x  y\tz");
	raw_eq(cf, "b", "1");
	raw_eq(cf, "c", "first,    second");
	raw_eq(cf, "d", "2");
	conf_where(cf, "c", &line);
	ck_assert_int_eq(line, 5);
	conf_where(cf, "d", &line);
	ck_assert_int_eq(line, 12);
	conf_free(cf);
}
END_TEST

START_TEST(test_comments_last_wins)
{
	struct conf *cf = parse("# comment\n   # indented comment\n\n"
	    "a = x # not a comment\nb = #x\na = second\n#a = commented\n");
	int	line;

	raw_eq(cf, "a", "second");
	raw_eq(cf, "b", "#x");
	ck_assert_str_eq(conf_where(cf, "a", &line), "main.cf");
	ck_assert_int_eq(line, 6);
	conf_free(cf);
}
END_TEST

START_TEST(test_line_endings)
{
	struct conf *cf = parse("a = 1\r\nb = x\r\n  y \r\n\r\nc = 3");

	raw_eq(cf, "a", "1");
	raw_eq(cf, "b", "x  y");
	raw_eq(cf, "c", "3");
	conf_free(cf);
	cf = parse("");
	ck_assert_ptr_null(conf_get_raw(cf, "a"));
	conf_free(cf);
	cf = parse("\n\n# only comments");
	conf_free(cf);
}
END_TEST

START_TEST(test_long_lines)
{
	size_t	n = 1 << 20, i;
	char	*text = malloc(n + 64), *want = malloc(n + 1);
	struct conf *cf;

	strcpy(text, "big = ");
	for (i = 0; i < n; i++)
		want[i] = (char)('a' + i % 26);
	want[n] = '\0';
	strcat(text, want);
	strcat(text, "\nnext = 1\n");
	cf = parse(text);
	raw_eq(cf, "big", want);
	raw_eq(cf, "next", "1");
	conf_free(cf);
	/* 5000 continuation lines of " x" */
	strcpy(text, "many = 0");
	for (i = 0; i < 5000; i++)
		strcat(text, "\n x");
	cf = parse(text);
	ck_assert_uint_eq(strlen(conf_get_raw(cf, "many")), 1 + 5000 * 2);
	conf_free(cf);
	free(text);
	free(want);
}
END_TEST

START_TEST(test_syntax_errors)
{
	parse_fails("a = 1\n\nfoo\n", "main.cf, line 3", "missing '='");
	parse_fails("foo bar = x\n", "line 1", "missing '='");
	parse_fails("= x\n", "line 1", "missing parameter name");
	parse_fails("# c\n  a = 1\n", "line 2", "white space");
	/* an error in a logical line names its first line */
	parse_fails("a = 1\nbad\n  more\n  = x\n", "line 2", "\"bad\"");
	/* only the name is quoted: the rest may be a password */
	parse_fails("password s3cret\n", "line 1", "\"password\"");
	ck_assert_ptr_null(strstr(why.text, "s3cret"));
	parse_fails("= s3cret\n", "line 1", "missing parameter name");
	ck_assert_ptr_null(strstr(why.text, "s3cret"));
}
END_TEST

START_TEST(test_load)
{
	char	*dir = tu_mkdtemp(), *p, *missing;
	struct conf *cf;
	FILE	*fp;

	p = tu_write(dir, "main.cf", "a = 1\nb = $a\n");
	cf = conf_load(p, &why);
	ck_assert_ptr_nonnull(cf);
	get_eq(cf, "b", "1");
	conf_free(cf);
	ck_assert_int_ge(asprintf(&missing, "%s/nonexistent.cf", dir), 0);
	ck_assert_ptr_null(conf_load(missing, &why));
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_ptr_nonnull(strstr(why.text, missing));
	ck_assert_ptr_nonnull(strstr(why.text, "No such file or directory"));
	ck_assert_ptr_null(conf_load(dir, &why));
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_ptr_nonnull(strstr(why.text, "Is a directory"));
	fp = fopen(p, "w");
	fwrite("a = 1\nb = x\0y\n", 1, 14, fp);
	fclose(fp);
	ck_assert_ptr_null(conf_load(p, &why));
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_ptr_nonnull(strstr(why.text, "line 2"));
	ck_assert_ptr_nonnull(strstr(why.text, "null byte"));
	free(tu_write(dir, "main.cf", "ok = 1\nbroken\n"));
	ck_assert_ptr_null(conf_load(p, &why));
	ck_assert_ptr_nonnull(strstr(why.text, "main.cf, line 2"));
	free(missing);
	free(p);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* Expansion */

START_TEST(test_expand_forms)
{
	struct conf *cf = parse("x = 1\nempty =\ny = Y\n"
	    "a = $x\nb = ${x}\nc = $(x)\nd = <$x$y$undefined>\n"
	    "e = ${x?{yes}:{no}}\nf = ${nope:fallback}\ng = $$x\n"
	    "h = ${x?value}\ni = ${empty?value}\nj = ${x:value}\n"
	    "k = ${empty?{yes}:{no}}\nl = ${nope?{yes}:{no}}\n"
	    "m = ${ x ? {a b} : {c} }\nn = ${x?$y}\no = ${x?{${nope:in}}}\n"
	    "p = $$$x$$\nq = a}b)\nr = ${x?a:b}\ns = $(nope:{$y})\n"
	    "t = $x_y.$x-$y\nu = ${empty:{ $y }}\n");

	get_eq(cf, "a", "1");
	get_eq(cf, "b", "1");
	get_eq(cf, "c", "1");
	get_eq(cf, "d", "<1Y>");
	get_eq(cf, "e", "yes");
	get_eq(cf, "f", "fallback");
	get_eq(cf, "g", "$x");
	get_eq(cf, "h", "value");
	get_eq(cf, "i", "");
	get_eq(cf, "j", "");
	get_eq(cf, "k", "no");
	get_eq(cf, "l", "no");
	get_eq(cf, "m", "a b");
	get_eq(cf, "n", "Y");
	get_eq(cf, "o", "in");
	get_eq(cf, "p", "$1$");
	get_eq(cf, "q", "a}b)");
	get_eq(cf, "r", "a:b");	/* legacy form: all the rest is text */
	get_eq(cf, "s", "Y");
	get_eq(cf, "t", ".1-Y");	/* x_y is one (undefined) name */
	get_eq(cf, "u", " Y ");
	conf_free(cf);
}
END_TEST

START_TEST(test_expand_recursive)
{
	struct conf *cf = parse("a = $b/$c\nb = ${c}x\nc = $d\nd = deep\n"
	    "multi = ${multi_instance_name?{$multi_instance_name}:{postfix}}\n"
	    "uid = $virtual_minimum_uid\nindirect = $nothing\n"
	    "tested = ${indirect?raw-set}\nself = ${self?raw}\n");
	char	*v;

	get_eq(cf, "a", "deepx/deep");
	get_eq(cf, "multi", "postfix");
	get_eq(cf, "uid", "100");	/* a default expands */
	/* ? and : test the value as written, as Postfix does */
	get_eq(cf, "tested", "raw-set");
	get_eq(cf, "self", "raw");
	v = conf_expand(cf, "[$a] $$ ${x:{none}}", &why);
	ck_assert_str_eq(v, "[deepx/deep] $ none");
	free(v);
	v = conf_expand(cf, "", NULL);
	ck_assert_str_eq(v, "");
	free(v);
	conf_free(cf);
}
END_TEST

START_TEST(test_expand_loops)
{
	struct conf *cf = parse("a = $b\nb = $a\nself = x$self\n"
	    "c = ${d:$c}\nd =\nuse = ok $a\nok = fine\n");
	int	i;

	get_fails(cf, "a", "main.cf, line 1: parameter a");
	ck_assert_ptr_nonnull(strstr(why.text, "loop: $a -> $b -> $a"));
	get_fails(cf, "self", "loop");
	get_fails(cf, "c", "loop");
	get_fails(cf, "use", "loop");
	get_eq(cf, "ok", "fine");
	ck_assert_ptr_null(conf_expand(cf, "$b", &why));
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_ptr_null(conf_expand(cf, "$b", NULL));
	for (i = 0; i < 3; i++)		/* no state left behind */
		get_eq(cf, "ok", "fine");
	conf_free(cf);
}
END_TEST

START_TEST(test_expand_bounds)
{
	char	*text = malloc(65536), line[64];
	struct conf *cf;
	clock_t	t0;
	int	i;

	/* a chain of 60 is fine, one of 300 is too deep (not a crash) */
	text[0] = '\0';
	for (i = 0; i < 300; i++) {
		snprintf(line, sizeof(line), "p%d = $p%d\n", i, i + 1);
		strcat(text, line);
	}
	strcat(text, "p300 = end\np240 = end\n");
	cf = parse(text);
	get_eq(cf, "p180", "end");
	get_fails(cf, "p0", "deeper");
	conf_free(cf);
	/* doubling: e40 would be 2^40 bytes; must fail fast */
	strcpy(text, "e0 = xy\n");
	for (i = 1; i <= 40; i++) {
		snprintf(line, sizeof(line), "e%d = $e%d${e%d}\n", i, i - 1,
		    i - 1);
		strcat(text, line);
	}
	cf = parse(text);
	get_eq(cf, "e3", "xyxyxyxyxyxyxyxy");
	t0 = clock();
	get_fails(cf, "e40", "parameter e40");
	ck_assert(clock() - t0 < 20 * CLOCKS_PER_SEC);
	conf_free(cf);
	free(text);
}
END_TEST

START_TEST(test_expand_syntax_errors)
{
	struct conf *cf = parse("a = ${x\nb = $(x\nc = ${x?{a}\n"
	    "d = ${x?{a}junk}\ne = ${x:{a}?{b}}\nf = cost $\ng = ${}\n"
	    "h = ${{$x} == {1}?{y}}\ni = ${x y}\nj = $ x\nk = ${x?{a}:{b}\n"
	    "ref = $a\nx = 1\n");

	get_fails(cf, "a", "unbalanced");
	get_fails(cf, "b", "unbalanced");
	get_fails(cf, "c", "unbalanced");
	get_fails(cf, "d", "\":\" expected");
	get_fails(cf, "e", "unexpected text");
	get_fails(cf, "f", "without a parameter name");
	get_fails(cf, "g", "missing parameter name");
	get_fails(cf, "h", "unsupported relational");
	get_fails(cf, "i", "bad parameter name");
	get_fails(cf, "j", "without a parameter name");
	get_fails(cf, "k", "unbalanced");
	/* an error deep down still names the parameter asked for */
	get_fails(cf, "ref", "main.cf, line 12: parameter ref");
	ck_assert_ptr_null(conf_expand(cf, "${", &why));
	ck_assert_ptr_nonnull(strstr(why.text, "expanding \"${\""));
	conf_free(cf);
}
END_TEST

/* Defaults and -o */

START_TEST(test_defaults)
{
	static const char *const d[][2] = {
		{"virtual_minimum_uid", "100"},
		{"virtual_mailbox_limit", "51200000"},
		{"virtual_mailbox_lock", "fcntl, dotlock"},
		{"recipient_delimiter", ""},
		{"strict_mailbox_ownership", "yes"},
		{"deliver_lock_attempts", "20"},
		{"deliver_lock_delay", "1s"}, {"stale_lock_time", "500s"},
		{"enable_original_recipient", "yes"},
		{"syslog_name", "vdeliver"}, {"syslog_facility", "mail"},
		{"maillog_file", ""}, {"vdeliver_loop_check", "yes"},
		{"vdeliver_trusted_users", "root"},
	};
	static const char *const required[] = {"virtual_mailbox_base",
	    "virtual_mailbox_maps", "virtual_uid_maps", "virtual_gid_maps"};
	struct conf *cf = parse("syslog_name = mine\n");
	size_t	i;

	get_eq(cf, "syslog_name", "mine");
	conf_free(cf);
	cf = conf_new();
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		get_eq(cf, d[i][0], d[i][1]);
		ck_assert_ptr_null(conf_get_raw(cf, d[i][0]));
	}
	for (i = 0; i < 4; i++) {
		strcpy(why.dsn, "x");
		ck_assert_ptr_null(conf_get(cf, required[i], &why));
		ck_assert_str_eq(why.dsn, "x");	/* not an error */
	}
	ck_assert_ptr_null(conf_get(cf, "myhostname", NULL));
	conf_free(cf);
}
END_TEST

START_TEST(test_override)
{
	struct conf *cf = parse("base = /srv\nvirtual_mailbox_base = /x\n");
	int	line;

	ck_assert_int_eq(conf_override(cf, "virtual_mailbox_base=$base/m",
	    &why), 0);
	ck_assert_int_eq(conf_override(cf, " new = spaced value ", &why), 0);
	ck_assert_int_eq(conf_override(cf, "recipient_delimiter=", &why), 0);
	ck_assert_int_eq(conf_override(cf, "e=a=b", &why), 0);
	get_eq(cf, "virtual_mailbox_base", "/srv/m");
	get_eq(cf, "new", "spaced value");
	get_eq(cf, "e", "a=b");
	raw_eq(cf, "recipient_delimiter", "");
	ck_assert_str_eq(conf_where(cf, "new", &line), "command line");
	ck_assert_int_eq(line, 0);
	ck_assert_str_eq(conf_where(cf, "base", &line), "main.cf");
	ck_assert_int_eq(line, 1);
	ck_assert_str_eq(conf_where(cf, "unset", &line), "main.cf");
	ck_assert_int_eq(line, 0);
	ck_assert_int_eq(conf_override(cf, "novalue", &why), -1);
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_ptr_nonnull(strstr(why.text, "\"novalue\""));
	ck_assert_int_eq(conf_override(cf, "password s3cret", &why), -1);
	ck_assert_ptr_null(strstr(why.text, "s3cret"));
	ck_assert_int_eq(conf_override(cf, "=x", &why), -1);
	ck_assert_int_eq(conf_override(cf, "svc-name_x=1", &why), 0);
	ck_assert_int_eq(conf_override(cf, "", &why), -1);
	ck_assert_str_eq(why.dsn, "4.3.5");
	get_eq(cf, "virtual_mailbox_base", "/srv/m");	/* unchanged */
	conf_free(cf);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc;

	tc = tcase_create("syntax");
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_continuation);
	tcase_add_test(tc, test_comments_last_wins);
	tcase_add_test(tc, test_line_endings);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_load);
	suite_add_tcase(s, tc);
	tc = tcase_create("expand");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_expand_forms);
	tcase_add_test(tc, test_expand_recursive);
	tcase_add_test(tc, test_expand_loops);
	tcase_add_test(tc, test_expand_bounds);
	tcase_add_test(tc, test_expand_syntax_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("defaults");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_override);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(conf_suite()) != 0);
}
