/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * status.h - delivery status: enhanced status code, sysexits code, text.
 *
 * A struct dstatus is filled where a failure is understood and carried up
 * unchanged; only main() turns it into an exit code.  The exit code is
 * always derived from the DSN through one table (SPEC section 3), so the
 * two can never disagree in class.  An unknown 5.x.x code is demoted to
 * 4.3.0: when in doubt, defer.
 */
#ifndef VDELIVER_STATUS_H
#define VDELIVER_STATUS_H

#include <stdarg.h>

#define STATUS_TEXT_MAX	1024

struct dstatus {
	int	ex;			/* sysexits(3) code, 0 on success */
	char	dsn[8];			/* "2.0.0", "4.3.5", ... */
	char	text[STATUS_TEXT_MAX];	/* reason, without the DSN */
};

/* Set status to dsn with a printf-style reason; ex follows from dsn. */
void	status_set(struct dstatus *why, const char *dsn, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	status_vset(struct dstatus *why, const char *dsn, const char *fmt,
	    va_list ap);

/*
 * Set status from an errno value: ENOSPC 4.3.0, EDQUOT/EFBIG 5.2.2,
 * anything else dflt_dsn (a 4.x.x code).  ": strerror(err)" is appended
 * to the formatted text.
 */
void	status_errno(struct dstatus *why, int err, const char *dflt_dsn,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "2.0.0" with text. */
void	status_ok(struct dstatus *why, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* The sysexits code for a DSN (SPEC section 3); 75 for anything unknown. */
int	status_exit_code(const char *dsn);

/* Class of a status: 2, 4 or 5. */
int	status_class(const struct dstatus *why);

#endif
