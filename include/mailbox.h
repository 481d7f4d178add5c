/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mailbox.h - the two mailbox formats (mbox.c, maildir.c).
 *
 * Both are called after privileges were dropped to the recipient, with a
 * descriptor for virtual_mailbox_base.  They either put the whole message
 * on disk (fsync'd) and return 0 with 2.0.0 in why, or return -1 with the
 * mailbox as it was before (mbox truncated back, maildir files unlinked).
 */
#ifndef VDELIVER_MAILBOX_H
#define VDELIVER_MAILBOX_H

#include <stddef.h>
#include <time.h>

struct delivery;
struct message;
struct vconfig;
struct dstatus;

/*
 * headers: the prepended header lines (Return-Path, X-Original-To,
 * Delivered-To), each ending in "\n".
 */
int	mbox_deliver(const struct delivery *dl, const struct message *msg,
	    const char *headers, const struct vconfig *vc, int basefd,
	    struct dstatus *why);
int	maildir_deliver(const struct delivery *dl, const struct message *msg,
	    const char *headers, const struct vconfig *vc, int basefd,
	    struct dstatus *why);

/*
 * Maildir unique names (exposed for tests).  host: gethostname() with '/'
 * written as \057 and ':' as \072.
 */
int	maildir_host(char *buf, size_t size);
int	maildir_tmp_name(char *buf, size_t size, long sec, long usec,
	    long pid, const char *host);
int	maildir_new_name(char *buf, size_t size, long sec, long usec,
	    long pid, unsigned long long dev, unsigned long long ino,
	    const char *host, unsigned long long bytes);

/*
 * Remove regular files from the maildir's tmp/ (tmpfd) whose atime and
 * mtime are both older than 36 hours, if tmp/ was not scanned (its atime)
 * for 8 hours; at most 1000 entries per call.  Returns how many were
 * removed.  Called by maildir_deliver() after each delivery.
 */
int	maildir_clean_tmp(int tmpfd, time_t now);

#endif
