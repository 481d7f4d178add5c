/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * faultshim.c - LD_PRELOAD fault injector for the black-box fault suite
 * (tests/run_faults.sh).  It makes chosen system calls fail, with a chosen
 * errno, only for files and directories below given path prefixes, so
 * that the configuration, the maps, the spool and the log are untouched:
 * the I/O errors that a real file system cannot be made to produce on
 * demand (EIO from write, fsync, close, link, ...).
 *
 *   FAULT_SPEC   "kind:errno[:after[:count]][,kind:errno...]"
 *                after: eligible calls let through first (default 0);
 *                count: calls that fail then (default 1, 0 = every one)
 *   FAULT_PATHS  "prefix[:prefix]..." absolute, canonical; a call is
 *                eligible when its file (by descriptor, or by directory
 *                descriptor and name) is the prefix or below it
 *   FAULT_LOG    file: one line "kind errno path pid" per fault injected,
 *                "short bytes path pid" per shortened write
 *   FAULT_SHORT  N: write() moves at most N bytes per call (no error)
 *
 * Kinds: write (also writev, copy_file_range, sendfile), pwrite, pread,
 * fsync (regular files), dirfsync (directories),
 * fdatasync, close (the descriptor is closed all the same, as Linux
 * does), ftruncate, fallocate, fstat, open (any openat/open), creat (only with
 * O_CREAT), mkdir, unlink, link (linkat/link), rename (renameat/rename),
 * rename2 (renameat2) -- these three when either name is below a prefix --,
 * lock (fcntl F_SETLK/F_SETLKW/F_OFD_SETLK*), flock.
 * errno: a name (EIO, ENOSPC, EDQUOT, EFBIG, EPERM, EXDEV, EINVAL,
 * ENOSYS, ENOLCK, EINTR, EROFS, EACCES, ENOMEM, EOPNOTSUPP) or a number.
 *
 * Build: cc -shared -fPIC -o faultshim.so faultshim.c -ldl
 * Under ASan the sanitizer runtime must come first in LD_PRELOAD; its
 * interceptors then reach these wrappers through dlsym(RTLD_NEXT).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_RULES	16
#define MAX_PREFIX	4

struct rule {
	char	kind[16];
	int	err;
	long	after;		/* eligible calls still to let through */
	long	count;		/* failures still to inject; -1 = always */
};

static struct rule rules[MAX_RULES];
static int nrules;
static char prefixes[MAX_PREFIX][PATH_MAX];
static int nprefixes;
static char logpath[PATH_MAX];
static long short_max;
static int inited;

static const struct {
	const char *name;
	int	err;
} errnames[] = {
	{"EIO", EIO}, {"ENOSPC", ENOSPC}, {"EDQUOT", EDQUOT},
	{"EFBIG", EFBIG}, {"EPERM", EPERM}, {"EXDEV", EXDEV},
	{"EINVAL", EINVAL}, {"ENOSYS", ENOSYS}, {"ENOLCK", ENOLCK},
	{"EINTR", EINTR}, {"EROFS", EROFS}, {"EACCES", EACCES},
	{"ENOMEM", ENOMEM}, {"EOPNOTSUPP", EOPNOTSUPP},
};

static void *
real(const char *name)
{
	void	*p = dlsym(RTLD_NEXT, name);

	if (p == NULL) {
		static const char msg[] = "faultshim: missing real function\n";

		syscall(SYS_write, 2, msg, sizeof(msg) - 1);
		_exit(75);
	}
	return (p);
}

static int
parse_errno(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (strcmp(s, errnames[i].name) == 0)
			return (errnames[i].err);
	return (atoi(s) > 0 ? atoi(s) : EIO);
}

static void
init(void)
{
	const char *spec, *paths, *lp, *sh;
	char	buf[1024], *tok, *save, *f[4];
	int	nf, saved = errno;

	if (inited)
		return;
	inited = 1;
	if ((spec = getenv("FAULT_SPEC")) != NULL) {
		snprintf(buf, sizeof(buf), "%s", spec);
		for (tok = strtok_r(buf, ",", &save); tok != NULL &&
		    nrules < MAX_RULES; tok = strtok_r(NULL, ",", &save)) {
			struct rule *r = &rules[nrules];
			char	*p = tok;

			for (nf = 0; nf < 4 && p != NULL; nf++)
				f[nf] = strsep(&p, ":");
			if (nf < 2)
				continue;
			snprintf(r->kind, sizeof(r->kind), "%s", f[0]);
			r->err = parse_errno(f[1]);
			r->after = nf > 2 ? atol(f[2]) : 0;
			r->count = nf > 3 ? atol(f[3]) : 1;
			if (r->count == 0)
				r->count = -1;
			nrules++;
		}
	}
	if ((paths = getenv("FAULT_PATHS")) != NULL) {
		snprintf(buf, sizeof(buf), "%s", paths);
		for (tok = strtok_r(buf, ":", &save); tok != NULL &&
		    nprefixes < MAX_PREFIX; tok = strtok_r(NULL, ":", &save)) {
			size_t	n = strlen(tok);

			while (n > 1 && tok[n - 1] == '/')
				tok[--n] = '\0';
			snprintf(prefixes[nprefixes++], PATH_MAX, "%s", tok);
		}
	}
	if ((lp = getenv("FAULT_LOG")) != NULL)
		snprintf(logpath, sizeof(logpath), "%s", lp);
	if ((sh = getenv("FAULT_SHORT")) != NULL)
		short_max = atol(sh);
	errno = saved;
}

__attribute__((constructor)) static void
shim_ctor(void)
{
	init();
}

static int
under(const char *path)
{
	int	i;

	for (i = 0; i < nprefixes; i++) {
		size_t	n = strlen(prefixes[i]);

		if (strncmp(path, prefixes[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '/' ||
		    strcmp(prefixes[i], "/") == 0))
			return (1);
	}
	return (0);
}

static int
fd_path(int fd, char *buf, size_t size)
{
	char	link[64];
	ssize_t	n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n < 0)
		return (-1);
	buf[n] = '\0';
	return (0);
}

static int
at_path(int dirfd, const char *name, char *buf, size_t size)
{
	char	dir[PATH_MAX];

	if (name == NULL)
		return (-1);
	if (name[0] == '/') {
		snprintf(buf, size, "%s", name);
		return (0);
	}
	if (dirfd == AT_FDCWD) {
		if (getcwd(dir, sizeof(dir)) == NULL)
			return (-1);
	} else if (fd_path(dirfd, dir, sizeof(dir)) < 0)
		return (-1);
	snprintf(buf, size, "%s/%s", dir, name);
	return (0);
}

static void
log_line(const char *what, const char *arg, const char *path)
{
	char	line[PATH_MAX + 128];
	int	fd, n;

	if (logpath[0] == '\0')
		return;
	n = snprintf(line, sizeof(line), "%s %s %s %ld\n", what, arg, path,
	    (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	fd = (int)syscall(SYS_openat, AT_FDCWD, logpath,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return;
	syscall(SYS_write, fd, line, (size_t)n);
	syscall(SYS_close, fd);
}

static const char *
errname(int err)
{
	static char num[16];
	size_t	i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return (errnames[i].name);
	snprintf(num, sizeof(num), "%d", err);
	return (num);
}

/*
 * Should this eligible call of this kind fail?  Returns the errno, or 0.
 * path == NULL: not below a prefix, never fails.
 */
static int
fault(const char *kind, const char *path)
{
	int	i, saved = errno;

	init();
	if (path == NULL || !under(path))
		return (0);
	for (i = 0; i < nrules; i++) {
		struct rule *r = &rules[i];

		if (strcmp(r->kind, kind) != 0 || r->count == 0)
			continue;
		if (r->after > 0) {
			r->after--;
			continue;
		}
		if (r->count > 0)
			r->count--;
		log_line(kind, errname(r->err), path);
		errno = saved;
		return (r->err);
	}
	errno = saved;
	return (0);
}

static int
fd_fault(const char *kind, int fd)
{
	char	path[PATH_MAX];
	int	saved = errno;

	init();
	if (nrules == 0 || fd_path(fd, path, sizeof(path)) < 0) {
		errno = saved;
		return (0);
	}
	errno = saved;
	return (fault(kind, path));
}

static int
at_fault(const char *kind, int dirfd, const char *name)
{
	char	path[PATH_MAX];
	int	saved = errno;

	init();
	if (nrules == 0 || at_path(dirfd, name, path, sizeof(path)) < 0) {
		errno = saved;
		return (0);
	}
	errno = saved;
	return (fault(kind, path));
}

/* link and rename: eligible when either name is below a prefix */
static int
at2_fault(const char *kind, int ofd, const char *old, int nfd,
    const char *new)
{
	char	po[PATH_MAX], pn[PATH_MAX];
	int	saved = errno, have_o, have_n;

	init();
	if (nrules == 0)
		return (0);
	have_o = at_path(ofd, old, po, sizeof(po)) == 0;
	have_n = at_path(nfd, new, pn, sizeof(pn)) == 0;
	errno = saved;
	if (have_o && under(po))
		return (fault(kind, po));
	return (have_n ? fault(kind, pn) : 0);
}

#define FAIL_WITH(e)	do { errno = (e); return (-1); } while (0)

ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t (*fn)(int, const void *, size_t);
	char	path[PATH_MAX];
	int	e;

	if (fn == NULL)
		fn = real("write");
	if ((e = fd_fault("write", fd)) != 0)
		FAIL_WITH(e);
	if (short_max > 0 && len > (size_t)short_max &&
	    fd_path(fd, path, sizeof(path)) == 0 && under(path)) {
		char	n[32];

		snprintf(n, sizeof(n), "%ld", short_max);
		log_line("short", n, path);
		len = (size_t)short_max;
	}
	return (fn(fd, buf, len));
}

/* short_len FD LEN : LEN, or FAULT_SHORT's bound for a file below a prefix */
static size_t
short_len(int fd, size_t len)
{
	char	path[PATH_MAX], n[32];

	if (short_max > 0 && len > (size_t)short_max &&
	    fd_path(fd, path, sizeof(path)) == 0 && under(path)) {
		snprintf(n, sizeof(n), "%ld", short_max);
		log_line("short", n, path);
		len = (size_t)short_max;
	}
	return (len);
}

/* writev, copy_file_range and sendfile are "write" calls too. */
ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	static ssize_t (*fn)(int, const struct iovec *, int);
	struct iovec v[64];
	size_t	total = 0, max;
	int	e, i;

	if (fn == NULL)
		fn = real("writev");
	if ((e = fd_fault("write", fd)) != 0)
		FAIL_WITH(e);
	for (i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	if (cnt > 64 || (max = short_len(fd, total)) == total)
		return (fn(fd, iov, cnt));
	for (i = 0; i < cnt && max > 0; i++) {
		v[i] = iov[i];
		if (v[i].iov_len > max)
			v[i].iov_len = max;
		max -= v[i].iov_len;
	}
	return (fn(fd, v, i));
}

ssize_t
copy_file_range(int in, off_t *inoff, int out, off_t *outoff, size_t len,
    unsigned int flags)
{
	static ssize_t (*fn)(int, off_t *, int, off_t *, size_t, unsigned int);
	int	e;

	if (fn == NULL)
		fn = real("copy_file_range");
	if ((e = fd_fault("write", out)) != 0)
		FAIL_WITH(e);
	return (fn(in, inoff, out, outoff, short_len(out, len), flags));
}

ssize_t
sendfile(int out, int in, off_t *inoff, size_t len)
{
	static ssize_t (*fn)(int, int, off_t *, size_t);
	int	e;

	if (fn == NULL)
		fn = real("sendfile");
	if ((e = fd_fault("write", out)) != 0)
		FAIL_WITH(e);
	return (fn(out, in, inoff, short_len(out, len)));
}

ssize_t sendfile64(int, int, off_t *, size_t) __attribute__((alias("sendfile")));

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	static ssize_t (*fn)(int, const void *, size_t, off_t);
	int	e;

	if (fn == NULL)
		fn = real("pwrite");
	if ((e = fd_fault("pwrite", fd)) != 0)
		FAIL_WITH(e);
	return (fn(fd, buf, len, off));
}

ssize_t
pread(int fd, void *buf, size_t len, off_t off)
{
	static ssize_t (*fn)(int, void *, size_t, off_t);
	int	e;

	if (fn == NULL)
		fn = real("pread");
	if ((e = fd_fault("pread", fd)) != 0)
		FAIL_WITH(e);
	return (fn(fd, buf, len, off));
}

static int
is_dir_fd(int fd)
{
	static int (*fn)(int, struct stat *);
	struct stat st;

	if (fn == NULL)
		fn = real("fstat");	/* never a fault of our own */
	return (fn(fd, &st) == 0 && S_ISDIR(st.st_mode));
}

int
fsync(int fd)
{
	static int (*fn)(int);
	int	e, saved = errno;

	if (fn == NULL)
		fn = real("fsync");
	e = fd_fault(is_dir_fd(fd) ? "dirfsync" : "fsync", fd);
	errno = saved;
	if (e != 0)
		FAIL_WITH(e);
	return (fn(fd));
}

int
fdatasync(int fd)
{
	static int (*fn)(int);
	int	e;

	if (fn == NULL)
		fn = real("fdatasync");
	if ((e = fd_fault("fdatasync", fd)) != 0)
		FAIL_WITH(e);
	return (fn(fd));
}

int
close(int fd)
{
	static int (*fn)(int);
	int	e;

	if (fn == NULL)
		fn = real("close");
	e = fd_fault("close", fd);
	if (fn(fd) < 0)
		return (-1);
	if (e != 0)
		FAIL_WITH(e);	/* closed all the same, as Linux does */
	return (0);
}

int
ftruncate(int fd, off_t len)
{
	static int (*fn)(int, off_t);
	int	e;

	if (fn == NULL)
		fn = real("ftruncate");
	if ((e = fd_fault("ftruncate", fd)) != 0)
		FAIL_WITH(e);
	return (fn(fd, len));
}

int
fallocate(int fd, int mode, off_t off, off_t len)
{
	static int (*fn)(int, int, off_t, off_t);
	int	e;

	if (fn == NULL)
		fn = real("fallocate");
	if ((e = fd_fault("fallocate", fd)) != 0)
		FAIL_WITH(e);
	return (fn(fd, mode, off, len));
}

int fallocate64(int, int, off_t, off_t) __attribute__((alias("fallocate")));

int
fstat(int fd, struct stat *st)
{
	static int (*fn)(int, struct stat *);
	int	e;

	if (fn == NULL)
		fn = real("fstat");
	if ((e = fd_fault("fstat", fd)) != 0)
		FAIL_WITH(e);
	return (fn(fd, st));
}

static int
open_fault(int dirfd, const char *path, int flags)
{
	int	e;

	if ((e = at_fault("open", dirfd, path)) != 0)
		return (e);
	if (flags & O_CREAT)
		return (at_fault("creat", dirfd, path));
	return (0);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	static int (*fn)(int, const char *, int, ...);
	mode_t	mode = 0;
	va_list	ap;
	int	e;

	if (fn == NULL)
		fn = real("openat");
	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if ((e = open_fault(dirfd, path, flags)) != 0)
		FAIL_WITH(e);
	return (fn(dirfd, path, flags, mode));
}

int
open(const char *path, int flags, ...)
{
	static int (*fn)(const char *, int, ...);
	mode_t	mode = 0;
	va_list	ap;
	int	e;

	if (fn == NULL)
		fn = real("open");
	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if ((e = open_fault(AT_FDCWD, path, flags)) != 0)
		FAIL_WITH(e);
	return (fn(path, flags, mode));
}

int
mkdirat(int dirfd, const char *path, mode_t mode)
{
	static int (*fn)(int, const char *, mode_t);
	int	e;

	if (fn == NULL)
		fn = real("mkdirat");
	if ((e = at_fault("mkdir", dirfd, path)) != 0)
		FAIL_WITH(e);
	return (fn(dirfd, path, mode));
}

int
mkdir(const char *path, mode_t mode)
{
	return (mkdirat(AT_FDCWD, path, mode));
}

int
unlinkat(int dirfd, const char *path, int flags)
{
	static int (*fn)(int, const char *, int);
	int	e;

	if (fn == NULL)
		fn = real("unlinkat");
	if ((e = at_fault("unlink", dirfd, path)) != 0)
		FAIL_WITH(e);
	return (fn(dirfd, path, flags));
}

int
unlink(const char *path)
{
	return (unlinkat(AT_FDCWD, path, 0));
}

int
linkat(int ofd, const char *old, int nfd, const char *new, int flags)
{
	static int (*fn)(int, const char *, int, const char *, int);
	int	e;

	if (fn == NULL)
		fn = real("linkat");
	if ((e = at2_fault("link", ofd, old, nfd, new)) != 0)
		FAIL_WITH(e);
	return (fn(ofd, old, nfd, new, flags));
}

int
link(const char *old, const char *new)
{
	return (linkat(AT_FDCWD, old, AT_FDCWD, new, 0));
}

int
renameat2(int ofd, const char *old, int nfd, const char *new,
    unsigned int flags)
{
	static int (*fn)(int, const char *, int, const char *, unsigned int);
	int	e;

	if (fn == NULL)
		fn = real("renameat2");
	if ((e = at2_fault("rename2", ofd, old, nfd, new)) != 0)
		FAIL_WITH(e);
	return (fn(ofd, old, nfd, new, flags));
}

int
renameat(int ofd, const char *old, int nfd, const char *new)
{
	static int (*fn)(int, const char *, int, const char *);
	int	e;

	if (fn == NULL)
		fn = real("renameat");
	if ((e = at2_fault("rename", ofd, old, nfd, new)) != 0)
		FAIL_WITH(e);
	return (fn(ofd, old, nfd, new));
}

int
rename(const char *old, const char *new)
{
	return (renameat(AT_FDCWD, old, AT_FDCWD, new));
}

static int
lock_cmd(int cmd)
{
	return (cmd == F_SETLK || cmd == F_SETLKW
#ifdef F_OFD_SETLK
	    || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW
#endif
	    );
}

int
fcntl(int fd, int cmd, ...)
{
	static int (*fn)(int, int, ...);
	void	*arg;
	va_list	ap;
	int	e;

	if (fn == NULL)
		fn = real("fcntl");
	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (lock_cmd(cmd) && (e = fd_fault("lock", fd)) != 0)
		FAIL_WITH(e);
	return (fn(fd, cmd, arg));
}

int fcntl64(int, int, ...) __attribute__((alias("fcntl")));

int
flock(int fd, int op)
{
	static int (*fn)(int, int);
	int	e;

	if (fn == NULL)
		fn = real("flock");
	if ((op & (LOCK_EX | LOCK_SH)) && (e = fd_fault("flock", fd)) != 0)
		FAIL_WITH(e);
	return (fn(fd, op));
}
