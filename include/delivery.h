/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * delivery.h - everything about delivering to one recipient.
 */
#ifndef VDELIVER_DELIVERY_H
#define VDELIVER_DELIVERY_H

#include <sys/types.h>
#include <sys/time.h>

#include "status.h"

enum delivery_format {
	FORMAT_MBOX,
	FORMAT_MAILDIR
};

struct delivery {
	const char *recipient;	/* as given (headers, log) */
	char	*folded;	/* lower case (lookups, loop check) */
	const char *orig_rcpt;	/* -a, or NULL */
	const char *sender;	/* envelope sender, "" = null sender */

	/* filled by resolve */
	char	*map;		/* "type:name" that answered the mailbox map */
	char	*key;		/* key that matched */
	char	*value;		/* mailbox map value */
	char	*relpath;	/* path below the base: components joined by
				 * '/', no leading '/', no "." or ".." */
	char	*path;		/* base + "/" + relpath, for messages */
	enum delivery_format format;
	uid_t	uid;
	gid_t	gid;
	int	resolved;	/* resolve succeeded */

	struct timeval start;	/* for delay= */
	struct dstatus status;	/* outcome */
};

/* Free what resolve allocated (map, key, value, paths, folded). */
void	delivery_free(struct delivery *dl);

#endif
