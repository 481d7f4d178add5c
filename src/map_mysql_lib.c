/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map_mysql_lib.c - the MySQL/MariaDB client library, loaded when the
 * first mysql: map is opened (dynlib.h says why it is not linked).
 *
 * mysql.h still gives every type and, through __typeof__, the exact
 * prototype of each pointer of the table, so a mismatch is a compile
 * error.  A library that cannot be loaded, or lacks one function, makes
 * every mysql: map an error (4.3.5: the mail defers) with one line that
 * names the library and the loader's reason.
 */
#include <stddef.h>

#include "dynlib.h"
#include "map_mysql.h"
#include "status.h"

#define FN(field) { "mysql_" #field, offsetof(struct map_mysql_lib, field) }
static const struct dynlib_sym map_mysql_syms[] = {
	FN(init), FN(options), FN(ssl_set), FN(real_connect), FN(close),
	FN(error), { "mysql_errno", offsetof(struct map_mysql_lib, errnum) },
	FN(real_escape_string), FN(real_query), FN(store_result),
	FN(field_count), FN(num_rows), FN(num_fields), FN(fetch_row),
	FN(fetch_lengths), FN(free_result), FN(more_results),
	FN(next_result), FN(thread_id),
};
#undef FN

const struct map_mysql_lib *
map_mysql_lib_load(struct dstatus *why)
{
	/* Process-wide, like the library itself: filled once. */
	static struct map_mysql_lib table;
	static struct dynlib lib = {
		.soname = "libmariadb.so.3",	/* the ABI of the headers */
		.syms = map_mysql_syms,
		.nsyms = sizeof(map_mysql_syms) / sizeof(map_mysql_syms[0]),
		.table = &table,
		.what = "the MySQL client library",
	};

	return (dynlib_load(&lib, why) == 0 ? &table : NULL);
}
