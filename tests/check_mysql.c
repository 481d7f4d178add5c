/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_mysql.c - the mysql backend below the black-box suite: the
 * %-expansion of query and result_format, key splitting, the hosts list,
 * open-time validation, "no query" decisions, retry_interval, and (only
 * when tests/run_mysql.sh provides a private server through
 * VDELIVER_TEST_MYSQL_SOCK and VDELIVER_TEST_MYSQL_PASSWORD) reconnection
 * after the server dropped an idle connection, and idle_interval.
 */
#include "check_util.h"

#ifdef HAVE_MYSQL
#include <mysql.h>

#include "../src/map_mysql.h"
#include "status.h"

static struct dstatus why;

/*
 * Test escaper: doubles quotes and backslashes (within the 2n + 1 bytes
 * of the contract), so an escaped part is told from the format text.
 */
static size_t
fake_escape(void *ctx, char *to, const char *from, size_t len)
{
	size_t	i, n = 0;

	(void)ctx;
	for (i = 0; i < len; i++) {
		if (from[i] == '\'' || from[i] == '\\')
			to[n++] = from[i];
		to[n++] = from[i];
	}
	to[n] = '\0';
	return (n);
}

/* An escaper that fails as mysql_real_escape_string() can: (ulong)-1. */
static size_t
failing_escape(void *ctx, char *to, const char *from, size_t len)
{
	(void)ctx;
	(void)from;
	(void)len;
	to[0] = '\0';
	return ((size_t)-1);
}

/* Expand fmt; returns the malloc'd result or NULL when suppressed. */
static char *
expand(const char *fmt, const char *key, const char *val, int escaped)
{
	struct map_mysql_key k, v;
	struct map_mysql_buf b = {0};
	int	rc;

	map_mysql_key_split(&k, key);
	if (val != NULL)
		map_mysql_key_split(&v, val);
	map_mysql_buf_add(&b, "", 0);
	rc = map_mysql_expand(&b, fmt, &k, val != NULL ? &v : NULL,
	    escaped ? fake_escape : NULL, NULL);
	map_mysql_key_free(&k);
	if (val != NULL)
		map_mysql_key_free(&v);
	ck_assert_int_ge(rc, 0);
	if (rc == 0) {
		ck_assert_str_eq(b.s, "");	/* restored */
		map_mysql_buf_free(&b);
		return (NULL);
	}
	return (b.s);
}

static void
expand_eq(const char *fmt, const char *key, const char *val, int escaped,
    const char *want)
{
	char	*got = expand(fmt, key, val, escaped);

	ck_assert_msg(got != NULL, "%s on %s: suppressed", fmt, key);
	ck_assert_str_eq(got, want);
	free(got);
}

static void
expand_none(const char *fmt, const char *key, const char *val)
{
	char	*got = expand(fmt, key, val, 1);

	ck_assert_msg(got == NULL, "%s on %s: got %s", fmt, key, got);
}

START_TEST(test_format_check)
{
	ck_assert_int_eq(map_mysql_format_check("a %s %u %d %S %U %D %1 %9 "
	    "%% z"), 0);
	ck_assert_int_eq(map_mysql_format_check(""), 0);
	ck_assert_int_eq(map_mysql_format_check("%x"), -1);
	ck_assert_int_eq(map_mysql_format_check("%0"), -1);
	ck_assert_int_eq(map_mysql_format_check("abc%"), -1);
	ck_assert_int_eq(map_mysql_format_check("%%%"), -1);
}
END_TEST

START_TEST(test_key_split)
{
	struct map_mysql_key k;
	int	i;

	map_mysql_key_split(&k, "user@mail.example.com");
	ck_assert_str_eq(k.user, "user");
	ck_assert_str_eq(k.domain, "mail.example.com");
	ck_assert_int_eq(k.nlabels, 3);
	ck_assert_int_eq(strncmp(k.label[0], "com", k.label_len[0]), 0);
	ck_assert_int_eq(strncmp(k.label[2], "mail", k.label_len[2]), 0);
	map_mysql_key_free(&k);
	map_mysql_key_split(&k, "no-domain");
	ck_assert_ptr_null(k.user);
	ck_assert_ptr_null(k.domain);
	ck_assert_int_eq(k.nlabels, 0);
	map_mysql_key_free(&k);
	map_mysql_key_split(&k, "\"a@b\"@c.d");		/* the last '@' */
	ck_assert_str_eq(k.user, "\"a@b\"");
	ck_assert_str_eq(k.domain, "c.d");
	map_mysql_key_free(&k);
	map_mysql_key_split(&k, "u@");
	ck_assert_str_eq(k.domain, "");
	ck_assert_int_eq(k.nlabels, 0);
	map_mysql_key_free(&k);
	map_mysql_key_split(&k, "u@a.b.c.d.e.f.g.h.i.j.k.l");
	ck_assert_int_eq(k.nlabels, 9);
	for (i = 0; i < 9; i++)
		ck_assert_int_eq(k.label_len[i], 1);
	ck_assert_int_eq(k.label[8][0], 'd');
	map_mysql_key_free(&k);
}
END_TEST

START_TEST(test_expand_query)
{
	struct map_mysql_key k;
	struct map_mysql_buf b = {0};

	/* Only the key's parts are escaped, never the format text. */
	expand_eq("SELECT x FROM t WHERE a='%s' AND b='%u' AND c='%d'",
	    "o'k@e'x.com", NULL, 1, "SELECT x FROM t WHERE a='o''k@e''x.com' "
	    "AND b='o''k' AND c='e''x.com'");
	expand_eq("'%1'/'%2'/'%3' 100%% %%s", "u@mail.e'x.com", NULL, 1,
	    "'com'/'e''x'/'mail' 100% %s");
	expand_eq("%S|%U|%D", "a\\b@x.y", NULL, 1,
	    "a\\\\b@x.y|a\\\\b|x.y");
	/* %u of a key without '@' is the whole key. */
	expand_eq("u='%u'", "postmaster", NULL, 1, "u='postmaster'");
	expand_eq("'%s'", "@example.com", NULL, 1, "'@example.com'");
	/* A failing escape function fails the expansion. */
	map_mysql_key_split(&k, "a@b.c");
	ck_assert_int_eq(map_mysql_expand(&b, "'%s'", &k, NULL,
	    failing_escape, NULL), -1);
	map_mysql_key_free(&k);
	map_mysql_buf_free(&b);
}
END_TEST

START_TEST(test_expand_suppressed)
{
	expand_none("u='%u'", "@example.com", NULL);	/* catch-all key */
	expand_none("d='%d'", "nodomain", NULL);
	expand_none("d='%d'", "user@", NULL);
	expand_none("l='%1'", "nodomain", NULL);
	expand_none("l='%3'", "u@example.com", NULL);
	expand_none("x %U", "@example.com", NULL);
}
END_TEST

START_TEST(test_expand_result)
{
	/* Lower case from the value, upper case and %1..%9 from the key. */
	expand_eq("%u|%d|%s|%S|%U|%D|%1|%2", "alice@example.org",
	    "someone@value.example", 0, "someone|value.example|"
	    "someone@value.example|alice@example.org|alice|example.org|org|"
	    "example");
	expand_eq("%u/", "k@x.y", "plain", 0, "plain/");
	expand_eq("%s%%", "k@x.y", "v", 0, "v%");
	expand_none("%d", "k@x.y", "plain");		/* value lacks @ */
	expand_none("%u", "k@x.y", "@only.domain");
	expand_none("%s %U", "@x.y", "v");
	expand_none("%s %3", "k@x.y", "v");
}
END_TEST

START_TEST(test_printable)
{
	char	buf[8];

	ck_assert_str_eq(map_mysql_printable("a\nb\tc\x7f", buf, sizeof(buf)),
	    "a?b?c?");
	ck_assert_str_eq(map_mysql_printable("0123456789", buf, sizeof(buf)),
	    "0123456");
}
END_TEST

/* Write text as a .cf in dir and open it; NULL with `why' on failure. */
static struct map_mysql *
open_cf(const char *dir, const char *text, int flags)
{
	char	*path = tu_write(dir, "t.cf", text);
	struct map *m;

	memset(&why, 0, sizeof(why));
	m = map_mysql_ops.open(path, flags, &why);
	free(path);
	return ((struct map_mysql *)m);
}

static void
open_fails(const char *text, const char *what)
{
	char	*dir = tu_mkdtemp();
	struct map_mysql *m = open_cf(dir, text, 0);

	ck_assert_msg(m == NULL, "opened: %s", text);
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_msg(strstr(why.text, what) != NULL, "\"%s\" lacks \"%s\"",
	    why.text, what);
	tu_rmtree(dir);
	free(dir);
}

#define BASE	"user = u\npassword = p\n"
#define Q	"query = SELECT v FROM t WHERE k='%s'\n"

START_TEST(test_open_errors)
{
	open_fails(BASE Q, "dbname");
	open_fails(BASE "dbname = d\n", "query");
	open_fails(BASE "dbname = d\nquery = SELECT '%x'\n", "query");
	open_fails(BASE "dbname = d\n" Q "result_format = %y\n",
	    "result_format");
	open_fails(BASE "dbname = d\n" Q "hosts = inet:h:99999\n", "hosts");
	open_fails(BASE "dbname = d\n" Q "hosts = unix:relative\n", "hosts");
	open_fails(BASE "dbname = d\n" Q "expansion_limit = -1\n",
	    "expansion_limit");
	open_fails(BASE "dbname = d\n" Q "retry_interval = soon\n",
	    "retry_interval");
	open_fails(BASE "dbname = d\n" Q "tls_verify_cert = maybe\n",
	    "tls_verify_cert");
	open_fails(BASE "dbname = d\n" Q "domain = nosuchtype:/x\n",
	    "nosuchtype");
	open_fails(BASE "dbname = d\n" Q "domain = /nonexistent/list\n",
	    "/nonexistent/list");
}
END_TEST

START_TEST(test_open_missing_file)
{
	memset(&why, 0, sizeof(why));
	ck_assert_ptr_null(map_mysql_ops.open("/nonexistent/x.cf", 0, &why));
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_ptr_nonnull(strstr(why.text, "/nonexistent/x.cf"));
}
END_TEST

START_TEST(test_hosts_parse)
{
	char	*dir = tu_mkdtemp();
	struct map_mysql *m;

	m = open_cf(dir, BASE "dbname = d\n" Q "hosts = unix:/a, inet:db:3306"
	    " /b h:12\n  [::1]:5 inet:[fe80::1] ::1 localhost\n", 0);
	ck_assert_msg(m != NULL, "%s", why.text);
	ck_assert_int_eq(m->nhosts, 8);
	ck_assert(m->hosts[0].is_unix);
	ck_assert_str_eq(m->hosts[0].addr, "/a");
	ck_assert_str_eq(m->hosts[1].addr, "db");
	ck_assert_int_eq(m->hosts[1].port, 3306);
	ck_assert(m->hosts[1].force_tcp);
	ck_assert(m->hosts[2].is_unix);
	ck_assert_str_eq(m->hosts[2].addr, "/b");
	ck_assert_int_eq(m->hosts[3].port, 12);
	ck_assert(!m->hosts[3].force_tcp);
	ck_assert_str_eq(m->hosts[4].addr, "::1");
	ck_assert_int_eq(m->hosts[4].port, 5);
	ck_assert_str_eq(m->hosts[5].addr, "fe80::1");
	ck_assert_int_eq(m->hosts[5].port, 0);
	ck_assert_str_eq(m->hosts[6].addr, "::1");
	ck_assert_str_eq(m->hosts[7].name, "localhost");
	ck_assert(!m->hosts[7].is_unix);
	map_mysql_ops.close(&m->map);
	/* Default: localhost (the library's default UNIX socket). */
	m = open_cf(dir, BASE "dbname = d\n" Q, 0);
	ck_assert_int_eq(m->nhosts, 1);
	ck_assert_str_eq(m->hosts[0].addr, "localhost");
	map_mysql_ops.close(&m->map);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

static enum map_result
lookup(struct map_mysql *m, const char *key, char **v)
{
	memset(&why, 0, sizeof(why));
	return (map_mysql_ops.lookup(&m->map, key, v, &why));
}

/* No server at all: what must not even try to connect, and the errors. */
START_TEST(test_no_query_needed)
{
	char	*dir = tu_mkdtemp(), *v;
	struct map_mysql *m;

	m = open_cf(dir, BASE "dbname = d\nhosts = unix:/nonexistent/sock\n"
	    "query = SELECT v FROM t WHERE u='%u' AND d='%d'\n", 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(lookup(m, "@example.com", &v), MAP_NOTFOUND);
	ck_assert_int_eq(lookup(m, "nodomain", &v), MAP_NOTFOUND);
	ck_assert_int_eq(lookup(m, "", &v), MAP_NOTFOUND);
	ck_assert_int_eq(lookup(m, "u@example.com", &v), MAP_ERROR);
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_ptr_nonnull(strstr(why.text, "unix:/nonexistent/sock"));
	map_mysql_ops.close(&m->map);
	m = open_cf(dir, BASE "dbname = d\nhosts = unix:/nonexistent/sock\n"
	    Q "domain = example.com, Example.ORG\n", 0);
	ck_assert_int_eq(lookup(m, "u@other.com", &v), MAP_NOTFOUND);
	ck_assert_int_eq(lookup(m, "@example.com", &v), MAP_NOTFOUND);
	ck_assert_int_eq(lookup(m, "example.com", &v), MAP_NOTFOUND);
	ck_assert_int_eq(lookup(m, "u@sub.example.com", &v), MAP_NOTFOUND);
	ck_assert_int_eq(lookup(m, "u@example.com", &v), MAP_ERROR);
	ck_assert_int_eq(lookup(m, "u@example.org", &v), MAP_ERROR);
	map_mysql_ops.close(&m->map);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_retry_interval)
{
	char	*dir = tu_mkdtemp(), *v;
	struct map_mysql *m;

	m = open_cf(dir, BASE "dbname = d\nhosts = unix:/dead/1 unix:/dead/2\n"
	    Q, 0);
	ck_assert_int_eq(lookup(m, "a@b.c", &v), MAP_ERROR);
	ck_assert_ptr_nonnull(strstr(why.text, "unix:/dead/1: "));
	ck_assert_ptr_nonnull(strstr(why.text, "unix:/dead/2: "));
	ck_assert_ptr_null(strstr(why.text, "retry_interval"));
	/* Both just failed: skipped, not tried again. */
	ck_assert_int_eq(lookup(m, "a@b.c", &v), MAP_ERROR);
	ck_assert_ptr_nonnull(strstr(why.text, "retry_interval"));
	map_mysql_ops.close(&m->map);
	/* A single host is always tried (as Postfix 3.10+). */
	m = open_cf(dir, BASE "dbname = d\nhosts = unix:/dead/1\n" Q, 0);
	ck_assert_int_eq(lookup(m, "a@b.c", &v), MAP_ERROR);
	ck_assert_int_eq(lookup(m, "a@b.c", &v), MAP_ERROR);
	ck_assert_ptr_null(strstr(why.text, "retry_interval"));
	map_mysql_ops.close(&m->map);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* A .cf for the private server of tests/run_mysql.sh, plus extra lines. */
static struct map_mysql *
open_live(const char *dir, const char *extra)
{
	char	*text;
	struct map_mysql *m;

	ck_assert_int_ge(asprintf(&text, "hosts = unix:%s\nuser = vdeliver\n"
	    "password = %s\ndbname = vmail\nquery = SELECT maildir FROM users "
	    "WHERE email = '%%s'\n%s", getenv("VDELIVER_TEST_MYSQL_SOCK"),
	    getenv("VDELIVER_TEST_MYSQL_PASSWORD"), extra), 0);
	m = open_cf(dir, text, MAP_OPEN_NOSUBST);
	free(text);
	ck_assert_msg(m != NULL, "%s", why.text);
	return (m);
}

static void
found(struct map_mysql *m, const char *key, const char *want)
{
	char	*v;

	ck_assert_msg(lookup(m, key, &v) == MAP_FOUND, "%s: %s", key,
	    why.text);
	ck_assert_str_eq(v, want);
	free(v);
}

/* The server drops the idle connection; the next lookup reconnects. */
START_TEST(test_reconnect)
{
	char	*dir = tu_mkdtemp(), *opt, *extra;
	struct map_mysql *m;
	unsigned long id;

	opt = tu_write(dir, "my.cnf", "[client]\n"
	    "init-command=SET SESSION wait_timeout=1\n");
	ck_assert_int_ge(asprintf(&extra, "option_file = %s\n"
	    "idle_interval = 0\n", opt), 0);
	m = open_live(dir, extra);
	found(m, "user@example.com", "example.com/user/");
	id = m->lib->thread_id(m->db);
	sleep(3);
	found(m, "user@example.com", "example.com/user/");
	ck_assert_uint_ne(id, m->lib->thread_id(m->db));
	map_mysql_ops.close(&m->map);
	free(extra);
	free(opt);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_idle_interval)
{
	char	*dir = tu_mkdtemp();
	struct map_mysql *m;
	unsigned long id;

	m = open_live(dir, "idle_interval = 1s\n");
	found(m, "user@example.com", "example.com/user/");
	id = m->lib->thread_id(m->db);
	found(m, "user@example.com", "example.com/user/");
	ck_assert_uint_eq(id, m->lib->thread_id(m->db));	/* reused */
	sleep(2);
	found(m, "user@example.com", "example.com/user/");
	ck_assert_uint_ne(id, m->lib->thread_id(m->db));	/* closed, new */
	map_mysql_ops.close(&m->map);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

static Suite *
mysql_suite(void)
{
	Suite	*s = suite_create("mysql");
	TCase	*tc;

	tc = tcase_create("expand");
	tcase_add_test(tc, test_format_check);
	tcase_add_test(tc, test_key_split);
	tcase_add_test(tc, test_expand_query);
	tcase_add_test(tc, test_expand_suppressed);
	tcase_add_test(tc, test_expand_result);
	tcase_add_test(tc, test_printable);
	suite_add_tcase(s, tc);
	tc = tcase_create("open");
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_open_missing_file);
	tcase_add_test(tc, test_hosts_parse);
	tcase_add_test(tc, test_no_query_needed);
	tcase_add_test(tc, test_retry_interval);
	suite_add_tcase(s, tc);
	if (getenv("VDELIVER_TEST_MYSQL_SOCK") != NULL &&
	    getenv("VDELIVER_TEST_MYSQL_PASSWORD") != NULL) {
		tc = tcase_create("server");
		tcase_set_timeout(tc, 30);
		tcase_add_test(tc, test_reconnect);
		tcase_add_test(tc, test_idle_interval);
		suite_add_tcase(s, tc);
	}
	return (s);
}

int
main(void)
{
	return (tu_run(mysql_suite()) != 0);
}

#else	/* !HAVE_MYSQL: nothing to test */

int
main(void)
{
	printf("check_mysql: built without MySQL support\n");
	return (0);
}

#endif
