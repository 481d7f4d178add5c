/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf.c - the parameter store: values exactly as written (last
 * definition wins), the built-in defaults of SPEC section 4, and where
 * each value came from (file and line, or -o) for messages.
 *
 * Values are kept unexpanded; expansion happens at use time
 * (conf_expand.c), so junk in parameters vdeliver never reads cannot
 * hurt it.  Values may be secrets (a mysql password): they are wiped
 * when replaced or freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"
#include "status.h"

/* SPEC section 4; the required parameters have no entry. */
static const struct {
	const char *name;
	const char *value;
} conf_defaults[] = {
	{"virtual_minimum_uid", "100"},
	{"virtual_mailbox_limit", "51200000"},
	{"virtual_mailbox_lock", "fcntl, dotlock"},
	{"recipient_delimiter", ""},
	{"strict_mailbox_ownership", "yes"},
	{"deliver_lock_attempts", "20"},
	{"deliver_lock_delay", "1s"},
	{"stale_lock_time", "500s"},
	{"enable_original_recipient", "yes"},
	{"syslog_name", "vdeliver"},
	{"syslog_facility", "mail"},
	{"maillog_file", ""},
	{"vdeliver_loop_check", "yes"},
	{"vdeliver_trusted_users", "root"},
};

#define CONF_NDEFAULTS	(sizeof(conf_defaults) / sizeof(conf_defaults[0]))

struct conf_param {
	char	*name;
	char	*value;
	const char *file;		/* NULL: set with -o */
	int	line;
};

struct conf {
	struct conf_param *params;
	size_t	nparams;
	size_t	maxparams;
	char	**files;		/* names of the files parsed */
	size_t	nfiles;
};

struct conf *
conf_new(void)
{
	return (calloc(1, sizeof(struct conf)));
}

static void
conf_wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
conf_free(struct conf *cf)
{
	size_t	i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->nparams; i++) {
		free(cf->params[i].name);
		conf_wipe_free(cf->params[i].value);
	}
	for (i = 0; i < cf->nfiles; i++)
		free(cf->files[i]);
	free(cf->params);
	free(cf->files);
	free(cf);
}

static struct conf_param *
conf_find(const struct conf *cf, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < cf->nparams; i++)
		if (strncmp(cf->params[i].name, name, len) == 0 &&
		    cf->params[i].name[len] == '\0')
			return (&cf->params[i]);
	return (NULL);
}

/* Store name = value (copied); the last definition wins. */
int
conf_set(struct conf *cf, const char *name, const char *value,
    const char *file, int line)
{
	struct conf_param *p, *np;
	char	*v;

	if ((v = strdup(value)) == NULL)
		return (-1);
	if ((p = conf_find(cf, name, strlen(name))) == NULL) {
		if (cf->nparams == cf->maxparams) {
			np = reallocarray(cf->params, cf->maxparams * 2 + 16,
			    sizeof(*np));
			if (np == NULL)
				goto nomem;
			cf->params = np;
			cf->maxparams = cf->maxparams * 2 + 16;
		}
		p = &cf->params[cf->nparams];
		if ((p->name = strdup(name)) == NULL)
			goto nomem;
		p->value = NULL;
		cf->nparams++;
	}
	conf_wipe_free(p->value);
	p->value = v;
	p->file = file;
	p->line = line;
	return (0);
nomem:
	conf_wipe_free(v);
	return (-1);
}

const char *
conf_lookup(const struct conf *cf, const char *name, size_t len,
    const char **key_r)
{
	const struct conf_param *p;
	size_t	i;

	if ((p = conf_find(cf, name, len)) != NULL) {
		if (key_r != NULL)
			*key_r = p->name;
		return (p->value);
	}
	for (i = 0; i < CONF_NDEFAULTS; i++)
		if (strncmp(conf_defaults[i].name, name, len) == 0 &&
		    conf_defaults[i].name[len] == '\0') {
			if (key_r != NULL)
				*key_r = conf_defaults[i].name;
			return (conf_defaults[i].value);
		}
	return (NULL);
}

const char *
conf_get_raw(const struct conf *cf, const char *name)
{
	const struct conf_param *p = conf_find(cf, name, strlen(name));

	return (p != NULL ? p->value : NULL);
}

char *
conf_get(const struct conf *cf, const char *name, struct dstatus *why)
{
	const char *raw, *key;

	if ((raw = conf_lookup(cf, name, strlen(name), &key)) == NULL)
		return (NULL);
	return (conf_expand_value(cf, key, raw, why));
}

char *
conf_expand(const struct conf *cf, const char *text, struct dstatus *why)
{
	return (conf_expand_value(cf, NULL, text, why));
}

const char *
conf_file_name(const struct conf *cf)
{
	return (cf->nfiles > 0 ? cf->files[0] : "(no configuration file)");
}

/*
 * A parameter that was never set (a default, or nothing) is placed in
 * the main file at line 0, so that messages always have a place to name.
 */
const char *
conf_where(const struct conf *cf, const char *name, int *line_r)
{
	const struct conf_param *p = conf_find(cf, name, strlen(name));

	*line_r = p != NULL ? p->line : 0;
	if (p == NULL)
		return (conf_file_name(cf));
	return (p->file != NULL ? p->file : CONF_WHERE_CMDLINE);
}

void
conf_locus(const struct conf *cf, const char *name, char *buf, size_t size)
{
	const char *file;
	int	line;

	file = conf_where(cf, name, &line);
	if (line > 0)
		snprintf(buf, size, "%s, line %d: parameter %s", file, line,
		    name);
	else
		snprintf(buf, size, "%s: parameter %s", file, name);
}

void
conf_quote(char *buf, size_t size, const char *text, size_t len)
{
	size_t	i, n;

	if (size < 4) {
		if (size > 0)
			buf[0] = '\0';
		return;
	}
	n = len < size - 1 ? len : size - 4;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (n < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

const char *
conf_add_file(struct conf *cf, const char *name)
{
	char	**nf;

	if ((nf = reallocarray(cf->files, cf->nfiles + 1, sizeof(*nf))) ==
	    NULL)
		return (NULL);
	cf->files = nf;
	if ((nf[cf->nfiles] = strdup(name)) == NULL)
		return (NULL);
	return (nf[cf->nfiles++]);
}
