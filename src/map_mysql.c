/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map_mysql.c - the "mysql:/path.cf" lookup table: a Postfix
 * mysql_table(5) file, read with main.cf syntax and used RAW (no $name
 * expansion), queried on a MySQL or MariaDB server.
 *
 * Guarantees:
 * - zero rows is "not found"; a server that cannot be reached, a failed
 *   query or a broken result is an error (4.3.5: the caller defers),
 *   never "not found";
 * - every part of the key is escaped with mysql_real_escape_string() on
 *   the live connection (its character set);
 * - opened with MAP_OPEN_NOSUBST (vdeliver's mailbox/uid/gid maps) the
 *   answer must be one row with one value: more is an error, where
 *   Postfix would join the values with commas (SPEC section 5); without
 *   the flag (vmap -q) the values are joined as Postfix does;
 * - the password exists once in our memory, in the parsed .cf, and is
 *   wiped when the map is closed (the client library's copy: see
 *   close_handle() in map_mysql_conn.c).
 * Nothing connects at open time: a server that is down makes lookups
 * fail (defer), not the open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <errmsg.h>

#include "conf.h"
#include "log.h"
#include "map_mysql.h"
#include "status.h"

static struct map *map_mysql_open(const char *, int, struct dstatus *);
static enum map_result map_mysql_lookup(struct map *, const char *, char **,
	    struct dstatus *);
static void map_mysql_close(struct map *);

const struct map_ops map_mysql_ops = {
	.type = "mysql",
	.flags = 0,
	.open = map_mysql_open,
	.lookup = map_mysql_lookup,
	.dump = NULL,
	.close = map_mysql_close,
};

/* What the escaper needs: the library and the live connection. */
struct escape_ctx {
	const struct map_mysql_lib *lib;
	MYSQL	*db;
};

static size_t
escape(void *ctx, char *to, const char *from, size_t len)
{
	const struct escape_ctx *e = ctx;
	unsigned long n;

	n = e->lib->real_escape_string(e->db, to, from, (unsigned long)len);
	/* (unsigned long)-1: the server mode forbids escaping; fail. */
	return (n > 2 * len ? (size_t)-1 : (size_t)n);
}

static void
setting_error(const struct map_mysql *m, const char *name, const char *what,
    struct dstatus *why)
{
	const char *file;
	int	line = 0;

	file = conf_where(m->cf, name, &line);
	if (file != NULL && line > 0)
		status_set(why, "4.3.5", "%s, line %d: %s: %s", file, line,
		    name, what);
	else
		status_set(why, "4.3.5", "%s: %s: %s", m->cf_path, name, what);
}

/* A time parameter (s m h d w suffixes) in ms, or dflt when unset. */
static int
get_time(const struct map_mysql *m, const char *name, long dflt,
    long *ms_r, struct dstatus *why)
{
	const char *v = conf_get_raw(m->cf, name);

	*ms_r = dflt;
	if (v != NULL && (conf_parse_time(v, ms_r) < 0 || *ms_r < 0)) {
		setting_error(m, name, "bad time value", why);
		return (-1);
	}
	return (0);
}

static int
get_bool(const struct map_mysql *m, const char *name, int dflt, int *r,
    struct dstatus *why)
{
	const char *v = conf_get_raw(m->cf, name);

	*r = dflt;
	if (v != NULL && conf_parse_bool(v, r) < 0) {
		setting_error(m, name, "bad boolean value (yes or no)", why);
		return (-1);
	}
	return (0);
}

static int
get_count(const struct map_mysql *m, const char *name, long *r,
    struct dstatus *why)
{
	const char *v = conf_get_raw(m->cf, name);
	char	*end;

	*r = 0;
	if (v == NULL)
		return (0);
	errno = 0;
	*r = strtol(v, &end, 10);
	if (end == v || *end != '\0' || *r < 0 || errno != 0) {
		setting_error(m, name, "bad number", why);
		return (-1);
	}
	return (0);
}

/* `query', or one built from the legacy select_field/table/where_field. */
static int
setup_query(struct map_mysql *m, struct dstatus *why)
{
	const char *sel, *tab, *where, *more;

	m->query = conf_get_raw(m->cf, "query");
	if (m->query == NULL) {
		sel = conf_get_raw(m->cf, "select_field");
		tab = conf_get_raw(m->cf, "table");
		where = conf_get_raw(m->cf, "where_field");
		more = conf_get_raw(m->cf, "additional_conditions");
		if (sel == NULL || tab == NULL || where == NULL) {
			setting_error(m, "query", "not set (nor select_field, "
			    "table and where_field)", why);
			return (-1);
		}
		if (asprintf(&m->legacy_query, "SELECT %s FROM %s WHERE "
		    "%s='%%s' %s", sel, tab, where, more ? more : "") < 0) {
			m->legacy_query = NULL;
			status_set(why, "4.3.0", "out of memory");
			return (-1);
		}
		m->query = m->legacy_query;
	}
	if (map_mysql_format_check(m->query) < 0) {
		setting_error(m, "query", "unknown %-expansion (want %s %u %d "
		    "%S %U %D %1..%9 %%)", why);
		return (-1);
	}
	return (0);
}

static int
setup_numbers(struct map_mysql *m, struct dstatus *why)
{
	long	conn_ms, rw_ms;

	if (get_count(m, "expansion_limit", &m->expansion_limit, why) < 0 ||
	    get_time(m, "idle_interval", 60000, &m->idle_ms, why) < 0 ||
	    get_time(m, "retry_interval", 60000, &m->retry_ms, why) < 0 ||
	    get_time(m, "connect_timeout", 5000, &conn_ms, why) < 0 ||
	    get_time(m, "query_timeout", 30000, &rw_ms, why) < 0 ||
	    get_bool(m, "require_result_set", 1, &m->require_result_set,
	    why) < 0 ||
	    get_bool(m, "tls_verify_cert", 0, &m->tls_verify, why) < 0)
		return (-1);
	/* The client library counts whole seconds; 0 would mean "none". */
	m->connect_timeout = (unsigned int)((conn_ms + 999) / 1000);
	m->rw_timeout = (unsigned int)((rw_ms + 999) / 1000);
	if (m->connect_timeout == 0)
		m->connect_timeout = 1;
	if (m->rw_timeout == 0)
		m->rw_timeout = 1;
	return (0);
}

static const char *
raw_or(const struct map_mysql *m, const char *name, const char *dflt)
{
	const char *v = conf_get_raw(m->cf, name);

	return (v != NULL ? v : dflt);
}

static int
setup(struct map_mysql *m, struct dstatus *why)
{
	char	text[STATUS_TEXT_MAX], dsn[sizeof(why->dsn)];

	m->user = conf_get_raw(m->cf, "user");
	m->password = conf_get_raw(m->cf, "password");
	m->dbname = conf_get_raw(m->cf, "dbname");
	if (m->dbname == NULL || *m->dbname == '\0') {
		setting_error(m, "dbname", "required parameter not set", why);
		return (-1);
	}
	m->result_format = raw_or(m, "result_format", "%s");
	if (map_mysql_format_check(m->result_format) < 0) {
		setting_error(m, "result_format", "unknown %-expansion (want "
		    "%s %u %d %S %U %D %1..%9 %%)", why);
		return (-1);
	}
	m->charset = raw_or(m, "charset", "utf8mb4");
	m->option_file = conf_get_raw(m->cf, "option_file");
	m->option_group = raw_or(m, "option_group", "client");
	m->tls_cert = conf_get_raw(m->cf, "tls_cert_file");
	m->tls_key = conf_get_raw(m->cf, "tls_key_file");
	m->tls_ca = conf_get_raw(m->cf, "tls_CAfile");
	m->tls_capath = conf_get_raw(m->cf, "tls_CApath");
	m->tls_ciphers = conf_get_raw(m->cf, "tls_ciphers");
	if (setup_query(m, why) < 0 || setup_numbers(m, why) < 0)
		return (-1);
	if (map_mysql_hosts_parse(m, conf_get_raw(m->cf, "hosts"), why) < 0 ||
	    map_mysql_domain_open(m, conf_get_raw(m->cf, "domain"), why) < 0) {
		/* Those messages do not name the file; copy: why is both. */
		memcpy(text, why->text, sizeof(text));
		memcpy(dsn, why->dsn, sizeof(dsn));
		status_set(why, dsn, "%s: %s", m->cf_path, text);
		return (-1);
	}
	return (0);
}

static struct map *
map_mysql_open(const char *name, int open_flags, struct dstatus *why)
{
	char	text[STATUS_TEXT_MAX];
	struct map_mysql *m;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->cf_path = strdup(name)) == NULL) {
		free(m);
		status_set(why, "4.3.0", "out of memory");
		return (NULL);
	}
	m->map.ops = &map_mysql_ops;
	m->strict = (open_flags & MAP_OPEN_NOSUBST) != 0;
	if ((m->lib = map_mysql_lib_load(why)) == NULL) {
		/* The reason names the library; say which map needed it. */
		memcpy(text, why->text, sizeof(text));
		status_set(why, "4.3.5", "%s: %s", name, text);
		map_mysql_close(&m->map);
		return (NULL);
	}
	if ((m->cf = conf_load(name, why)) == NULL || setup(m, why) < 0) {
		map_mysql_close(&m->map);
		return (NULL);
	}
	return (&m->map);
}

static void
map_mysql_close(struct map *map)
{
	struct map_mysql *m = (struct map_mysql *)map;

	map_mysql_disconnect(m);
	map_mysql_hosts_free(m);
	map_mysql_domain_close(m);
	free(m->legacy_query);
	free(m->cf_path);
	/* conf_free() wipes every value first: the password goes here. */
	if (m->cf != NULL)
		conf_free(m->cf);
	explicit_bzero(m, sizeof(*m));
	free(m);
}

/*
 * Send the query; a reused connection that turns out dead (the server
 * restarted, or closed it as idle) is replaced once, possibly by the
 * next host.
 */
static enum map_result
query_run(struct map_mysql *m, const struct map_mysql_key *k,
    char **value_r, struct dstatus *why)
{
	struct map_mysql_buf q = {0};
	struct escape_ctx ectx = { m->lib, NULL };
	unsigned int err;
	int	attempt, reused;
	char	show[512];
	MYSQL	*db;

	for (attempt = 0; attempt < 2; attempt++) {
		if ((db = map_mysql_connect(m, &reused, why)) == NULL)
			return (MAP_ERROR);
		map_mysql_buf_free(&q);
		ectx.db = db;
		if (map_mysql_expand(&q, m->query, k, NULL, escape, &ectx) < 0) {
			map_mysql_buf_free(&q);
			status_set(why, "4.3.0", "%s: cannot build query (out "
			    "of memory or escape failure)", m->cf_path);
			return (MAP_ERROR);
		}
		log_debug("%s: %s: %s", m->cf_path, m->hosts[m->cur].name,
		    map_mysql_printable(q.s, show, sizeof(show)));
		if (m->lib->real_query(db, q.s, (unsigned long)q.len) == 0) {
			map_mysql_buf_free(&q);
			return (map_mysql_result_read(m, db, k, value_r, why));
		}
		err = m->lib->errnum(db);
		status_set(why, "4.3.5", "%s: mysql server %s: query failed: "
		    "%s", m->cf_path, m->hosts[m->cur].name, m->lib->error(db));
		if (err < CR_MIN_ERROR || err > CR_MAX_ERROR)
			break;		/* the server answered: SQL error */
		map_mysql_disconnect(m);
		if (!reused)
			break;
	}
	map_mysql_buf_free(&q);
	return (MAP_ERROR);
}

static enum map_result
map_mysql_lookup(struct map *map, const char *key, char **value_r,
    struct dstatus *why)
{
	struct map_mysql *m = (struct map_mysql *)map;
	struct map_mysql_buf dry = {0};
	struct map_mysql_key k;
	enum map_result r;
	char	show[128];
	int	rc;

	*value_r = NULL;
	if (*key == '\0')
		return (MAP_NOTFOUND);
	map_mysql_key_split(&k, key);
	if (k.whole == NULL) {
		status_set(why, "4.3.0", "%s: out of memory", m->cf_path);
		return (MAP_ERROR);
	}
	r = map_mysql_domain_ok(m, &k, why);
	if (r == MAP_FOUND) {
		/* Unescaped dry run: does the key have every part needed? */
		rc = map_mysql_expand(&dry, m->query, &k, NULL, NULL, NULL);
		map_mysql_buf_free(&dry);
		if (rc == 0) {
			log_debug("%s: %s: no query (the key lacks a part "
			    "the query uses)", m->cf_path,
			    map_mysql_printable(key, show, sizeof(show)));
			r = MAP_NOTFOUND;
		} else if (rc < 0) {
			status_set(why, "4.3.0", "%s: out of memory",
			    m->cf_path);
			r = MAP_ERROR;
		} else
			r = query_run(m, &k, value_r, why);
	} else if (r == MAP_NOTFOUND)
		log_debug("%s: %s: no query (domain)", m->cf_path,
		    map_mysql_printable(key, show, sizeof(show)));
	map_mysql_key_free(&k);
	return (r);
}
