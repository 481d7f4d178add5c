/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf.h - Postfix main.cf syntax, $expansion and vdeliver's settings.
 *
 * conf_load() reads name = value pairs (continuation lines, comments,
 * last definition wins) without expanding anything; expansion happens at
 * use time in conf_get().  conf_settings() validates every parameter that
 * vdeliver uses and fills a struct vconfig once; errors name the file, the
 * line and the parameter and carry 4.3.5.
 */
#ifndef VDELIVER_CONF_H
#define VDELIVER_CONF_H

#include <sys/types.h>

struct dstatus;
struct conf;

/* Lock method bits (virtual_mailbox_lock). */
#define CONF_LOCK_DOTLOCK	0x1
#define CONF_LOCK_FLOCK		0x2
#define CONF_LOCK_FCNTL		0x4

struct vconfig {
	char	*mailbox_base;		/* absolute, no trailing '/' */
	char	*mailbox_maps;		/* raw expanded map lists */
	char	*uid_maps;
	char	*gid_maps;
	unsigned long minimum_uid;	/* >= 1 */
	unsigned long long mailbox_limit;	/* bytes, 0 = none */
	int	lock_methods;		/* CONF_LOCK_* bits */
	char	*recipient_delimiter;	/* "" = none */
	int	strict_ownership;
	int	lock_attempts;		/* >= 1 */
	long	lock_delay_ms;		/* >= 0 */
	long	stale_lock_time;	/* seconds */
	int	enable_original_recipient;
	char	*syslog_name;
	char	*syslog_facility;
	char	*maillog_file;		/* "" = syslog */
	int	loop_check;
	char	*trusted_users;
};

/* Parse a file; NULL with 4.3.5 (naming file and line) on failure. */
struct conf *conf_load(const char *path, struct dstatus *why);
/* An empty configuration (for tests and -o only use). */
struct conf *conf_new(void);
/* Parse text as if it were a file named `name' (used by conf_load). */
int	conf_parse_text(struct conf *cf, const char *name, const char *text,
	    struct dstatus *why);
/* -o name=value: applied after the file, wins over it. */
int	conf_override(struct conf *cf, const char *name_eq_value,
	    struct dstatus *why);

/*
 * Expanded value of a parameter (malloc'd), the built-in default when it
 * is not set, NULL when it has neither.  Expansion errors (bad syntax,
 * recursion loop): NULL with 4.3.5 in why; why may be NULL.
 */
char	*conf_get(const struct conf *cf, const char *name,
	    struct dstatus *why);
/*
 * The value exactly as written, without expansion (mysql_table(5) files
 * use main.cf syntax but raw values); NULL when not set.  No defaults.
 */
const char *conf_get_raw(const struct conf *cf, const char *name);
/* Where a parameter was last set: file name and line (0 = -o / default). */
const char *conf_where(const struct conf *cf, const char *name, int *line_r);
/* Expand text with the configuration's parameters (malloc'd). */
char	*conf_expand(const struct conf *cf, const char *text,
	    struct dstatus *why);

/* Value parsers: 0 or -1 (no status; callers report). */
int	conf_parse_bool(const char *text, int *r);
int	conf_parse_time(const char *text, long *ms_r);	/* s m h d w, ms; default s */
int	conf_parse_size(const char *text, unsigned long long *r);
int	conf_parse_locks(const char *text, int *methods_r);

/* Validate and fill settings. */
int	conf_settings(const struct conf *cf, struct vconfig *vc,
	    struct dstatus *why);
void	conf_settings_free(struct vconfig *vc);

/* Frees everything; values are wiped first (they may hold passwords). */
void	conf_free(struct conf *cf);

#endif
