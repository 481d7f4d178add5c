/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map_mysql_query.c - the %-expansion of `query' and `result_format' (as
 * mysql_table(5)), and the `domain' restriction.
 *
 * Guarantees: every part of the key that goes into a query passes through
 * the escape function (the server's own, on the live connection); only
 * the administrator's format text is copied as it is.  A key that lacks a
 * part the query needs (no localpart for %u, no domain for %d, too few
 * labels for %1..%9) produces no query at all, so nothing half-expanded is
 * ever sent.  Out of memory is reported, never turned into "not found".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "map_mysql.h"
#include "status.h"

/*
 * Valid after '%': s u d (from the value in result_format, from the key
 * in a query), S U D (always from the key), 1..9 (key domain labels, %1 =
 * rightmost) and %.  Anything else is a configuration error at open.
 */
int
map_mysql_format_check(const char *fmt)
{
	const char *p;

	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '\0' || strchr("sudSUD123456789%", *p) == NULL)
			return (-1);
	}
	return (0);
}

/*
 * Split at the last '@' (a quoted localpart may hold another one).  On
 * allocation failure user and domain stay NULL and whole is NULL too, so
 * the caller can tell.
 */
void
map_mysql_key_split(struct map_mysql_key *k, const char *text)
{
	const char *at, *end, *dot;
	int	n;

	memset(k, 0, sizeof(*k));
	k->whole = text;
	if ((at = strrchr(text, '@')) == NULL)
		return;
	k->user = strndup(text, (size_t)(at - text));
	k->domain = strdup(at + 1);
	if (k->user == NULL || k->domain == NULL) {
		map_mysql_key_free(k);
		k->whole = NULL;
		return;
	}
	if (*k->domain == '\0')
		return;
	end = k->domain + strlen(k->domain);
	for (n = 0; n < 9; n++) {
		for (dot = end; dot > k->domain && dot[-1] != '.'; dot--)
			;
		k->label[n] = dot;
		k->label_len[n] = (size_t)(end - dot);
		k->nlabels = n + 1;
		if (dot == k->domain)
			break;
		end = dot - 1;
	}
}

void
map_mysql_key_free(struct map_mysql_key *k)
{
	free(k->user);
	free(k->domain);
	k->user = k->domain = NULL;
	k->nlabels = 0;
}

void
map_mysql_buf_add(struct map_mysql_buf *b, const char *s, size_t n)
{
	size_t	want;
	char	*p;

	if (b->failed)
		return;
	want = b->len + n + 1;
	if (want > b->size) {
		want = want < 256 ? 256 : want * 2;
		if ((p = realloc(b->s, want)) == NULL) {
			b->failed = 1;
			return;
		}
		b->s = p;
		b->size = want;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
map_mysql_buf_free(struct map_mysql_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

/* Append one substituted part, escaped when a query is being built. */
static void
add_part(struct map_mysql_buf *b, const char *s, size_t n,
    map_mysql_escape_fn esc, void *esc_ctx)
{
	char	*tmp;
	size_t	len;

	if (esc == NULL) {
		map_mysql_buf_add(b, s, n);
		return;
	}
	/* The escape function needs a terminated copy and 2n + 1 bytes. */
	if ((tmp = malloc(2 * n + 1)) == NULL) {
		b->failed = 1;
		return;
	}
	/* More than 2n bytes can only be the library's error value. */
	if ((len = esc(esc_ctx, tmp, s, n)) > 2 * n)
		b->failed = 1;
	else
		map_mysql_buf_add(b, tmp, len);
	free(tmp);
}

/*
 * The text for one %c, or NULL when the source lacks that part (then the
 * whole expansion is dropped).  %u of something without '@' is all of it.
 */
static const char *
part_for(char c, const struct map_mysql_key *key,
    const struct map_mysql_key *val, size_t *len_r)
{
	const struct map_mysql_key *src;
	const char *s;

	src = val != NULL && islower((unsigned char)c) ? val : key;
	switch (c) {
	case 's': case 'S':
		s = src->whole;
		break;
	case 'u': case 'U':
		s = src->user != NULL ? src->user : src->whole;
		break;
	case 'd': case 'D':
		s = src->domain;
		break;
	default:		/* '1'..'9', checked at open */
		if (c - '1' >= key->nlabels)
			return (NULL);
		*len_r = key->label_len[c - '1'];
		return (key->label[c - '1']);
	}
	if (s == NULL || *s == '\0')
		return (NULL);
	*len_r = strlen(s);
	return (s);
}

/*
 * Expand fmt into b.  val is NULL for a query (then lower-case letters
 * refer to the key) and the result value for result_format.  Returns 1
 * when expanded, 0 when a needed part is missing (b is restored), -1 out
 * of memory.  The format was checked at open.
 */
int
map_mysql_expand(struct map_mysql_buf *b, const char *fmt,
    const struct map_mysql_key *key, const struct map_mysql_key *val,
    map_mysql_escape_fn esc, void *esc_ctx)
{
	size_t	mark = b->len, n, len = 0;
	const char *p, *s;

	for (p = fmt; *p != '\0'; p++) {
		n = strcspn(p, "%");
		map_mysql_buf_add(b, p, n);
		p += n;
		if (*p == '\0')
			break;
		if (*++p == '%') {
			map_mysql_buf_add(b, "%", 1);
			continue;
		}
		if ((s = part_for(*p, key, val, &len)) == NULL) {
			b->len = mark;
			if (b->s != NULL)
				b->s[mark] = '\0';
			return (0);
		}
		add_part(b, s, len, esc, esc_ctx);
	}
	return (b->failed ? -1 : 1);
}

/*
 * Copy s into buf for a one-line message: control characters and
 * non-ASCII bytes become '?', long keys are cut.
 */
const char *
map_mysql_printable(const char *s, char *buf, size_t size)
{
	size_t	i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return (buf);
}

static int
domain_add(struct map_mysql *m, const char *name, struct dstatus *why)
{
	char	**v;

	v = realloc(m->domains, (size_t)(m->ndomains + 1) * sizeof(*v));
	if (v == NULL || (v[m->ndomains] = strdup(name)) == NULL) {
		if (v != NULL)
			m->domains = v;
		status_set(why, "4.3.0", "out of memory");
		return (-1);
	}
	m->domains = v;
	m->ndomains++;
	return (0);
}

static int
domain_map(struct map_mysql *m, const char *spec, struct dstatus *why)
{
	struct map **v, *dm;

	v = realloc(m->domain_maps,
	    (size_t)(m->ndomain_maps + 1) * sizeof(*v));
	if (v == NULL) {
		status_set(why, "4.3.0", "out of memory");
		return (-1);
	}
	m->domain_maps = v;
	if ((dm = map_open_strict(spec, 0, why)) == NULL)
		return (-1);
	v[m->ndomain_maps++] = dm;
	return (0);
}

/* A "/file" entry: names separated by white space or commas; # comments. */
static int
domain_file(struct map_mysql *m, const char *path, struct dstatus *why)
{
	FILE	*fp;
	char	*line = NULL, *tok, *save;
	size_t	size = 0;
	int	rc = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		status_errno(why, errno, "4.3.5", "domain list %s", path);
		return (-1);
	}
	while (rc == 0 && getline(&line, &size, fp) != -1) {
		if (line[strspn(line, " \t")] == '#')
			continue;
		for (tok = strtok_r(line, ", \t\r\n", &save); tok != NULL &&
		    rc == 0; tok = strtok_r(NULL, ", \t\r\n", &save))
			rc = domain_add(m, tok, why);
	}
	if (rc == 0 && ferror(fp)) {
		status_errno(why, errno, "4.3.5", "read %s", path);
		rc = -1;
	}
	free(line);
	fclose(fp);
	return (rc);
}

/*
 * `domain': names, "/file" lists and "type:table" maps, separated by
 * white space or commas.  An empty value means no restriction.
 */
int
map_mysql_domain_open(struct map_mysql *m, const char *list,
    struct dstatus *why)
{
	char	*copy, *tok, *save;
	int	rc = 0;

	if (list == NULL)
		return (0);
	if ((copy = strdup(list)) == NULL) {
		status_set(why, "4.3.0", "out of memory");
		return (-1);
	}
	for (tok = strtok_r(copy, ", \t\r\n", &save); tok != NULL && rc == 0;
	    tok = strtok_r(NULL, ", \t\r\n", &save)) {
		if (*tok == '/')
			rc = domain_file(m, tok, why);
		else if (strchr(tok, ':') != NULL)
			rc = domain_map(m, tok, why);
		else
			rc = domain_add(m, tok, why);
	}
	free(copy);
	return (rc);
}

/*
 * MAP_FOUND: the key may be queried.  With a `domain' restriction only
 * "user@listed-domain" keys qualify (as Postfix: no bare user, no
 * @domain); a failing domain map is an error, not a mismatch.
 */
enum map_result
map_mysql_domain_ok(struct map_mysql *m, const struct map_mysql_key *k,
    struct dstatus *why)
{
	enum map_result r;
	char	*v;
	int	i;

	if (m->ndomains == 0 && m->ndomain_maps == 0)
		return (MAP_FOUND);
	if (k->user == NULL || *k->user == '\0' || *k->domain == '\0')
		return (MAP_NOTFOUND);
	for (i = 0; i < m->ndomains; i++)
		if (strcasecmp(m->domains[i], k->domain) == 0)
			return (MAP_FOUND);
	for (i = 0; i < m->ndomain_maps; i++) {
		r = map_lookup(m->domain_maps[i], k->domain, &v, why);
		if (r == MAP_FOUND)
			free(v);
		if (r != MAP_NOTFOUND)
			return (r);
	}
	return (MAP_NOTFOUND);
}

void
map_mysql_domain_close(struct map_mysql *m)
{
	int	i;

	for (i = 0; i < m->ndomains; i++)
		free(m->domains[i]);
	for (i = 0; i < m->ndomain_maps; i++)
		map_close(m->domain_maps[i]);
	free(m->domains);
	free(m->domain_maps);
	m->domains = NULL;
	m->domain_maps = NULL;
	m->ndomains = m->ndomain_maps = 0;
}
