/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_conf_settings.c - conf_settings.c: the typed value parsers
 * (junk, signs, units, overflow), conf_settings() with every default,
 * every range and every error message naming file, line and parameter.
 * A realistic Postfix main.cf is loaded in check_conf_maincf.c.
 */
#include <limits.h>

#include "check_util.h"
#include "conf.h"
#include "status.h"

static struct dstatus why;

/* Typed parsers */

START_TEST(test_parse_bool)
{
	static const char *const t[] = {"yes", "YES", "True", "1"};
	static const char *const f[] = {"no", "No", "FALSE", "0"};
	static const char *const bad[] = {"", "maybe", "yes ", "2", "on",
	    "y", "00"};
	size_t	i;
	int	v;

	for (i = 0; i < 4; i++) {
		v = -1;
		ck_assert_int_eq(conf_parse_bool(t[i], &v), 0);
		ck_assert_int_eq(v, 1);
		ck_assert_int_eq(conf_parse_bool(f[i], &v), 0);
		ck_assert_int_eq(v, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(conf_parse_bool(bad[i], &v) == -1, "%s", bad[i]);
}
END_TEST

START_TEST(test_parse_time)
{
	static const struct {
		const char *text;
		long	ms;
	} ok[] = {
		{"0", 0}, {"10", 10000}, {"10s", 10000}, {"2m", 120000},
		{"1h", 3600000}, {"1d", 86400000}, {"2w", 1209600000},
		{"250ms", 250}, {"0ms", 0}, {"500s", 500000},
		{"9223372036854775807ms", LONG_MAX},
	};
	static const char *const bad[] = {"", "-1", "1x", "s", "1 s", "1.5s",
	    "1S", "5000abc", "+5", " 5", "1sm", "99999999999999999999",
	    "9223372036854775807s", "9223372036854775808ms", "1y", "ms"};
	size_t	i;
	long	v;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(conf_parse_time(ok[i].text, &v) == 0, "%s",
		    ok[i].text);
		ck_assert_int_eq(v, ok[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(conf_parse_time(bad[i], &v) == -1, "%s", bad[i]);
}
END_TEST

START_TEST(test_parse_size)
{
	static const char *const bad[] = {"", "-1", "10k", "1m", "5000abc",
	    " 1", "1 ", "1.0", "+1", "9223372036854775808",
	    "18446744073709551616", "99999999999999999999999"};
	unsigned long long v;
	size_t	i;

	ck_assert_int_eq(conf_parse_size("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(conf_parse_size("51200000", &v), 0);
	ck_assert_uint_eq(v, 51200000);
	ck_assert_int_eq(conf_parse_size("9223372036854775807", &v), 0);
	ck_assert_uint_eq(v, 9223372036854775807ULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(conf_parse_size(bad[i], &v) == -1, "%s", bad[i]);
}
END_TEST

START_TEST(test_parse_locks)
{
	static const char *const bad[] = {"posix", "fcntlx", "dot lock",
	    "fcntl, lockf", "fcntl;dotlock"};
	size_t	i;
	int	m;

	ck_assert_int_eq(conf_parse_locks("fcntl, dotlock", &m), 0);
	ck_assert_int_eq(m, CONF_LOCK_FCNTL | CONF_LOCK_DOTLOCK);
	ck_assert_int_eq(conf_parse_locks("FLOCK", &m), 0);
	ck_assert_int_eq(m, CONF_LOCK_FLOCK);
	ck_assert_int_eq(conf_parse_locks("fcntl\tflock,,dotlock ,", &m), 0);
	ck_assert_int_eq(m, CONF_LOCK_FCNTL | CONF_LOCK_FLOCK |
	    CONF_LOCK_DOTLOCK);
	ck_assert_int_eq(conf_parse_locks("dotlock dotlock", &m), 0);
	ck_assert_int_eq(m, CONF_LOCK_DOTLOCK);
	m = -1;
	ck_assert_int_eq(conf_parse_locks("", &m), 0);
	ck_assert_int_eq(m, 0);
	m = -1;
	ck_assert_int_eq(conf_parse_locks(" , ", &m), 0);
	ck_assert_int_eq(m, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(conf_parse_locks(bad[i], &m) == -1, "%s", bad[i]);
}
END_TEST

/* conf_settings() */

static const char minimal[] =
    "virtual_mailbox_base = /var/vmail/\n"
    "virtual_mailbox_maps = hash:/etc/vmaps\n"
    "virtual_uid_maps = static:5000\n"
    "virtual_gid_maps = static:5000\n";

/* conf_settings() on minimal + extra, then -o override (may be NULL). */
static int
settings(const char *extra, const char *override, struct vconfig *vc)
{
	struct conf *cf = conf_new();
	char	*text;
	int	ret;

	ck_assert_int_ge(asprintf(&text, "%s%s", minimal, extra), 0);
	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(conf_parse_text(cf, "main.cf", text, &why), 0);
	if (override != NULL)
		ck_assert_int_eq(conf_override(cf, override, &why), 0);
	ret = conf_settings(cf, vc, &why);
	conf_free(cf);
	free(text);
	return (ret);
}

static void
settings_fail(const char *extra, const char *override, const char *a,
    const char *b)
{
	struct vconfig vc;

	ck_assert_msg(settings(extra, override, &vc) == -1, "accepted: %s",
	    extra);
	ck_assert_str_eq(why.dsn, "4.3.5");
	ck_assert_int_eq(why.ex, 75);
	ck_assert_msg(strstr(why.text, a) != NULL, "\"%s\" lacks \"%s\"",
	    why.text, a);
	ck_assert_msg(b == NULL || strstr(why.text, b) != NULL,
	    "\"%s\" lacks \"%s\"", why.text, b);
	ck_assert_ptr_null(vc.mailbox_base);	/* nothing left to free */
	ck_assert_ptr_null(vc.uid_maps);
}

START_TEST(test_settings_defaults)
{
	struct vconfig vc;

	ck_assert_int_eq(settings("", NULL, &vc), 0);
	ck_assert_str_eq(vc.mailbox_base, "/var/vmail");
	ck_assert_str_eq(vc.mailbox_maps, "hash:/etc/vmaps");
	ck_assert_str_eq(vc.uid_maps, "static:5000");
	ck_assert_str_eq(vc.gid_maps, "static:5000");
	ck_assert_uint_eq(vc.minimum_uid, 100);
	ck_assert_uint_eq(vc.mailbox_limit, 51200000);
	ck_assert_int_eq(vc.lock_methods, CONF_LOCK_FCNTL | CONF_LOCK_DOTLOCK);
	ck_assert_str_eq(vc.recipient_delimiter, "");
	ck_assert_int_eq(vc.strict_ownership, 1);
	ck_assert_int_eq(vc.lock_attempts, 20);
	ck_assert_int_eq(vc.lock_delay_ms, 1000);
	ck_assert_int_eq(vc.stale_lock_time, 500);
	ck_assert_int_eq(vc.enable_original_recipient, 1);
	ck_assert_str_eq(vc.syslog_name, "vdeliver");
	ck_assert_str_eq(vc.syslog_facility, "mail");
	ck_assert_str_eq(vc.maillog_file, "");
	ck_assert_int_eq(vc.loop_check, 1);
	ck_assert_str_eq(vc.trusted_users, "root");
	conf_settings_free(&vc);
	ck_assert_ptr_null(vc.mailbox_base);
	conf_settings_free(&vc);	/* twice is harmless */
}
END_TEST

START_TEST(test_settings_values)
{
	struct vconfig vc;

	ck_assert_int_eq(settings("virtual_minimum_uid = 4294967294\n"
	    "virtual_mailbox_limit = 0\nvirtual_mailbox_lock =\n"
	    "recipient_delimiter = +-\nstrict_mailbox_ownership = no\n"
	    "deliver_lock_attempts = 1\ndeliver_lock_delay = 0\n"
	    "stale_lock_time = 1500ms\nenable_original_recipient = false\n"
	    "syslog_name = vd\nsyslog_facility = local3\n"
	    "maillog_file = /var/log/vd.log\nvdeliver_loop_check = NO\n"
	    "vdeliver_trusted_users = root, vmail 5000\n", NULL, &vc), 0);
	ck_assert_uint_eq(vc.minimum_uid, 4294967294UL);
	ck_assert_uint_eq(vc.mailbox_limit, 0);
	ck_assert_int_eq(vc.lock_methods, 0);
	ck_assert_str_eq(vc.recipient_delimiter, "+-");
	ck_assert_int_eq(vc.strict_ownership, 0);
	ck_assert_int_eq(vc.lock_attempts, 1);
	ck_assert_int_eq(vc.lock_delay_ms, 0);
	ck_assert_int_eq(vc.stale_lock_time, 2);	/* rounded up */
	ck_assert_int_eq(vc.enable_original_recipient, 0);
	ck_assert_str_eq(vc.syslog_name, "vd");
	ck_assert_str_eq(vc.syslog_facility, "local3");
	ck_assert_str_eq(vc.maillog_file, "/var/log/vd.log");
	ck_assert_int_eq(vc.loop_check, 0);
	ck_assert_str_eq(vc.trusted_users, "root, vmail 5000");
	conf_settings_free(&vc);
	ck_assert_int_eq(settings("min = 500\nvirtual_minimum_uid = $min\n"
	    "stale_lock_time = 10m\n", "virtual_mailbox_base=/", &vc), 0);
	ck_assert_uint_eq(vc.minimum_uid, 500);
	ck_assert_int_eq(vc.stale_lock_time, 600);
	ck_assert_str_eq(vc.mailbox_base, "/");
	conf_settings_free(&vc);
	ck_assert_int_eq(settings("virtual_mailbox_base = //srv//\n", NULL,
	    &vc), 0);
	ck_assert_str_eq(vc.mailbox_base, "//srv");
	conf_settings_free(&vc);
	ck_assert_int_eq(settings("", "virtual_mailbox_base=//", &vc), 0);
	ck_assert_str_eq(vc.mailbox_base, "/");
	conf_settings_free(&vc);
}
END_TEST

START_TEST(test_settings_required)
{
	static const char *const names[] = {"virtual_mailbox_base",
	    "virtual_mailbox_maps", "virtual_uid_maps", "virtual_gid_maps"};
	struct conf *cf;
	struct vconfig vc;
	char	text[sizeof(minimal)], want[128], *line;
	size_t	i;

	for (i = 0; i < 4; i++) {
		/* minimal without the line that sets names[i] */
		strcpy(text, minimal);
		line = strstr(text, names[i]);
		memmove(line, strchr(line, '\n') + 1,
		    strlen(strchr(line, '\n') + 1) + 1);
		cf = conf_new();
		ck_assert_int_eq(conf_parse_text(cf, "/etc/vd.conf", text,
		    &why), 0);
		ck_assert_int_eq(conf_settings(cf, &vc, &why), -1);
		snprintf(want, sizeof(want), "/etc/vd.conf: missing required "
		    "parameter %s", names[i]);
		ck_assert_str_eq(why.text, want);
		ck_assert_str_eq(why.dsn, "4.3.5");
		ck_assert_ptr_null(vc.mailbox_base);
		conf_free(cf);
	}
	settings_fail("virtual_uid_maps =\n", NULL,
	    "main.cf, line 5: parameter virtual_uid_maps", "empty");
	settings_fail("virtual_gid_maps = , \n", NULL,
	    "main.cf, line 5: parameter virtual_gid_maps", "empty");
	settings_fail("virtual_mailbox_maps = $nothing\n", NULL,
	    "line 5: parameter virtual_mailbox_maps", "empty");
	settings_fail("", "virtual_mailbox_base=", "command line: parameter "
	    "virtual_mailbox_base", "empty");
}
END_TEST

START_TEST(test_settings_bad)
{
	static const char *const bad[][2] = {
		{"virtual_mailbox_base = var/vmail", "relative path name "
		    "\"var/vmail\""},
		{"virtual_minimum_uid = 0", "bad number"},
		{"virtual_minimum_uid = 5000abc", "\"5000abc\""},
		{"virtual_minimum_uid = -1", "bad number"},
		{"virtual_minimum_uid = 4294967295", "bad number"},
		{"virtual_minimum_uid =", "bad number"},
		{"deliver_lock_attempts = 0", "bad number"},
		{"deliver_lock_attempts = 2147483648", "bad number"},
		{"virtual_mailbox_limit = 10k", "bad size"},
		{"virtual_mailbox_limit = -1", "bad size"},
		{"deliver_lock_delay = -1", "bad time"},
		{"deliver_lock_delay = 1x", "bad time"},
		{"stale_lock_time = 0", "too small"},
		{"strict_mailbox_ownership = maybe", "bad boolean"},
		{"enable_original_recipient = nope", "bad boolean"},
		{"vdeliver_loop_check = 2", "bad boolean"},
		{"virtual_mailbox_lock = fcntl, posix", "bad lock method"},
		{"syslog_name =", "empty value"},
		{"syslog_facility =", "empty value"},
		{"maillog_file = vd.log", "relative path name"},
		{"virtual_uid_maps = static:$virtual_uid_maps", "loop"},
		{"virtual_gid_maps = ${x", "unbalanced"},
	};
	char	line[128], want[128];
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "%s\n", bad[i][0]);
		snprintf(want, sizeof(want), "main.cf, line 5: parameter %.*s:",
		    (int)strcspn(bad[i][0], " "), bad[i][0]);
		settings_fail(line, NULL, want, bad[i][1]);
	}
	settings_fail("", "virtual_mailbox_base=x", "command line: parameter "
	    "virtual_mailbox_base: relative path name \"x\"", NULL);
	settings_fail("", "virtual_minimum_uid=99x", "command line: parameter "
	    "virtual_minimum_uid", "\"99x\"");
	/* a bad default-free reference still names the file */
	settings_fail("", "virtual_mailbox_limit=$nope", "parameter "
	    "virtual_mailbox_limit: bad size", NULL);
}
END_TEST

static Suite *
conf_settings_suite(void)
{
	Suite	*s = suite_create("conf_settings");
	TCase	*tc;

	tc = tcase_create("parsers");
	tcase_add_test(tc, test_parse_bool);
	tcase_add_test(tc, test_parse_time);
	tcase_add_test(tc, test_parse_size);
	tcase_add_test(tc, test_parse_locks);
	suite_add_tcase(s, tc);
	tc = tcase_create("settings");
	tcase_add_test(tc, test_settings_defaults);
	tcase_add_test(tc, test_settings_values);
	tcase_add_test(tc, test_settings_required);
	tcase_add_test(tc, test_settings_bad);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(conf_settings_suite()) != 0);
}
