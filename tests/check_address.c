/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_address.c - folding, the lookup key sequence (SPEC section 5,
 * reference section 1 and section 11 items 5 and 6) and RFC 822 quoting.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "check_util.h"

struct keys_case {
	const char *delims;
	const char *addr;
	const char *want[ADDRESS_MAX_KEYS + 1];	/* NULL-terminated */
};

static const struct keys_case keys_cases[] = {
	/* No delimiter: full address, then the catch-all. */
	{ "", "user@example.com", { "user@example.com", "@example.com" } },
	{ NULL, "user+ext@example.com", { "user+ext@example.com",
	    "@example.com" } },
	{ "+", "user+ext@example.com", { "user+ext@example.com",
	    "user@example.com", "@example.com" } },
	{ "+", "user@example.com", { "user@example.com", "@example.com" } },
	/* Split at the first delimiter, not the last. */
	{ "+", "e+a+b@x", { "e+a+b@x", "e@x", "@x" } },
	{ "+-", "e+a+b@d", { "e+a+b@d", "e@d", "@d" } },
	{ "+-", "e-x+a@x", { "e-x+a@x", "e@x", "@x" } },
	{ "-", "e-x+a@x", { "e-x+a@x", "e@x", "@x" } },
	/* An empty user part is not split off. */
	{ "+", "+x@d", { "+x@d", "@d" } },
	{ "+-", "-x@d", { "-x@d", "@d" } },
	/* owner-* and *-request when '-' is a delimiter. */
	{ "-", "owner-x@d", { "owner-x@d", "@d" } },
	{ "+-", "owner-x@d", { "owner-x@d", "@d" } },
	{ "+-", "owner-x+y@d", { "owner-x+y@d", "@d" } },
	{ "-", "x-request@d", { "x-request@d", "@d" } },
	{ "+-", "list-request@d", { "list-request@d", "@d" } },
	{ "-", "-request@d", { "-request@d", "@d" } },
	/* ... but only then: with '+' alone they split as usual. */
	{ "+", "owner-x+y@d", { "owner-x+y@d", "owner-x@d", "@d" } },
	{ "+", "x-request+y@d", { "x-request+y@d", "x-request@d", "@d" } },
	/* Reserved local parts, compared whole as Postfix's split_addr. */
	{ "-", "mailer-daemon@d", { "mailer-daemon@d", "@d" } },
	{ "-", "double-bounce@d", { "double-bounce@d", "@d" } },
	{ "t", "postmaster@d", { "postmaster@d", "@d" } },
	{ "+", "postmaster+x@d", { "postmaster+x@d", "postmaster@d", "@d" } },
	/* The local part ends at the last '@'. */
	{ "+", "a+x@b@c", { "a+x@b@c", "a@c", "@c" } },
	{ "+", "a@b+x@c", { "a@b+x@c", "a@b@c", "@c" } },
	{ "+", "a@b@c+x", { "a@b@c+x", "@c+x" } },
	/* No domain: no catch-all. */
	{ "+", "user+ext", { "user+ext", "user" } },
	{ "+", "user", { "user" } },
	{ "+", "u+x@", { "u+x@", "u@" } },
	/* No duplicates. */
	{ "+", "@d", { "@d" } },
	{ "+", "", { NULL } },
};

START_TEST(test_keys)
{
	const struct keys_case *tc = &keys_cases[_i];
	const char *dl = tc->delims != NULL ? tc->delims : "(null)";
	char	*keys[ADDRESS_MAX_KEYS];
	int	n, want, i;

	for (want = 0; tc->want[want] != NULL; want++)
		;
	n = address_keys(tc->addr, tc->delims, keys);
	ck_assert_msg(n == want, "%s [%s]: %d keys, want %d", tc->addr, dl,
	    n, want);
	for (i = 0; i < n; i++)
		ck_assert_msg(strcmp(keys[i], tc->want[i]) == 0,
		    "%s [%s]: key %d is %s, want %s", tc->addr, dl, i,
		    keys[i], tc->want[i]);
	address_keys_free(keys, n);
}
END_TEST

START_TEST(test_fold)
{
	char	*f;

	f = address_fold("User+Ext@Example.COM");
	ck_assert_str_eq(f, "user+ext@example.com");
	free(f);
	/* 8-bit bytes are not letters: left alone. */
	f = address_fold("\xc3\x9cSER@X");
	ck_assert_str_eq(f, "\xc3\x9cser@x");
	free(f);
	f = address_fold("");
	ck_assert_str_eq(f, "");
	free(f);
}
END_TEST

struct quote_case {
	const char *in, *out;
};

static const struct quote_case quote_cases[] = {
	{ "user@d", "user@d" },
	{ "first.last@d", "first.last@d" },
	{ "a+b-c_d=e/f!g#h$i%j&k'l*m?n^o`p{q|r}s~t@d",
	    "a+b-c_d=e/f!g#h$i%j&k'l*m?n^o`p{q|r}s~t@d" },
	{ "a b@example.com", "\"a b\"@example.com" },
	{ "", "\"\"" },
	{ "@d", "\"\"@d" },
	{ ".a@d", "\".a\"@d" },
	{ "a.@d", "\"a.\"@d" },
	{ "a..b@d", "\"a..b\"@d" },
	{ "a\"b@d", "\"a\\\"b\"@d" },
	{ "a\\b@d", "\"a\\\\b\"@d" },
	{ "a(b@d", "\"a(b\"@d" },
	{ "a<b>@d", "\"a<b>\"@d" },
	{ "a,b@d", "\"a,b\"@d" },
	{ "a;b@d", "\"a;b\"@d" },
	{ "a:b@d", "\"a:b\"@d" },
	{ "a[b]@d", "\"a[b]\"@d" },
	{ "a\tb@d", "\"a\tb\"@d" },
	{ "a\rb@d", "\"a\\\rb\"@d" },
	{ "a\x7f@d", "\"a\x7f\"@d" },
	{ "a@b@d", "\"a@b\"@d" },
	/* 8-bit bytes are left alone. */
	{ "\xc3\xbcser@d", "\xc3\xbcser@d" },
	/* No domain: the whole address is the local part. */
	{ "user", "user" },
	{ "a b", "\"a b\"" },
	/* A source route stays outside the quotes. */
	{ "@r:a b@d", "@r:\"a b\"@d" },
};

START_TEST(test_quote)
{
	const struct quote_case *tc = &quote_cases[_i];
	char	*q = address_quote(tc->in);

	ck_assert_ptr_nonnull(q);
	ck_assert_msg(strcmp(q, tc->out) == 0, "quote(%s) = %s, want %s",
	    tc->in, q, tc->out);
	free(q);
}
END_TEST

static Suite *
address_suite(void)
{
	Suite	*s = suite_create("address");
	TCase	*tc = tcase_create("address");

	tcase_add_loop_test(tc, test_keys, 0,
	    (int)(sizeof(keys_cases) / sizeof(keys_cases[0])));
	tcase_add_test(tc, test_fold);
	tcase_add_loop_test(tc, test_quote, 0,
	    (int)(sizeof(quote_cases) / sizeof(quote_cases[0])));
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(address_suite()) == 0 ? 0 : 1);
}
