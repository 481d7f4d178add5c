/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log.h - syslog or maillog_file logging, and -v diagnostics on stderr.
 *
 * log_open() is called before privileges are dropped: it connects to
 * syslog (LOG_NDELAY) or opens maillog_file (append, created 0600), so the
 * descriptors survive the switch to the recipient's uid.  Nothing here ever
 * exits; a failed log write is ignored.
 */
#ifndef VDELIVER_LOG_H
#define VDELIVER_LOG_H

struct dstatus;

/*
 * ident: syslog_name; facility: syslog_facility name ("mail", "local0"..);
 * file: maillog_file or NULL/"" for syslog.  Unknown facility or an
 * unopenable file: -1 with 4.3.5 in why.
 */
int	log_open(const char *ident, const char *facility, const char *file,
	    struct dstatus *why);
void	log_close(void);

/* Informational line (one per recipient), priority info. */
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Warning line, priority warning, text prefixed "warning: ". */
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * -v diagnostics: stderr only, and only when enabled; held back until
 * log_verbose_flush() so the D.S.N status line stays the first line.
 */
void	log_verbose_enable(int on);
int	log_verbose_enabled(void);
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Hold -v text back (in memory, bounded) until log_verbose_flush(). */
void	log_verbose_hold(void);
/* Write the held -v text to stderr (after the status lines). */
void	log_verbose_flush(void);

#endif
