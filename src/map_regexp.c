/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map_regexp.c - "regexp:/path": Postfix regexp_table(5) tables.
 *
 * A lookup runs regexec(3) over the rules in file order, first match
 * wins.  Two things keep a table of many rules cheap:
 * - a literal prefilter: from each pattern, the longest run of literal
 *   characters that every match must contain (map_regexp_scan()); a key
 *   without it cannot match, so regexec is not called (for "!/pat/" the
 *   rule then holds);
 * - lazy compilation: a pattern in a simple subset that regcomp always
 *   accepts and that has no groups (literals, ".", "^" first, "$" last,
 *   one "*", "+" or "?" after an atom) is compiled on its first use; any
 *   other pattern is compiled at open, so every warning about a bad
 *   pattern still comes at open, naming file and line.
 * Both need the C locale (one byte per character, ASCII case folding),
 * which is vdeliver's and vmap's (neither calls setlocale); in any other
 * locale every pattern is compiled at open and always tried.  An unusable rule is skipped with
 * a warning naming file and line, as Postfix does; an unusable IF is kept
 * as an IF that never matches, so its ENDIF still pairs with it (Postfix
 * drops it, pairing its ENDIF with the enclosing IF).  Only an unreadable
 * file fails the open.  A regexec failure is a map error, never "not
 * found".  Close frees everything, whatever the input was.
 */
#include <ctype.h>
#include <errno.h>
#include <locale.h>
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

/* The longest literal kept for the prefilter (a part of one also works). */
#define RX_LIT_MAX	64

struct regexp_rule {
	int	line;		/* where the logical line started */
	int	is_if;
	int	npat;		/* usable patterns: 0 (an unusable IF), 1 or 2 */
	regex_t	re[2];
	int	compiled[2];	/* re[i] holds a compiled pattern */
	const char *pat[2];	/* not compiled yet: the text (in map->text) */
	int	cflags[2];
	char	*lit[2];	/* prefilter literal (lower case if icase) */
	size_t	litlen[2];	/* 0: no prefilter */
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
	char	*text;		/* the file, lines joined; patterns point in */
	int	fast;		/* C locale: prefilter and lazy compile */
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

/* An ASCII character that is itself in BRE and ERE alike. */
static int
regexp_plain(int c)
{
	return (c > 0 && c < 0x80 && (RX_ALNUM(c) ||
	    strchr("@_-%!\"#&',/:;<=>~ ", c) != NULL));
}

/* After an atom at *pp: a quantifier?  (1 for "{", which has a body.) */
static int
regexp_quant(const char *p, int ere)
{
	if (ere)
		return (*p == '*' || *p == '+' || *p == '?' ? 2 :
		    *p == '{' ? 1 : 0);
	return (*p == '*' ? 2 : (*p == '\\' && (p[1] == '+' ||
	    p[1] == '?')) ? 2 : (*p == '\\' && p[1] == '{') ? 1 : 0);
}

/*
 * Past a quantifier at p (there is one): "*", "+", "?", or an interval
 * skipped to its closing brace, which is never simple.  NULL when the
 * interval does not end: the rest of the pattern is not understood.
 */
static const char *
regexp_skip_quant(const char *p, int ere, int *simple)
{
	const char *close;

	if (regexp_quant(p, ere) == 2)
		return (p + (*p == '\\' ? 2 : 1));
	*simple = 0;
	if (ere)
		close = strchr(p, '}');
	else
		close = strstr(p, "\\}");
	return (close == NULL ? NULL : close + (ere ? 1 : 2));
}

/* Past a bracket expression at p ('['); NULL when it does not end. */
static const char *
regexp_skip_bracket(const char *p)
{
	const char *end;

	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p != '\0' && *p != ']') {
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			char	term[3] = { p[1], ']', '\0' };

			if ((end = strstr(p + 2, term)) == NULL)
				return (NULL);
			p = end + 2;
		} else
			p++;
	}
	return (*p == ']' ? p + 1 : NULL);
}

/*
 * What can be known about pattern (cflags as for regcomp) without
 * compiling it.  Into lit (size bytes), the longest run of literal
 * characters outside any group or bracket expression and not followed
 * by a quantifier, lower-cased under REG_ICASE: every match contains it
 * (as a substring, compared without case under REG_ICASE).  Its length
 * is returned; 0 when nothing is known, and always when the pattern has
 * an alternation ('|' in ERE, "\|" in BRE).  Only ASCII characters that
 * are literal in both syntaxes count, and a backslash-escaped one only
 * for characters that no GNU extension gives a meaning.  *simple_r is set
 * when the whole pattern is in the subset regcomp always accepts and that
 * has no group: plain and escaped literals, ".", "^" first, "$" last, and
 * one "*" (or, in ERE, "+" or "?") after an atom.  Assumes the C locale.
 */
size_t
map_regexp_scan(const char *pattern, int cflags, char *lit, size_t size,
    int *simple_r)
{
	const int ere = (cflags & REG_EXTENDED) != 0;
	const char *p = pattern, *esc = ere ? ".[]()*+?{}|^$\\/-@" :
	    ".[]*^$\\/-@";
	size_t	run = 0, best = 0;
	int	depth = 0, c, atom, ok, known = 1;
	char	buf[RX_LIT_MAX];

	*simple_r = 1;
	if (*p == '^')
		p++;
	while (p != NULL && *p != '\0') {
		c = -1;		/* the literal character, if the atom is one */
		atom = 1;	/* a quantifier may follow */
		ok = 1;		/* in the simple subset */
		if (*p == '\\' && p[1] != '\0' && strchr(esc, p[1]) != NULL) {
			c = (unsigned char)p[1];
			p += 2;
		} else if (regexp_plain((unsigned char)*p)) {
			c = (unsigned char)*p++;
		} else if (*p == '.') {
			p++;
		} else if (*p == '$' && p[1] == '\0') {
			atom = 0;
			p++;
		} else if ((ere && *p == '|') ||
		    (!ere && *p == '\\' && p[1] == '|')) {
			known = 0;	/* alternation: nothing is required */
			break;
		} else if ((ere && *p == '(') || (!ere && *p == '\\' &&
		    p[1] == '(')) {
			depth++;
			atom = ok = 0;
			p += ere ? 1 : 2;
		} else if ((ere && *p == ')') || (!ere && *p == '\\' &&
		    p[1] == ')')) {
			if (--depth < 0) {
				known = 0;	/* not understood */
				break;
			}
			ok = 0;
			p += ere ? 1 : 2;
		} else if (*p == '[') {
			ok = 0;
			p = regexp_skip_bracket(p);
		} else if ((ere && *p == '{') || (!ere && *p == '\\' &&
		    p[1] == '{')) {
			/* An interval with nothing to repeat: skip it all. */
			atom = ok = 0;
			p = regexp_skip_quant(p, ere, simple_r);
		} else {
			/* \w, \1, a quantifier without atom, '^' or '$' in
			 * the middle, non-ASCII, ...: nothing known. */
			atom = ok = 0;
			p += (*p == '\\' && p[1] != '\0') ? 2 : 1;
		}
		if (!ok)
			*simple_r = 0;
		if (p != NULL && atom && regexp_quant(p, ere)) {
			c = -1;		/* optional or repeated: not a run */
			p = regexp_skip_quant(p, ere, simple_r);
			if (p != NULL && regexp_quant(p, ere))
				*simple_r = 0;	/* "a**", "a*{2}" */
		}
		if (c >= 0 && depth == 0) {
			if (run < sizeof(buf))
				buf[run++] = (char)((cflags & REG_ICASE) ?
				    tolower(c) : c);
			continue;
		}
		if (run > best && run < size) {
			best = run;
			memcpy(lit, buf, best);
		}
		run = 0;
	}
	if (p == NULL || !known || depth != 0)
		*simple_r = 0;
	if (known && run > best && run < size) {
		best = run;
		memcpy(lit, buf, best);
	}
	if (!known)
		best = 0;
	if (size > 0)
		lit[best] = '\0';
	return (best);
}

/*
 * Take "[!]<d>pattern<d>flags" off *pp and compile it as pattern i of r
 * ('!' toggles, blanks allowed between).  A backslash keeps the next
 * character, also the delimiter, from ending the pattern and is left in
 * for regcomp, as Postfix does: "/a\/b/" compiles "a\/b".  The flags i,
 * x, m toggle REG_ICASE, REG_EXTENDED, REG_NEWLINE on top of "extended,
 * case-insensitive".  0 (with a warning) if the pattern is unusable.
 * With fast (C locale), the prefilter literal is taken, and a pattern
 * in the simple subset is left for regexp_exec() to compile; it points
 * into the file text, which the map keeps.
 */
static int
regexp_get_pat(const char *path, int fast, struct regexp_rule *r, int i,
    char **pp)
{
	static const char letters[] = "ixm";
	static const int bits[] = {REG_ICASE, REG_EXTENDED, REG_NEWLINE};
	char	*p = *pp, *text, delim, err[256], lit[RX_LIT_MAX + 1];
	const char *f;
	int	cflags = REG_EXTENDED | REG_ICASE, e, simple = 0;

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
	r->cflags[i] = cflags;
	if (fast) {
		r->litlen[i] = map_regexp_scan(text, cflags, lit, sizeof(lit),
		    &simple);
		if (r->litlen[i] > 0 && (r->lit[i] = strdup(lit)) == NULL)
			r->litlen[i] = 0;	/* no prefilter, still right */
	}
	if (simple) {
		/* regcomp cannot reject it: compile it when it is used. */
		r->pat[i] = text;
	} else if ((e = regcomp(&r->re[i], text, cflags)) != 0) {
		regerror(e, &r->re[i], err, sizeof(err));
		RX_WARN(path, r->line, "bad regexp \"%.100s\": %s: skipping "
		    "this rule", text, err);
		free(r->lit[i]);
		r->lit[i] = NULL;
		r->litlen[i] = 0;
		return (0);
	} else
		r->compiled[i] = 1;
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
	int	i;

	for (i = 0; i < 2; i++) {
		if (r->compiled[i])
			regfree(&r->re[i]);
		r->compiled[i] = 0;
		free(r->lit[i]);
		r->lit[i] = NULL;
	}
	r->npat = 0;
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
	if (!regexp_get_pat(m->path, m->fast, r, 0, &p) ||
	    (*p == '!' && !regexp_get_pat(m->path, m->fast, r, 1, &p)))
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
	else if (max > (r->compiled[0] ? r->re[0].re_nsub : 0))
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
	if (!regexp_get_pat(m->path, m->fast, r, 0, &p))
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
	free(m->text);
	free(m->path);
	free(m);
}

/* The prefilter folds ASCII only and counts bytes as characters. */
static int
regexp_c_locale(void)
{
	const char *loc = setlocale(LC_CTYPE, NULL);

	return (loc != NULL && (strcmp(loc, "C") == 0 ||
	    strcmp(loc, "POSIX") == 0));
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
	m->fast = regexp_c_locale();
	errno = 0;
	if ((fp = fopen(name, "re")) == NULL ||
	    (text = regexp_slurp(fp, &len)) == NULL)
		err = (errno != 0) ? errno : EIO;
	else if (regexp_load(m, text, len) == 0) {
		m->text = text;		/* lazy patterns point into it */
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

/* Does key contain the len bytes of lit (lower case: fold the key)? */
static int
regexp_contains(const char *key, const char *lit, size_t len, int icase)
{
	const char *k;
	size_t	i;

	if (!icase)
		return (strstr(key, lit) != NULL);
	for (k = key; *k != '\0'; k++) {
		for (i = 0; i < len && k[i] != '\0' &&
		    tolower((unsigned char)k[i]) == (unsigned char)lit[i]; i++)
			continue;
		if (i == len)
			return (1);
	}
	return (0);
}

/*
 * regexec() pattern j of r on key, unless the prefilter shows that it
 * cannot match (REG_NOMATCH); a lazy pattern is compiled on first use.
 */
static int
regexp_exec(struct map_regexp *m, struct regexp_rule *r, int j,
    const char *key, size_t nm, struct dstatus *why)
{
	char	ebuf[256];
	int	e;

	if (r->litlen[j] > 0 && !regexp_contains(key, r->lit[j],
	    r->litlen[j], (r->cflags[j] & REG_ICASE) != 0))
		return (REG_NOMATCH);
	if (!r->compiled[j]) {
		if ((e = regcomp(&r->re[j], r->pat[j], r->cflags[j])) != 0) {
			/* Only out of memory: the syntax is known good. */
			regerror(e, &r->re[j], ebuf, sizeof(ebuf));
			status_set(why, "4.3.5", "regexp map %s, line %d: "
			    "bad regexp \"%.100s\": %s", m->path, r->line,
			    r->pat[j], ebuf);
			return (-1);
		}
		r->compiled[j] = 1;
	}
	e = regexec(&r->re[j], key, nm, nm ? m->pmatch : NULL, 0);
	if (e != 0 && e != REG_NOMATCH) {
		regerror(e, &r->re[j], ebuf, sizeof(ebuf));
		status_set(why, "4.3.5", "regexp map %s, line %d: %s",
		    m->path, r->line, ebuf);
		return (-1);
	}
	return (e);
}

static enum map_result
regexp_lookup(struct map *map, const char *key, char **value_r,
    struct dstatus *why)
{
	struct map_regexp *m = (struct map_regexp *)map;
	struct regexp_rule *r;
	const char *err;
	size_t	i, len, max, nm;
	int	j, e, yes;

	*value_r = NULL;
	for (i = 0; i < m->nrules; i = (r->is_if && !yes) ? r->skip : i + 1) {
		r = &m->rules[i];
		/* No pattern: an unusable IF.  Only pattern 0 has groups. */
		yes = (r->npat > 0);
		for (j = 0; yes && j < r->npat; j++) {
			nm = (j == 0 && r->nsub > 0) ? r->nsub + 1 : 0;
			if ((e = regexp_exec(m, r, j, key, nm, why)) < 0)
				return (MAP_ERROR);
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
