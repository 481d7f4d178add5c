/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * priv.c - the only place that changes user and group ids.
 *
 * priv_drop() switches the whole process to the recipient for good: the
 * supplementary groups become {gid}, and the real, effective and saved
 * ids all become uid/gid, so nothing the process does afterwards (or a
 * bug exploited while it writes a mailbox) can act as root again.  It
 * does not trust the set*id calls alone: it reads the ids back and
 * proves that uid 0 cannot be regained before it returns success.
 */
#include <errno.h>
#include <grp.h>
#include <unistd.h>
#include <sys/types.h>

#include "priv.h"
#include "status.h"

/* Read the ids back and check that root cannot be regained. */
static int
priv_verify(uid_t uid, gid_t gid, struct dstatus *why)
{
	uid_t	ru, eu, su;
	gid_t	rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
		status_errno(why, errno, "4.3.5",
		    "cannot switch to uid %lu gid %lu", (unsigned long)uid,
		    (unsigned long)gid);
		return (-1);
	}
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid) {
		status_set(why, "4.3.5", "cannot switch to uid %lu gid %lu: "
		    "ids did not change", (unsigned long)uid,
		    (unsigned long)gid);
		return (-1);
	}
	/*
	 * If setuid(0) succeeds, some id still held privilege (or a kernel
	 * or security module did not apply the change).  The process is
	 * root again now; the caller must not write anything.
	 */
	if (setuid(0) == 0 || (gid != 0 && setegid(0) == 0)) {
		status_set(why, "4.3.5", "cannot drop privileges: uid 0 "
		    "could be regained after switching to uid %lu gid %lu",
		    (unsigned long)uid, (unsigned long)gid);
		return (-1);
	}
	return (0);
}

int
priv_drop(uid_t uid, gid_t gid, struct dstatus *why)
{
	if (uid == 0) {
		status_set(why, "4.3.5", "cannot drop privileges to uid 0");
		return (-1);
	}

	/*
	 * Groups first: once the uid is gone, they cannot be changed.
	 * Without root, setgroups() is refused; the process then holds only
	 * its caller's groups, which give it nothing the caller lacks, and
	 * the set*id calls below fail unless uid/gid are the caller's own.
	 */
	if ((geteuid() == 0 && setgroups(1, &gid) < 0) ||
	    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
		status_errno(why, errno, "4.3.5",
		    "cannot switch to uid %lu gid %lu", (unsigned long)uid,
		    (unsigned long)gid);
		return (-1);
	}
	return (priv_verify(uid, gid, why));
}

int
priv_is_root(void)
{
	return (geteuid() == 0);
}

int
priv_is_setuid(void)
{
	return (geteuid() == 0 && getuid() != 0);
}
