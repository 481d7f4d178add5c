/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * maildir.c - deliver one message into a maildir below the base.
 *
 * Runs as the recipient, needs no locks.  The message is written to a
 * new O_EXCL file in tmp/, fsync'd, then hard-linked into new/ (renamed
 * when the file system cannot link), new/ is fsync'd and the tmp name
 * removed.  A reader sees either nothing or the complete file in new/.
 * On any failure both names are removed again, so tmp/ and new/ are
 * left as they were.  Crash windows: before the link a crash leaves a
 * tmp/ file and the message deferred; after the link the message is
 * delivered, at worst with a tmp/ twin.  Such leftovers are removed by a
 * later delivery once they are 36 hours old (maildir_clean_tmp()).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "conf.h"
#include "delivery.h"
#include "log.h"
#include "mailbox.h"
#include "message.h"
#include "status.h"
#include "walk.h"

#define MAILDIR_CREATE_TRIES	10
#define MAILDIR_TMP_OLD		(36 * 3600)	/* maildir(5): stale tmp/ file */
#define MAILDIR_TMP_SCAN	(8 * 3600)	/* look at most this often */
#define MAILDIR_TMP_MAX		1000		/* entries looked at per scan */

/* One delivery's descriptors and names. */
struct maildir_job {
	int	tmpfd, newfd;
	struct timeval tv;
	long	pid;
	char	host[256];
	char	tmpname[NAME_MAX + 1];
	char	newname[NAME_MAX + 1];
	int	in_tmp;			/* tmpname exists in tmp/ */
	int	in_new;			/* newname exists in new/ */
};

int
maildir_host(char *buf, size_t size)
{
	char	host[256];
	const char *p;
	size_t	len = 0, n;

	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	/* '/' cannot be in a file name, ':' starts the maildir flags. */
	for (p = host; *p != '\0'; p++) {
		const char *piece = *p == '/' ? "\\057" : *p == ':' ?
		    "\\072" : NULL;

		n = piece != NULL ? 4 : 1;
		if (len + n >= size)
			return (-1);
		if (piece != NULL)
			memcpy(buf + len, piece, n);
		else
			buf[len] = *p;
		len += n;
	}
	if (size == 0)
		return (-1);
	buf[len] = '\0';
	return (0);
}

int
maildir_tmp_name(char *buf, size_t size, long sec, long usec, long pid,
    const char *host)
{
	int	n;

	n = snprintf(buf, size, "%ld.M%ldP%ld.%s", sec, usec, pid, host);
	return (n < 0 || (size_t)n >= size ? -1 : 0);
}

int
maildir_new_name(char *buf, size_t size, long sec, long usec, long pid,
    unsigned long long dev, unsigned long long ino, const char *host,
    unsigned long long bytes)
{
	int	n;

	n = snprintf(buf, size, "%ld.M%ldP%ldV%llxI%llx.%s,S=%llu", sec, usec,
	    pid, dev, ino, host, bytes);
	return (n < 0 || (size_t)n >= size ? -1 : 0);
}

/* "<maildir>/<sub>/<name>" for messages; dl->path may end in '/'. */
static void
maildir_where(char *buf, size_t size, const struct delivery *dl,
    const char *sub, const char *name)
{
	size_t	len = strlen(dl->path);

	snprintf(buf, size, "%s%s%s/%s", dl->path,
	    len > 0 && dl->path[len - 1] == '/' ? "" : "/", sub, name);
}

/*
 * Open (creating it 0700) one of tmp/, new/, cur/ below the maildir's
 * descriptor, under the same O_NOFOLLOW rule as the walk to it;
 * diagnostics name the path below the base.
 */
static int
maildir_subdir(int mdfd, const struct delivery *dl, const char *sub,
    struct dstatus *why)
{
	char	rel[PATH_MAX];
	int	n;

	n = snprintf(rel, sizeof(rel), "%s/%s", dl->relpath, sub);
	if (n < 0 || (size_t)n >= sizeof(rel)) {
		status_errno(why, ENAMETOOLONG, "4.2.0",
		    "cannot open directory %s", dl->relpath);
		return (-1);
	}
	return (walk_open_child(mdfd, sub, 1, rel, why));
}

/* Walk to the maildir once (creating it), then its three directories. */
static int
maildir_dirs(struct maildir_job *j, const struct delivery *dl, int basefd,
    struct dstatus *why)
{
	int	mdfd, curfd = -1;

	if ((mdfd = walk_open_dir(basefd, dl->relpath, 1, why)) < 0)
		return (-1);
	if ((j->tmpfd = maildir_subdir(mdfd, dl, "tmp", why)) >= 0 &&
	    (j->newfd = maildir_subdir(mdfd, dl, "new", why)) >= 0)
		curfd = maildir_subdir(mdfd, dl, "cur", why);
	(void)close(mdfd);
	if (curfd < 0)
		return (-1);
	(void)close(curfd);
	return (0);
}

/*
 * Create the tmp/ file.  The name is unique per process and microsecond;
 * should it still exist (two recipients of this process sharing a
 * maildir within one microsecond, or an old leftover), step the
 * microseconds and try again.
 */
static int
maildir_create(struct maildir_job *j, const struct delivery *dl,
    struct dstatus *why)
{
	char	where[PATH_MAX + 64];
	int	fd, i;

	for (i = 0; i < MAILDIR_CREATE_TRIES; i++) {
		if (maildir_tmp_name(j->tmpname, sizeof(j->tmpname),
		    (long)j->tv.tv_sec, (long)j->tv.tv_usec, j->pid,
		    j->host) < 0) {
			errno = ENAMETOOLONG;
			break;
		}
		fd = openat(j->tmpfd, j->tmpname, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
		if (fd >= 0) {
			j->in_tmp = 1;
			return (fd);
		}
		if (errno != EEXIST)
			break;
		if (++j->tv.tv_usec >= 1000000) {
			j->tv.tv_usec = 0;
			j->tv.tv_sec++;
		}
	}
	if (errno == EACCES)
		log_warn("maildir access problem for UID/GID=%lu/%lu: %s",
		    (unsigned long)dl->uid, (unsigned long)dl->gid,
		    strerror(errno));
	maildir_where(where, sizeof(where), dl, "tmp", j->tmpname);
	status_errno(why, errno, "4.2.0", "create maildir file %s", where);
	return (-1);
}

/* Write, fsync and close the tmp/ file; then name it for new/. */
static int
maildir_write(int fd, struct maildir_job *j, const struct delivery *dl,
    const struct message *msg, const char *headers,
    const struct vconfig *vc, struct dstatus *why)
{
	char	where[PATH_MAX + 64];
	struct message_out out;
	struct stat st;
	int	err;

	memset(&out, 0, sizeof(out));
	out.headers = headers;
	out.limit = vc->mailbox_limit;
	if (message_write(msg, fd, &out) < 0 || fsync(fd) < 0 ||
	    fstat(fd, &st) < 0) {
		err = errno;
		(void)close(fd);
	} else if (close(fd) < 0)
		err = errno;
	else if (maildir_new_name(j->newname, sizeof(j->newname),
	    (long)j->tv.tv_sec, (long)j->tv.tv_usec, j->pid,
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
	    j->host, (unsigned long long)st.st_size) < 0)
		err = ENAMETOOLONG;
	else
		return (0);
	maildir_where(where, sizeof(where), dl, "tmp", j->tmpname);
	status_errno(why, err, "4.3.0", "error writing message to %s", where);
	return (-1);
}

/*
 * Make the file visible in new/.  link() cannot replace an existing
 * name; where link is unsupported, renameat2(RENAME_NOREPLACE) keeps
 * that promise, and a plain rename is the last resort (the dev/ino in
 * the name make a collision all but impossible).
 */
static int
maildir_move(struct maildir_job *j)
{
	if (linkat(j->tmpfd, j->tmpname, j->newfd, j->newname, 0) == 0) {
		j->in_new = 1;
		return (0);
	}
	if (errno != EPERM && errno != ENOSYS && errno != EOPNOTSUPP &&
	    errno != EXDEV)
		return (-1);
	if (renameat2(j->tmpfd, j->tmpname, j->newfd, j->newname,
	    RENAME_NOREPLACE) < 0) {
		if (errno != EINVAL && errno != ENOSYS)
			return (-1);
		if (renameat(j->tmpfd, j->tmpname, j->newfd, j->newname) < 0)
			return (-1);
	}
	j->in_tmp = 0;
	j->in_new = 1;
	return (0);
}

/* Link into new/, make that durable, drop the tmp/ name. */
static int
maildir_publish(struct maildir_job *j, const struct delivery *dl,
    struct dstatus *why)
{
	char	where[PATH_MAX + 64];

	if (maildir_move(j) < 0) {
		maildir_where(where, sizeof(where), dl, "new", j->newname);
		status_errno(why, errno, "4.2.0", "create maildir file %s",
		    where);
		return (-1);
	}
	/* Without this the new/ entry could vanish in a crash. */
	if (fsync(j->newfd) < 0) {
		maildir_where(where, sizeof(where), dl, "new", "");
		status_errno(why, errno, "4.3.0", "fsync %s", where);
		return (-1);
	}
	if (j->in_tmp && unlinkat(j->tmpfd, j->tmpname, 0) < 0)
		log_warn("cannot remove maildir file %s from tmp/ after "
		    "delivery: %s", j->tmpname, strerror(errno));
	j->in_tmp = 0;
	return (0);
}

/*
 * Remove regular files from tmp/ that were neither read nor written for
 * 36 hours: what a crashed delivery (or a crashed reader) left.  Scanning
 * on every delivery would put a readdir on the hot path, so, as Dovecot
 * does, tmp/'s atime says when it was last scanned: only a tmp/ not read
 * for MAILDIR_TMP_SCAN is scanned, and its atime is set first, so that
 * deliveries arriving meanwhile skip it (setting it explicitly also works
 * on noatime mounts).  A scan looks at MAILDIR_TMP_MAX entries at most;
 * the rest waits for the next one.  Failures only cost the cleanup.
 */
int
maildir_clean_tmp(int tmpfd, time_t now)
{
	const struct timespec ts[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
	struct dirent *de;
	struct stat st;
	DIR	*d;
	int	fd, seen = 0, removed = 0;

	if (fstat(tmpfd, &st) < 0 || st.st_atime > now - MAILDIR_TMP_SCAN)
		return (0);
	if (futimens(tmpfd, ts) < 0)
		(void)futimens(tmpfd, NULL);	/* not the owner: mtime too */
	if ((fd = openat(tmpfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			(void)close(fd);
		return (0);
	}
	while (seen++ < MAILDIR_TMP_MAX && (de = readdir(d)) != NULL) {
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) ||
		    st.st_atime > now - MAILDIR_TMP_OLD ||
		    st.st_mtime > now - MAILDIR_TMP_OLD)
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0) {
			log_warn("removed stale file tmp/%s (unused for 36 "
			    "hours)", de->d_name);
			removed++;
		}
	}
	(void)closedir(d);
	return (removed);
}

int
maildir_deliver(const struct delivery *dl, const struct message *msg,
    const char *headers, const struct vconfig *vc, int basefd,
    struct dstatus *why)
{
	struct maildir_job j;
	char	text[sizeof(why->text)];
	int	fd, rc = -1;

	memset(&j, 0, sizeof(j));
	j.tmpfd = j.newfd = -1;
	gettimeofday(&j.tv, NULL);
	j.pid = (long)getpid();
	if (maildir_host(j.host, sizeof(j.host)) < 0)
		snprintf(j.host, sizeof(j.host), "localhost");
	if (maildir_dirs(&j, dl, basefd, why) == 0 &&
	    (fd = maildir_create(&j, dl, why)) >= 0 &&
	    maildir_write(fd, &j, dl, msg, headers, vc, why) == 0 &&
	    maildir_publish(&j, dl, why) == 0) {
		status_ok(why, "delivered to maildir");
		rc = 0;
	}
	/* On failure leave tmp/ and new/ as they were. */
	if (rc < 0 && j.in_new)
		(void)unlinkat(j.newfd, j.newname, 0);
	if (rc < 0 && j.in_tmp)
		(void)unlinkat(j.tmpfd, j.tmpname, 0);
	/* After the delivery: its outcome never waits on the cleanup. */
	if (j.tmpfd >= 0) {
		(void)maildir_clean_tmp(j.tmpfd, time(NULL));
		(void)close(j.tmpfd);
	}
	if (j.newfd >= 0)
		(void)close(j.newfd);
	if (rc < 0) {
		memcpy(text, why->text, sizeof(text));
		snprintf(why->text, sizeof(why->text),
		    "maildir delivery failed: %.980s", text);
	}
	return (rc);
}
