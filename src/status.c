/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * status.c - the DSN / sysexits table (SPEC section 3) and errno -> DSN.
 *
 * This is the one place that decides which outcomes may bounce: only the
 * 5.x.x codes listed in exit_table do.  Anything else of class 5 is
 * demoted to 4.3.0, so an unexpected code can never lose mail.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "status.h"

static const struct {
	const char *dsn;
	int	ex;
} exit_table[] = {
	{"5.1.1", EX_NOUSER},
	{"5.4.6", EX_DATAERR},
	{"5.2.2", EX_CANTCREAT},
	{"5.3.5", EX_CONFIG},
	{"5.3.0", EX_USAGE},
};

int
status_exit_code(const char *dsn)
{
	size_t	i;

	if (dsn[0] == '2')
		return (EX_OK);
	for (i = 0; i < sizeof(exit_table) / sizeof(exit_table[0]); i++)
		if (strcmp(dsn, exit_table[i].dsn) == 0)
			return (exit_table[i].ex);
	return (EX_TEMPFAIL);
}

static int
dsn_valid(const char *dsn)
{
	const char *p = dsn;
	int	part, n;

	if (p[0] != '2' && p[0] != '4' && p[0] != '5')
		return (0);
	p++;
	for (part = 0; part < 2; part++) {
		if (*p++ != '.')
			return (0);
		for (n = 0; *p >= '0' && *p <= '9'; p++)
			n++;
		if (n < 1 || n > 3)
			return (0);
	}
	return (*p == '\0');
}

/*
 * Zero what follows the strings: a status is copied whole, and goes whole
 * through the pipe from a per-recipient child, so no stale byte of an
 * earlier text (or never written stack memory) travels with it.
 */
static void
status_clear_tail(struct dstatus *why)
{
	size_t	n;

	n = strnlen(why->dsn, sizeof(why->dsn));
	memset(why->dsn + n, 0, sizeof(why->dsn) - n);
	n = strnlen(why->text, sizeof(why->text));
	memset(why->text + n, 0, sizeof(why->text) - n);
}

void
status_vset(struct dstatus *why, const char *dsn, const char *fmt, va_list ap)
{
	if (!dsn_valid(dsn) || strlen(dsn) >= sizeof(why->dsn))
		dsn = "4.3.0";
	why->ex = status_exit_code(dsn);
	/* An unlisted 5.x.x code must not bounce: when in doubt, defer. */
	if (dsn[0] == '5' && why->ex == EX_TEMPFAIL)
		dsn = "4.3.0";
	snprintf(why->dsn, sizeof(why->dsn), "%s", dsn);
	vsnprintf(why->text, sizeof(why->text), fmt, ap);
	status_clear_tail(why);
}

void
status_set(struct dstatus *why, const char *dsn, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	status_vset(why, dsn, fmt, ap);
	va_end(ap);
}

void
status_ok(struct dstatus *why, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	status_vset(why, "2.0.0", fmt, ap);
	va_end(ap);
}

void
status_errno(struct dstatus *why, int err, const char *dflt_dsn,
    const char *fmt, ...)
{
	const char *dsn;
	va_list	ap;
	size_t	len;

	switch (err) {
	case ENOSPC:
		dsn = "4.3.0";
		break;
	case EDQUOT:
	case EFBIG:
		dsn = "5.2.2";
		break;
	default:
		dsn = dflt_dsn;
		break;
	}
	va_start(ap, fmt);
	status_vset(why, dsn, fmt, ap);
	va_end(ap);
	len = strlen(why->text);
	snprintf(why->text + len, sizeof(why->text) - len, ": %s",
	    strerror(err));
}

int
status_class(const struct dstatus *why)
{
	return (why->dsn[0] - '0');
}
