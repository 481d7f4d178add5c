/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_resolve.c - recipient resolution: strict ids, the order of the
 * checks and the status each failure carries; plus the delivery helpers
 * (headers, delay format).
 */
#include "check_util.h"

#include "conf.h"
#include "deliver.h"
#include "delivery.h"
#include "map.h"
#include "resolve.h"
#include "status.h"

START_TEST(test_parse_id)
{
	static const struct {
		const char *text;
		int	ok;
		unsigned long long value;
	} cases[] = {
		{"5000", 0, 5000}, {"0", 0, 0}, {"007", 0, 7},
		{"5000abc", -1, 0}, {"", -1, 0}, {"-1", -1, 0},
		{" 5", -1, 0}, {"5 ", -1, 0}, {"+5", -1, 0},
		{"4294967294", 0, 4294967294ULL}, {"4294967295", -1, 0},
		{"99999999999999999999999", -1, 0}, {"0x10", -1, 0},
	};
	unsigned long long id;
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		id = 12345;
		ck_assert_msg(resolve_parse_id(cases[i].text, 4294967294ULL,
		    &id) == cases[i].ok, "case %s", cases[i].text);
		if (cases[i].ok == 0)
			ck_assert_uint_eq(id, cases[i].value);
	}
}
END_TEST

static struct vconfig vc;
static struct delivery last;	/* freed by the next resolve_with() */

static void
free_last(void)
{
	delivery_free(&last);
}

static void
setup_vc(void)
{
	memset(&vc, 0, sizeof(vc));
	vc.mailbox_base = "/var/vmail";
	vc.minimum_uid = 100;
	vc.recipient_delimiter = "+";
}

/* Resolve rcpt against static/inline maps; returns the delivery. */
static struct delivery
resolve_with(const char *mbox, const char *uids, const char *gids,
    const char *rcpt)
{
	struct resolver rs = {.vc = &vc};
	struct delivery dl;
	struct dstatus why;

	free_last();
	memset(&dl, 0, sizeof(dl));
	dl.recipient = rcpt;
	rs.mailbox_maps = maplist_open("virtual_mailbox_maps", mbox,
	    MAP_OPEN_NOSUBST, &why);
	rs.uid_maps = maplist_open("virtual_uid_maps", uids, MAP_OPEN_NOSUBST,
	    &why);
	rs.gid_maps = maplist_open("virtual_gid_maps", gids, MAP_OPEN_NOSUBST,
	    &why);
	ck_assert_ptr_nonnull(rs.mailbox_maps);
	ck_assert_ptr_nonnull(rs.uid_maps);
	ck_assert_ptr_nonnull(rs.gid_maps);
	resolve_recipient(&rs, &dl);
	maplist_close(rs.mailbox_maps);
	maplist_close(rs.uid_maps);
	maplist_close(rs.gid_maps);
	last = dl;
	return (dl);
}

START_TEST(test_resolve_ok)
{
	struct delivery dl;

	dl = resolve_with("static:d/u/", "static:5000", "static:5001",
	    "User+x@Example.COM");
	ck_assert_int_eq(dl.resolved, 1);
	ck_assert_str_eq(dl.folded, "user+x@example.com");
	ck_assert_str_eq(dl.path, "/var/vmail/d/u/");
	ck_assert_str_eq(dl.relpath, "d/u");
	ck_assert_int_eq(dl.format, FORMAT_MAILDIR);
	ck_assert_uint_eq(dl.uid, 5000);
	ck_assert_uint_eq(dl.gid, 5001);
	ck_assert_str_eq(dl.map, "static:d/u/");
	ck_assert_str_eq(dl.key, "user+x@example.com");

	dl = resolve_with("static:/abs//mbox", "static:100", "static:1",
	    "a@b");
	ck_assert_int_eq(dl.resolved, 1);
	ck_assert_str_eq(dl.path, "/var/vmail/abs/mbox");
	ck_assert_int_eq(dl.format, FORMAT_MBOX);
}
END_TEST

START_TEST(test_resolve_failures)
{
	static const struct {
		const char *mbox, *uid, *gid, *dsn, *text;
	} cases[] = {
		{"static:d/u", "static:99", "static:5", "4.3.5", "bad uid 99"},
		{"static:d/u", "static:0", "static:5", "4.3.5", "bad uid 0"},
		{"static:d/u", "static:5000abc", "static:5", "4.3.5",
		    "bad uid 5000abc"},
		{"static:d/u", "static:-1", "static:5", "4.3.5", "bad uid"},
		{"static:d/u", "static:4294967295", "static:5", "4.3.5",
		    "bad uid"},
		{"static:d/u", "static:5000", "static:0", "4.3.5", "bad gid 0"},
		{"static:../x", "static:5000", "static:5", "4.3.5",
		    "bad mailbox path"},
		{"static:d/../../x", "static:5000", "static:5", "4.3.5",
		    "bad mailbox path"},
		{"static:/", "static:5000", "static:5", "4.3.5",
		    "bad mailbox path"},
		{"static:d/u", "static:", "static:5", "4.3.5", ""},
	};
	struct delivery dl;
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dl = resolve_with(cases[i].mbox, cases[i].uid, cases[i].gid,
		    "u@d");
		ck_assert_msg(dl.resolved == 0, "case %zu resolved", i);
		ck_assert_msg(strcmp(dl.status.dsn, cases[i].dsn) == 0,
		    "case %zu: dsn %s", i, dl.status.dsn);
		ck_assert_int_eq(dl.status.ex, 75);
		ck_assert_msg(strstr(dl.status.text, cases[i].text) != NULL,
		    "case %zu: text %s", i, dl.status.text);
	}
}
END_TEST

START_TEST(test_resolve_unknown)
{
	char	*dir = tu_mkdtemp();
	char	*path = tu_write(dir, "vmailbox", "known@d d/known\n");
	char	*spec;
	struct delivery dl;

	ck_assert_int_ge(asprintf(&spec, "texthash:%s", path), 0);
	dl = resolve_with(spec, "static:5000", "static:5", "Other@D");
	ck_assert_int_eq(dl.resolved, 0);
	ck_assert_str_eq(dl.status.dsn, "5.1.1");
	ck_assert_int_eq(dl.status.ex, 67);
	ck_assert_str_eq(dl.status.text, "unknown user: \"other@d\"");

	/* a uid map that does not know the user defers, never bounces */
	dl = resolve_with(spec, spec, "static:5", "known@d");
	ck_assert_int_eq(dl.resolved, 0);
	ck_assert_str_eq(dl.status.dsn, "4.3.5");
	ck_assert_ptr_nonnull(strstr(dl.status.text, "virtual_uid_maps"));

	/* a missing table defers */
	dl = resolve_with("texthash:/nonexistent/x", "static:5000",
	    "static:5", "known@d");
	ck_assert_int_eq(dl.resolved, 0);
	ck_assert_str_eq(dl.status.dsn, "4.3.5");
	tu_rmtree(dir);
	free(spec);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_headers)
{
	struct delivery dl;
	char	*h;

	memset(&dl, 0, sizeof(dl));
	dl.recipient = "User+X@Example.COM";
	dl.sender = "";
	h = deliver_headers(&dl, &vc);
	ck_assert_str_eq(h, "Return-Path: <>\n"
	    "Delivered-To: User+X@Example.COM\n");
	free(h);
	dl.sender = "s@x";
	dl.orig_rcpt = "orig@x";
	vc.enable_original_recipient = 1;
	h = deliver_headers(&dl, &vc);
	ck_assert_str_eq(h, "Return-Path: <s@x>\nX-Original-To: orig@x\n"
	    "Delivered-To: User+X@Example.COM\n");
	free(h);
	vc.enable_original_recipient = 0;
	h = deliver_headers(&dl, &vc);
	ck_assert_str_eq(h, "Return-Path: <s@x>\n"
	    "Delivered-To: User+X@Example.COM\n");
	free(h);
	dl.recipient = "a b@x";
	h = deliver_headers(&dl, &vc);
	ck_assert_str_eq(h, "Return-Path: <s@x>\nDelivered-To: \"a b\"@x\n");
	free(h);
}
END_TEST

START_TEST(test_delay)
{
	static const struct {
		double	sec;
		const char *text;
	} cases[] = {
		{0.0, "0"}, {0.02, "0.02"}, {0.1, "0.1"}, {0.123, "0.12"},
		{1.0, "1"}, {1.26, "1.3"}, {12.4, "12"}, {150.2, "150"},
		{-1, "0"},
	};
	char	buf[32];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		deliver_format_delay(buf, sizeof(buf), cases[i].sec);
		ck_assert_str_eq(buf, cases[i].text);
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("resolve");
	TCase	*tc = tcase_create("resolve");

	tcase_add_checked_fixture(tc, setup_vc, free_last);
	tcase_add_test(tc, test_parse_id);
	tcase_add_test(tc, test_resolve_ok);
	tcase_add_test(tc, test_resolve_failures);
	tcase_add_test(tc, test_resolve_unknown);
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_delay);
	suite_add_tcase(s, tc);
	return (tu_run(s) == 0 ? 0 : 1);
}
