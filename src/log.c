/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log.c - syslog or maillog_file, and -v diagnostics on stderr.
 *
 * vdeliver's -v diagnostics (log_verbose_hold) are collected in an
 * anonymous memory file and written to stderr by log_verbose_flush() after
 * the status lines: pipe(8) and the
 * SPEC want the D.S.N line first.  The memory file is shared with the
 * per-recipient children (they write at the shared end of file while the
 * parent waits), and is capped so it cannot grow without bound.
 *
 * Opened before privileges are dropped (syslog with LOG_NDELAY, the file
 * with O_APPEND), so logging keeps working as the recipient.  Each file
 * line is written with one write(2) on an O_APPEND descriptor, so lines
 * from concurrent deliveries never interleave.  Nothing here exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "status.h"

static const struct {
	const char *name;
	int	value;
} facilities[] = {
	{"mail", LOG_MAIL}, {"daemon", LOG_DAEMON}, {"user", LOG_USER},
	{"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
	{"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
	{"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
	{"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

static char log_ident[64] = "vdeliver";
static char log_host[256];
static int log_fd = -1;
static int log_syslog;
static int log_verbose;
static int log_vfd = -1;		/* -v text waiting for the status line */
static off_t log_vsize;

#define LOG_VERBOSE_MAX	(1024 * 1024)

int
log_open(const char *ident, const char *facility, const char *file,
    struct dstatus *why)
{
	size_t	i;
	int	fac = -1;

	snprintf(log_ident, sizeof(log_ident), "%s", ident);
	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(facility, facilities[i].name) == 0)
			fac = facilities[i].value;
	if (fac < 0) {
		status_set(why, "4.3.5",
		    "bad syslog_facility parameter value: %s", facility);
		return (-1);
	}
	if (file != NULL && *file != '\0') {
		log_fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		    O_NOCTTY, 0600);
		if (log_fd < 0) {
			status_errno(why, errno, "4.3.5",
			    "cannot open maillog_file %s", file);
			return (-1);
		}
		if (gethostname(log_host, sizeof(log_host) - 1) < 0)
			snprintf(log_host, sizeof(log_host), "localhost");
		log_host[strcspn(log_host, ".")] = '\0';
		return (0);
	}
	openlog(log_ident, LOG_PID | LOG_NDELAY, fac);
	log_syslog = 1;
	return (0);
}

void
log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	if (log_syslog)
		closelog();
	log_syslog = 0;
}

/* One -v line: into the memory file, or straight to stderr without one. */
static void
log_verbose_text(const char *prefix, const char *text)
{
	char	line[2200];
	int	n;
	struct stat st;

	n = snprintf(line, sizeof(line), "%s: %s%s\n", log_ident, prefix,
	    text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (log_vfd < 0) {
		fputs(line, stderr);
		return;
	}
	/* The size is shared with children, so ask the file, not a counter. */
	if (fstat(log_vfd, &st) == 0)
		log_vsize = st.st_size;
	if (log_vsize + n > LOG_VERBOSE_MAX)
		return;
	if (write(log_vfd, line, (size_t)n) < 0)
		return;
}

static void
log_vwrite(int prio, const char *prefix, const char *fmt, va_list ap)
{
	char	text[2048], line[2400];
	time_t	now;
	struct tm tm;
	char	stamp[32];
	int	n;

	vsnprintf(text, sizeof(text), fmt, ap);
	if (log_verbose)
		log_verbose_text(prefix, text);
	if (log_syslog) {
		syslog(prio, "%s%s", prefix, text);
		return;
	}
	if (log_fd < 0)
		return;
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s %s %s[%ld]: %s%s\n", stamp,
	    log_host, log_ident, (long)getpid(), prefix, text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* One write on an O_APPEND descriptor: never interleaved. */
	if (write(log_fd, line, (size_t)n) < 0)
		return;
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, "warning: ", fmt, ap);
	va_end(ap);
}

void
log_verbose_enable(int on)
{
	log_verbose = on;
	if (!on)
		log_verbose_flush();	/* switching off: show what was held */
}

void
log_verbose_hold(void)
{
	if (log_vfd < 0)
		log_vfd = memfd_create("vdeliver-verbose", MFD_CLOEXEC);
}

int
log_verbose_enabled(void)
{
	return (log_verbose);
}

void
log_debug(const char *fmt, ...)
{
	char	text[2048];
	va_list	ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_verbose_text("", text);
}

void
log_verbose_flush(void)
{
	char	buf[8192];
	off_t	off = 0;
	ssize_t	n;

	if (log_vfd < 0)
		return;
	fflush(stderr);
	while ((n = pread(log_vfd, buf, sizeof(buf), off)) > 0) {
		if (write(STDERR_FILENO, buf, (size_t)n) != n)
			break;
		off += n;
	}
	close(log_vfd);
	log_vfd = -1;
}
