/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * walk.h - path validation and the openat/O_NOFOLLOW walk below the base.
 *
 * No component below virtual_mailbox_base may be a symbolic link: each
 * one is opened with O_NOFOLLOW|O_DIRECTORY relative to its parent, so no
 * rename or symlink race can redirect a write outside the base.  Missing
 * directories are created mode 0700 by the (already unprivileged) caller,
 * so they belong to the recipient.
 */
#ifndef VDELIVER_WALK_H
#define VDELIVER_WALK_H

struct dstatus;

/*
 * Validate a mailbox map value and normalise it into a relative path:
 * empty components and "." are dropped, a leading '/' does not escape the
 * base.  Any ".." component, an empty result, or a control character
 * that cannot be a file name (NUL cannot occur in a C string; a newline is
 * refused) gives 4.3.5 "bad mailbox path".  *maildir_r is set when value
 * ends in '/'.  relpath is malloc'd.
 */
int	walk_check_path(const char *value, char **relpath_r, int *maildir_r,
	    struct dstatus *why);

/* Open the base directory itself (symlinks in the base are the admin's). */
int	walk_open_base(const char *base, struct dstatus *why);

/*
 * Open directory relpath below basefd, creating missing components when
 * create is set.  A symlink component: 4.2.0 "symbolic link"; a
 * non-directory: 4.2.0; other errors from errno (4.2.0 default, ENOSPC
 * 4.3.0, EDQUOT 5.2.2).  Returns the directory fd or -1.  relpath "" opens
 * basefd's directory again.
 */
int	walk_open_dir(int basefd, const char *relpath, int create,
	    struct dstatus *why);

/*
 * Open (and, with create, make) the single component comp below the
 * directory dfd, with walk_open_dir()'s rules and errors; messages call
 * it path (its name below the base).
 */
int	walk_open_child(int dfd, const char *comp, int create,
	    const char *path, struct dstatus *why);

/*
 * Open the parent directory of relpath (creating it when create is set)
 * and set *leaf_r to the last component (a pointer into relpath).
 */
int	walk_open_parent(int basefd, const char *relpath, int create,
	    const char **leaf_r, struct dstatus *why);

#endif
