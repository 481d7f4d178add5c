/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dynlib.h - load an optional shared library on first use (dlopen) and
 * resolve the functions a backend calls into its own table.
 *
 * vdeliver links neither libmariadb nor libdb: relocating them (and the
 * libssl/libcrypto that libmariadb pulls in) at every exec cost far more
 * instructions than a whole delivery with static maps.  A backend that
 * needs one calls dynlib_load() when its first map is opened.
 */
#ifndef VDELIVER_DYNLIB_H
#define VDELIVER_DYNLIB_H

#include <stddef.h>

struct dstatus;

/* One function: its symbol name and where its pointer goes in the table. */
struct dynlib_sym {
	const char *name;
	size_t	off;		/* offsetof(table struct, member) */
};

/* A library, its functions and the outcome of the one load attempt. */
struct dynlib {
	const char *soname;		/* e.g. "libmariadb.so.3" */
	const char *what;		/* "the MySQL client library" */
	const struct dynlib_sym *syms;
	size_t	nsyms;
	void	*table;			/* the struct of function pointers */
	int	state;			/* 0 not tried, 1 loaded, -1 failed */
	char	err[256];		/* the loader's reason when failed */
};

/*
 * Load lib->soname (RTLD_NOW | RTLD_LOCAL) and fill lib->table, once per
 * process: later calls return the first outcome.  0, or -1 with why set
 * to 4.3.5 naming lib->what, the file and the loader's reason (kept in
 * lib->err; nothing of the table is then usable): a defer.  The
 * library is never unloaded: it may keep global state (libmariadb,
 * libcrypto's exit handlers), which stays reachable until exit exactly as
 * if it had been linked.
 */
int	dynlib_load(struct dynlib *lib, struct dstatus *why);

#endif
