/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * journal.c - the mbox crash journal (see journal.h for the record).
 *
 * Why a symbolic link: symlinkat() creates the name and its content in
 * one step, so there is never an empty or half-written record, it fails
 * with EEXIST when a journal is already there (which is how a leftover
 * is found without an extra lookup), and the content lives in the inode,
 * not in a data block.  On journalling file systems (ext4, XFS, btrfs)
 * metadata changes reach the disk in the order they were made, and a
 * size change of the mbox made by the append comes after the link: an
 * append that is on disk after a power loss implies the journal is too,
 * without an fsync of our own.  One symlinkat() and one unlinkat() per
 * delivery is the whole cost.
 *
 * Why <after>: the removal of the journal is not fsync'd either, so after
 * a power loss a journal may come back for a message that was fsync'd and
 * reported delivered.  Its mbox then has the size <after> (or more), and
 * a journal is only acted on while the size is strictly below <after>.
 *
 * Every function here runs as the recipient with all mbox locks held.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "journal.h"
#include "lock.h"
#include "log.h"
#include "status.h"

#define JOURNAL_MAX	(LOCK_HOST_MAX + 160)	/* longest record */

int
journal_format(char *buf, size_t size, const struct journal_rec *r)
{
	char	owner[LOCK_HOST_MAX + 64];
	int	n;

	if (lock_owner_format(owner, sizeof(owner), &r->owner) < 0)
		return (-1);
	n = snprintf(buf, size, "vdj1 %lld %lld %llx %llx %s",
	    (long long)r->before, (long long)r->after, r->dev, r->ino, owner);
	return (n < 0 || (size_t)n >= size ? -1 : 0);
}

int
journal_parse(const char *text, struct journal_rec *r)
{
	long long before, after;
	int	n = -1;

	if (sscanf(text, "vdj1 %lld %lld %llx %llx %n", &before, &after,
	    &r->dev, &r->ino, &n) != 4 || n < 0 || before < 0 ||
	    after <= before)
		return (-1);
	r->before = (off_t)before;
	r->after = (off_t)after;
	return (lock_owner_parse(text + n, &r->owner));
}

int
journal_init(struct journal *j, int dirfd, const char *leaf,
    const char *path)
{
	int	n;

	memset(j, 0, sizeof(*j));
	j->dirfd = dirfd;
	j->leaf = leaf;
	j->path = path;
	n = snprintf(j->name, sizeof(j->name), "%s%s", leaf, JOURNAL_SUFFIX);
	if (n >= 0 && (size_t)n < sizeof(j->name))
		return (0);
	j->name[0] = '\0';	/* journal_begin() then runs without one */
	return (-1);
}

/*
 * Does the tail from `before' start as our append did ("From ")?  Body
 * lines that begin "From " are quoted, so within the message that text
 * is only at its start: if anything rewrote the mbox since (an MUA
 * expunging), the bytes at `before' are something else.  It is read
 * through fd itself: opening and closing a second descriptor of the file
 * would drop our fcntl lock.  An mbox that fd cannot read (the file is
 * write-only for the recipient) is judged by the sizes alone.
 */
static int
journal_tail_ours(int fd, const struct stat *st, off_t before)
{
	char	buf[5];
	size_t	want = st->st_size - before < 5 ? st->st_size - before : 5;
	int	fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_ACCMODE) != O_RDWR)
		return (1);
	return (pread(fd, buf, want, before) == (ssize_t)want &&
	    memcmp(buf, "From ", want) == 0);
}

/* Truncate fd back to r->before if the record says a partial is there. */
static int
journal_apply(const struct journal *j, const struct journal_rec *r, int fd,
    struct dstatus *why)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		status_errno(why, errno, "4.3.0", "cannot fstat file");
		return (-1);
	}
	if ((unsigned long long)st.st_dev != r->dev ||
	    (unsigned long long)st.st_ino != r->ino) {
		log_warn("ignored crash journal %s of process %ld: it is for "
		    "a file that is no longer %s", j->name, r->owner.pid,
		    j->path);
		return (0);
	}
	if (st.st_size <= r->before)
		return (0);	/* nothing appended, or already undone */
	if (st.st_size >= r->after || !journal_tail_ours(fd, &st, r->before)) {
		log_warn("kept the end of %s after the crash of process %ld: "
		    "%s", j->path, r->owner.pid, st.st_size == r->after ?
		    "its message is complete and may arrive twice" :
		    "the mailbox was changed since");
		return (0);
	}
	/* fsync before the journal goes: else a power loss could undo it. */
	if (ftruncate(fd, r->before) < 0 || fsync(fd) < 0) {
		status_errno(why, errno, "4.3.0", "cannot remove the partial "
		    "message of a crashed delivery");
		return (-1);
	}
	log_warn("removed a partial message (%lld bytes) from the end of %s, "
	    "left by process %ld on %s", (long long)(st.st_size - r->before),
	    j->path, r->owner.pid, r->owner.host);
	return (0);
}

/* Read and parse the journal whose lstat is st: 0, 1 (not ours), -1. */
static int
journal_read(const struct journal *j, const struct stat *st,
    struct journal_rec *r, struct dstatus *why)
{
	char	text[JOURNAL_MAX + 1];
	ssize_t	n;

	if (!S_ISLNK(st->st_mode) || st->st_uid != geteuid())
		return (1);
	n = readlinkat(j->dirfd, j->name, text, sizeof(text) - 1);
	if (n < 0 && errno != ENOENT) {
		status_errno(why, errno, "4.2.0", "cannot read crash journal "
		    "%s", j->name);
		return (-1);
	}
	text[n > 0 ? n : 0] = '\0';
	if (n < 0)
		r->owner.pid = 0;	/* gone meanwhile: nothing to do */
	else if (journal_parse(text, r) < 0) {
		/* (not shown: the recipient wrote it, it may hold newlines) */
		log_warn("removing crash journal %s of %s: unreadable record",
		    j->name, j->path);
		r->owner.pid = 0;
	}
	return (0);
}

int
journal_recover(struct journal *j, int fd, long stale_s, struct dstatus *why)
{
	struct journal_rec r;
	struct stat st;
	int	rc;

	if (fstatat(j->dirfd, j->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return (0);
		status_errno(why, errno, "4.2.0", "cannot stat crash journal "
		    "%s", j->name);
		return (-1);
	}
	if ((rc = journal_read(j, &st, &r, why)) != 0)
		return (rc);
	if (r.owner.pid > 0 && !lock_owner_gone(&r.owner, st.st_ctime,
	    stale_s)) {
		/* Only a writer with other locks than ours gets here. */
		status_set(why, "4.2.0", "mailbox is being written by process "
		    "%ld on %s (crash journal %s)", r.owner.pid, r.owner.host,
		    j->name);
		return (-1);
	}
	if (r.owner.pid > 0 && journal_apply(j, &r, fd, why) < 0)
		return (-1);
	if (unlinkat(j->dirfd, j->name, 0) < 0 && errno != ENOENT) {
		status_errno(why, errno, "4.2.0", "cannot remove crash "
		    "journal %s", j->name);
		return (-1);
	}
	return (0);
}

/*
 * Two rounds: the first symlinkat() doubles as the lookup of a leftover
 * journal; after recovery (which may truncate) the sizes are taken anew.
 * A journal that is back in the second round was made meanwhile by a
 * writer that does not hold our locks: defer rather than write with it.
 */
int
journal_begin(struct journal *j, int fd, off_t len, long stale_s,
    off_t *start_r, struct dstatus *why)
{
	char	text[JOURNAL_MAX + 1];
	struct journal_rec r;
	struct stat st;
	int	round, rc;

	lock_owner_self(&r.owner);
	for (round = 0; round < 2; round++) {
		if (fstat(fd, &st) < 0) {
			status_errno(why, errno, "4.3.0", "cannot fstat file");
			return (-1);
		}
		*start_r = r.before = st.st_size;
		r.after = st.st_size + len;
		r.dev = (unsigned long long)st.st_dev;
		r.ino = (unsigned long long)st.st_ino;
		if (j->name[0] == '\0' ||
		    journal_format(text, sizeof(text), &r) < 0)
			errno = ENAMETOOLONG;
		else if (symlinkat(text, j->dirfd, j->name) == 0) {
			j->active = 1;
			return (0);
		}
		if (errno != EEXIST)
			break;
		if (round > 0) {
			status_set(why, "4.2.0", "mailbox is being written by "
			    "another process (crash journal %s)", j->name);
			return (-1);
		}
		if ((rc = journal_recover(j, fd, stale_s, why)) < 0)
			return (-1);
		if (rc > 0) {
			log_warn("no crash journal for %s: %s is not one",
			    j->path, j->name);
			return (1);
		}
	}
	log_warn("cannot create crash journal %s: %s; a crash during this "
	    "delivery could leave a partial message in %s", j->name,
	    strerror(errno), j->path);
	return (1);
}

void
journal_end(struct journal *j)
{
	if (j->active && unlinkat(j->dirfd, j->name, 0) < 0 &&
	    errno != ENOENT)
		log_warn("cannot remove crash journal %s: %s", j->name,
		    strerror(errno));
	j->active = 0;
}
