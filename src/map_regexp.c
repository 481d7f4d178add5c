/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map_regexp.c - "regexp:/path": Postfix regexp_table(5) tables.
 *
 * Every pattern is compiled at open; a lookup runs regexec(3) over the
 * rules in file order, first match wins.  An unusable rule is skipped with
 * a warning naming file and line, as Postfix does; an unusable IF is kept
 * as an IF that never matches, so its ENDIF still pairs with it (Postfix
 * drops it, pairing its ENDIF with the enclosing IF).  Only an unreadable
 * file fails the open.  A regexec failure is a map error, never "not
 * found".  Close frees everything, whatever the input was.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "map.h"
#include "status.h"

#define RX_SPACE(c)	isspace((unsigned char)(c))
#define RX_BLANKS	" \t\n\v\f\r"	/* isspace() in the C locale */
#define RX_ALNUM(c)	isalnum((unsigned char)(c))

/* Postfix's wording: "regexp map <file>, line <n>: <what>". */
#define RX_WARN(path, line, fmt, ...) \
	log_warn("regexp map %s, line %d: " fmt, (path), (line), ##__VA_ARGS__)

struct regexp_rule {
	int	line;		/* where the logical line started */
	int	is_if;
	int	npat;		/* compiled: 0 (an unusable IF), 1 or 2 */
	regex_t	re[2];
	int	match[2];	/* 1: must match, 0: must not ('!') */
	size_t	nsub;		/* highest $n in result, 0 if none */
	char	*result;
	size_t	skip;		/* IF: first rule after its ENDIF; 0: open */
};

struct map_regexp {
	struct map map;		/* first: the map layer casts */
	char	*path;
	struct regexp_rule *rules;
	size_t	nrules, arules;
	size_t	maxsub;		/* highest $n of any rule */
	regmatch_t *pmatch;	/* maxsub + 1 slots, reused by lookups */
	/* While loading: the file text, logical lines joined in place. */
	int	flags;		/* open flags */
	char	*pos, *end;	/* unread text */
	int	lineno;		/* physical lines consumed */
	int	first;		/* line where the logical line started */
	size_t	depth;		/* IFs not yet closed */
};

/* The whole file, NUL-terminated; NULL with errno on failure. */
static char *
regexp_slurp(FILE *fp, size_t *len_r)
{
	char	*buf = NULL, *nb;
	size_t	size = 0, n;

	for (*len_r = 0;; *len_r += n) {
		if (*len_r == size) {
			size = size * 2 + 8192;
			if ((nb = realloc(buf, size + 1)) == NULL)
				break;
			buf = nb;
		}
		if ((n = fread(buf + *len_r, 1, size - *len_r, fp)) == 0) {
			if (ferror(fp))
				break;
			buf[*len_r] = '\0';
			return (buf);
		}
	}
	free(buf);
	return (NULL);
}

/*
 * The next logical line, as Postfix's readllines(): a line starting with
 * white space continues the previous one (newline dropped, white space
 * kept); blank and '#' lines are skipped, also inside a logical line.  A
 * CR before the newline goes too (Postfix keeps it).  Built in place: each
 * line consumed frees its newline, so the NUL never hits unread text.
 */
static char *
regexp_logical(struct map_regexp *m)
{
	char	*start = NULL, *w = NULL, *line, *eol, *p;
	size_t	n;

	for (; m->pos < m->end; m->pos = (eol < m->end) ? eol + 1 : eol) {
		line = m->pos;
		if ((eol = memchr(line, '\n', (size_t)(m->end - line))) == NULL)
			eol = m->end;
		for (p = line; p < eol && RX_SPACE(*p); p++)
			continue;
		if (!RX_SPACE(*line) && p < eol && *p != '#' && start != NULL)
			break;		/* starts the next logical line */
		m->lineno++;
		if (p == eol || *p == '#')
			continue;
		if (start == NULL && RX_SPACE(*line)) {
			RX_WARN(m->path, m->lineno, "logical line must not "
			    "start with white space: skipping this line");
			continue;
		}
		if (start == NULL) {
			start = w = line;
			m->first = m->lineno;
		}
		n = (size_t)(eol - line) - (eol > line && eol[-1] == '\r');
		if (memchr(line, '\0', n) != NULL)
			RX_WARN(m->path, m->lineno, "null byte: ignoring the "
			    "rest of the logical line");
		memmove(w, line, n);
		w += n;
	}
	if (start != NULL)
		*w = '\0';
	return (start);
}

/*
 * The reference at **pp ('$'), as Postfix's mac_parse(): ${name}, $(name)
 * (nesting counted) or [A-Za-z0-9_]+; here the name must be a group number.
 * It ends at a non-digit, so strspn and strtoul stop there; a huge number
 * (ULONG_MAX on overflow) fails the check against the groups at load.
 */
static int
regexp_ref(const char **pp, size_t *n_r, const char **err_r)
{
	const char *p = *pp + 1, *name, *end;
	char	open = *p, close = (*p == '{') ? '}' : ')';
	int	level = 1;

	if (open == '{' || open == '(') {
		for (name = ++p; *p != '\0'; p++)
			if (*p == open)
				level++;
			else if (*p == close && --level == 0)
				break;
		*err_r = "unterminated ${ or $(";
		if (*p == '\0')
			return (-1);
		end = p++;
	} else {
		for (name = p; RX_ALNUM(*p) || *p == '_'; p++)
			continue;
		end = p;
	}
	*pp = p;
	*err_r = "$ must name a group number (a $ is written $$)";
	if (name == end || strspn(name, "0123456789") < (size_t)(end - name))
		return (-1);
	*n_r = strtoul(name, NULL, 10);
	return (*n_r >= 1 ? 0 : -1);
}

/*
 * Expand a result text ($$ is $, $n ${n} $(n) group n of key per pm; NULL
 * pm or a group that did not take part gives "") into out if not NULL.
 * Sets the expansion's length and the highest n; -1 on bad syntax.
 */
static int
regexp_expand(const char *p, const char *key, const regmatch_t *pm,
    char *out, size_t *len_r, size_t *max_r, const char **err_r)
{
	const char *s;
	size_t	n, len;

	for (*len_r = *max_r = 0; *p != '\0'; *len_r += len) {
		if (*p != '$' || p[1] == '$') {
			s = p;
			len = (*p == '$') ? 1 : strcspn(p, "$");
			p += (*p == '$') ? 2 : len;
		} else if (regexp_ref(&p, &n, err_r) < 0) {
			return (-1);
		} else {
			*max_r = (n > *max_r) ? n : *max_r;
			s = "";
			len = 0;
			if (pm != NULL && pm[n].rm_so >= 0) {
				s = key + pm[n].rm_so;
				len = (size_t)(pm[n].rm_eo - pm[n].rm_so);
			}
		}
		if (out != NULL)
			memcpy(out + *len_r, s, len);
	}
	if (out != NULL)
		out[*len_r] = '\0';
	return (0);
}

/*
 * Take "[!]<d>pattern<d>flags" off *pp and compile it as pattern i of r
 * ('!' toggles, blanks allowed between).  A backslash keeps the next
 * character, also the delimiter, from ending the pattern and is left in
 * for regcomp, as Postfix does: "/a\/b/" compiles "a\/b".  The flags i,
 * x, m toggle REG_ICASE, REG_EXTENDED, REG_NEWLINE on top of "extended,
 * case-insensitive".  0 (with a warning) if the pattern is unusable.
 */
static int
regexp_get_pat(const char *path, struct regexp_rule *r, int i, char **pp)
{
	static const char letters[] = "ixm";
	static const int bits[] = {REG_ICASE, REG_EXTENDED, REG_NEWLINE};
	char	*p = *pp, *text, delim, err[256];
	const char *f;
	int	cflags = REG_EXTENDED | REG_ICASE, e;

	for (r->match[i] = 1; *p == '!' || RX_SPACE(*p); p++)
		if (*p == '!')
			r->match[i] = !r->match[i];
	if ((delim = *p++) == '\0') {
		RX_WARN(path, r->line, "no regexp: skipping this rule");
		return (0);
	}
	for (text = p; *p != '\0' && *p != delim; p++)
		if (*p == '\\' && *++p == '\0')
			break;
	if (*p == '\0') {
		RX_WARN(path, r->line, "no closing regexp delimiter \"%c\": "
		    "skipping this rule", delim);
		return (0);
	}
	for (*p++ = '\0'; *p != '\0' && !RX_SPACE(*p) && *p != '!'; p++) {
		if ((f = strchr(letters, *p)) == NULL) {
			RX_WARN(path, r->line, "unknown regexp option \"%c\": "
			    "skipping this rule", *p);
			return (0);
		}
		cflags ^= bits[f - letters];
	}
	if ((e = regcomp(&r->re[i], text, cflags)) != 0) {
		regerror(e, &r->re[i], err, sizeof(err));
		RX_WARN(path, r->line, "bad regexp \"%.100s\": %s: skipping "
		    "this rule", text, err);
		return (0);
	}
	r->npat = i + 1;
	*pp = p;
	return (1);
}

/* Append a zeroed rule; NULL when out of memory. */
static struct regexp_rule *
regexp_new_rule(struct map_regexp *m, int line, int is_if)
{
	struct regexp_rule *r;
	size_t	n;

	if (m->nrules == m->arules) {
		n = m->arules * 2 + 16;
		if ((r = reallocarray(m->rules, n, sizeof(*r))) == NULL)
			return (NULL);
		m->rules = r;
		m->arules = n;
	}
	m->rules[m->nrules] = (struct regexp_rule){.line = line,
	    .is_if = is_if};
	return (&m->rules[m->nrules++]);
}

static void
regexp_free_rule(struct regexp_rule *r)
{
	while (r->npat > 0)
		regfree(&r->re[--r->npat]);
	free(r->result);
}

/* "/pat/flags result", "!/pat/flags result", "/p1/!/p2/ result". */
static int
regexp_parse_match(struct map_regexp *m, char *p, int line)
{
	struct regexp_rule *r;
	const char *err;
	size_t	max, len;

	if ((r = regexp_new_rule(m, line, 0)) == NULL)
		return (-1);
	if (!regexp_get_pat(m->path, r, 0, &p) ||
	    (*p == '!' && !regexp_get_pat(m->path, r, 1, &p)))
		goto drop;
	if (*(p += strspn(p, RX_BLANKS)) == '\0')
		RX_WARN(m->path, line, "no replacement text: using empty "
		    "string");
	if (regexp_expand(p, NULL, NULL, NULL, &len, &max, &err) < 0)
		RX_WARN(m->path, line, "bad replacement syntax: %s: "
		    "skipping this rule", err);
	else if (max > 0 && !r->match[0])
		RX_WARN(m->path, line, "$number found in negative match "
		    "replacement text: skipping this rule");
	else if (max > 0 && (m->flags & MAP_OPEN_NOSUBST))
		RX_WARN(m->path, line, "regular expression substitution is "
		    "not allowed: skipping this rule");
	else if (max > r->re[0].re_nsub)
		RX_WARN(m->path, line, "out of range replacement index "
		    "\"%zu\": skipping this rule", max);
	else if ((r->result = strdup(p)) != NULL) {
		r->nsub = max;
		m->maxsub = (max > m->maxsub) ? max : m->maxsub;
		return (0);
	} else
		return (-1);	/* out of memory; close frees the rule */
drop:	/* reached by goto and after each warning above */
	regexp_free_rule(&m->rules[--m->nrules]);
	return (0);
}

/* "if /pat/flags" or "if !/pat/flags"; p is past the keyword. */
static int
regexp_parse_if(struct map_regexp *m, char *p, int line)
{
	struct regexp_rule *r;

	if ((r = regexp_new_rule(m, line, 1)) == NULL)
		return (-1);
	m->depth++;
	if (!regexp_get_pat(m->path, r, 0, &p))
		RX_WARN(m->path, line, "this IF never matches: the rules up "
		    "to its ENDIF are not used");
	else if (*(p += strspn(p, RX_BLANKS)) != '\0')
		RX_WARN(m->path, line, "ignoring extra text after IF "
		    "statement: \"%.30s\"", p);
	return (0);
}

static void
regexp_parse_endif(struct map_regexp *m, char *p, int line)
{
	size_t	i;

	if (m->depth == 0) {
		RX_WARN(m->path, line, "ignoring ENDIF without matching IF");
		return;
	}
	if (*(p + strspn(p, RX_BLANKS)) != '\0')
		RX_WARN(m->path, line, "ignoring extra text after ENDIF");
	/* The innermost open IF is the last one without a skip. */
	for (i = m->nrules; i-- > 0;)
		if (m->rules[i].is_if && m->rules[i].skip == 0)
			break;
	m->rules[i].skip = m->nrules;
	m->depth--;
}

/* Parse the file text; -1 only when out of memory. */
static int
regexp_load(struct map_regexp *m, char *text, size_t len)
{
	char	*line;
	size_t	i, n;
	int	rc = 0;

	for (m->pos = text, m->end = text + len;
	    rc == 0 && (line = regexp_logical(m)) != NULL;) {
		for (n = strlen(line); n > 0 && RX_SPACE(line[n - 1]); n--)
			line[n - 1] = '\0';	/* trailing blanks */
		if (*line == '\0')
			continue;
		if (!RX_ALNUM(*line))
			rc = regexp_parse_match(m, line, m->first);
		else if (strncasecmp(line, "if", 2) == 0 && !RX_ALNUM(line[2]))
			rc = regexp_parse_if(m, line + 2, m->first);
		else if (strncasecmp(line, "endif", 5) == 0 &&
		    !RX_ALNUM(line[5]))
			regexp_parse_endif(m, line + 5, m->first);
		else
			RX_WARN(m->path, m->first, "ignoring unrecognized "
			    "request");
	}
	if (m->depth > 0)
		RX_WARN(m->path, m->lineno, "more IFs than ENDIFs: the "
		    "lookup ends at an unclosed IF that does not match");
	/* An unclosed IF that fails skips to the end: "not found". */
	for (i = 0; i < m->nrules; i++)
		if (m->rules[i].is_if && m->rules[i].skip == 0)
			m->rules[i].skip = m->nrules;
	if (rc == 0 &&
	    (m->pmatch = calloc(m->maxsub + 1, sizeof(*m->pmatch))) == NULL)
		rc = -1;
	return (rc);
}

static void
regexp_close(struct map *map)
{
	struct map_regexp *m = (struct map_regexp *)map;
	size_t	i;

	for (i = 0; i < m->nrules; i++)
		regexp_free_rule(&m->rules[i]);
	free(m->rules);
	free(m->pmatch);
	free(m->path);
	free(m);
}

/* map->spec belongs to the map layer, which sets and frees it. */
static struct map *
regexp_open(const char *name, int flags, struct dstatus *why)
{
	struct map_regexp *m;
	FILE	*fp = NULL;
	char	*text = NULL;
	size_t	len;
	int	err = ENOMEM;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->path = strdup(name)) == NULL)
		goto fail;
	m->map.ops = &map_regexp_ops;
	m->flags = flags;
	errno = 0;
	if ((fp = fopen(name, "re")) == NULL ||
	    (text = regexp_slurp(fp, &len)) == NULL)
		err = (errno != 0) ? errno : EIO;
	else if (regexp_load(m, text, len) == 0) {
		free(text);
		fclose(fp);
		return (&m->map);
	}
fail:
	status_set(why, "4.3.5", "cannot open regexp map %s: %s", name,
	    strerror(err));
	free(text);
	if (fp != NULL)
		fclose(fp);
	if (m != NULL)
		regexp_close(&m->map);
	return (NULL);
}

static enum map_result
regexp_lookup(struct map *map, const char *key, char **value_r,
    struct dstatus *why)
{
	struct map_regexp *m = (struct map_regexp *)map;
	const struct regexp_rule *r;
	const char *err;
	char	ebuf[256];
	size_t	i, len, max, nm;
	int	j, e, yes;

	*value_r = NULL;
	for (i = 0; i < m->nrules; i = (r->is_if && !yes) ? r->skip : i + 1) {
		r = &m->rules[i];
		/* No pattern: an unusable IF.  Only pattern 0 has groups. */
		yes = (r->npat > 0);
		for (j = 0; yes && j < r->npat; j++) {
			nm = (j == 0 && r->nsub > 0) ? r->nsub + 1 : 0;
			e = regexec(&r->re[j], key, nm, nm ? m->pmatch : NULL,
			    0);
			if (e != 0 && e != REG_NOMATCH) {
				regerror(e, &r->re[j], ebuf, sizeof(ebuf));
				status_set(why, "4.3.5", "regexp map %s, line "
				    "%d: %s", m->path, r->line, ebuf);
				return (MAP_ERROR);
			}
			yes = ((e == 0) == r->match[j]);
		}
		if (r->is_if || !yes)
			continue;
		/* The syntax was checked at load: only malloc can fail. */
		(void)regexp_expand(r->result, key, m->pmatch, NULL, &len,
		    &max, &err);
		if ((*value_r = malloc(len + 1)) == NULL) {
			status_set(why, "4.3.0", "regexp map %s: %s", m->path,
			    strerror(ENOMEM));
			return (MAP_ERROR);
		}
		(void)regexp_expand(r->result, key, m->pmatch, *value_r, &len,
		    &max, &err);
		return (MAP_FOUND);
	}
	return (MAP_NOTFOUND);
}

const struct map_ops map_regexp_ops = {
	.type = "regexp",
	.flags = MAP_PATTERN,
	.open = regexp_open,
	.lookup = regexp_lookup,
	.dump = NULL,
	.close = regexp_close,
};
