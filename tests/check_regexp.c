/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_regexp.c - the regexp map against regexp_table(5): a table of
 * (file, flags, key) -> (result, value, warning) cases, the limits, and
 * thousands of random and mutated files that must neither crash nor leak.
 */
#include <ctype.h>
#include <regex.h>

#include "check_util.h"
#include "log.h"
#include "map.h"
#include "status.h"

#define F	MAP_FOUND
#define N	MAP_NOTFOUND
#define NS	MAP_OPEN_NOSUBST

static char *logpath;

struct rx_case {
	const char *text;
	int	flags;
	const char *key;
	int	expect;
	const char *value;
	const char *warn;	/* must be logged; NULL: no warning at all */
};

#define NEST "if /@example\\.com$/\nif /^a/\nif /^ab/\n/^abc@/ deep\n" \
	"endif\n/^a/ second\nendif\n/^x/ first-x\nendif\n/./ fallback\n"
#define UNTERM "/^z/ z\nif /^a/\n/./ in\n"
#define BADIF "if /^a/\nif /(/\n/./ inner\nendif\n/./ outer-in\nendif\n" \
	"/./ out\n"

static const struct rx_case cases[] = {
	/* Matching, flags. */
	{"/^a@b\\.c$/ box1\n", 0, "a@b.c", F, "box1", NULL},
	{"/^a@b\\.c$/ box1\n", 0, "x@b.c", N, NULL, NULL},
	{"/b@/ r\n", 0, "ab@c", F, "r", NULL},
	{"/^a@b\\.c$/ box1\n", 0, "A@B.C", F, "box1", NULL},
	{"/^abc$/i r\n", 0, "ABC", N, NULL, NULL},
	{"/^abc$/i r\n", 0, "abc", F, "r", NULL},
	{"/^abc$/ii r\n", 0, "ABC", F, "r", NULL},
	{"/^a+$/ r\n", 0, "aaa", F, "r", NULL},
	{"/^a+$/x r\n", 0, "a+", F, "r", NULL},
	{"/^a+$/x r\n", 0, "aa", N, NULL, NULL},
	{"/^\\(a*\\)b$/x [$1]\n", 0, "aab", F, "[aa]", NULL},
	{"/^\\(a\\)$/ r\n", 0, "(a)", F, "r", NULL},
	{"/^b/m r\n", 0, "a\nb", F, "r", NULL},
	{"/^b/ r\n", 0, "a\nb", N, NULL, NULL},
	{"/^B$/mi r\n", 0, "a\nb", N, NULL, NULL},
	/* Negation and the legacy two-pattern form. */
	{"!/^a/ notA\n", 0, "b", F, "notA", NULL},
	{"!/^a/ notA\n", 0, "a", N, NULL, NULL},
	{"! /^a/ notA\n", 0, "b", F, "notA", NULL},
	{"!!/^a/ A\n", 0, "ab", F, "A", NULL},
	{"/^a/!/^ab/ r\n", 0, "ax", F, "r", NULL},
	{"/^a/!/^ab/ r\n", 0, "ab", N, NULL, NULL},
	{"/^(a)(.)/!/z/ $2\n", 0, "ax", F, "x", NULL},
	{"!/a/!/b/ none\n", 0, "c", F, "none", NULL},
	/* if/endif. */
	{NEST, 0, "abc@example.com", F, "deep", NULL},
	{NEST, 0, "abd@example.com", F, "second", NULL},
	{NEST, 0, "ax@example.com", F, "second", NULL},
	{NEST, 0, "xy@example.com", F, "first-x", NULL},
	{NEST, 0, "b@example.com", F, "fallback", NULL},
	{NEST, 0, "abc@other.org", F, "fallback", NULL},
	{"if !/@example\\.com$/\n/./ foreign\nendif\n/./ local\n", 0,
	    "a@other.org", F, "foreign", NULL},
	{"if !/@example\\.com$/\n/./ foreign\nendif\n/./ local\n", 0,
	    "a@example.com", F, "local", NULL},
	{"IF /^a/\n/./ in\nENDIF\n/./ out\n", 0, "ab", F, "in", NULL},
	{"IF /^a/\n/./ in\nENDIF\n/./ out\n", 0, "b", F, "out", NULL},
	{"If/^a/\n/./ in\nEndIf\n/./ out\n", 0, "b", F, "out", NULL},
	{"if /^a/\n/^ab/ ab\nendif\n/./ other\n", 0, "ac", F, "other", NULL},
	{"endif\n/a/ r\n", 0, "a", F, "r",
	    "line 1: ignoring ENDIF without matching IF"},
	{"if /a/\nendif\nendif\n/./ r\n", 0, "a", F, "r",
	    "line 3: ignoring ENDIF without matching IF"},
	{UNTERM, 0, "b", N, NULL, "more IFs than ENDIFs"},
	{UNTERM, 0, "a", F, "in", "more IFs than ENDIFs"},
	{"if /^a/\nif /^ab/\n/./ ab\nendif\n/./ a-only\n", 0, "ac", F,
	    "a-only", "more IFs than ENDIFs"},
	{"if /a/ junk\n/./ in\nendif\n", 0, "a", F, "in",
	    "line 1: ignoring extra text after IF statement"},
	{"if /a/\n/./ in\nendif junk\n", 0, "a", F, "in",
	    "line 3: ignoring extra text after ENDIF"},
	/* Order and delimiters. */
	{"/a/ first\n/a/ second\n", 0, "a", F, "first", NULL},
	{"/b/ b\n/a/ a\n", 0, "ab", F, "b", NULL},
	{"|a/b| r\n", 0, "xa/by", F, "r", NULL},
	{",^a$, r\n", 0, "a", F, "r", NULL},
	{"if #^a#\n/./ in\nendif\n", 0, "a", F, "in", NULL},
	{"!#^a# r\n", 0, "b", F, "r", NULL},
	{"#^a# r\n/./ other\n", 0, "a", F, "other", NULL},
	{"/a\\/b/ r\n", 0, "a/b", F, "r", NULL},
	{"|a\\|b| r\n", 0, "a|b", F, "r", NULL},
	{"|a\\|b| r\n", 0, "a", N, NULL, NULL},
	/* Substitution. */
	{"/^(.*)@(.*)$/ $2/$1\n", 0, "u@d", F, "d/u", NULL},
	{"/^(.*)@(.*)$/ ${2}x$(1)$$y\n", 0, "u@d", F, "dxu$y", NULL},
	{"/^(a)?(b)$/ [$1][$2]\n", 0, "b", F, "[][b]", NULL},
	{"/^(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)$/ $10-$1\n", 0, "abcdefghij", F,
	    "j-a", NULL},
	{"/^(a)$/ $2\n/./ fallback\n", 0, "a", F, "fallback",
	    "line 1: out of range replacement index"},
	{"/^(.*)@/ $1\n/./ plain\n", NS, "u@d", F, "plain", "line 1: regular "
	    "expression substitution is not allowed: skipping this rule"},
	{"/^(.*)@/ x${1}\n/./ plain\n", NS, "u@d", F, "plain",
	    "line 1: regular expression substitution is not allowed"},
	{"/./ a$$b\n", NS, "x", F, "a$b", NULL},
	{"/a/ $x\n/a/ ok\n", 0, "a", F, "ok", "bad replacement syntax"},
	{"/a/ cost$\n/a/ ok\n", 0, "a", F, "ok", "bad replacement syntax"},
	{"/(a)/ ${1\n/a/ ok\n", 0, "a", F, "ok", "bad replacement syntax"},
	{"/(a)/ $0\n/a/ ok\n", 0, "a", F, "ok", "bad replacement syntax"},
	{"!/(a)/ $1\n/./ ok\n", 0, "b", F, "ok", "negative match"},
	/* Malformed rules. */
	{"/^a$/\n", 0, "a", F, "",
	    "line 1: no replacement text: using empty string"},
	{"/^a$/ \t \n", 0, "a", F, "", "no replacement text"},
	{"/a/q r1\n/a/ r2\n", 0, "a", F, "r2",
	    "line 1: unknown regexp option \"q\": skipping this rule"},
	{"/a/r1\n/a/ r2\n", 0, "a", F, "r2", "unknown regexp option \"r\""},
	{"/a(/ r1\n/a/ r2\n", 0, "a", F, "r2", "line 1: bad regexp \"a(\""},
	{BADIF, 0, "ab", F, "outer-in", "line 2: this IF never matches"},
	{BADIF, 0, "b", F, "out", "line 2: bad regexp"},
	{"if !/(/\n/./ in\nendif\n/./ out\n", 0, "a", F, "out",
	    "line 1: this IF never matches"},
	{"if\n/./ in\nendif\n/./ out\n", 0, "a", F, "out", "no regexp"},
	{"/abc r\n/./ ok\n", 0, "a", F, "ok",
	    "no closing regexp delimiter \"/\""},
	{"foo bar\n/a/ r\n", 0, "a", F, "r",
	    "line 1: ignoring unrecognized request"},
	{"  /a/ r\n/a/ s\n", 0, "a", F, "s",
	    "line 1: logical line must not start with white space"},
	/* Lines: continuation, comments, CRLF, end of file. */
	{"/^a$/ part1\n  part2\n", 0, "a", F, "part1  part2", NULL},
	{"/^a$/ x\n\ty\n", 0, "a", F, "x\ty", NULL},
	{"/^a$/\n# comment\n\n   value\n", 0, "a", F, "value", NULL},
	{"if\n /^a/\n/./ in\nendif\n/./ out\n", 0, "a", F, "in", NULL},
	{"/^b$/ rb\n  more\n/^a$/ ra\n", 0, "a", F, "ra", NULL},
	{"# c\n/b/ rb\n   # indented\n/a/ ra\n", 0, "a", F, "ra", NULL},
	{"# one\n/a/ x\n  y\n/b/q r\n", 0, "b", N, NULL,
	    "line 4: unknown regexp option"},
	{"/^a$/ r1\r\n/^b$/ r2\r\n", 0, "b", F, "r2", NULL},
	{"if /^a/\r\n/./ in\r\n  more\r\nendif\r\n", 0, "a", F, "in  more",
	    NULL},
	{"/^z$/ z\n/^a$/ last", 0, "a", F, "last", NULL},
	{"/^a$/ x\n y", 0, "a", F, "x y", NULL},
	{"/a/ r  \t\n", 0, "a", F, "r", NULL},
	{"/a/ x y  z\n", 0, "a", F, "x y  z", NULL},
	{"/^$/ empty\n", 0, "", F, "empty", NULL},
	{"", 0, "a", N, NULL, NULL},
	{"# x\n\n  \n\t\n", 0, "a", N, NULL, NULL},
};

/* The log (malloc'd); tests run one at a time, so each may empty it. */
static char *
rx_log(void)
{
	char	*buf;
	size_t	n;
	FILE	*fp;

	ck_assert_ptr_nonnull(fp = fopen(logpath, "r"));
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	ck_assert_ptr_nonnull(buf = calloc(1, (n = (size_t)ftell(fp)) + 1));
	rewind(fp);
	ck_assert_uint_eq(fread(buf, 1, n, fp), n);
	fclose(fp);
	return (buf);
}

START_TEST(test_case)
{
	const struct rx_case *c = &cases[_i];
	struct dstatus why;
	struct map *m;
	char	*dir = tu_mkdtemp(), *path, *value, *log;
	enum map_result r;

	ck_assert_int_eq(truncate(logpath, 0), 0);
	path = tu_write(dir, "map", c->text);
	m = map_regexp_ops.open(path, c->flags, &why);
	ck_assert_msg(m != NULL, "case %d: open: %s", _i, why.text);
	r = map_regexp_ops.lookup(m, c->key, &value, &why);
	ck_assert_msg((int)r == c->expect, "case %d: result %d", _i, r);
	if (r == MAP_FOUND)
		ck_assert_msg(strcmp(value, c->value) == 0,
		    "case %d: value \"%s\", want \"%s\"", _i, value, c->value);
	else
		ck_assert_ptr_null(value);
	free(value);
	map_regexp_ops.close(m);
	log = rx_log();
	if (c->warn == NULL)
		ck_assert_msg(*log == '\0', "case %d: warned %s", _i, log);
	else
		ck_assert_msg(strstr(log, c->warn) != NULL && strstr(log, path),
		    "case %d: no \"%s\" for %s in: %s", _i, c->warn, path, log);
	free(log);
	free(path);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_ops)
{
	ck_assert_str_eq(map_regexp_ops.type, "regexp");
	ck_assert_int_eq(map_regexp_ops.flags, MAP_PATTERN);
	ck_assert_ptr_null(map_regexp_ops.dump);
}
END_TEST

START_TEST(test_open_missing)
{
	struct dstatus why;
	char	*dir = tu_mkdtemp(), *path;

	ck_assert_int_ge(asprintf(&path, "%s/nonexistent", dir), 0);
	ck_assert_ptr_null(map_regexp_ops.open(path, 0, &why));
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_ptr_nonnull(strstr(why.text, path));
	/* A directory opens but cannot be read. */
	ck_assert_ptr_null(map_regexp_ops.open(dir, 0, &why));
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_ptr_nonnull(strstr(why.text, dir));
	ck_assert_ptr_null(map_regexp_ops.open("", 0, &why));
	ck_assert_str_eq(why.dsn, "4.3.5");
	free(path);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* Write len bytes of text (NULs included) to path. */
static void
rx_write(const char *path, const char *text, size_t len)
{
	FILE	*fp;

	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

/* Open text (len bytes), look key up, compare with want (NULL: none). */
static void
rx_check(const char *text, size_t len, int flags, const char *key,
    const char *want)
{
	struct dstatus why;
	struct map *m;
	char	*dir = tu_mkdtemp(), *path, *value;

	ck_assert_int_ge(asprintf(&path, "%s/map", dir), 0);
	rx_write(path, text, len);
	ck_assert_ptr_nonnull(m = map_regexp_ops.open(path, flags, &why));
	ck_assert_int_eq(map_regexp_ops.lookup(m, key, &value, &why),
	    want != NULL ? F : N);
	if (want != NULL)
		ck_assert_msg(strcmp(value, want) == 0, "value %.60s... "
		    "(%zu bytes), want %.60s...", value, strlen(value), want);
	free(value);
	map_regexp_ops.close(m);
	free(path);
	tu_rmtree(dir);
	free(dir);
}

START_TEST(test_long_lines)
{
	size_t	n = 150000, i;
	char	*text = malloc(2 * n + 10000), *want = malloc(2 * n + 2), *p;

	/* A long pattern (a|a|a...) and a long result, continued. */
	p = text + sprintf(text, "/^(");
	for (i = 0; i < 2000; i++)
		p += sprintf(p, "%sa", i ? "|" : "");
	p += sprintf(p, ")$/ ");
	memset(want, 'v', 2 * n + 1);
	want[n] = ' ';
	want[2 * n + 1] = '\0';
	memcpy(p, want, n);
	memcpy(p + n, "\n", 1);
	memcpy(p + n + 1, want + n, n + 1);
	p += 2 * n + 2;
	rx_check(text, (size_t)(p - text), 0, "a", want);
	free(text);
	free(want);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "/^a$/ va\0junk\n/^b$/ vb\n  more\n";
	char	*log;

	ck_assert_int_eq(truncate(logpath, 0), 0);
	rx_check(text, sizeof(text) - 1, 0, "a", "va");
	rx_check(text, sizeof(text) - 1, 0, "b", "vb  more");
	log = rx_log();
	ck_assert_ptr_nonnull(strstr(log, "line 1: null byte"));
	free(log);
}
END_TEST

START_TEST(test_many_rules_and_nesting)
{
	size_t	n = 20000, i, len = 0;
	char	*text = malloc(n * 40);

	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "/^k%zu$/ v%zu\n", i, i);
	rx_check(text, len, 0, "k19999", "v19999");
	rx_check(text, len, 0, "k20000", NULL);
	for (i = len = 0; i < 2000; i++)
		len += (size_t)sprintf(text + len, "if /a/\n");
	len += (size_t)sprintf(text + len, "/./ deep\n");
	for (i = 0; i < 2000; i++)
		len += (size_t)sprintf(text + len, "endif\n");
	len += (size_t)sprintf(text + len, "/./ out\n");
	rx_check(text, len, 0, "a", "deep");
	rx_check(text, len, 0, "b", "out");
	free(text);
}
END_TEST

START_TEST(test_repeat_lookups)
{
	static const char text[] = "/^(.)(.*)@(.*)$/ $3/$1/$2\n/./ x\n";
	struct dstatus why;
	struct map *m;
	char	*dir = tu_mkdtemp(), *path, *v1, *v2;

	path = tu_write(dir, "map", text);
	ck_assert_ptr_nonnull(m = map_regexp_ops.open(path, 0, &why));
	ck_assert_int_eq(map_regexp_ops.lookup(m, "user@dom", &v1, &why), F);
	ck_assert_int_eq(map_regexp_ops.lookup(m, "ab@cd", &v2, &why), F);
	ck_assert_str_eq(v1, "dom/u/ser");
	ck_assert_str_eq(v2, "cd/a/b");
	free(v1);
	free(v2);
	ck_assert_int_eq(map_regexp_ops.lookup(m, "", &v1, &why), N);
	map_regexp_ops.close(m);
	free(path);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/*
 * The prefilter and lazy compilation against always compiling: each
 * pattern (with its flags) and key must give what regcomp + regexec
 * give, through "/pat/flags" and through "!/pat/flags".
 */
static const struct {
	const char *pat;
	const char *flags;
} rx_tricky[] = {
	{"^r0001@example\\.com$", ""}, {"example\\.com", "x"},
	{"a\\.b", ""}, {"a.b", ""}, {"a\\\\b", ""}, {"a\\/b", ""},
	{"[a|b]c", ""}, {"[a|b]c", "x"}, {"[]a]b", ""}, {"[^ab]c", ""},
	{"[[:alpha:]]x", ""}, {"(ab)?c", ""}, {"\\(ab\\)*c", "x"},
	{"(ab)+c", ""}, {"a{0}b", ""}, {"a\\{0\\}b", "x"}, {"a{2}b", ""},
	{"ab?c", ""}, {"ab*c", ""}, {"ab+c", ""}, {"ab+c", "x"},
	{"ab\\+c", "x"}, {"ab\\?c", "x"}, {"ab\\?c", ""}, {"ab*c", "x"},
	{"a|bc", ""}, {"a\\|bc", "x"}, {"a\\|bc", ""}, {"(a|b)cd", ""},
	{"^abc", ""}, {"abc$", ""}, {"a^bc", "x"}, {"ab$c", "x"},
	{"^ABC$", ""}, {"^ABC$", "i"}, {"^abc$", "i"}, {"AbC", "i"},
	{"^b", "m"}, {"^B$", "mi"}, {"x\\wy", ""}, {"\\<ab", ""},
	{"(a)\\1b", ""}, {"*ab", "x"}, {"a**b", ""}, {"\\{ab", ""},
	{"a{,2}bc", ""}, {"ab)c", ""}, {"+ab", "x"}, {".*@example\\.org$", ""},
	{"^[a-z]+@d\\.x$", ""}, {"k@d", ""}, {"K@D", "i"}, {"@", ""},
	{"", ""}, {"a\\$b", ""}, {"a\\^b", "x"}, {"a-b_c%d", ""},
};

static const char *const rx_keys[] = {
	"", "a", "b", "c", "ab", "abc", "ABC", "AbC", "bc", "cd", "acd",
	"ac", "abbc", "aac", "a.b", "axb", "a\\b", "a/b", "ac", "]bc",
	"xc", "|c", "r0001@example.com", "R0001@EXAMPLE.COM", "x@example.org",
	"user@d.x", "k@d", "K@D", "a\nb", "a\nB", "xay", "x_y", "a-b_c%d",
	"a$b", "a^b", "a^bc", "ab$c", "ab)c", "+ab", "*ab", "{ab", "aab",
	"a{,2}bc", "bcabc", "ab+c", "ab?c", "example.com", "EXAMPLEXCOM",
};

/* What regcomp + regexec say for pattern p with flags f on key. */
static int
rx_oracle(const char *p, const char *f, const char *key)
{
	int	cflags = REG_EXTENDED | REG_ICASE, e;
	regex_t	re;

	for (; *f != '\0'; f++)
		cflags ^= *f == 'i' ? REG_ICASE : *f == 'x' ? REG_EXTENDED :
		    REG_NEWLINE;
	if (regcomp(&re, p, cflags) != 0)
		return (-1);
	e = regexec(&re, key, 0, NULL, 0);
	regfree(&re);
	return (e == 0);
}

START_TEST(test_prefilter_tricky)
{
	struct dstatus why;
	struct map *pos, *neg;
	char	*dir = tu_mkdtemp(), *text, *path, *value;
	const char *p = rx_tricky[_i].pat, *f = rx_tricky[_i].flags;
	size_t	k;
	int	want;

	/* '"' is a delimiter that no pattern here contains. */
	ck_assert_int_ge(asprintf(&text, "\"%s\"%s yes\n", p, f), 0);
	path = tu_write(dir, "pos", text);
	ck_assert_ptr_nonnull(pos = map_regexp_ops.open(path, 0, &why));
	free(path);
	free(text);
	ck_assert_int_ge(asprintf(&text, "!\"%s\"%s no\n", p, f), 0);
	path = tu_write(dir, "neg", text);
	ck_assert_ptr_nonnull(neg = map_regexp_ops.open(path, 0, &why));
	for (k = 0; k < sizeof(rx_keys) / sizeof(rx_keys[0]); k++) {
		want = rx_oracle(p, f, rx_keys[k]);
		if (want < 0)
			break;		/* does not compile: rule skipped */
		ck_assert_msg((int)map_regexp_ops.lookup(pos, rx_keys[k],
		    &value, &why) == (want ? F : N), "/%s/%s on \"%s\": want "
		    "%d", p, f, rx_keys[k], want);
		free(value);
		ck_assert_msg((int)map_regexp_ops.lookup(neg, rx_keys[k],
		    &value, &why) == (want ? N : F), "!/%s/%s on \"%s\": want "
		    "%d", p, f, rx_keys[k], !want);
		free(value);
	}
	map_regexp_ops.close(pos);
	map_regexp_ops.close(neg);
	free(path);
	free(text);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* The literal and the simple-subset verdict for some patterns. */
START_TEST(test_scan)
{
	static const struct {
		const char *pat;
		int	cflags;
		const char *lit;
		int	simple;
	} t[] = {
		{"^r0001@example\\.com$", REG_EXTENDED | REG_ICASE,
		    "r0001@example.com", 1},
		{"ABC", REG_EXTENDED | REG_ICASE, "abc", 1},
		{"ABC", REG_EXTENDED, "ABC", 1},
		{"(ab)?c", REG_EXTENDED, "c", 0},
		{"\\(ab\\)*cd", 0, "cd", 0},
		{"a|bcd", REG_EXTENDED, "", 0},
		{"abc\\|d", 0, "", 0},
		{"abc|d", 0, "abc", 0},		/* BRE: '|' is literal */
		{"[a|b]cd", REG_EXTENDED, "cd", 0},
		{"xy*z", REG_EXTENDED, "x", 1},
		{"xy+", REG_EXTENDED, "x", 1},
		{"xy+", 0, "xy", 0},		/* BRE: '+' is literal */
		{"xy\\+", 0, "x", 1},		/* GNU BRE: "\+" repeats */
		{"a{0}bc", REG_EXTENDED, "bc", 0},
		{"a\\{0\\}bc", 0, "bc", 0},
		{"a.b*", REG_EXTENDED, "a", 1},
		{".*", REG_EXTENDED, "", 1},
		{"a\\wbc", REG_EXTENDED, "bc", 0},
		{"a^b", REG_EXTENDED, "a", 0},
		{"ab$", REG_EXTENDED, "ab", 1},
		{"a(", REG_EXTENDED, "a", 0},
		{"ab)", REG_EXTENDED, "", 0},
		{"a[bc", REG_EXTENDED, "a", 0},
		{"a**", REG_EXTENDED, "", 0},
	};
	char	lit[65];
	size_t	i, n;
	int	simple;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = map_regexp_scan(t[i].pat, t[i].cflags, lit, sizeof(lit),
		    &simple);
		ck_assert_msg(strcmp(lit, t[i].lit) == 0 && n == strlen(lit),
		    "%s: literal \"%s\", want \"%s\"", t[i].pat, lit, t[i].lit);
		ck_assert_msg(simple == t[i].simple, "%s: simple %d",
		    t[i].pat, simple);
	}
}
END_TEST

/* xorshift32 for the random patterns below. */
static unsigned int rx_pseed = 20261206;

static unsigned int
rx_prand(void)
{
	rx_pseed ^= rx_pseed << 13;
	rx_pseed ^= rx_pseed >> 17;
	rx_pseed ^= rx_pseed << 5;
	return (rx_pseed);
}

/*
 * Random patterns of regex tokens, random flags: a simple pattern must
 * compile without groups, and a key that matches must contain the
 * literal (keys are random or built around the literal).
 */
START_TEST(test_prefilter_random)
{
	static const char *const tok[] = {
		"a", "b", "A", "ab", "\\.", ".", "*", "+", "?", "{", "}",
		"{0}", "{1,2}", "\\{", "\\}", "(", ")", "\\(", "\\)", "|",
		"\\|", "[", "]", "[a|b]", "[^a]", "[]a]", "[[:alpha:]]", "^",
		"$", "\\", "\\1", "\\w", "\\<", "@", "-", "\\*", "\\+", "\\?",
		"\\[", "\\$", "\\/", "k", "\n", " ",
	};
	static const char alpha[] = "abABk.@x-/|*+?{}()[]\\^$ 1\n";
	char	pat[160], lit[65], key[40];
	size_t	len, j, q;
	int	i, n, k, cflags, simple, e;
	regex_t	re;

	for (i = 0; i < 20000; i++) {
		pat[0] = '\0';
		for (n = (int)(rx_prand() % 10); n > 0; n--)
			strcat(pat, tok[rx_prand() % (sizeof(tok) /
			    sizeof(tok[0]))]);
		cflags = (rx_prand() & 1 ? REG_EXTENDED : 0) |
		    (rx_prand() & 1 ? REG_ICASE : 0) |
		    (rx_prand() % 4 == 0 ? REG_NEWLINE : 0);
		len = map_regexp_scan(pat, cflags, lit, sizeof(lit), &simple);
		e = regcomp(&re, pat, cflags);
		if (simple)
			ck_assert_msg(e == 0 && re.re_nsub == 0, "simple "
			    "\"%s\" (%d) does not compile clean", pat, cflags);
		if (e != 0)
			continue;
		for (k = 0; k < 20; k++) {
			q = 0;
			if (k % 4 == 0 && len > 0) {
				key[q++] = alpha[rx_prand() % (sizeof(alpha) -
				    1)];
				for (j = 0; j < len && q < sizeof(key) - 1; j++)
					key[q++] = (char)(rx_prand() & 1 ?
					    toupper((unsigned char)lit[j]) :
					    lit[j]);
			} else
				for (j = rx_prand() % 10; j > 0; j--)
					key[q++] = alpha[rx_prand() %
					    (sizeof(alpha) - 1)];
			key[q] = '\0';
			if (len == 0 || regexec(&re, key, 0, NULL, 0) != 0)
				continue;
			for (j = 0; key[j] != '\0'; j++)
				if ((cflags & REG_ICASE ? strncasecmp(key + j,
				    lit, len) : strncmp(key + j, lit, len)) ==
				    0)
					break;
			ck_assert_msg(key[j] != '\0', "\"%s\" (%d) matched "
			    "\"%s\" without its literal \"%s\"", pat, cflags,
			    key, lit);
		}
		regfree(&re);
	}
}
END_TEST

/* xorshift32: the same files on every run, whatever the libc. */
static unsigned int rx_seed = 20261122;

static unsigned int
rx_rand(void)
{
	rx_seed ^= rx_seed << 13;
	rx_seed ^= rx_seed >> 17;
	rx_seed ^= rx_seed << 5;
	return (rx_seed);
}

static const char rx_alpha[] =
    "/!ifendx$(){}[]\\ *+.abcdefghijklmnopqrstuvwxyz\n\t#|1IF\r";
static const char *const rx_tokens[] = {
	"\nif /", "\nendif\n", "\n/", "\n!/", "/ ", "$1", "${1}", "$(2)",
	"(a)", "/i ", "/x ", "/m ", "\n ", "\nIF !/", "$$", "\\/",
};

/* Write text to path, open it, look a few keys up, close. */
static void
rx_fuzz_one(const char *path, const char *text, size_t len, int flags)
{
	static const char *const keys[] = {
		"user@example.com", "", "a\nb", "if", "ab+c@x.y", "(a)/$1",
	};
	struct dstatus why;
	struct map *m;
	enum map_result r;
	char	*value;
	size_t	i;

	rx_write(path, text, len);
	m = map_regexp_ops.open(path, flags, &why);
	ck_assert_msg(m != NULL, "open: %s", why.text);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		r = map_regexp_ops.lookup(m, keys[i], &value, &why);
		ck_assert_int_ne(r, MAP_ERROR);
		ck_assert(r == MAP_FOUND ? value != NULL : value == NULL);
		free(value);
	}
	map_regexp_ops.close(m);
}

START_TEST(test_fuzz_random)
{
	char	*dir = tu_mkdtemp(), *path, text[600];
	size_t	len, want, n;
	int	i;

	ck_assert_int_ge(asprintf(&path, "%s/map", dir), 0);
	for (i = 0; i < 4000; i++) {
		for (len = 0, want = rx_rand() % 500; len < want;) {
			if (rx_rand() % 6 == 0) {
				n = rx_rand() % (sizeof(rx_tokens) /
				    sizeof(rx_tokens[0]));
				len += (size_t)sprintf(text + len, "%s",
				    rx_tokens[n]);
			} else
				text[len++] = rx_alpha[rx_rand() %
				    (sizeof(rx_alpha) - 1)];
		}
		rx_fuzz_one(path, text, len, i % 2 ? NS : 0);
	}
	free(path);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_fuzz_mutated)
{
	static const char base[] = NEST UNTERM BADIF "# c\n"
	    "/^(.*)@(.*)$/ ${2}/$(1)/$1$$\n  cont\r\n!/(a)/!/b/x q\n"
	    "|a\\|b|im r\n/a/!/b/ $1\nendif\nIF !/x/\n/y/ z";
	char	*dir = tu_mkdtemp(), *path, text[sizeof(base) + 8];
	size_t	len, k, pos;
	int	i;

	ck_assert_int_ge(asprintf(&path, "%s/map", dir), 0);
	for (len = 0; len < sizeof(base); len++)
		rx_fuzz_one(path, base, len, (int)len % 2 ? NS : 0);
	for (i = 0; i < 3000; i++) {
		memcpy(text, base, sizeof(base));
		len = sizeof(base) - 1;
		for (k = rx_rand() % 4 + 1; k > 0; k--) {
			pos = rx_rand() % len;
			if (rx_rand() % 3 == 0 && len > 1)	/* delete */
				memmove(text + pos, text + pos + 1,
				    len-- - pos);
			else
				text[pos] = rx_alpha[rx_rand() %
				    (sizeof(rx_alpha) - 1)];
		}
		rx_fuzz_one(path, text, len, i % 2 ? NS : 0);
	}
	free(path);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

static Suite *
rx_suite(void)
{
	Suite	*s = suite_create("regexp");
	TCase	*tc = tcase_create("table");
	TCase	*tf = tcase_create("fuzz");

	tcase_add_loop_test(tc, test_case, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_ops);
	tcase_add_test(tc, test_open_missing);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_many_rules_and_nesting);
	tcase_add_test(tc, test_repeat_lookups);
	tcase_add_loop_test(tc, test_prefilter_tricky, 0,
	    (int)(sizeof(rx_tricky) / sizeof(rx_tricky[0])));
	tcase_add_test(tc, test_scan);
	tcase_add_test(tc, test_prefilter_random);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tf, test_fuzz_random);
	tcase_add_test(tf, test_fuzz_mutated);
	tcase_set_timeout(tf, 1200);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tf);
	return (s);
}

int
main(void)
{
	struct dstatus why;
	char	dir[] = "/tmp/vdcheck.XXXXXX";
	int	failed;

	/* No ck_assert out here: check only takes them inside a test. */
	if (mkdtemp(dir) == NULL ||
	    asprintf(&logpath, "%s/maillog", dir) < 0 ||
	    log_open("check_regexp", "mail", logpath, &why) < 0) {
		fprintf(stderr, "check_regexp: cannot set up the log\n");
		return (1);
	}
	failed = tu_run(rx_suite());
	log_close();
	tu_rmtree(dir);
	free(logpath);
	return (failed != 0);
}
