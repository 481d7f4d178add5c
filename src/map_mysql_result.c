/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map_mysql_result.c - turn a mysql result set into a lookup answer.
 *
 * Guarantees: zero rows (or only NULLs) is "not found"; every column of
 * every row goes through result_format and the pieces are joined with
 * commas as Postfix does, except in strict mode (MAP_OPEN_NOSUBST,
 * vdeliver's own maps) where anything but one row with one value is an
 * error.  A value is never silently shortened (a NUL byte inside is an
 * error), and a non-zero expansion_limit that is exceeded is an error.
 * A second result set (a stored procedure) is an error.
 */
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "log.h"
#include "map_mysql.h"
#include "status.h"

/*
 * Add one non-NULL column value through result_format: 1 added, 0
 * skipped (empty, or lacks a part the format needs), -1 error.
 */
static int
value_add(const struct map_mysql *m, struct map_mysql_buf *b,
    const struct map_mysql_key *k, const char *val, unsigned long len,
    struct dstatus *why)
{
	struct map_mysql_key v;
	size_t	mark = b->len;
	int	rc;

	/* A path cut short at a NUL byte must not be used. */
	if (strlen(val) != len) {
		status_set(why, "4.3.5", "%s: result value contains a NUL byte",
		    m->cf_path);
		return (-1);
	}
	if (len == 0) {
		if (m->strict) {
			status_set(why, "4.3.5", "%s: empty result value",
			    m->cf_path);
			return (-1);
		}
		log_warn("%s: empty result value ignored", m->cf_path);
		return (0);
	}
	map_mysql_key_split(&v, val);
	if (v.whole == NULL)
		rc = -1;
	else {
		if (b->len > 0)
			map_mysql_buf_add(b, ",", 1);
		if ((rc = map_mysql_expand(b, m->result_format, k, &v, NULL,
		    NULL)) == 0 && b->s != NULL) {
			b->len = mark;
			b->s[mark] = '\0';
		}
	}
	map_mysql_key_free(&v);
	if (b->failed)
		rc = -1;
	if (rc < 0)
		status_set(why, "4.3.0", "%s: out of memory", m->cf_path);
	return (rc);
}

/* Every column of every row, as Postfix; limits and strict mode. */
static enum map_result
rows_collect(const struct map_mysql *m, MYSQL_RES *res,
    const struct map_mysql_key *k, char **value_r, struct dstatus *why)
{
	struct map_mysql_buf b = {0};
	unsigned long long nrows = m->lib->num_rows(res);
	unsigned int nf = m->lib->num_fields(res), j;
	unsigned long *lens;
	MYSQL_ROW row;
	long	count = 0;
	int	rc;

	if (m->strict && nrows > 1) {
		status_set(why, "4.3.5", "%s: query returned %llu rows (one "
		    "expected)", m->cf_path, nrows);
		return (MAP_ERROR);
	}
	while ((row = m->lib->fetch_row(res)) != NULL) {
		lens = m->lib->fetch_lengths(res);
		for (j = 0; j < nf; j++) {
			if (row[j] == NULL)
				continue;
			rc = value_add(m, &b, k, row[j], lens[j], why);
			if (rc < 0)
				goto fail;
			if (rc == 0)
				continue;
			count++;
			if (m->expansion_limit > 0 &&
			    count > m->expansion_limit) {
				status_set(why, "4.3.5", "%s: expansion_limit "
				    "%ld exceeded", m->cf_path,
				    m->expansion_limit);
				goto fail;
			}
			if (m->strict && count > 1) {
				status_set(why, "4.3.5", "%s: query returned "
				    "more than one value", m->cf_path);
				goto fail;
			}
		}
	}
	if (b.len == 0) {
		map_mysql_buf_free(&b);
		return (MAP_NOTFOUND);
	}
	*value_r = b.s;
	return (MAP_FOUND);
fail:
	map_mysql_buf_free(&b);
	return (MAP_ERROR);
}

/*
 * CALL ends with a status packet after its result set: that one is fine.
 * A second result set (a procedure that answers twice) is an error: we do
 * not guess which one was meant.  0, or -1 with why.
 */
static int
more_results(struct map_mysql *m, MYSQL *db, struct dstatus *why)
{
	MYSQL_RES *res;
	int	extra = 0, rc = 0;

	while (m->lib->more_results(db) && (rc = m->lib->next_result(db)) == 0)
		if ((res = m->lib->store_result(db)) != NULL) {
			m->lib->free_result(res);
			extra++;
		}
	if (rc > 0) {
		status_set(why, "4.3.5", "%s: mysql server %s: %s",
		    m->cf_path, m->hosts[m->cur].name, m->lib->error(db));
		map_mysql_disconnect(m);
		return (-1);
	}
	if (extra > 0) {
		status_set(why, "4.3.5", "%s: query returned multiple result "
		    "sets", m->cf_path);
		return (-1);
	}
	return (0);
}

/* The answer to the query just sent on db. */
enum map_result
map_mysql_result_read(struct map_mysql *m, MYSQL *db,
    const struct map_mysql_key *k, char **value_r, struct dstatus *why)
{
	struct dstatus later;
	enum map_result r;
	MYSQL_RES *res;

	if ((res = m->lib->store_result(db)) != NULL) {
		r = rows_collect(m, res, k, value_r, why);
		m->lib->free_result(res);
	} else if (m->lib->field_count(db) != 0) {
		status_set(why, "4.3.5", "%s: mysql server %s: cannot read "
		    "result: %s", m->cf_path, m->hosts[m->cur].name,
		    m->lib->error(db));
		map_mysql_disconnect(m);
		return (MAP_ERROR);
	} else if (m->require_result_set) {
		status_set(why, "4.3.5", "%s: query returned no result set",
		    m->cf_path);
		r = MAP_ERROR;
	} else
		r = MAP_NOTFOUND;
	/* The first error is the one reported. */
	if (more_results(m, db, &later) < 0 && r != MAP_ERROR) {
		if (r == MAP_FOUND)
			free(*value_r);
		*value_r = NULL;
		*why = later;
		r = MAP_ERROR;
	}
	return (r);
}
