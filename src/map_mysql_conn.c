/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map_mysql_conn.c - the `hosts' list and the connection to a MySQL or
 * MariaDB server: failover in the order given, retry_interval,
 * idle_interval, timeouts, TLS.
 *
 * Guarantees: a failure to connect is always reported as an error that
 * names every server tried and why it failed (the caller defers), never
 * as "not found".  Connect, read and write timeouts are always set, so a
 * dead or hung server cannot hold a delivery for ever.  The server may
 * not ask us for local files (LOAD DATA LOCAL is off), and only one
 * statement per query is accepted (no CLIENT_MULTI_STATEMENTS).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

#include "map_mysql.h"
#include "status.h"

long long
map_mysql_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int
parse_port(const char *s, unsigned int *port_r)
{
	char	*end;
	long	v;

	if (*s < '0' || *s > '9')
		return (-1);
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > 65535)
		return (-1);
	*port_r = (unsigned int)v;
	return (0);
}

/*
 * "host", "host:port", "[v6addr]" or "[v6addr]:port"; a bare address
 * with more than one ':' is an IPv6 address without a port.
 */
static int
parse_inet(struct map_mysql_host *h, const char *s)
{
	const char *colon = strrchr(s, ':'), *close;

	if (*s == '[') {
		if ((close = strchr(s, ']')) == NULL || close == s + 1)
			return (-1);
		if (close[1] != '\0' && (close[1] != ':' ||
		    parse_port(close + 2, &h->port) < 0))
			return (-1);
		h->addr = strndup(s + 1, (size_t)(close - s - 1));
	} else if (colon != NULL && strchr(s, ':') == colon) {
		if (colon == s || parse_port(colon + 1, &h->port) < 0)
			return (-1);
		h->addr = strndup(s, (size_t)(colon - s));
	} else {
		if (*s == '\0')
			return (-1);
		h->addr = strdup(s);
	}
	return (0);
}

static int
host_add(struct map_mysql *m, const char *spec, struct dstatus *why)
{
	struct map_mysql_host *v, *h;
	int	bad;

	v = realloc(m->hosts, (size_t)(m->nhosts + 1) * sizeof(*v));
	if (v == NULL) {
		status_set(why, "4.3.0", "out of memory");
		return (-1);
	}
	m->hosts = v;
	h = &v[m->nhosts];
	memset(h, 0, sizeof(*h));
	if (strncmp(spec, "unix:", 5) == 0 || *spec == '/') {
		h->is_unix = 1;
		h->addr = strdup(spec + (*spec == '/' ? 0 : 5));
		bad = h->addr == NULL || *h->addr != '/';
	} else if (strncmp(spec, "inet:", 5) == 0) {
		h->force_tcp = 1;
		bad = parse_inet(h, spec + 5) < 0;
	} else
		bad = parse_inet(h, spec) < 0;
	h->name = strdup(spec);
	m->nhosts++;		/* so that map_mysql_hosts_free sees it */
	if (bad || h->addr == NULL || h->name == NULL) {
		status_set(why, "4.3.5", "bad hosts entry \"%s\" (want "
		    "unix:/path, inet:host:port, host:port or host)", spec);
		return (-1);
	}
	return (0);
}

/* `hosts': white space or commas between entries; default localhost. */
int
map_mysql_hosts_parse(struct map_mysql *m, const char *list,
    struct dstatus *why)
{
	char	*copy, *tok, *save;
	int	rc = 0;

	if (list == NULL || list[strspn(list, ", \t\r\n")] == '\0')
		list = "localhost";
	if ((copy = strdup(list)) == NULL) {
		status_set(why, "4.3.0", "out of memory");
		return (-1);
	}
	for (tok = strtok_r(copy, ", \t\r\n", &save); tok != NULL && rc == 0;
	    tok = strtok_r(NULL, ", \t\r\n", &save))
		rc = host_add(m, tok, why);
	free(copy);
	return (rc);
}

void
map_mysql_hosts_free(struct map_mysql *m)
{
	int	i;

	for (i = 0; i < m->nhosts; i++) {
		free(m->hosts[i].name);
		free(m->hosts[i].addr);
	}
	free(m->hosts);
	m->hosts = NULL;
	m->nhosts = 0;
}

/* mysql_options() for every connection; -1 if the library refuses one. */
static int
set_options(const struct map_mysql *m, const struct map_mysql_host *h,
    MYSQL *db)
{
	unsigned int proto = MYSQL_PROTOCOL_SOCKET, off = 0;
	my_bool	verify = 1;
	int	rc = 0;

	rc |= m->lib->options(db, MYSQL_OPT_CONNECT_TIMEOUT, &m->connect_timeout);
	rc |= m->lib->options(db, MYSQL_OPT_READ_TIMEOUT, &m->rw_timeout);
	rc |= m->lib->options(db, MYSQL_OPT_WRITE_TIMEOUT, &m->rw_timeout);
	rc |= m->lib->options(db, MYSQL_OPT_LOCAL_INFILE, &off);
	if (m->option_file != NULL)
		rc |= m->lib->options(db, MYSQL_READ_DEFAULT_FILE,
		    m->option_file);
	if (m->option_group != NULL && *m->option_group != '\0')
		rc |= m->lib->options(db, MYSQL_READ_DEFAULT_GROUP,
		    m->option_group);
	rc |= m->lib->options(db, MYSQL_SET_CHARSET_NAME, m->charset);
	if (h->is_unix || h->force_tcp) {
		if (h->force_tcp)
			proto = MYSQL_PROTOCOL_TCP;
		rc |= m->lib->options(db, MYSQL_OPT_PROTOCOL, &proto);
	}
	if (m->tls_cert || m->tls_key || m->tls_ca || m->tls_capath ||
	    m->tls_ciphers)
		rc |= m->lib->ssl_set(db, m->tls_key, m->tls_cert, m->tls_ca,
		    m->tls_capath, m->tls_ciphers);
	if (m->tls_verify)
		rc |= m->lib->options(db, MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
		    &verify);
	return (rc != 0 ? -1 : 0);
}

/*
 * mysql_real_connect() keeps its own copy of the password in the handle
 * (and one from an option file, if any).  Connector/C frees them without
 * wiping, so wipe them here through the public struct st_mysql before
 * mysql_close(); whatever the library copied elsewhere we cannot reach.
 */
static void
close_handle(const struct map_mysql *m, MYSQL *db)
{
	if (db->passwd != NULL)
		explicit_bzero(db->passwd, strlen(db->passwd));
	if (db->options.password != NULL)
		explicit_bzero(db->options.password,
		    strlen(db->options.password));
	m->lib->close(db);
}

/* Connect to one host; NULL with the reason in err. */
static MYSQL *
connect_one(const struct map_mysql *m, const struct map_mysql_host *h,
    char *err, size_t errsize)
{
	MYSQL	*db;

	if ((db = m->lib->init(NULL)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return (NULL);
	}
	if (set_options(m, h, db) < 0) {
		snprintf(err, errsize, "cannot set client options: %s",
		    m->lib->error(db));
		close_handle(m, db);
		return (NULL);
	}
	if (m->lib->real_connect(db, h->is_unix ? NULL : h->addr, m->user,
	    m->password, m->dbname, h->port, h->is_unix ? h->addr : NULL,
	    0) == NULL) {
		snprintf(err, errsize, "%s", m->lib->error(db));
		close_handle(m, db);
		return (NULL);
	}
	return (db);
}

/* Append s to the string in text (size bytes), cut if it does not fit. */
static void
append(char *text, size_t size, const char *s)
{
	size_t	len = strlen(text), n = strlen(s);

	if (len + 1 >= size)
		return;
	if (n > size - len - 1)
		n = size - len - 1;
	memcpy(text + len, s, n);
	text[len + n] = '\0';
}

/* Append "; name: reason" to the failure text. */
static void
note_failure(char *text, size_t size, const char *name, const char *reason)
{
	if (*text != '\0')
		append(text, size, "; ");
	append(text, size, name);
	append(text, size, ": ");
	append(text, size, reason);
}

/*
 * The live connection, or a new one: hosts in the order given, skipping
 * one that failed less than retry_interval ago (unless it is the only
 * one, as Postfix 3.10+).  *reused_r tells whether the connection was
 * already open (it may have died since: the caller retries once).
 */
MYSQL *
map_mysql_connect(struct map_mysql *m, int *reused_r, struct dstatus *why)
{
	char	text[STATUS_TEXT_MAX / 2] = "", err[512];
	long long now = map_mysql_now();
	int	i;

	*reused_r = 0;
	if (m->db != NULL && m->idle_ms > 0 && now - m->last_used >= m->idle_ms)
		map_mysql_disconnect(m);
	if (m->db != NULL) {
		*reused_r = 1;
		m->last_used = now;
		return (m->db);
	}
	for (i = 0; i < m->nhosts; i++) {
		if (m->nhosts > 1 && m->hosts[i].fail_until > now) {
			note_failure(text, sizeof(text), m->hosts[i].name,
			    "failed less than retry_interval ago");
			continue;
		}
		if ((m->db = connect_one(m, &m->hosts[i], err,
		    sizeof(err))) != NULL) {
			m->cur = i;
			m->last_used = now;
			return (m->db);
		}
		m->hosts[i].fail_until = now + m->retry_ms;
		note_failure(text, sizeof(text), m->hosts[i].name, err);
	}
	status_set(why, "4.3.5", "%s: cannot connect to mysql server: %s",
	    m->cf_path, text);
	return (NULL);
}

void
map_mysql_disconnect(struct map_mysql *m)
{
	if (m->db != NULL)
		close_handle(m, m->db);
	m->db = NULL;
}
