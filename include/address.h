/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * address.h - recipient folding, extension split, the lookup key sequence
 * and RFC 822 quoting of local parts.
 */
#ifndef VDELIVER_ADDRESS_H
#define VDELIVER_ADDRESS_H

#define ADDRESS_MAX_KEYS	3

/* ASCII lower-case copy (malloc'd). */
char	*address_fold(const char *addr);

/*
 * The key sequence for a folded address (SPEC section 5): full address;
 * user@domain when delims is non-empty and the localpart (before the last
 * '@') contains one of its characters (split at the first one; not when
 * the stripped localpart would be empty, not for postmaster,
 * mailer-daemon, nor owner-* / *-request when '-' is in delims); then
 * @domain when the address has a non-empty domain.  Keys are malloc'd into
 * keys_r; the count is returned (0 for an empty address, -1 when out of
 * memory).  Duplicate keys are not repeated.
 */
int	address_keys(const char *folded, const char *delims,
	    char *keys_r[ADDRESS_MAX_KEYS]);
void	address_keys_free(char *keys[], int n);

/*
 * RFC 822 quoting as Postfix quote_822_local(): the localpart is quoted
 * when it is not a dot-atom (empty, leading/trailing '.', "..", space,
 * control characters, any of ()<>@,;:\"[]); 8-bit bytes are left alone.
 * Returns a malloc'd copy.
 */
char	*address_quote(const char *addr);

#endif
