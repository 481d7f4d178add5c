/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_regexp.c - libFuzzer target for the regexp map: each input is
 * written to a temporary file, opened (the first byte chooses the open
 * flags), looked up with a few keys and closed.  Any crash, sanitizer
 * report or leak is a bug; so is a lookup error, since only regexec can
 * fail and it has no reason to on these keys.  Built and run by
 * tests/fuzz.sh (make check runs it briefly, make fuzz for longer); by hand:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Iinclude tests/fuzz_regexp.c src/map_regexp.c src/status.c \
 *       src/log.c -o build/fuzz_regexp
 *   build/fuzz_regexp -max_total_time=30 NEWDIR tests/fuzz-corpus/regexp
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map.h"
#include "status.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_path[64];
static int fuzz_fd = -1;

/* One scratch file, unlinked at once and reopened through /proc. */
static void
fuzz_setup(void)
{
	char	tmpl[] = "/tmp/vdfuzz.XXXXXX";

	if ((fuzz_fd = mkstemp(tmpl)) < 0 || unlink(tmpl) < 0)
		abort();
	snprintf(fuzz_path, sizeof(fuzz_path), "/proc/self/fd/%d", fuzz_fd);
}

/*
 * glibc's regcomp() copies the subexpression of every '+' and {m,n}
 * (x+ becomes xx*), so stacked or nested ones grow the compiled pattern
 * exponentially: "x++++...", "((x+)+)+...", "(x{1,9}){1,9}{1,9}..." take
 * minutes and gigabytes.  That is reported against map_regexp.c (it takes
 * such patterns as they are); inputs that could do it are skipped here so
 * that the runs look at the map's own parser instead of timing out.
 */
static int
fuzz_regcomp_bomb(const uint8_t *data, size_t size)
{
	size_t	i, plus = 0, intervals = 0, digits = 0;

	for (i = 0; i < size; i++) {
		if (data[i] == '+')
			plus++;
		else if (data[i] == '{' && (i == 0 || data[i - 1] != '$'))
			intervals++;
		if (data[i] >= '0' && data[i] <= '9') {
			if (++digits > 2 && intervals > 0)
				return (1);
		} else
			digits = 0;
	}
	return (plus > 10 || intervals > 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {
		"user@example.com", "", "a\nb", "IF", "ab+c@x.y", "(a)/$1",
	};
	struct dstatus why;
	struct map *m;
	char	*value;
	size_t	i;
	int	flags = 0;

	if (fuzz_regcomp_bomb(data, size))
		return (0);
	if (fuzz_fd < 0)
		fuzz_setup();
	if (size > 0) {
		flags = (data[0] & 1) ? MAP_OPEN_NOSUBST : 0;
		data++;
		size--;
	}
	if (ftruncate(fuzz_fd, 0) < 0 ||
	    pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
		abort();
	/* The file exists and is readable: open must succeed. */
	if ((m = map_regexp_ops.open(fuzz_path, flags, &why)) == NULL)
		abort();
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		switch (map_regexp_ops.lookup(m, keys[i], &value, &why)) {
		case MAP_FOUND:
			if (value == NULL)
				abort();
			free(value);
			break;
		case MAP_NOTFOUND:
			if (value != NULL)
				abort();
			break;
		default:
			abort();
		}
	}
	map_regexp_ops.close(m);
	return (0);
}
