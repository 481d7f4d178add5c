/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * driver.c - the load generator of "make bench": the same fork+exec loop
 * for every row, so that the driver's own cost is identical whatever
 * delivery agent is measured.
 *
 *   driver gen BYTES SEED MARKER > file
 *	A deterministic message of about BYTES bytes (xorshift PRNG seeded
 *	with SEED, so the corpus is the same on every machine): ordinary
 *	headers, "X-Bench-Marker: MARKER", lower-case text lines (none starts
 *	with "From "), and a last line "END-MARKER MARKER".
 *
 *   driver run -n N [-p P] [-t SECS] [-u UID:GID] -i INPUT -l LOG -- PROG ARG...
 *	N deliveries in P parallel streams (N/P each, one after the other
 *	within a stream; no stream starts a delivery after SECS seconds,
 *	so that an agent stuck in lock sleeps cannot hold up the whole
 *	benchmark), each a fork + execvp of PROG with stdin opened
 *	from INPUT and stdout/stderr appended to LOG.  "@S@" in INPUT and in
 *	the arguments becomes the stream number (0..P-1).  With -u the
 *	driver switches to that uid/gid before the first delivery.  The
 *	streams start together; the clock runs from their start until the
 *	last one ends.  Prints one line:
 *	    n=N cut=0|1 ok=N fail=N secs=S rate=R lat_med_ms=M lat_p99_ms=P
 *	    lat_max_ms=X cpu_ms=C maxrss_kb=K
 *	(n counts the deliveries made, fewer than asked when cut by -t; ok
 *	counts exit status 0; cpu_ms is the mean user + system time of
 *	one delivery, steadier than the rate on a busy machine; maxrss_kb
 *	is the largest child's peak RSS; both from wait4).  Exit 0 when every delivery exited 0, else 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- gen ---- */

static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return (x * 0x2545F4914F6CDD1DULL);
}

static const char *words[] = {
	"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
	"hotel", "india", "juliet", "kilo", "lima", "mike", "november",
	"oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform",
	"victor", "whiskey", "xray", "yankee", "zulu", "mailbox", "delivery",
	"message", "maildir", "lookup", "table", "virtual", "domain", "queue",
	"lock", "append", "fsync", "header", "body", "the", "a", "of", "and",
	"to", "in", "is", "it", "for", "on", "with", "as", "at", "by", "this",
	"that", "from", "be", "or", "an", "are", "was", "were", "will",
};
#define NWORDS	(sizeof(words) / sizeof(words[0]))

static int
gen(long long bytes, unsigned long long seed, const char *marker)
{
	char	line[128], end[128];
	long long left;
	size_t	len, w, want;
	int	n;

	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	n = printf("From: Bench Sender <sender@example.net>\n"
	    "To: Bench Recipient <rcpt@example.com>\n"
	    "Subject: bench message %llu %s\n"
	    "Date: Thu, 01 Jan 2026 00:00:00 +0000\n"
	    "Message-ID: <bench.%llu.%s@example.net>\n"
	    "X-Bench-Marker: %s\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=us-ascii\n\n",
	    seed, marker, seed, marker, marker);
	snprintf(end, sizeof(end), "END-MARKER %s\n", marker);
	left = bytes - n - (long long)strlen(end);
	while (left > 0) {
		len = 0;
		/* Lines of 60..76 bytes, or what is left. */
		want = 60 + (size_t)(rng() % 17);
		while (len < want) {
			w = rng() % NWORDS;
			n = snprintf(line + len, sizeof(line) - len, "%s%s",
			    len ? " " : "", words[w]);
			len += (size_t)n;
		}
		if ((long long)len + 1 > left)
			len = left > 1 ? (size_t)left - 1 : 0;
		while (len > 0 && line[len - 1] == ' ')
			len--;
		if (len == 0)
			line[len++] = 'z';
		line[len++] = '\n';
		fwrite(line, 1, len, stdout);
		left -= (long long)len;
	}
	fputs(end, stdout);
	return (fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1);
}

/* ---- run ---- */

#define MAX_STREAMS	64

struct shared {
	int	fail;
	int	done[MAX_STREAMS];	/* deliveries made, per stream */
	long	maxrss;
	long long cpu_us;	/* user + system time of all deliveries */
	double	lat[];		/* seconds, one per delivery */
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* s with every "@S@" replaced by the stream number (malloc'd). */
static char *
subst(const char *s, int stream)
{
	char	num[16], *out, *o;
	const char *p;
	size_t	k;

	snprintf(num, sizeof(num), "%d", stream);
	if ((out = malloc(strlen(s) * 2 + 32)) == NULL)
		exit(2);
	for (p = s, o = out; *p != '\0';) {
		if (strncmp(p, "@S@", 3) == 0) {
			k = strlen(num);
			memcpy(o, num, k);
			o += k;
			p += 3;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	return (out);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static void __attribute__((noreturn))
stream(struct shared *sh, int id, int first, int count, const char *input,
    int logfd, char **argv, int gate, double limit)
{
	char	**av, *in, c;
	struct rusage ru;
	double	t;
	pid_t	pid;
	int	i, st, fd, argc;

	for (argc = 0; argv[argc] != NULL; argc++)
		;
	if ((av = calloc((size_t)argc + 1, sizeof(*av))) == NULL)
		_exit(2);
	for (i = 0; i < argc; i++)
		av[i] = subst(argv[i], id);
	in = subst(input, id);
	/* Wait for the start signal: the write end closing. */
	while (read(gate, &c, 1) < 0 && errno == EINTR)
		;
	close(gate);
	limit = limit > 0 ? now() + limit : 0;
	for (i = 0; i < count; i++) {
		t = now();
		if (limit > 0 && t >= limit)
			break;
		if ((pid = fork()) < 0) {
			sh->lat[first + i] = now() - t;
			sh->done[id] = i + 1;
			__atomic_add_fetch(&sh->fail, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		if (pid == 0) {
			if ((fd = open(in, O_RDONLY)) < 0 || dup2(fd, 0) < 0 ||
			    dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
				_exit(126);
			close(fd);
			close(logfd);
			execvp(av[0], av);
			_exit(127);
		}
		while (wait4(pid, &st, 0, &ru) < 0)
			if (errno != EINTR)
				_exit(2);
		sh->lat[first + i] = now() - t;
		sh->done[id] = i + 1;
		__atomic_add_fetch(&sh->cpu_us, (long long)ru.ru_utime.tv_sec *
		    1000000 + ru.ru_utime.tv_usec + (long long)ru.ru_stime.tv_sec *
		    1000000 + ru.ru_stime.tv_usec, __ATOMIC_SEQ_CST);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			__atomic_add_fetch(&sh->fail, 1, __ATOMIC_SEQ_CST);
			dprintf(logfd, "driver: %s: %s %d\n", av[0],
			    WIFEXITED(st) ? "exit" : "signal",
			    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		}
		/* Several streams update it: compare and swap. */
		for (;;) {
			long	old = __atomic_load_n(&sh->maxrss,
			    __ATOMIC_SEQ_CST);

			if (ru.ru_maxrss <= old ||
			    __atomic_compare_exchange_n(&sh->maxrss, &old,
			    ru.ru_maxrss, 0, __ATOMIC_SEQ_CST,
			    __ATOMIC_SEQ_CST))
				break;
		}
	}
	_exit(0);
}

static int
drop_to(const char *spec)
{
	unsigned long uid, gid;
	char	*end;
	gid_t	g;

	uid = strtoul(spec, &end, 10);
	if (*end != ':')
		return (-1);
	gid = strtoul(end + 1, &end, 10);
	if (*end != '\0')
		return (-1);
	g = (gid_t)gid;
	if (setgroups(1, &g) < 0 || setresgid(g, g, g) < 0 ||
	    setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0)
		return (-1);
	return (0);
}

static int
run(int argc, char **argv)
{
	const char *input = NULL, *log = "/dev/null", *user = NULL;
	struct shared *sh;
	size_t	size;
	double	t0, secs, *lat, limit = 0;
	pid_t	*kids;
	int	n = 0, p = 1, i, j, c, gate[2], logfd, first, st, bad = 0;
	int	done = 0;

	optind = 1;
	while ((c = getopt(argc, argv, "+n:p:t:u:i:l:")) != -1) {
		switch (c) {
		case 't': limit = atof(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 'p': p = atoi(optarg); break;
		case 'u': user = optarg; break;
		case 'i': input = optarg; break;
		case 'l': log = optarg; break;
		default: return (2);
		}
	}
	argv += optind;
	argc -= optind;
	if (n <= 0 || p <= 0 || p > n || p > MAX_STREAMS || input == NULL ||
	    argc == 0) {
		fputs("usage: driver run -n N [-p P] [-t SECS] [-u UID:GID] "
		    "-i INPUT -l LOG -- PROG ARG...\n", stderr);
		return (2);
	}
	size = sizeof(*sh) + (size_t)n * sizeof(double);
	sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (sh == MAP_FAILED || (kids = calloc((size_t)p, sizeof(*kids))) ==
	    NULL || (lat = malloc((size_t)n * sizeof(double))) == NULL) {
		perror("driver");
		return (2);
	}
	if ((logfd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) < 0) {
		perror(log);
		return (2);
	}
	if (user != NULL && drop_to(user) < 0) {
		perror("driver: cannot switch to the -u uid:gid");
		return (2);
	}
	if (pipe2(gate, O_CLOEXEC) < 0) {
		perror("driver: pipe");
		return (2);
	}
	for (i = 0, first = 0; i < p; i++) {
		int	count = n / p + (i < n % p);

		if ((kids[i] = fork()) < 0) {
			perror("driver: fork");
			return (2);
		}
		if (kids[i] == 0) {
			close(gate[1]);
			stream(sh, i, first, count, input, logfd, argv,
			    gate[0], limit);
		}
		first += count;
	}
	close(gate[0]);
	usleep(20000);		/* let every stream reach the gate */
	t0 = now();
	close(gate[1]);
	for (i = 0; i < p; i++) {
		while (waitpid(kids[i], &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	}
	secs = now() - t0;
	/* The latencies of the deliveries made, stream by stream. */
	for (i = 0, first = 0; i < p; i++) {
		for (j = 0; j < sh->done[i]; j++)
			lat[done++] = sh->lat[first + j];
		first += n / p + (i < n % p);
	}
	if (done == 0) {
		printf("n=0 cut=1 ok=0 fail=0 secs=%.4f rate=0\n", secs);
		return (1);
	}
	qsort(lat, (size_t)done, sizeof(double), cmp_double);
	printf("n=%d cut=%d ok=%d fail=%d secs=%.4f rate=%.1f lat_med_ms=%.2f "
	    "lat_p99_ms=%.2f lat_max_ms=%.2f cpu_ms=%.3f maxrss_kb=%ld\n",
	    done, done < n, done - sh->fail, sh->fail, secs, done / secs,
	    lat[done / 2] * 1e3, lat[(done * 99) / 100] * 1e3,
	    lat[done - 1] * 1e3, (double)sh->cpu_us / 1e3 / done, sh->maxrss);
	return (sh->fail == 0 && !bad ? 0 : 1);
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "gen") == 0)
		return (gen(atoll(argv[2]), strtoull(argv[3], NULL, 10),
		    argv[4]));
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return (run(argc - 1, argv + 1));
	fputs("usage: driver gen BYTES SEED MARKER | driver run ...\n", stderr);
	return (2);
}
