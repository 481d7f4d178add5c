/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_conf.c - libFuzzer target for the configuration module: main.cf
 * parsing, $expansion of every parameter, the typed value parsers and
 * conf_settings().
 *
 * The input is split at NUL bytes: the first part is parsed as a main.cf
 * file, the second is expanded as free text (conf_expand), every further
 * part is applied as a -o override.  Then every parameter vdeliver reads,
 * and every name the text defines, is expanded, fed to the value parsers,
 * and the whole configuration is validated; the map lists of a valid one
 * are checked as at start-up (maplist_check, nothing is opened).
 *
 * Besides crashes, sanitizer reports and leaks, these are bugs:
 * - a failure without a 4.3.x status, or a success that leaves one;
 * - a status text with a control character in it, for the parameters
 *   vdeliver reads (the text becomes the first stderr line that Postfix
 *   parses, and a log line);
 * - conf_settings() accepting values its own rules forbid.
 *
 * Built and run by tests/fuzz.sh; by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Iinclude tests/fuzz_conf.c src/conf*.c src/map*.c src/status.c \
 *       src/log.c -ldb -o fuzz_conf     (without src/map_mysql*.c)
 *   ./fuzz_conf -max_total_time=30 NEWDIR tests/fuzz-corpus/conf
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "map.h"
#include "status.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every parameter that conf_settings() reads. */
static const char *const fuzz_params[] = {
	"virtual_mailbox_base", "virtual_mailbox_maps", "virtual_uid_maps",
	"virtual_gid_maps", "virtual_minimum_uid", "virtual_mailbox_limit",
	"virtual_mailbox_lock", "recipient_delimiter",
	"strict_mailbox_ownership", "deliver_lock_attempts",
	"deliver_lock_delay", "stale_lock_time", "enable_original_recipient",
	"syslog_name", "syslog_facility", "maillog_file",
	"vdeliver_loop_check", "vdeliver_trusted_users",
};

#define FUZZ_NPARAMS	(sizeof(fuzz_params) / sizeof(fuzz_params[0]))
#define FUZZ_MAX_NAMES	32

/*
 * One expansion may follow up to 100000 references ("a = $b$b$b...",
 * "b = $c$c$c..."), each a linear search of the parameters.  With a few
 * hundred parameters and some 70 expansions per input, one input costs
 * tens of seconds under ASan: a bounded cost of the design (vdeliver
 * stops at the first bad parameter), not a bug, but a fuzzer timeout.  So
 * an input with more than FUZZ_HEAVY '$' keeps only its first FUZZ_LINES
 * lines and FUZZ_LINES overrides.
 */
#define FUZZ_HEAVY	24
#define FUZZ_LINES	8

/* A failure must say why, as a 4.3.x status with printable text. */
static void
fuzz_check_failure(const struct dstatus *why, int printable)
{
	const unsigned char *cp;

	if (strncmp(why->dsn, "4.3.", 4) != 0 || why->ex != 75 ||
	    memchr(why->text, '\0', sizeof(why->text)) == NULL)
		abort();
	if (!printable)
		return;
	for (cp = (const unsigned char *)why->text; *cp != '\0'; cp++)
		if (*cp < 0x20 || *cp == 0x7f)
			abort();
}

/* Expand one parameter and run every value parser over the result. */
static void
fuzz_param(const struct conf *cf, const char *name, int known)
{
	struct dstatus why;
	unsigned long long size;
	const char *file;
	char	*v;
	long	ms;
	int	b, line;

	memset(&why, 0, sizeof(why));
	file = conf_where(cf, name, &line);
	if (file == NULL || line < 0)
		abort();
	(void)conf_get_raw(cf, name);
	if ((v = conf_get(cf, name, &why)) == NULL) {
		if (why.dsn[0] != '\0')
			fuzz_check_failure(&why, known);
		return;
	}
	(void)conf_parse_bool(v, &b);
	(void)conf_parse_time(v, &ms);
	(void)conf_parse_size(v, &size);
	(void)conf_parse_locks(v, &b);
	free(v);
	/* why may be NULL */
	free(conf_get(cf, name, NULL));
}

/* The names defined at the start of the logical lines of text. */
static int
fuzz_names(const char *text, char *names[], int max)
{
	const char *p = text, *s;
	size_t	n;
	int	count = 0;

	while (*p != '\0' && count < max) {
		if (*p != ' ' && *p != '\t' && *p != '#' && *p != '\n') {
			s = p;
			n = strcspn(s, " \t\r\n=");
			if (n > 0 && (names[count] = strndup(s, n)) != NULL)
				count++;
		}
		p = strchrnul(p, '\n');
		if (*p == '\n')
			p++;
	}
	return (count);
}

/* What conf_settings() promises about a configuration it accepts. */
static void
fuzz_check_settings(const struct vconfig *vc)
{
	size_t	len = strlen(vc->mailbox_base);

	if (vc->mailbox_base[0] != '/' ||
	    (len > 1 && vc->mailbox_base[len - 1] == '/'))
		abort();
	if (vc->mailbox_maps[strspn(vc->mailbox_maps, ", \t\r\n\v\f")] ==
	    '\0' || vc->uid_maps[strspn(vc->uid_maps, ", \t\r\n\v\f")] ==
	    '\0' || vc->gid_maps[strspn(vc->gid_maps, ", \t\r\n\v\f")] == '\0')
		abort();
	if (vc->minimum_uid < 1 || vc->minimum_uid >= (uid_t)-1 ||
	    vc->lock_attempts < 1 || vc->lock_delay_ms < 0 ||
	    vc->stale_lock_time < 1 ||
	    (vc->lock_methods & ~(CONF_LOCK_DOTLOCK | CONF_LOCK_FLOCK |
	    CONF_LOCK_FCNTL)) != 0)
		abort();
	if (vc->syslog_name[0] == '\0' || vc->syslog_facility[0] == '\0' ||
	    (vc->maillog_file[0] != '\0' && vc->maillog_file[0] != '/') ||
	    vc->recipient_delimiter == NULL || vc->trusted_users == NULL)
		abort();
	if ((vc->strict_ownership & ~1) != 0 ||
	    (vc->enable_original_recipient & ~1) != 0 ||
	    (vc->loop_check & ~1) != 0)
		abort();
}

/*
 * A list's syntax error is 4.3.5; its text may quote the list as written
 * (the administrator's own bytes), so it is not checked for printability.
 */
static void
fuzz_maplist(const char *param, const char *value)
{
	struct dstatus why;

	memset(&why, 0, sizeof(why));
	if (maplist_check(param, value, &why) < 0)
		fuzz_check_failure(&why, 0);
}

static void
fuzz_conf(struct conf *cf, const char *text)
{
	struct dstatus why;
	struct vconfig vc;
	char	*names[FUZZ_MAX_NAMES];
	size_t	i;
	int	n, k;

	for (i = 0; i < FUZZ_NPARAMS; i++)
		fuzz_param(cf, fuzz_params[i], 1);
	n = fuzz_names(text, names, FUZZ_MAX_NAMES);
	for (k = 0; k < n; k++) {
		fuzz_param(cf, names[k], 0);
		free(names[k]);
	}
	memset(&why, 0, sizeof(why));
	if (conf_settings(cf, &vc, &why) < 0) {
		fuzz_check_failure(&why, 1);
		return;
	}
	fuzz_check_settings(&vc);
	/* The map lists as main.c checks them at start-up (no opening). */
	fuzz_maplist("virtual_mailbox_maps", vc.mailbox_maps);
	fuzz_maplist("virtual_uid_maps", vc.uid_maps);
	fuzz_maplist("virtual_gid_maps", vc.gid_maps);
	conf_settings_free(&vc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dstatus why;
	struct conf *cf;
	char	*buf, *part, *end, *v;
	size_t	i, dollars = 0;
	int	max_parts = -1, lines = 0;

	/* One spare NUL so that every part is a C string. */
	if ((buf = malloc(size + 1)) == NULL)
		return (0);
	memcpy(buf, data, size);
	buf[size] = '\0';
	end = buf + size;
	for (i = 0; i < size; i++)
		dollars += data[i] == '$';
	if (dollars > FUZZ_HEAVY) {
		for (i = 0; i < size && buf[i] != '\0'; i++)
			if (buf[i] == '\n' && ++lines == FUZZ_LINES) {
				buf[i] = '\0';
				break;
			}
		max_parts = FUZZ_LINES;
	}
	if ((cf = conf_new()) == NULL)
		abort();
	memset(&why, 0, sizeof(why));
	if (conf_parse_text(cf, "fuzz.cf", buf, &why) < 0) {
		fuzz_check_failure(&why, 1);
		goto out;
	}
	part = buf + strlen(buf);
	if (part < end) {
		part++;
		memset(&why, 0, sizeof(why));
		if ((v = conf_expand(cf, part, &why)) == NULL)
			fuzz_check_failure(&why, 1);
		free(v);
		part += strlen(part);
	}
	while (part < end && max_parts-- != 0) {
		part++;
		memset(&why, 0, sizeof(why));
		if (conf_override(cf, part, &why) < 0)
			fuzz_check_failure(&why, 1);
		part += strlen(part);
	}
	fuzz_conf(cf, buf);
out:
	conf_free(cf);
	free(buf);
	return (0);
}
