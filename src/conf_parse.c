/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf_parse.c - Postfix main.cf syntax: logical lines, name = value, and
 * -o name=value overrides.
 *
 * Reading follows Postfix's readlline(3): a line that starts with white
 * space continues the logical line (the newline is dropped, the white
 * space kept), blank lines and lines whose first non-blank is '#' are
 * skipped even inside a continuation, a '#' anywhere else is literal, a
 * CR before the newline is dropped, a missing final newline is fine.
 * Nothing is read into a fixed-size buffer, so nothing is silently cut;
 * any syntax error fails the whole parse with 4.3.5 naming the file and
 * the line.  Buffers that held the text are wiped: values may be secrets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conf_int.h"
#include "status.h"

/* A logical line being assembled from physical lines. */
struct conf_lline {
	char	*buf;
	size_t	len;
	size_t	cap;
	int	first;			/* its first physical line */
};

/*
 * Split "name = value" in place.  Returns NULL or what is wrong.  Any
 * non-blank name is accepted, as Postfix does: real main.cf files carry
 * master.cf service names such as smtp-amavis_destination_recipient_limit.
 * Only [A-Za-z0-9_] names can be reached by $expansion.
 */
static const char *
conf_split(char *buf, char **name_r, char **value_r)
{
	char	*cp = buf, *end;

	while (CONF_SPACE(*cp))
		cp++;
	*name_r = cp;
	while (*cp != '\0' && *cp != '=' && !CONF_SPACE(*cp))
		cp++;
	end = cp;
	while (CONF_SPACE(*cp))
		cp++;
	if (end == *name_r)
		return ("missing parameter name");
	if (*cp != '=')
		return ("missing '=' after parameter name");
	*end = '\0';
	for (cp++; CONF_SPACE(*cp); cp++)
		;
	*value_r = cp;
	end = cp + strlen(cp);
	while (end > cp && CONF_SPACE(end[-1]))
		end--;
	*end = '\0';
	return (NULL);
}

/*
 * A message quotes only the name: the rest may be a secret, e.g. a
 * mysql_table(5) "password secret" line that lacks its '='.
 */
static int
conf_parse_line(struct conf *cf, struct conf_lline *ll, const char *file,
    struct dstatus *why)
{
	char	quoted[72], *name, *value;
	const char *err;

	if ((err = conf_split(ll->buf, &name, &value)) != NULL) {
		conf_quote(quoted, sizeof(quoted), name,
		    strcspn(name, "= \t\r\n\v\f"));
		status_set(why, "4.3.5", "%s, line %d: syntax error: %s%s%s%s",
		    file, ll->first, err, *quoted ? " \"" : "", quoted,
		    *quoted ? "\"" : "");
		return (-1);
	}
	if (conf_set(cf, name, value, file, ll->first) < 0) {
		status_set(why, "4.3.0", "out of memory");
		return (-1);
	}
	return (0);
}

static int
conf_append(struct conf_lline *ll, const char *text, size_t len)
{
	char	*nb;
	size_t	ncap;

	if (ll->len + len + 1 > ll->cap) {
		ncap = ll->cap * 2 + len + 128;
		if ((nb = malloc(ncap)) == NULL)
			return (-1);
		if (ll->buf != NULL) {
			memcpy(nb, ll->buf, ll->len);
			explicit_bzero(ll->buf, ll->cap);
			free(ll->buf);
		}
		ll->buf = nb;
		ll->cap = ncap;
	}
	memcpy(ll->buf + ll->len, text, len);
	ll->len += len;
	ll->buf[ll->len] = '\0';
	return (0);
}

/* 0: blank or comment line, 1: continuation, 2: starts a logical line. */
static int
conf_line_kind(const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len && CONF_SPACE(p[i]); i++)
		;
	if (i == len || p[i] == '#')
		return (0);
	return (i > 0 ? 1 : 2);
}

/* Feed one physical line (without its newline) to the logical line. */
static int
conf_feed(struct conf *cf, struct conf_lline *ll, const char *file,
    const char *p, size_t len, int lineno, struct dstatus *why)
{
	switch (conf_line_kind(p, len)) {
	case 0:
		return (0);
	case 1:
		/*
		 * Postfix warns and ignores such a line; it is nearly always
		 * an indented first parameter, which would then silently
		 * fall back to its default.  Refuse instead.
		 */
		if (ll->len == 0) {
			status_set(why, "4.3.5", "%s, line %d: syntax error: "
			    "line starts with white space but continues "
			    "no parameter", file, lineno);
			return (-1);
		}
		break;
	default:
		if (ll->len > 0 && conf_parse_line(cf, ll, file, why) < 0)
			return (-1);
		ll->len = 0;
		ll->first = lineno;
		break;
	}
	if (conf_append(ll, p, len) < 0) {
		status_set(why, "4.3.0", "out of memory");
		return (-1);
	}
	return (0);
}

int
conf_parse_text(struct conf *cf, const char *name, const char *text,
    struct dstatus *why)
{
	struct conf_lline ll = {NULL, 0, 0, 0};
	const char *file, *p, *eol;
	size_t	len;
	int	lineno = 0, ret = -1;

	if ((file = conf_add_file(cf, name)) == NULL) {
		status_set(why, "4.3.0", "out of memory");
		return (-1);
	}
	for (p = text; *p != '\0'; p = *eol != '\0' ? eol + 1 : eol) {
		eol = strchrnul(p, '\n');
		len = (size_t)(eol - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (conf_feed(cf, &ll, file, p, len, ++lineno, why) < 0)
			goto out;
	}
	if (ll.len > 0 && conf_parse_line(cf, &ll, file, why) < 0)
		goto out;
	ret = 0;
out:
	if (ll.buf != NULL) {
		explicit_bzero(ll.buf, ll.cap);
		free(ll.buf);
	}
	return (ret);
}

int
conf_override(struct conf *cf, const char *name_eq_value,
    struct dstatus *why)
{
	char	quoted[72], *copy, *name, *value;
	const char *err;
	int	ret = -1;

	if ((copy = strdup(name_eq_value)) == NULL) {
		status_set(why, "4.3.0", "out of memory");
		return (-1);
	}
	if ((err = conf_split(copy, &name, &value)) != NULL) {
		conf_quote(quoted, sizeof(quoted), name,
		    strcspn(name, "= \t\r\n\v\f"));
		status_set(why, "4.3.5", "%s: bad -o argument: %s \"%s\" "
		    "(use -o name=value)", CONF_WHERE_CMDLINE, err, quoted);
	} else if (conf_set(cf, name, value, NULL, 0) < 0)
		status_set(why, "4.3.0", "out of memory");
	else
		ret = 0;
	explicit_bzero(copy, strlen(name_eq_value));
	free(copy);
	return (ret);
}

/* The whole file as one string; a NUL byte in it is an error. */
static char *
conf_read(int fd, const char *path, struct dstatus *why)
{
	char	*buf = NULL, *nb, *nul;
	size_t	len = 0, cap = 0;
	ssize_t	n;
	long	line;

	for (;;) {
		if (cap - len < 4096) {
			if ((nb = malloc(cap * 2 + 8192)) == NULL) {
				status_set(why, "4.3.0", "out of memory");
				goto bad;
			}
			if (buf != NULL) {
				memcpy(nb, buf, len);
				explicit_bzero(buf, cap);
				free(buf);
			}
			buf = nb;
			cap = cap * 2 + 8192;
		}
		if ((n = read(fd, buf + len, cap - len - 1)) == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			status_set(why, "4.3.5", "cannot read configuration "
			    "file %s: %s", path, strerror(errno));
			goto bad;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	if ((nul = memchr(buf, '\0', len)) == NULL)
		return (buf);
	for (line = 1, nb = buf; nb < nul; nb++)
		line += *nb == '\n';
	status_set(why, "4.3.5", "%s, line %ld: syntax error: null byte",
	    path, line);
bad:
	if (buf != NULL) {
		explicit_bzero(buf, cap);
		free(buf);
	}
	return (NULL);
}

struct conf *
conf_load(const char *path, struct dstatus *why)
{
	struct conf *cf = NULL;
	char	*text;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)) < 0) {
		status_set(why, "4.3.5", "cannot open configuration file "
		    "%s: %s", path, strerror(errno));
		return (NULL);
	}
	text = conf_read(fd, path, why);
	close(fd);
	if (text == NULL)
		return (NULL);
	if ((cf = conf_new()) == NULL)
		status_set(why, "4.3.0", "out of memory");
	else if (conf_parse_text(cf, path, text, why) < 0) {
		conf_free(cf);
		cf = NULL;
	}
	explicit_bzero(text, strlen(text));
	free(text);
	return (cf);
}
