/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map_mysql.h - private to the mysql backend (map_mysql*.c and its unit
 * test): the map structure, the connection layer and the %-expansion.
 *
 * Everything that points into `cf' (user, password, query, ...) lives
 * exactly as long as the map: the password has one copy in our memory,
 * inside the parsed .cf, and conf_free() wipes it at close.
 */
#ifndef VDELIVER_MAP_MYSQL_H
#define VDELIVER_MAP_MYSQL_H

#include <stddef.h>

#include <mysql.h>

#include "map.h"

struct conf;
struct dstatus;

/*
 * The client functions the backend calls, resolved at run time from the
 * library (map_mysql_lib.c); each pointer has the type of the prototype
 * in mysql.h.
 */
struct map_mysql_lib {
	__typeof__(mysql_init) *init;
	__typeof__(mysql_options) *options;
	__typeof__(mysql_ssl_set) *ssl_set;
	__typeof__(mysql_real_connect) *real_connect;
	__typeof__(mysql_close) *close;
	__typeof__(mysql_error) *error;
	__typeof__(mysql_errno) *errnum;
	__typeof__(mysql_real_escape_string) *real_escape_string;
	__typeof__(mysql_real_query) *real_query;
	__typeof__(mysql_store_result) *store_result;
	__typeof__(mysql_field_count) *field_count;
	__typeof__(mysql_num_rows) *num_rows;
	__typeof__(mysql_num_fields) *num_fields;
	__typeof__(mysql_fetch_row) *fetch_row;
	__typeof__(mysql_fetch_lengths) *fetch_lengths;
	__typeof__(mysql_free_result) *free_result;
	__typeof__(mysql_more_results) *more_results;
	__typeof__(mysql_next_result) *next_result;
	__typeof__(mysql_thread_id) *thread_id;	/* for the unit test */
};

/* One entry of `hosts'. */
struct map_mysql_host {
	char	*name;		/* as written, for messages */
	char	*addr;		/* host name or socket path */
	unsigned int port;	/* 0 = library default */
	int	is_unix;
	int	force_tcp;	/* "inet:" given: never the socket */
	long long fail_until;	/* monotonic ms; skip the host until then */
};

struct map_mysql {
	struct map map;			/* first: the registry casts */
	const struct map_mysql_lib *lib;	/* the client library */
	char	*cf_path;		/* the .cf file, for messages */
	struct conf *cf;		/* owns every const char * below */
	int	strict;			/* MAP_OPEN_NOSUBST: one value only */
	const char *user;
	const char *password;
	const char *dbname;
	const char *query;
	char	*legacy_query;		/* built from select_field etc. */
	const char *result_format;
	const char *charset;
	const char *option_file;
	const char *option_group;
	const char *tls_cert, *tls_key, *tls_ca, *tls_capath, *tls_ciphers;
	int	tls_verify;
	int	require_result_set;
	long	expansion_limit;	/* 0 = none */
	long	idle_ms;
	long	retry_ms;
	unsigned int connect_timeout;	/* seconds */
	unsigned int rw_timeout;	/* seconds */
	struct map_mysql_host *hosts;
	int	nhosts;
	char	**domains;		/* `domain' names (lower case) */
	int	ndomains;
	struct map **domain_maps;	/* `domain' type:table entries */
	int	ndomain_maps;
	struct st_mysql *db;		/* the live connection or NULL */
	int	cur;			/* index of db's host */
	long long last_used;		/* monotonic ms */
};

/* What a key offers to the expansion: whole, localpart, domain, labels. */
struct map_mysql_key {
	const char *whole;
	char	*user;			/* NULL: no '@' in the key */
	char	*domain;		/* NULL: no '@' in the key */
	const char *label[9];		/* label[0] = rightmost (%1) */
	size_t	label_len[9];
	int	nlabels;
};

/* Growing string. */
struct map_mysql_buf {
	char	*s;
	size_t	len;
	size_t	size;
	int	failed;			/* out of memory: s is incomplete */
};

/* Escapes len bytes of from into to (room for 2 * len + 1); returns length. */
typedef size_t (*map_mysql_escape_fn)(void *ctx, char *to, const char *from,
	    size_t len);

/* map_mysql_query.c */
int	map_mysql_format_check(const char *fmt);
void	map_mysql_key_split(struct map_mysql_key *k, const char *text);
void	map_mysql_key_free(struct map_mysql_key *k);
int	map_mysql_expand(struct map_mysql_buf *b, const char *fmt,
	    const struct map_mysql_key *key, const struct map_mysql_key *val,
	    map_mysql_escape_fn esc, void *esc_ctx);
void	map_mysql_buf_add(struct map_mysql_buf *b, const char *s, size_t n);
void	map_mysql_buf_free(struct map_mysql_buf *b);
const char *map_mysql_printable(const char *s, char *buf, size_t size);
int	map_mysql_domain_open(struct map_mysql *m, const char *list,
	    struct dstatus *why);
enum map_result map_mysql_domain_ok(struct map_mysql *m,
	    const struct map_mysql_key *k, struct dstatus *why);
void	map_mysql_domain_close(struct map_mysql *m);

/* map_mysql_result.c: read the answer to the query just sent on db */
enum map_result map_mysql_result_read(struct map_mysql *m, struct st_mysql *db,
	    const struct map_mysql_key *k, char **value_r, struct dstatus *why);

/*
 * map_mysql_lib.c: load the client library (once per process) and
 * resolve its functions; NULL + 4.3.5 when it cannot be loaded.
 */
const struct map_mysql_lib *map_mysql_lib_load(struct dstatus *why);

/* map_mysql_conn.c */
int	map_mysql_hosts_parse(struct map_mysql *m, const char *list,
	    struct dstatus *why);
struct st_mysql *map_mysql_connect(struct map_mysql *m, int *reused_r,
	    struct dstatus *why);
void	map_mysql_disconnect(struct map_mysql *m);
void	map_mysql_hosts_free(struct map_mysql *m);
long long map_mysql_now(void);

#endif
