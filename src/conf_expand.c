/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf_expand.c - Postfix $name expansion of parameter values.
 *
 * Forms, as Postfix's mac_parse(3)/mac_expand(3): $name, ${name},
 * $(name), ${name?text}, ${name:text}, ${name?{text}}, ${name:{text}},
 * ${name?{a}:{b}} (blanks around a {text} ignored) and $$.  Names are
 * [A-Za-z0-9_]; a parameter that is neither set nor has a built-in
 * default expands to nothing.  Values are expanded recursively; the ?
 * and : forms test the value as written, unexpanded, as Postfix does.
 * Postfix 3's relational operators are not supported and are reported.
 *
 * Guarantees: every syntax error (unbalanced braces, a bare '$', a bad
 * name) and every recursion loop is an error naming the parameter,
 * never a crash, a hang or a silently shortened result.  Depth, the
 * number of references and the result size are bounded so that even a
 * hostile "a = $b$b, b = $c$c, ..." chain fails quickly with an error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"
#include "status.h"

#define CX_MAX_DEPTH	100		/* Postfix's nesting limit */
#define CX_MAX_REFS	100000UL	/* parameter references per value */
#define CX_MAX_OUT	(16UL * 1024 * 1024)	/* result bytes */

struct cx {
	const struct conf *cf;
	char	*out;			/* result so far (not terminated) */
	size_t	len;
	size_t	cap;
	const char *chain[CX_MAX_DEPTH + 1];	/* parameters being expanded */
	int	nchain;
	int	level;			/* nesting of expanded texts */
	unsigned long refs;
	int	oom;
	char	err[STATUS_TEXT_MAX];	/* what went wrong */
};

static int cx_text(struct cx *, const char *, size_t);

static int
cx_fail(struct cx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
cx_fail(struct cx *x, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(x->err, sizeof(x->err), fmt, ap);
	va_end(ap);
	return (-1);
}

/* Fail with what is wrong in the expression ${in[0..n)}. */
static int
cx_bad(struct cx *x, const char *what, const char *in, size_t n)
{
	char	q[64];

	conf_quote(q, sizeof(q), in, n);
	return (cx_fail(x, "%s in \"${%s}\"", what, q));
}

static int
cx_put(struct cx *x, const char *s, size_t n)
{
	char	*nb;
	size_t	ncap;

	if (n > CX_MAX_OUT - x->len)
		return (cx_fail(x, "expansion result longer than %lu bytes",
		    CX_MAX_OUT));
	if (x->len + n + 1 > x->cap) {
		ncap = x->cap * 2 + n + 64;
		if ((nb = realloc(x->out, ncap)) == NULL) {
			x->oom = 1;
			return (-1);
		}
		x->out = nb;
		x->cap = ncap;
	}
	memcpy(x->out + x->len, s, n);
	x->len += n;
	return (0);
}

static int
cx_loop(struct cx *x, const char *key)
{
	size_t	off;
	int	i;

	off = (size_t)snprintf(x->err, sizeof(x->err), "parameter "
	    "expansion loop: ");
	for (i = 0; i < x->nchain && off < sizeof(x->err); i++)
		off += (size_t)snprintf(x->err + off, sizeof(x->err) - off,
		    "$%s -> ", x->chain[i]);
	if (off < sizeof(x->err))
		snprintf(x->err + off, sizeof(x->err) - off, "$%s", key);
	return (-1);
}

/* Unconditional $name: the value, itself expanded. */
static int
cx_use(struct cx *x, const char *name, size_t len)
{
	const char *raw, *key;
	int	i, ret;

	if ((raw = conf_lookup(x->cf, name, len, &key)) == NULL ||
	    *raw == '\0')
		return (0);
	if (++x->refs > CX_MAX_REFS)
		return (cx_fail(x, "more than %lu parameter references",
		    CX_MAX_REFS));
	for (i = 0; i < x->nchain; i++)
		if (strcmp(x->chain[i], key) == 0)
			return (cx_loop(x, key));
	if (x->nchain >= CX_MAX_DEPTH)
		return (cx_fail(x, "parameters nested deeper than %d",
		    CX_MAX_DEPTH));
	x->chain[x->nchain++] = key;
	ret = cx_text(x, raw, strlen(raw));
	x->nchain--;
	return (ret);
}

static size_t
cx_skip_space(const char *s, size_t k, size_t n)
{
	while (k < n && CONF_SPACE(s[k]))
		k++;
	return (k);
}

/*
 * The operand after ? or : at *kp: a {text} with balanced braces (blanks
 * around it skipped), or else all the rest of the expression.
 */
static int
cx_operand(struct cx *x, const char *in, size_t n, size_t *kp,
    const char **op_r, size_t *oplen_r)
{
	size_t	j, m;
	int	depth = 1;

	j = cx_skip_space(in, *kp, n);
	if (j == n || in[j] != '{') {
		*op_r = in + *kp;
		*oplen_r = n - *kp;
		*kp = n;
		return (0);
	}
	for (m = j + 1; m < n; m++)
		if (in[m] == '{')
			depth++;
		else if (in[m] == '}' && --depth == 0)
			break;
	if (m == n)
		return (cx_bad(x, "unbalanced {}", in, n));
	*op_r = in + j + 1;
	*oplen_r = m - j - 1;
	*kp = cx_skip_space(in, m + 1, n);
	return (0);
}

/* The conditional part of ${name?...} or ${name:...}; k is after op. */
static int
cx_cond(struct cx *x, const char *in, size_t n, size_t k, int op, int full)
{
	const char *text;
	size_t	tlen;

	if (op == '?') {
		if (cx_operand(x, in, n, &k, &text, &tlen) < 0)
			return (-1);
		if (full && cx_text(x, text, tlen) < 0)
			return (-1);
		if (k == n)
			return (0);
		if (in[k] != ':')
			return (cx_bad(x, "\":\" expected after {...}", in, n));
		k++;
	}
	if (cx_operand(x, in, n, &k, &text, &tlen) < 0)
		return (-1);
	if (!full && cx_text(x, text, tlen) < 0)
		return (-1);
	if (k != n)
		return (cx_bad(x, "unexpected text after {...}", in, n));
	return (0);
}

/* The inside of ${...} or $(...). */
static int
cx_ref(struct cx *x, const char *in, size_t n)
{
	const char *name, *raw;
	size_t	k, nlen;

	k = cx_skip_space(in, 0, n);
	name = in + k;
	for (nlen = 0; k < n && CONF_NAME_CHAR(in[k]); k++)
		nlen++;
	k = cx_skip_space(in, k, n);
	if (nlen == 0 && k < n && in[k] == '{')
		return (cx_bad(x, "unsupported relational expression", in, n));
	if (nlen == 0)
		return (cx_bad(x, "missing parameter name", in, n));
	if (k == n)
		return (cx_use(x, name, nlen));
	if (in[k] != '?' && in[k] != ':')
		return (cx_bad(x, "bad parameter name", in, n));
	raw = conf_lookup(x->cf, name, nlen, NULL);
	return (cx_cond(x, in, n, k + 1, in[k], raw != NULL && *raw != '\0'));
}

/* The "$" at s[*ip]: expand one reference, leave *ip just after it. */
static int
cx_dollar(struct cx *x, const char *s, size_t n, size_t *ip)
{
	size_t	i = *ip + 1, j;
	char	open, close, q[64];
	int	depth = 1;

	if (i < n && s[i] == '$') {
		*ip = i + 1;
		return (cx_put(x, "$", 1));
	}
	if (i < n && (s[i] == '{' || s[i] == '(')) {
		open = s[i];
		close = open == '{' ? '}' : ')';
		for (j = i + 1; j < n; j++)
			if (s[j] == open)
				depth++;
			else if (s[j] == close && --depth == 0)
				break;
		if (j == n) {
			conf_quote(q, sizeof(q), s + *ip, n - *ip);
			return (cx_fail(x, "unbalanced %c%c in \"%s\"", open,
			    close, q));
		}
		*ip = j + 1;
		return (cx_ref(x, s + i + 1, j - i - 1));
	}
	for (j = i; j < n && CONF_NAME_CHAR(s[j]); j++)
		;
	if (j == i) {
		conf_quote(q, sizeof(q), s, n);
		return (cx_fail(x, "\"$\" without a parameter name in \"%s\" "
		    "(write $$ for a literal $)", q));
	}
	*ip = j;
	return (cx_use(x, s + i, j - i));
}

static int
cx_text(struct cx *x, const char *s, size_t n)
{
	const char *d;
	size_t	i = 0;
	int	ret = 0;

	if (x->level >= CX_MAX_DEPTH)
		return (cx_fail(x, "expressions nested deeper than %d",
		    CX_MAX_DEPTH));
	x->level++;
	while (i < n && ret == 0) {
		if ((d = memchr(s + i, '$', n - i)) == NULL)
			d = s + n;
		if ((ret = cx_put(x, s + i, (size_t)(d - (s + i)))) < 0)
			break;
		i = (size_t)(d - s);
		if (i < n)
			ret = cx_dollar(x, s, n, &i);
	}
	x->level--;
	return (ret);
}

char *
conf_expand_value(const struct conf *cf, const char *name, const char *text,
    struct dstatus *why)
{
	struct dstatus dummy;
	struct cx *x;
	char	where[512], q[64], *res;

	if (why == NULL)
		why = &dummy;
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		status_set(why, "4.3.0", "out of memory");
		return (NULL);
	}
	x->cf = cf;
	if (name != NULL)
		x->chain[x->nchain++] = name;
	if (cx_text(x, text, strlen(text)) < 0 || cx_put(x, "", 1) < 0) {
		if (x->oom) {
			status_set(why, "4.3.0", "out of memory");
		} else if (name != NULL) {
			conf_locus(cf, name, where, sizeof(where));
			status_set(why, "4.3.5", "%s: %s", where, x->err);
		} else {
			conf_quote(q, sizeof(q), text, strlen(text));
			status_set(why, "4.3.5", "expanding \"%s\": %s", q,
			    x->err);
		}
		free(x->out);
		free(x);
		return (NULL);
	}
	res = x->out;
	free(x);
	return (res);
}
