/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * resolve.c - recipient -> {path, uid, gid, format}.
 *
 * Every check on what the maps say lives here, in Postfix's order:
 * mailbox lookup (not found: 5.1.1), path check, uid lookup, gid lookup.
 * Anything wrong with the uid, gid or path is a configuration problem and
 * defers (4.3.5): a bad table entry must never bounce mail.  uid and gid
 * are parsed strictly (deviation from released Postfix, which accepts
 * "5000abc" as 5000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "conf.h"
#include "delivery.h"
#include "map.h"
#include "resolve.h"
#include "status.h"
#include "walk.h"

int
resolve_parse_id(const char *text, unsigned long long max,
    unsigned long long *id_r)
{
	unsigned long long id = 0;
	const char *p;

	if (*text == '\0')
		return (-1);
	for (p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return (-1);
		if (id > (max - (unsigned long long)(*p - '0')) / 10)
			return (-1);
		id = id * 10 + (unsigned long long)(*p - '0');
	}
	*id_r = id;
	return (0);
}

/* Look up one id map; 0 with *id_r, or -1 with dl->status set. */
static int
resolve_id(struct maplist *list, char *const keys[], int nkeys,
    struct delivery *dl, const char *what, unsigned long long minimum,
    unsigned long long *id_r)
{
	/* Neither uid_t nor gid_t may be (id_t)-1: it means "no change". */
	const unsigned long long max = (unsigned long long)(uid_t)-1 - 1;
	char	*value = NULL;

	switch (maplist_search(list, keys, nkeys, &value, NULL, NULL,
	    &dl->status)) {
	case MAP_ERROR:
		return (-1);
	case MAP_NOTFOUND:
		status_set(&dl->status, "4.3.5", "recipient %s: not found in %s",
		    dl->folded, list->param);
		return (-1);
	case MAP_FOUND:
		break;
	}
	if (resolve_parse_id(value, max, id_r) < 0 || *id_r < minimum) {
		status_set(&dl->status, "4.3.5", "recipient %s: bad %s %s in %s",
		    dl->folded, what, value,
		    list->param);
		free(value);
		return (-1);
	}
	free(value);
	return (0);
}

static int
resolve_mailbox(const struct resolver *rs, struct delivery *dl,
    char *const keys[], int nkeys)
{
	const char *map, *key;
	struct dstatus why;
	int	maildir;

	switch (maplist_search(rs->mailbox_maps, keys, nkeys, &dl->value, &map,
	    &key, &dl->status)) {
	case MAP_ERROR:
		return (-1);
	case MAP_NOTFOUND:
		status_set(&dl->status, "5.1.1", "unknown user: \"%s\"",
		    dl->folded);
		return (-1);
	case MAP_FOUND:
		break;
	}
	dl->map = strdup(map);
	dl->key = strdup(key);
	if (dl->map == NULL || dl->key == NULL) {
		status_set(&dl->status, "4.3.0", "out of memory");
		return (-1);
	}
	if (walk_check_path(dl->value, &dl->relpath, &maildir,
	    &why) < 0) {
		/* walk's text shows control characters safely */
		status_set(&dl->status, why.dsn, "recipient %s: %s",
		    dl->folded, why.text);
		return (-1);
	}
	dl->format = maildir ? FORMAT_MAILDIR : FORMAT_MBOX;
	if (asprintf(&dl->path, "%s%s%s%s", rs->vc->mailbox_base,
	    strcmp(rs->vc->mailbox_base, "/") == 0 ? "" : "/", dl->relpath,
	    maildir ? "/" : "") < 0) {
		dl->path = NULL;
		status_set(&dl->status, "4.3.0", "out of memory");
		return (-1);
	}
	return (0);
}

int
resolve_recipient(const struct resolver *rs, struct delivery *dl)
{
	char	*keys[ADDRESS_MAX_KEYS];
	unsigned long long uid, gid;
	int	nkeys, rc = -1;

	if (dl->folded == NULL && (dl->folded =
	    address_fold(dl->recipient)) == NULL) {
		status_set(&dl->status, "4.3.0", "out of memory");
		return (-1);
	}
	nkeys = address_keys(dl->folded, rs->vc->recipient_delimiter, keys);
	if (nkeys < 0) {
		status_set(&dl->status, "4.3.0", "out of memory");
		return (-1);
	}
	if (nkeys == 0) {
		status_set(&dl->status, "5.1.1", "unknown user: \"%s\"",
		    dl->folded);
		return (-1);
	}
	if (resolve_mailbox(rs, dl, keys, nkeys) == 0 &&
	    resolve_id(rs->uid_maps, keys, nkeys, dl, "uid",
	    rs->vc->minimum_uid, &uid) == 0 &&
	    resolve_id(rs->gid_maps, keys, nkeys, dl, "gid", 1, &gid) == 0) {
		dl->uid = (uid_t)uid;
		dl->gid = (gid_t)gid;
		dl->resolved = 1;
		rc = 0;
	}
	address_keys_free(keys, nkeys);
	return (rc);
}

void
delivery_free(struct delivery *dl)
{
	free(dl->folded);
	free(dl->map);
	free(dl->key);
	free(dl->value);
	free(dl->relpath);
	free(dl->path);
	dl->folded = dl->map = dl->key = dl->value = NULL;
	dl->relpath = dl->path = NULL;
}
