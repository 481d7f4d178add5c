/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_address.c - libFuzzer target for address folding, the lookup key
 * sequence and RFC 822 quoting of local parts.
 *
 * Input: the low two bits of the first byte give the number of delimiter
 * bytes that follow (0..3, so the delimiter set is random too, '@' and
 * 8-bit bytes included); the rest up to a NUL is the address.  Each
 * result is compared with a small independent model of SPEC section 5
 * and of address.h; any difference, crash, sanitizer report or leak is a
 * bug.
 *
 * Built and run by tests/fuzz.sh; by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Iinclude tests/fuzz_address.c src/address.c -o fuzz_address
 *   ./fuzz_address -max_total_time=30 NEWDIR tests/fuzz-corpus/address
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The user@domain key of SPEC section 5, or NULL when there is none. */
static char *
model_strip(const char *addr, const char *delims)
{
	const char *at = strrchr(addr, '@');
	size_t	loclen = at ? (size_t)(at - addr) : strlen(addr), cut;
	char	*local, *key;
	int	special;

	if (*delims == '\0')
		return (NULL);
	if ((local = strndup(addr, loclen)) == NULL)
		abort();
	special = strcasecmp(local, "postmaster") == 0 ||
	    strcasecmp(local, "mailer-daemon") == 0 ||
	    strcasecmp(local, "double-bounce") == 0 ||
	    (strchr(delims, '-') != NULL &&
	    (strncasecmp(local, "owner-", 6) == 0 || (loclen > 8 &&
	    strcasecmp(local + loclen - 8, "-request") == 0)));
	for (cut = 0; cut < loclen && strchr(delims, local[cut]) == NULL;
	    cut++)
		;
	free(local);
	if (special || cut == 0 || cut == loclen)
		return (NULL);
	if ((key = malloc(cut + strlen(addr + loclen) + 1)) == NULL)
		abort();
	memcpy(key, addr, cut);
	strcpy(key + cut, addr + loclen);
	return (key);
}

static void
model_add(char *keys[], int *n, char *key)
{
	int	i;

	if (key == NULL)
		return;
	for (i = 0; i < *n; i++)
		if (strcmp(keys[i], key) == 0) {
			free(key);
			return;
		}
	keys[(*n)++] = key;
}

static int
model_keys(const char *addr, const char *delims, char *keys[])
{
	const char *at = strrchr(addr, '@');
	int	n = 0;

	if (*addr == '\0')
		return (0);
	model_add(keys, &n, strdup(addr));
	model_add(keys, &n, model_strip(addr, delims));
	if (at != NULL && at[1] != '\0')
		model_add(keys, &n, strdup(at));
	return (n);
}

static void
check_keys(const char *addr, const char *delims)
{
	char	*got[ADDRESS_MAX_KEYS + 1] = {NULL}, *want[4] = {NULL};
	int	n, m, i;

	n = address_keys(addr, delims, got);
	m = model_keys(addr, delims, want);
	if (n != m || n > ADDRESS_MAX_KEYS)
		abort();
	for (i = 0; i < n; i++)
		if (got[i] == NULL || strcmp(got[i], want[i]) != 0)
			abort();
	address_keys_free(got, n);
	for (i = 0; i < n; i++)
		if (got[i] != NULL)
			abort();
	for (i = 0; i < m; i++)
		free(want[i]);
}

/* RFC 822 dot-string, as address.h describes it. */
static int
model_dot_string(const char *s, size_t n)
{
	size_t	i;
	unsigned char c;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return (0);
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c == '.' && i + 1 < n && s[i + 1] == '.') || c <= ' ' ||
		    c == 127 || (c != '\0' && strchr("()<>@,;:\\\"[]", c)))
			return (0);
	}
	return (1);
}

static void
check_quote(const char *addr)
{
	const char *start = addr, *end, *colon;
	char	*got, *want, *wp;
	size_t	i;

	if ((got = address_quote(addr)) == NULL)
		abort();
	if (addr[0] == '@' && (colon = strchr(addr, ':')) != NULL)
		start = colon + 1;
	if ((end = strrchr(start, '@')) == NULL)
		end = start + strlen(start);
	if ((want = malloc(2 * strlen(addr) + 3)) == NULL)
		abort();
	if (model_dot_string(start, (size_t)(end - start)))
		strcpy(want, addr);
	else {
		wp = want;
		memcpy(wp, addr, (size_t)(start - addr));
		wp += start - addr;
		*wp++ = '"';
		for (i = 0; start + i < end; i++) {
			if (start[i] == '"' || start[i] == '\\' ||
			    start[i] == '\r')
				*wp++ = '\\';
			*wp++ = start[i];
		}
		*wp++ = '"';
		strcpy(wp, end);
	}
	if (strcmp(got, want) != 0)
		abort();
	free(got);
	free(want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	delims[4] = {0}, *addr, *folded;
	size_t	nd = 0, i;

	if (size > 0) {
		nd = data[0] & 3;
		data++;
		size--;
	}
	for (i = 0; i < nd && i < size; i++)
		delims[i] = (char)data[i];
	data += i;
	size -= i;
	if ((addr = strndup((const char *)data, size)) == NULL)
		abort();
	if ((folded = address_fold(addr)) == NULL ||
	    strlen(folded) != strlen(addr))
		abort();
	for (i = 0; addr[i] != '\0'; i++)
		if (folded[i] != (addr[i] >= 'A' && addr[i] <= 'Z' ?
		    addr[i] - 'A' + 'a' : addr[i]))
			abort();
	check_keys(folded, delims);
	check_keys(addr, delims);
	check_quote(addr);
	free(folded);
	free(addr);
	return (0);
}
