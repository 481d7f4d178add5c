/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * resolve.h - recipient -> {path, uid, gid, format}.  Every check on what
 * the maps say lives here: unknown user, bad uid/gid, bad path.
 */
#ifndef VDELIVER_RESOLVE_H
#define VDELIVER_RESOLVE_H

struct delivery;
struct maplist;
struct vconfig;

struct resolver {
	const struct vconfig *vc;
	struct maplist *mailbox_maps;
	struct maplist *uid_maps;
	struct maplist *gid_maps;
};

/*
 * Look up dl->recipient; fill dl (map, key, value, relpath, path, format,
 * uid, gid) and set dl->resolved, or fill dl->status and return -1:
 * 5.1.1 unknown user, 4.3.5 map error / not in uid or gid map / bad
 * uid, gid or path.
 */
int	resolve_recipient(const struct resolver *rs, struct delivery *dl);

/* Strict numeric id parsing (exposed for tests): 0 or -1. */
int	resolve_parse_id(const char *text, unsigned long long max,
	    unsigned long long *id_r);

#endif
