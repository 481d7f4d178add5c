/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * map_db.h - the Berkeley DB library, shared by the hash/btree backend
 * (map_db.c) and vmap's table builder.  It is loaded when the first
 * hash: or btree: map is opened or built (dynlib.h says why it is not
 * linked); only db_create() and db_strerror() are called by name, the
 * rest of the API is methods of the DB handle.
 */
#ifndef VDELIVER_MAP_DB_H
#define VDELIVER_MAP_DB_H

#include <db.h>

struct dstatus;

struct map_db_lib {
	__typeof__(db_create) *create;
	__typeof__(db_strerror) *errstr;
};

/*
 * The library's functions, loading it on the first call; NULL + 4.3.5
 * naming the library and the loader's reason when it cannot be loaded.
 */
const struct map_db_lib *map_db_lib_load(struct dstatus *why);

#endif
