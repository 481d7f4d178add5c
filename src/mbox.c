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
 *
 * A process that is killed cannot truncate anything: for that the crash
 * journal (journal.c) records, before the first byte is appended, what
 * the next delivery must cut off should this one die.  The journal is
 * removed after the fsync and before any lock is released, so a delivery
 * that gets the locks never sees the journal of a live predecessor.
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
#include "journal.h"
#include "lock.h"
#include "log.h"
#include "mailbox.h"
#include "message.h"
#include "status.h"
#include "walk.h"

#define MBOX_OPEN_FLAGS	(O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | \
			 O_NOCTTY)

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
 * Open for reading too where the file allows it: a crash repair looks at
 * what it would cut off (journal.c), and must do so through this very
 * descriptor, since closing any other descriptor of the file would drop
 * our fcntl lock.
 */
static int
mbox_openat(int dirfd, const char *leaf, int flags)
{
	int	fd;

	fd = openat(dirfd, leaf, MBOX_OPEN_FLAGS | O_RDWR | flags, 0600);
	if (fd < 0 && errno == EACCES && !(flags & O_CREAT))
		fd = openat(dirfd, leaf, MBOX_OPEN_FLAGS | O_WRONLY | flags);
	return (fd);
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
			fd = mbox_openat(dirfd, leaf, O_CREAT | O_EXCL);
			if (fd >= 0)
				return (fd);
			if (errno == EEXIST)
				continue;
		} else {
			fd = mbox_openat(dirfd, leaf, 0);
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
 * Bytes the append will add: From_ line, headers, quoted body, "\n".
 * The lines to quote were counted while the message was spooled (or
 * scanned in place), so the message is not read an extra time here.
 */
static off_t
mbox_copy_size(const struct message *msg, const char *from,
    const char *headers)
{
	return ((off_t)strlen(from) + (off_t)strlen(headers) +
	    message_size(msg) + message_from_lines(msg) + 1);
}

/*
 * Write the copy and fsync it.  A copy of another length than the
 * journal announced would make a crash repair wrong: it fails (EIO).
 */
static int
mbox_write(int fd, const struct message *msg, const char *from,
    const char *headers, off_t start, off_t len,
    const struct vconfig *vc)
{
	struct message_out out;
	off_t	n;

	memset(&out, 0, sizeof(out));
	out.from_line = from;
	out.headers = headers;
	out.quote_from = 1;
	out.blank_line = 1;
	out.start_size = start;
	out.limit = vc->mailbox_limit;
	if ((n = message_write(msg, fd, &out)) < 0)
		return (-1);
	if (n != len) {
		log_warn("internal error: wrote %lld bytes, expected %lld",
		    (long long)n, (long long)len);
		errno = EIO;
		return (-1);
	}
	return (fsync(fd));
}

/*
 * Reserve the blocks of the append before writing any byte of it, beyond
 * the end of file (readers see nothing).  A full disk or a quota then
 * fails here, with the mailbox untouched, instead of in the middle of the
 * copy: on btrfs with a qgroup limit, a file over its quota cannot even
 * be truncated back.  File systems without fallocate(2) just go on.
 */
static int
mbox_reserve(int fd, off_t start, off_t len, const struct vconfig *vc)
{
	if (len <= 0 || (vc->mailbox_limit > 0 &&
	    start + len > (off_t)vc->mailbox_limit))
		return (0);	/* message_write() reports the limit */
	while (fallocate(fd, FALLOC_FL_KEEP_SIZE, start, len) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG)
			return (-1);
		break;		/* EOPNOTSUPP and the like: not needed */
	}
	return (0);
}

/*
 * Append From_ line, headers, quoted body and the empty line, then
 * fsync.  On failure the file goes back to its size before the append;
 * this runs with every lock held, so nobody else's message is cut.  The
 * journal goes only once the file is back in order: if the truncation
 * fails, it stays for the next delivery to retry.
 */
static int
mbox_append(int fd, struct journal *jr, const struct delivery *dl,
    const struct message *msg, const char *headers,
    const struct vconfig *vc, struct dstatus *why)
{
	char	*from;
	size_t	fromsz = strlen(dl->sender) + 64;
	off_t	start, len;
	int	err;

	if ((from = malloc(fromsz)) == NULL ||
	    message_from_line(from, fromsz, dl->sender, time(NULL)) < 0) {
		free(from);
		status_set(why, "4.3.0", "cannot prepare the message copy");
		return (-1);
	}
	len = mbox_copy_size(msg, from, headers);
	if (journal_begin(jr, fd, len, vc->stale_lock_time, &start,
	    why) < 0) {
		free(from);
		return (-1);
	}
	if (mbox_reserve(fd, start, len, vc) == 0 &&
	    mbox_write(fd, msg, from, headers, start, len, vc) == 0) {
		free(from);
		journal_end(jr);
		log_debug("%s: appended and fsync'd", dl->path);
		return (0);
	}
	err = errno;
	free(from);
	if (ftruncate(fd, start) < 0 || fsync(fd) < 0)
		log_warn("cannot truncate mailbox %s back to %lld bytes: %s",
		    dl->path, (long long)start, strerror(errno));
	else
		journal_end(jr);
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
	struct journal jr;
	struct stat st;
	const char *leaf;
	int	dirfd, fd = -1, dotfd = -1, rc = -1;

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
		if ((dotfd = lock_dotlock(dirfd, leaf, dl->path, &pol,
		    why)) < 0)
			goto out;
	}
	(void)journal_init(&jr, dirfd, leaf, dl->path);
	if ((fd = mbox_open(dirfd, leaf, dl, vc, why)) < 0 ||
	    mbox_lock(fd, vc, &pol, why) < 0 ||
	    mbox_append(fd, &jr, dl, msg, headers, vc, why) < 0)
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
	if (dotfd >= 0)
		lock_dotlock_release(dirfd, leaf, dotfd);
	if (dirfd >= 0)
		(void)close(dirfd);
	if (rc < 0)
		mbox_prefix(dl, why);
	return (rc);
}
