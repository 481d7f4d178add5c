/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mbox.c - append one message to an mbox file below the base.
 *
 * Runs as the recipient.  The file is reached through the O_NOFOLLOW
 * walk and opened relative to its directory descriptor; an existing file
 * must be a regular file with one link, the very inode that was checked,
 * and (strict_mailbox_ownership) the recipient's.  Locks are taken in
 * Postfix's order: dotlock, then flock, then fcntl.  The size is
 * remembered once all locks are held; after the append the file is
 * fsync'd, and on any failure it is truncated back to that size, so the
 * mailbox holds either the whole message or exactly what it held before.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "conf.h"
#include "delivery.h"
#include "lock.h"
#include "log.h"
#include "mailbox.h"
#include "message.h"
#include "status.h"
#include "walk.h"

#define MBOX_OPEN_FLAGS	(O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | \
			 O_CLOEXEC | O_NOCTTY)

/*
 * Look at the mailbox without following or opening it: 0 missing, 1 a
 * regular file (lstat in *st), -1 refused.  A device, FIFO or socket is
 * never opened, since opening one can have side effects or block.
 */
static int
mbox_classify(int dirfd, const char *leaf, const struct delivery *dl,
    struct stat *st, struct dstatus *why)
{
	if (fstatat(dirfd, leaf, st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return (0);
		status_errno(why, errno, "4.2.0", "cannot open file");
		return (-1);
	}
	if (S_ISREG(st->st_mode))
		return (1);
	if (S_ISLNK(st->st_mode))
		status_set(why, "4.2.0", "file is a symbolic link");
	else if (S_ISDIR(st->st_mode))
		status_errno(why, EISDIR, "4.2.0", "cannot open file");
	else {
		log_warn("recipient %s: destination %s is not a regular file",
		    dl->recipient, dl->path);
		status_set(why, "5.3.5", "destination %s is not a regular file",
		    dl->path);
	}
	return (-1);
}

/*
 * The descriptor must be the file that was classified: a rename or
 * unlink/create between fstatat() and openat() shows up as a different
 * inode.  A second link would let the recipient make us append to a file
 * elsewhere that they could not write themselves.
 */
static int
mbox_check_open(int fd, const struct stat *lst, const struct delivery *dl,
    const struct vconfig *vc, struct dstatus *why)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		status_errno(why, errno, "4.2.0", "cannot fstat file");
	} else if (!S_ISREG(st.st_mode) || st.st_dev != lst->st_dev ||
	    st.st_ino != lst->st_ino) {
		status_set(why, "4.2.0", "file status changed unexpectedly");
	} else if (st.st_nlink != 1) {
		status_set(why, "4.2.0", "file has %lu hard links",
		    (unsigned long)st.st_nlink);
	} else if (vc->strict_ownership && st.st_uid != dl->uid) {
		status_set(why, "4.2.0", "destination %s is not owned by "
		    "recipient", dl->path);
		log_warn("recipient %s: destination %s is owned by uid %lu, "
		    "not %lu; specify \"strict_mailbox_ownership = no\" to "
		    "ignore mailbox ownership mismatch", dl->recipient,
		    dl->path, (unsigned long)st.st_uid,
		    (unsigned long)dl->uid);
	} else
		return (fd);
	(void)close(fd);
	return (-1);
}

/*
 * Open the existing mailbox or create it.  Two rounds, because another
 * delivery may create the file between our ENOENT and O_EXCL (or the
 * owner may remove it between fstatat and openat); the second round
 * classifies again from scratch.
 */
static int
mbox_open(int dirfd, const char *leaf, const struct delivery *dl,
    const struct vconfig *vc, struct dstatus *why)
{
	struct stat lst;
	int	round, r, fd;

	for (round = 0; round < 2; round++) {
		if ((r = mbox_classify(dirfd, leaf, dl, &lst, why)) < 0)
			return (-1);
		if (r == 0) {
			fd = openat(dirfd, leaf, MBOX_OPEN_FLAGS | O_CREAT |
			    O_EXCL, 0600);
			if (fd >= 0)
				return (fd);
			if (errno == EEXIST)
				continue;
		} else {
			fd = openat(dirfd, leaf, MBOX_OPEN_FLAGS);
			if (fd >= 0)
				return (mbox_check_open(fd, &lst, dl, vc, why));
			if (errno == ENOENT)
				continue;
		}
		status_errno(why, errno, "4.2.0", "cannot open file");
		return (-1);
	}
	status_set(why, "4.2.0", "file status changed unexpectedly");
	return (-1);
}

/* Kernel locks, then make sure the file was not unlinked meanwhile. */
static int
mbox_lock(int fd, const struct vconfig *vc, const struct lock_policy *pol,
    struct dstatus *why)
{
	struct stat st;

	if ((vc->lock_methods & CONF_LOCK_FLOCK) && lock_flock(fd, pol,
	    why) < 0)
		return (-1);
	if ((vc->lock_methods & CONF_LOCK_FCNTL) && lock_fcntl(fd, pol,
	    why) < 0)
		return (-1);
	/*
	 * While we waited, a mail reader may have replaced the mailbox
	 * (rename over it, or unlink): our inode then has no name left,
	 * and a message appended to it would be lost.
	 */
	if (fstat(fd, &st) < 0 || st.st_nlink != 1) {
		status_set(why, "4.2.0", "target file status changed "
		    "unexpectedly");
		return (-1);
	}
	return (0);
}

/*
 * Append From_ line, headers, quoted body and the empty line, then
 * fsync.  On failure the file goes back to its size before the append;
 * this runs with every lock held, so nobody else's message is cut.
 */
static int
mbox_append(int fd, const struct delivery *dl, const struct message *msg,
    const char *headers, const struct vconfig *vc, struct dstatus *why)
{
	struct message_out out;
	struct stat st;
	char	*from;
	size_t	fromsz = strlen(dl->sender) + 64;
	int	err;

	if (fstat(fd, &st) < 0) {
		status_errno(why, errno, "4.3.0", "cannot fstat file");
		return (-1);
	}
	if ((from = malloc(fromsz)) == NULL ||
	    message_from_line(from, fromsz, dl->sender, time(NULL)) < 0) {
		free(from);
		status_set(why, "4.3.0", "cannot make the From_ line");
		return (-1);
	}
	memset(&out, 0, sizeof(out));
	out.from_line = from;
	out.headers = headers;
	out.quote_from = 1;
	out.blank_line = 1;
	out.start_size = st.st_size;
	out.limit = vc->mailbox_limit;
	if (message_write(msg, fd, &out) >= 0 && fsync(fd) == 0) {
		free(from);
		log_debug("%s: appended and fsync'd", dl->path);
		return (0);
	}
	err = errno;
	free(from);
	if (ftruncate(fd, st.st_size) < 0 || fsync(fd) < 0)
		log_warn("cannot truncate mailbox %s back to %lld bytes: %s",
		    dl->path, (long long)st.st_size, strerror(errno));
	status_errno(why, err, "4.3.0", "error writing message");
	return (-1);
}

/* All texts carry the mailbox, as in Postfix. */
static void
mbox_prefix(const struct delivery *dl, struct dstatus *why)
{
	char	text[sizeof(why->text)];

	memcpy(text, why->text, sizeof(text));
	snprintf(why->text, sizeof(why->text), "delivery failed to mailbox "
	    "%s: %.900s", dl->path, text);
}

int
mbox_deliver(const struct delivery *dl, const struct message *msg,
    const char *headers, const struct vconfig *vc, int basefd,
    struct dstatus *why)
{
	struct lock_policy pol;
	struct stat st;
	const char *leaf;
	int	dirfd, fd = -1, dotlocked = 0, rc = -1;

	pol.attempts = vc->lock_attempts;
	pol.delay_ms = vc->lock_delay_ms;
	pol.stale_s = vc->stale_lock_time;
	/* SPEC: missing parents are created (deviation from Postfix). */
	if ((dirfd = walk_open_parent(basefd, dl->relpath, 1, &leaf,
	    why)) < 0)
		goto out;
	/* As Postfix: no dotlock for a target that is not a regular file. */
	if (mbox_classify(dirfd, leaf, dl, &st, why) < 0)
		goto out;
	if (vc->lock_methods & CONF_LOCK_DOTLOCK) {
		if (lock_dotlock(dirfd, leaf, dl->path, &pol, why) < 0)
			goto out;
		dotlocked = 1;
	}
	if ((fd = mbox_open(dirfd, leaf, dl, vc, why)) < 0 ||
	    mbox_lock(fd, vc, &pol, why) < 0 ||
	    mbox_append(fd, dl, msg, headers, vc, why) < 0)
		goto out;
	/*
	 * The message is fsync'd; close() also drops the fcntl lock, so it
	 * cannot be truncated back safely after a close error.  Deferring
	 * then risks a duplicate, never a loss.
	 */
	rc = close(fd);
	fd = -1;
	if (rc < 0)
		status_errno(why, errno, "4.3.0", "error closing file");
	else
		status_ok(why, "delivered to mailbox");
out:
	if (fd >= 0)
		(void)close(fd);
	if (dotlocked)
		lock_dotlock_release(dirfd, leaf);
	if (dirfd >= 0)
		(void)close(dirfd);
	if (rc < 0)
		mbox_prefix(dl, why);
	return (rc);
}
