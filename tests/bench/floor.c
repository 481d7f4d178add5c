/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * floor.c - the physical floor for "make bench": only what any correct
 * delivery must do for one message, as a fresh process.  No lookups, no
 * configuration, no headers, no checks; libc only.
 *
 *   floor maildir DIR < message   tmp/ file, write, fsync, link into
 *                                 new/, unlink tmp/, fsync new/
 *   floor mbox FILE < message     open O_APPEND, fcntl lock, From_ line,
 *                                 write, fsync, unlock
 *
 * The message is streamed in 64 KiB chunks (constant memory, as a real
 * delivery agent must).  Exit 0 when delivered, 75 otherwise.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define FLOOR_BUF	(64 * 1024)

static char buf[FLOOR_BUF];

static int
copy_in(int fd, const char *prefix)
{
	size_t	len = strlen(prefix);
	ssize_t	n;

	memcpy(buf, prefix, len);
	for (;;) {
		n = read(0, buf + len, sizeof(buf) - len);
		if (n < 0)
			return (-1);
		len += (size_t)n;
		if (len == 0)
			return (0);
		if (n == 0 || len == sizeof(buf)) {
			if (write(fd, buf, len) != (ssize_t)len)
				return (-1);
			if (n == 0)
				return (0);
			len = 0;
		}
	}
}

static int
floor_maildir(const char *dir)
{
	char	host[64], tmp[512], new[512];
	struct timeval tv;
	int	fd, dfd;

	gettimeofday(&tv, NULL);
	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(tmp, sizeof(tmp), "%s/tmp/%ld.M%ldP%ld.%s", dir,
	    (long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), host);
	snprintf(new, sizeof(new), "%s/new/%ld.M%ldP%ld.%s", dir,
	    (long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), host);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
		return (-1);
	if (copy_in(fd, "") < 0 || fsync(fd) < 0 || close(fd) < 0 ||
	    link(tmp, new) < 0 || unlink(tmp) < 0)
		return (-1);
	snprintf(tmp, sizeof(tmp), "%s/new", dir);
	if ((dfd = open(tmp, O_RDONLY | O_DIRECTORY)) < 0 || fsync(dfd) < 0)
		return (-1);
	return (close(dfd));
}

static int
floor_mbox(const char *path)
{
	struct flock fl;
	int	fd;

	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600)) < 0)
		return (-1);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLKW, &fl) < 0)
		return (-1);
	if (copy_in(fd, "From floor  Thu Jan  1 00:00:00 1970\n") < 0 ||
	    write(fd, "\n", 1) != 1 || fsync(fd) < 0)
		return (-1);
	fl.l_type = F_UNLCK;
	if (fcntl(fd, F_SETLK, &fl) < 0)
		return (-1);
	return (close(fd));
}

int
main(int argc, char **argv)
{
	int	rc = -1;

	if (argc == 3 && strcmp(argv[1], "maildir") == 0)
		rc = floor_maildir(argv[2]);
	else if (argc == 3 && strcmp(argv[1], "mbox") == 0)
		rc = floor_mbox(argv[2]);
	else {
		fputs("usage: floor maildir DIR | floor mbox FILE\n", stderr);
		return (64);
	}
	if (rc < 0) {
		perror("floor");
		return (75);
	}
	return (0);
}
