/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * priv.h - the only caller of set*id.
 */
#ifndef VDELIVER_PRIV_H
#define VDELIVER_PRIV_H

#include <sys/types.h>

struct dstatus;

/*
 * Switch permanently to uid/gid: setgroups({gid}), setresgid, setresuid,
 * then verify that uid 0 cannot be regained.  4.3.5 on any failure.
 */
int	priv_drop(uid_t uid, gid_t gid, struct dstatus *why);

/* Are we (effectively) root? */
int	priv_is_root(void);
/* Installed set-uid root and called by someone else? */
int	priv_is_setuid(void);

#endif
