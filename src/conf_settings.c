/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf_settings.c - typed parameter values and the validated struct
 * vconfig that the rest of vdeliver uses.
 *
 * Every parameter vdeliver reads is expanded, parsed strictly and range
 * checked here, once, before any mail is touched: "5000abc", "-1", an
 * overflowing number or an unknown unit is an error, never a guess.  Each
 * error is 4.3.5 and names the file, the line and the parameter (or the
 * command line for -o), so a bad configuration defers mail instead of
 * delivering it somewhere unexpected.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "conf.h"
#include "conf_int.h"
#include "status.h"

/* Strict unsigned decimal: digits only, no sign, no blanks, no overflow. */
static int
conf_parse_digits(const char *text, const char **end_r,
    unsigned long long *r)
{
	unsigned long long v = 0;
	const char *cp;

	for (cp = text; *cp >= '0' && *cp <= '9'; cp++) {
		if (v > (ULLONG_MAX - (unsigned)(*cp - '0')) / 10)
			return (-1);
		v = v * 10 + (unsigned)(*cp - '0');
	}
	if (cp == text)
		return (-1);
	*end_r = cp;
	*r = v;
	return (0);
}

int
conf_parse_bool(const char *text, int *r)
{
	static const char *const yes[] = {"yes", "true", "1"};
	static const char *const no[] = {"no", "false", "0"};
	size_t	i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*r = 1;
			return (0);
		}
		if (strcasecmp(text, no[i]) == 0) {
			*r = 0;
			return (0);
		}
	}
	return (-1);
}

/* Units as Postfix's conv_time() (lower case only), plus ms. */
int
conf_parse_time(const char *text, long *ms_r)
{
	static const struct {
		const char *unit;
		unsigned long long ms;
	} units[] = {
		{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000},
		{"h", 3600000}, {"d", 86400000}, {"w", 604800000},
	};
	unsigned long long v;
	const char *end;
	size_t	i;

	if (conf_parse_digits(text, &end, &v) < 0)
		return (-1);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		if (v > (unsigned long long)LONG_MAX / units[i].ms)
			return (-1);
		*ms_r = (long)(v * units[i].ms);
		return (0);
	}
	return (-1);
}

/*
 * Plain bytes, as Postfix.  The limit is the largest file size (off_t),
 * so that callers can compare with file offsets without any wrap.
 */
int
conf_parse_size(const char *text, unsigned long long *r)
{
	unsigned long long v;
	const char *end;

	if (conf_parse_digits(text, &end, &v) < 0 || *end != '\0' ||
	    v > (unsigned long long)LLONG_MAX)
		return (-1);
	*r = v;
	return (0);
}

/* An empty list is allowed and means no locking, as in Postfix. */
int
conf_parse_locks(const char *text, int *methods_r)
{
	static const struct {
		const char *name;
		int	bit;
	} methods[] = {
		{"dotlock", CONF_LOCK_DOTLOCK}, {"flock", CONF_LOCK_FLOCK},
		{"fcntl", CONF_LOCK_FCNTL},
	};
	const char *cp = text;
	size_t	n, i;
	int	bits = 0;

	for (;;) {
		cp += strspn(cp, ", \t\r\n\v\f");
		if (*cp == '\0')
			break;
		n = strcspn(cp, ", \t\r\n\v\f");
		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			if (strlen(methods[i].name) == n &&
			    strncasecmp(cp, methods[i].name, n) == 0)
				break;
		if (i == sizeof(methods) / sizeof(methods[0]))
			return (-1);
		bits |= methods[i].bit;
		cp += n;
	}
	*methods_r = bits;
	return (0);
}

/* Report a bad value of parameter name: what "value" hint. */
static int
conf_bad(const struct conf *cf, const char *name, struct dstatus *why,
    const char *what, const char *value, const char *hint)
{
	char	where[512], q[128];

	conf_locus(cf, name, where, sizeof(where));
	conf_quote(q, sizeof(q), value, strlen(value));
	status_set(why, "4.3.5", "%s: %s \"%s\"%s", where, what, q, hint);
	return (-1);
}

/* The expanded value of name (never NULL on success: defaults exist). */
static char *
conf_value(const struct conf *cf, const char *name, struct dstatus *why)
{
	if (conf_lookup(cf, name, strlen(name), NULL) == NULL) {
		status_set(why, "4.3.5", "%s: missing required parameter %s",
		    conf_file_name(cf), name);
		return (NULL);
	}
	return (conf_get(cf, name, why));
}

/* A required list or path: present and not just blanks and commas. */
static int
conf_required(const struct conf *cf, const char *name, char **r,
    struct dstatus *why)
{
	char	where[512];

	if ((*r = conf_value(cf, name, why)) == NULL)
		return (-1);
	if ((*r)[strspn(*r, ", \t\r\n\v\f")] == '\0') {
		conf_locus(cf, name, where, sizeof(where));
		status_set(why, "4.3.5", "%s: empty value; this parameter is "
		    "required", where);
		return (-1);
	}
	return (0);
}

/* An absolute path: the base (required), or maillog_file when set. */
static int
conf_path(const struct conf *cf, const char *name, char **r, int required,
    struct dstatus *why)
{
	if (required ? conf_required(cf, name, r, why) < 0 :
	    (*r = conf_value(cf, name, why)) == NULL)
		return (-1);
	if (**r != '\0' && **r != '/')
		return (conf_bad(cf, name, why, "relative path name", *r,
		    ""));
	return (0);
}

static int
conf_base(const struct conf *cf, char **r, struct dstatus *why)
{
	size_t	len;

	if (conf_path(cf, "virtual_mailbox_base", r, 1, why) < 0)
		return (-1);
	/* "/var/vmail/" and "/var/vmail" name the same base; "/" stays. */
	for (len = strlen(*r); len > 1 && (*r)[len - 1] == '/'; len--)
		(*r)[len - 1] = '\0';
	return (0);
}

static int
conf_string(const struct conf *cf, const char *name, char **r,
    int nonempty, struct dstatus *why)
{
	if ((*r = conf_value(cf, name, why)) == NULL)
		return (-1);
	if (nonempty && **r == '\0')
		return (conf_bad(cf, name, why, "empty value", *r, ""));
	return (0);
}

static int
conf_bool(const struct conf *cf, const char *name, int *r,
    struct dstatus *why)
{
	char	*v;
	int	ret = 0;

	if ((v = conf_value(cf, name, why)) == NULL)
		return (-1);
	if (conf_parse_bool(v, r) < 0)
		ret = conf_bad(cf, name, why, "bad boolean value", v,
		    " (use yes or no)");
	free(v);
	return (ret);
}

/* An integer in [min, max]. */
static int
conf_number(const struct conf *cf, const char *name, unsigned long long min,
    unsigned long long max, unsigned long long *r, struct dstatus *why)
{
	char	hint[128], *v;
	const char *end;
	int	ret = 0;

	if ((v = conf_value(cf, name, why)) == NULL)
		return (-1);
	if (conf_parse_digits(v, &end, r) < 0 || *end != '\0' || *r < min ||
	    *r > max) {
		snprintf(hint, sizeof(hint), " (want %llu..%llu)", min, max);
		ret = conf_bad(cf, name, why, "bad number", v, hint);
	}
	free(v);
	return (ret);
}

/* A time into milliseconds, at least min_ms. */
static int
conf_time(const struct conf *cf, const char *name, long min_ms, long *r,
    struct dstatus *why)
{
	char	*v;
	int	ret = 0;

	if ((v = conf_value(cf, name, why)) == NULL)
		return (-1);
	if (conf_parse_time(v, r) < 0)
		ret = conf_bad(cf, name, why, "bad time value", v, " (want "
		    "a number with an optional unit ms, s, m, h, d or w)");
	else if (*r < min_ms)
		ret = conf_bad(cf, name, why, "time value too small", v,
		    "");
	free(v);
	return (ret);
}

static int
conf_settings_strings(const struct conf *cf, struct vconfig *vc,
    struct dstatus *why)
{
	if (conf_base(cf, &vc->mailbox_base, why) < 0 ||
	    conf_required(cf, "virtual_mailbox_maps", &vc->mailbox_maps,
	    why) < 0 ||
	    conf_required(cf, "virtual_uid_maps", &vc->uid_maps, why) < 0 ||
	    conf_required(cf, "virtual_gid_maps", &vc->gid_maps, why) < 0 ||
	    conf_string(cf, "recipient_delimiter", &vc->recipient_delimiter,
	    0, why) < 0 ||
	    conf_string(cf, "syslog_name", &vc->syslog_name, 1, why) < 0 ||
	    conf_string(cf, "syslog_facility", &vc->syslog_facility, 1,
	    why) < 0 ||
	    conf_path(cf, "maillog_file", &vc->maillog_file, 0, why) < 0 ||
	    conf_string(cf, "vdeliver_trusted_users", &vc->trusted_users, 0,
	    why) < 0)
		return (-1);
	return (0);
}

static int
conf_settings_values(const struct conf *cf, struct vconfig *vc,
    struct dstatus *why)
{
	unsigned long long n;
	char	*v;
	int	ret;

	/* uid_t is unsigned; (uid_t)-1 means "no change" to set*id(2). */
	if (conf_number(cf, "virtual_minimum_uid", 1, (uid_t)-1 - 1, &n,
	    why) < 0)
		return (-1);
	vc->minimum_uid = (unsigned long)n;
	if (conf_number(cf, "deliver_lock_attempts", 1, INT_MAX, &n, why) < 0)
		return (-1);
	vc->lock_attempts = (int)n;
	if ((v = conf_value(cf, "virtual_mailbox_limit", why)) == NULL)
		return (-1);
	if ((ret = conf_parse_size(v, &vc->mailbox_limit)) < 0)
		conf_bad(cf, "virtual_mailbox_limit", why, "bad size", v,
		    " (want a number of bytes)");
	free(v);
	if (ret < 0 || (v = conf_value(cf, "virtual_mailbox_lock",
	    why)) == NULL)
		return (-1);
	if ((ret = conf_parse_locks(v, &vc->lock_methods)) < 0)
		conf_bad(cf, "virtual_mailbox_lock", why, "bad lock method "
		    "list", v, " (want fcntl, flock and/or dotlock)");
	free(v);
	return (ret);
}

static int
conf_settings_flags(const struct conf *cf, struct vconfig *vc,
    struct dstatus *why)
{
	long	ms;

	if (conf_bool(cf, "strict_mailbox_ownership", &vc->strict_ownership,
	    why) < 0 ||
	    conf_bool(cf, "enable_original_recipient",
	    &vc->enable_original_recipient, why) < 0 ||
	    conf_bool(cf, "vdeliver_loop_check", &vc->loop_check, why) < 0 ||
	    conf_time(cf, "deliver_lock_delay", 0, &vc->lock_delay_ms,
	    why) < 0)
		return (-1);
	/* A zero stale time would break every fresh lock at once. */
	if (conf_time(cf, "stale_lock_time", 1, &ms, why) < 0)
		return (-1);
	vc->stale_lock_time = ms / 1000 + (ms % 1000 != 0);
	return (0);
}

int
conf_settings(const struct conf *cf, struct vconfig *vc,
    struct dstatus *why)
{
	memset(vc, 0, sizeof(*vc));
	if (conf_settings_strings(cf, vc, why) < 0 ||
	    conf_settings_values(cf, vc, why) < 0 ||
	    conf_settings_flags(cf, vc, why) < 0) {
		conf_settings_free(vc);
		return (-1);
	}
	return (0);
}

void
conf_settings_free(struct vconfig *vc)
{
	free(vc->mailbox_base);
	free(vc->mailbox_maps);
	free(vc->uid_maps);
	free(vc->gid_maps);
	free(vc->recipient_delimiter);
	free(vc->syslog_name);
	free(vc->syslog_facility);
	free(vc->maillog_file);
	free(vc->trusted_users);
	memset(vc, 0, sizeof(*vc));
}
