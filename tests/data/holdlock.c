/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * holdlock - test helper: hold a lock on a file for the black-box suites.
 *
 *   holdlock fcntl|flock FILE SECONDS READYFILE
 *
 * Takes an exclusive fcntl (whole file) or flock lock on FILE (opened
 * O_RDWR, not created), creates READYFILE once the lock is held, then
 * sleeps SECONDS and exits (the kernel drops the lock).  Exit 1 on error.
 */
#include <sys/file.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct flock fl;
	int fd, rfd;

	if (argc != 5) {
		fprintf(stderr, "usage: holdlock fcntl|flock file seconds ready\n");
		return 1;
	}
	if ((fd = open(argv[2], O_RDWR)) < 0) {
		perror(argv[2]);
		return 1;
	}
	if (strcmp(argv[1], "fcntl") == 0) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLKW, &fl) < 0) {
			perror("fcntl");
			return 1;
		}
	} else if (strcmp(argv[1], "flock") == 0) {
		if (flock(fd, LOCK_EX) < 0) {
			perror("flock");
			return 1;
		}
	} else {
		fprintf(stderr, "holdlock: unknown lock type %s\n", argv[1]);
		return 1;
	}
	if ((rfd = open(argv[4], O_WRONLY | O_CREAT, 0644)) < 0) {
		perror(argv[4]);
		return 1;
	}
	close(rfd);
	sleep((unsigned)atoi(argv[3]));
	return 0;
}
