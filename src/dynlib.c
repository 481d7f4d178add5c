/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dynlib.c - dlopen() an optional library on first use and resolve a
 * table of its functions (see dynlib.h).
 *
 * Guarantees: either every function of the table is resolved or the
 * load fails as a whole, with the loader's one-line reason (it names the
 * file) kept for the caller's message; the loader runs once per library
 * and process.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "dynlib.h"
#include "status.h"

/* Resolve every symbol into lib->table; -1 with the reason in lib->err. */
static int
dynlib_resolve(struct dynlib *lib, void *handle)
{
	const char *msg;
	size_t	i;
	void	*p;

	for (i = 0; i < lib->nsyms; i++) {
		dlerror();
		if ((p = dlsym(handle, lib->syms[i].name)) == NULL) {
			msg = dlerror();
			/* dlerror() names the file and the symbol. */
			snprintf(lib->err, sizeof(lib->err), "%s", msg != NULL ?
			    msg : lib->syms[i].name);
			return (-1);
		}
		/* POSIX: a void * from dlsym converts to a function pointer. */
		memcpy((char *)lib->table + lib->syms[i].off, &p, sizeof(p));
	}
	return (0);
}

static int
dynlib_open(struct dynlib *lib)
{
	const char *msg;
	void	*handle;

	if ((handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		msg = dlerror();
		snprintf(lib->err, sizeof(lib->err), "%s", msg != NULL ? msg :
		    "cannot load");
		return (-1);
	}
	if (dynlib_resolve(lib, handle) < 0) {
		(void)dlclose(handle);
		return (-1);
	}
	return (0);
}

int
dynlib_load(struct dynlib *lib, struct dstatus *why)
{
	if (lib->state == 0)
		lib->state = dynlib_open(lib) == 0 ? 1 : -1;
	if (lib->state > 0)
		return (0);
	status_set(why, "4.3.5", "cannot load %s (%s): %s", lib->what,
	    lib->soname, lib->err);
	return (-1);
}
