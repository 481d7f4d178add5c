/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map_mysql_lib.c - the MySQL/MariaDB client library, loaded on demand.
 *
 * vdeliver is not linked with libmariadb: that library pulls in libssl
 * and libcrypto, and their relocation at every exec cost about 90% of
 * the instructions of a delivery that never touches a mysql: map.  The
 * library is loaded with dlopen() the first time a mysql: map is opened
 * and the few functions the backend calls are resolved into one table;
 * mysql.h still gives every type (and, through __typeof__, the exact
 * prototype of each pointer, so a mismatch is a compile error).
 *
 * Guarantees: either every function of the table is resolved or the
 * load fails as a whole with one line naming the library and the
 * loader's reason (the map is then an error: 4.3.5, the mail defers).
 * The outcome is kept for the process: success or failure, the loader
 * runs once.  The library is never unloaded: libmariadb keeps global
 * state (and libcrypto registers exit handlers), and the process is
 * short-lived; its memory is reachable, not leaked, until exit, exactly
 * as it was when the library was linked in.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "map_mysql.h"
#include "status.h"

/* The client library by its soname: the ABI the headers describe. */
#define MAP_MYSQL_LIBNAME	"libmariadb.so.3"

static const struct {
	const char *name;
	size_t	off;
} map_mysql_funcs[] = {
#define FN(field) { "mysql_" #field, offsetof(struct map_mysql_lib, field) }
	FN(init), FN(options), FN(ssl_set), FN(real_connect), FN(close),
	FN(error), { "mysql_errno", offsetof(struct map_mysql_lib, errnum) },
	FN(real_escape_string), FN(real_query), FN(store_result),
	FN(field_count), FN(num_rows), FN(num_fields), FN(fetch_row),
	FN(fetch_lengths), FN(free_result), FN(more_results),
	FN(next_result), FN(thread_id),
#undef FN
};

#define MAP_MYSQL_NFUNCS (sizeof(map_mysql_funcs) / sizeof(map_mysql_funcs[0]))

/* Resolve every function into lib; -1 with the loader's reason in err. */
static int
resolve(void *handle, struct map_mysql_lib *lib, char *err, size_t size)
{
	const char *msg;
	size_t	i;
	void	*p;

	for (i = 0; i < MAP_MYSQL_NFUNCS; i++) {
		dlerror();
		if ((p = dlsym(handle, map_mysql_funcs[i].name)) == NULL) {
			msg = dlerror();
			snprintf(err, size, "%s", msg != NULL ? msg :
			    map_mysql_funcs[i].name);
			return (-1);
		}
		/* POSIX: a void * from dlsym converts to a function pointer. */
		memcpy((char *)lib + map_mysql_funcs[i].off, &p, sizeof(p));
	}
	return (0);
}

const struct map_mysql_lib *
map_mysql_lib_load(struct dstatus *why)
{
	static struct map_mysql_lib lib;
	static int state;		/* 0 not tried, 1 loaded, -1 failed */
	static char err[256];
	const char *msg;
	void	*handle;

	if (state == 0) {
		if ((handle = dlopen(MAP_MYSQL_LIBNAME,
		    RTLD_NOW | RTLD_LOCAL)) == NULL) {
			msg = dlerror();
			snprintf(err, sizeof(err), "%s", msg != NULL ? msg :
			    MAP_MYSQL_LIBNAME ": cannot load");
			state = -1;
		} else if (resolve(handle, &lib, err, sizeof(err)) < 0) {
			dlclose(handle);
			state = -1;
		} else
			state = 1;
	}
	if (state < 0) {
		status_set(why, "4.3.5", "cannot load the MySQL client library "
		    "(%s): %s", MAP_MYSQL_LIBNAME, err);
		return (NULL);
	}
	return (&lib);
}
