/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * walk.c - mailbox path validation and the openat walk below the base.
 *
 * Guarantees: a validated relative path has no "..", no "." and no empty
 * component, so it can only name something below virtual_mailbox_base.
 * The walk opens one component at a time relative to its parent with
 * O_NOFOLLOW|O_DIRECTORY: a symbolic link anywhere below the base is
 * refused, and because every step works on a descriptor, renaming or
 * replacing a directory after it was checked cannot redirect the walk
 * elsewhere.  Directories created here get mode 0700 and belong to the
 * caller, which is already the recipient.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "status.h"
#include "walk.h"

#define WALK_DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/*
 * A copy of value with control characters shown as '?', so that a bad
 * map value cannot split the one-line diagnostic or the log line.
 */
static void
walk_printable(char *buf, size_t size, const char *value)
{
	size_t	i;

	for (i = 0; i + 1 < size && value[i] != '\0'; i++) {
		unsigned char c = (unsigned char)value[i];

		buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[i] = '\0';
}

static int
walk_bad_path(const char *value, struct dstatus *why)
{
	char	shown[512];

	walk_printable(shown, sizeof(shown), value);
	status_set(why, "4.3.5", "bad mailbox path %s in virtual_mailbox_maps",
	    shown);
	return (-1);
}

int
walk_check_path(const char *value, char **relpath_r, int *maildir_r,
    struct dstatus *why)
{
	const char *p, *end;
	char	*out, *o;
	size_t	len;

	*relpath_r = NULL;
	for (p = value; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return (walk_bad_path(value, why));
	if ((out = malloc(strlen(value) + 1)) == NULL) {
		status_errno(why, errno, "4.3.0", "walk_check_path");
		return (-1);
	}
	o = out;
	for (p = value; *p != '\0'; p = end) {
		while (*p == '/')
			p++;
		end = p + strcspn(p, "/");
		len = (size_t)(end - p);
		if (len == 0 || (len == 1 && p[0] == '.'))
			continue;
		if ((len == 2 && p[0] == '.' && p[1] == '.') ||
		    len > NAME_MAX) {
			free(out);
			return (walk_bad_path(value, why));
		}
		if (o != out)
			*o++ = '/';
		memcpy(o, p, len);
		o += len;
	}
	*o = '\0';
	if (o == out) {
		free(out);
		return (walk_bad_path(value, why));
	}
	*relpath_r = out;
	*maildir_r = value[strlen(value) - 1] == '/';
	return (0);
}

int
walk_open_base(const char *base, struct dstatus *why)
{
	int	fd;

	/* The base itself may be a symlink: it is the administrator's. */
	fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		status_errno(why, errno, "4.2.0",
		    "cannot open virtual_mailbox_base %s", base);
	return (fd);
}

/*
 * openat() of one component failed with err: say why.  ELOOP and ENOTDIR
 * are ambiguous (the kernel reports a symlink under O_NOFOLLOW|O_DIRECTORY
 * as either), so look at the entry itself without following it.
 */
static void
walk_open_error(int dfd, const char *comp, int err, const char *path,
    int len, struct dstatus *why)
{
	struct stat st;

	if ((err == ELOOP || err == ENOTDIR) &&
	    fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode)) {
			status_set(why, "4.2.0", "%.*s: symbolic link below "
			    "the mailbox base is not allowed", len, path);
			return;
		}
		if (!S_ISDIR(st.st_mode)) {
			status_set(why, "4.2.0", "%.*s: not a directory",
			    len, path);
			return;
		}
	}
	status_errno(why, err, "4.2.0", "cannot open directory %.*s", len,
	    path);
}

/*
 * Open (and, with create, make) one component below dfd.  A concurrent
 * delivery may create the same directory between our ENOENT and mkdirat:
 * EEXIST is therefore fine, and the second openat decides.
 */
static int
walk_step(int dfd, const char *comp, int create, const char *path, int len,
    struct dstatus *why)
{
	int	fd;

	fd = openat(dfd, comp, WALK_DIR_FLAGS);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dfd, comp, 0700) < 0 && errno != EEXIST) {
			status_errno(why, errno, "4.2.0",
			    "cannot create directory %.*s", len, path);
			return (-1);
		}
		fd = openat(dfd, comp, WALK_DIR_FLAGS);
	}
	if (fd < 0)
		walk_open_error(dfd, comp, errno, path, len, why);
	return (fd);
}

/* Walk the first len bytes of relpath below basefd. */
static int
walk_open_n(int basefd, const char *relpath, size_t len, int create,
    struct dstatus *why)
{
	char	comp[NAME_MAX + 1];
	size_t	pos = 0, n;
	int	dfd = basefd, next;

	/* basefd stays the caller's: never closed, never returned. */
	while (pos < len) {
		for (n = 0; pos + n < len && relpath[pos + n] != '/'; n++)
			;
		if (n >= sizeof(comp) || (n == 2 && relpath[pos] == '.' &&
		    relpath[pos + 1] == '.')) {
			/* Callers pass checked paths; this is a backstop. */
			if (dfd != basefd)
				close(dfd);
			status_set(why, "4.3.5", "bad mailbox path %.*s",
			    (int)len, relpath);
			return (-1);
		}
		memcpy(comp, relpath + pos, n);
		comp[n] = '\0';
		next = n == 0 ? dfd : walk_step(dfd, comp, create, relpath,
		    (int)(pos + n), why);
		if (next != dfd && dfd != basefd)
			close(dfd);
		if (next < 0)
			return (-1);
		dfd = next;
		pos += n + 1;	/* and the '/' */
	}
	if (dfd == basefd && (dfd = openat(basefd, ".", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) < 0)
		status_errno(why, errno, "4.2.0",
		    "cannot open virtual_mailbox_base");
	return (dfd);
}

int
walk_open_dir(int basefd, const char *relpath, int create,
    struct dstatus *why)
{
	return (walk_open_n(basefd, relpath, strlen(relpath), create, why));
}

int
walk_open_child(int dfd, const char *comp, int create, const char *path,
    struct dstatus *why)
{
	return (walk_step(dfd, comp, create, path, (int)strlen(path), why));
}

int
walk_open_parent(int basefd, const char *relpath, int create,
    const char **leaf_r, struct dstatus *why)
{
	const char *slash = strrchr(relpath, '/');

	if (slash == NULL) {
		*leaf_r = relpath;
		return (walk_open_n(basefd, relpath, 0, create, why));
	}
	*leaf_r = slash + 1;
	return (walk_open_n(basefd, relpath, (size_t)(slash - relpath),
	    create, why));
}
