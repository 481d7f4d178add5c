/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * address.c - recipient folding, the extension split and the lookup key
 * sequence, and RFC 822 quoting of local parts.
 *
 * The key sequence is what decides which mailbox an address reaches, so
 * it follows Postfix exactly (mail_addr_find, strip_addr, split_addr):
 * full address, then the address without its extension, then the @domain
 * catch-all.  Reserved local parts (postmaster, mailer-daemon,
 * double-bounce, and owner-* / *-request when '-' is a delimiter) are
 * compared as whole local parts, as split_addr() does: postmaster+x is
 * split like any other address, but mailer-daemon is never cut at its '-'.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"

char *
address_fold(const char *addr)
{
	char	*copy, *cp;

	if ((copy = strdup(addr)) == NULL)
		return (NULL);
	/* ASCII only: 8-bit bytes are not letters in any locale we trust. */
	for (cp = copy; *cp != '\0'; cp++)
		if (*cp >= 'A' && *cp <= 'Z')
			*cp = (char)(*cp - 'A' + 'a');
	return (copy);
}

/*
 * Where to cut a local part for its extension (the index of the first
 * delimiter), or 0 for "do not split".
 */
static size_t
address_split_point(const char *local, const char *delims)
{
	size_t	len = strlen(local), cut;

	if (strcasecmp(local, "postmaster") == 0 ||
	    strcasecmp(local, "mailer-daemon") == 0 ||
	    strcasecmp(local, "double-bounce") == 0)
		return (0);
	/* owner_request_special = yes, as Postfix's default. */
	if (strchr(delims, '-') != NULL) {
		if (strncasecmp(local, "owner-", 6) == 0)
			return (0);
		if (len > 8 && strcasecmp(local + len - 8, "-request") == 0)
			return (0);
	}
	/* No delimiter, or one in front (+x@d: no user part): no split. */
	cut = strcspn(local, delims);
	return (cut < len ? cut : 0);
}

/* Append key unless it is already in the list; -1 when out of memory. */
static int
address_add_key(char *keys[], int *n, char *key)
{
	int	i;

	if (key == NULL)
		return (-1);
	for (i = 0; i < *n; i++) {
		if (strcmp(keys[i], key) == 0) {
			free(key);
			return (0);
		}
	}
	keys[(*n)++] = key;
	return (0);
}

/* user@domain for an address with an extension, or NULL + *none_r. */
static char *
address_strip(const char *folded, const char *delims, int *none_r)
{
	const char *at = strrchr(folded, '@');
	size_t	loclen = at != NULL ? (size_t)(at - folded) : strlen(folded);
	char	*local, *key;
	size_t	cut;

	*none_r = 1;
	if (delims == NULL || *delims == '\0')
		return (NULL);
	if ((local = strndup(folded, loclen)) == NULL) {
		*none_r = 0;
		return (NULL);
	}
	cut = address_split_point(local, delims);
	free(local);
	if (cut == 0)
		return (NULL);
	*none_r = 0;
	if ((key = malloc(cut + strlen(folded + loclen) + 1)) == NULL)
		return (NULL);
	memcpy(key, folded, cut);
	strcpy(key + cut, folded + loclen);
	return (key);
}

int
address_keys(const char *folded, const char *delims,
    char *keys_r[ADDRESS_MAX_KEYS])
{
	const char *at = strrchr(folded, '@');
	char	*key;
	int	n = 0, none;

	/* An empty key is never looked up (Postfix maps.c). */
	if (*folded == '\0')
		return (0);
	if (address_add_key(keys_r, &n, strdup(folded)) < 0)
		goto nomem;
	key = address_strip(folded, delims, &none);
	if (!none && address_add_key(keys_r, &n, key) < 0)
		goto nomem;
	if (at != NULL && at[1] != '\0' &&
	    address_add_key(keys_r, &n, strdup(at)) < 0)
		goto nomem;
	return (n);
nomem:
	address_keys_free(keys_r, n);
	return (-1);
}

void
address_keys_free(char *keys[], int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free(keys[i]);
		keys[i] = NULL;
	}
}

/* Is [start, end) an RFC 822 dot-string?  8-bit bytes count as text. */
static int
address_is_dot_string(const char *start, const char *end)
{
	const char *cp;
	unsigned char ch;

	if (start == end || *start == '.' || end[-1] == '.')
		return (0);
	for (cp = start; cp < end; cp++) {
		ch = (unsigned char)*cp;
		if (ch == '.' && cp + 1 < end && cp[1] == '.')
			return (0);
		if (ch == ' ' || ch < 32 || ch == 127)
			return (0);
		if (strchr("()<>@,;:\\\"[]", ch) != NULL)
			return (0);
	}
	return (1);
}

char *
address_quote(const char *addr)
{
	const char *start = addr, *end, *colon, *cp;
	char	*out, *op;

	/* Leave a source route (@a,@b:user@d) in front of the quotes. */
	if (addr[0] == '@' && (colon = strchr(addr, ':')) != NULL)
		start = colon + 1;
	if ((end = strrchr(start, '@')) == NULL)
		end = start + strlen(start);
	if (address_is_dot_string(start, end))
		return (strdup(addr));
	/* Worst case: every local part byte escaped, plus the quotes. */
	if ((out = malloc(strlen(addr) + (size_t)(end - start) + 3)) == NULL)
		return (NULL);
	op = out;
	memcpy(op, addr, (size_t)(start - addr));
	op += start - addr;
	*op++ = '"';
	for (cp = start; cp < end; cp++) {
		if (*cp == '"' || *cp == '\\' || *cp == '\r')
			*op++ = '\\';
		*op++ = *cp;
	}
	*op++ = '"';
	strcpy(op, end);
	return (out);
}
