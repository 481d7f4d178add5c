/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf_int.h - private interface between the parts of the conf module:
 * conf.c (parameter store, defaults), conf_parse.c (main.cf syntax),
 * conf_expand.c ($expansion) and conf_settings.c (typed values and
 * validation).  Nothing outside src/conf*.c includes this file.
 */
#ifndef VDELIVER_CONF_INT_H
#define VDELIVER_CONF_INT_H

#include <stddef.h>

struct conf;
struct dstatus;

/* What conf_where() says for a value that came from -o. */
#define CONF_WHERE_CMDLINE	"command line"

/* True for the characters of a parameter name, [A-Za-z0-9_]. */
#define CONF_NAME_CHAR(c) \
	(((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || \
	 ((c) >= '0' && (c) <= '9') || (c) == '_')

/* White space as Postfix's ISSPACE in the C locale. */
#define CONF_SPACE(c) \
	((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r' || \
	 (c) == '\v' || (c) == '\f')

/*
 * Store name = value (both copied); the last definition wins.  file is
 * a name returned by conf_add_file(), or NULL for -o; line 0 for -o.
 * -1 only when out of memory.
 */
int	conf_set(struct conf *cf, const char *name, const char *value,
	    const char *file, int line);
/* Remember a file name for the life of cf; NULL when out of memory. */
const char *conf_add_file(struct conf *cf, const char *name);

/*
 * Raw value of the parameter name[0..len): the value set in the file or
 * with -o, else the built-in default, else NULL.  *key_r (may be NULL)
 * receives a NUL-terminated copy of the name that lives as long as cf.
 */
const char *conf_lookup(const struct conf *cf, const char *name, size_t len,
	    const char **key_r);

/*
 * Expand text; name is the parameter whose value text is (used for loop
 * detection and messages) or NULL for free text.  malloc'd result, or
 * NULL with 4.3.5 (4.3.0 when out of memory).
 */
char	*conf_expand_value(const struct conf *cf, const char *name,
	    const char *text, struct dstatus *why);

/*
 * "<file>, line <n>: parameter <name>" (or "command line: parameter
 * <name>", or "<file>: parameter <name>" for a default) into buf.
 */
void	conf_locus(const struct conf *cf, const char *name, char *buf,
	    size_t size);

/* The name of the (first) file parsed, for messages. */
const char *conf_file_name(const struct conf *cf);

/*
 * A printable, length-limited copy of len bytes of text for a message:
 * control characters become '?', and "..." marks a cut.
 */
void	conf_quote(char *buf, size_t size, const char *text, size_t len);

#endif
