/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * journal.h - the mbox crash journal: what an append that is cut short
 * (SIGKILL, OOM kill, power loss) must be undone to.
 *
 * Before appending, a delivery that holds every configured lock records
 * next to the mbox, in the symbolic link "<mbox>.vdeliver-journal", the
 * target
 *
 *	vdj1 <before> <after> <dev> <ino> <pid> <host> <pidns>
 *
 * (sizes in decimal, dev/ino/pidns in hex): the mbox inode, its size
 * before the append and the size a complete append gives.  The link is
 * removed once the message is fsync'd (or truncated away after an
 * error).  The next delivery, holding the same locks, that finds a
 * journal whose writer is gone (lock_owner_gone()) truncates the mbox
 * back to <before> when it is still that inode and its size lies
 * strictly between <before> and <after> with "From " at <before>; in
 * every other case (another inode: the mbox was replaced; size <=
 * before: nothing was written or it was already undone; size >= after:
 * the append completed, or the file changed since) it only removes the
 * journal.  A journal whose writer may still run defers (4.2.0).
 */
#ifndef VDELIVER_JOURNAL_H
#define VDELIVER_JOURNAL_H

#include <limits.h>
#include <sys/types.h>

#include "lock.h"

struct dstatus;

#define JOURNAL_SUFFIX	".vdeliver-journal"

struct journal_rec {
	off_t	before;			/* mbox size before the append */
	off_t	after;			/* and after a complete append */
	unsigned long long dev, ino;	/* the mbox */
	struct lock_owner owner;
};

struct journal {
	int	dirfd;			/* the mbox's directory */
	const char *leaf;		/* the mbox's name in it */
	const char *path;		/* the mbox's path, for messages */
	char	name[NAME_MAX + 1];	/* "<leaf>.vdeliver-journal" */
	int	active;			/* our record exists */
};

int	journal_format(char *buf, size_t size, const struct journal_rec *r);
int	journal_parse(const char *text, struct journal_rec *r);

/*
 * Name the journal of dirfd/leaf; -1 if the name is too long (then
 * journal_begin() returns 1: no journal).
 */
int	journal_init(struct journal *j, int dirfd, const char *leaf,
	    const char *path);

/*
 * With every lock held, fd open on the mbox: undo what a dead writer
 * left.  0: nothing left over (or dealt with); 1: the journal name is
 * taken by something that is not our journal (not a symbolic link, or
 * another owner): leave it alone; -1 with why (4.2.0 / 4.3.0): defer.
 */
int	journal_recover(struct journal *j, int fd, long stale_s,
	    struct dstatus *why);

/*
 * With every lock held, before appending len bytes to fd: journal_recover
 * if a journal is in the way, then record ours.  *start_r is the size of
 * the mbox to append at.  0: recorded; 1: no journal could be made (a
 * warning is logged; the append then runs unprotected, as without this
 * module); -1 with why: defer.
 */
int	journal_begin(struct journal *j, int fd, off_t len, long stale_s,
	    off_t *start_r, struct dstatus *why);

/* The append is fsync'd, or truncated back and fsync'd: drop our record. */
void	journal_end(struct journal *j);

#endif
