#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_fuzz.sh - the bounded libFuzzer run of make check: builds every
# tests/fuzz_*.c with clang (ASan + UBSan, also for SANITIZE=1 builds: the
# targets are compiled from the sources, not from $BUILD's objects) and
# runs each for FUZZ_SECONDS (20) from its seed corpus (tests/fuzz.sh
# short).  One pass per target that ran clean, with its executions; a
# crash, sanitizer report, leak or timeout is a failure showing the stack
# and the reproducer.  Longer runs: make fuzz.
. "$(dirname "$0")/lib.sh"
t_begin fuzz

if [ "${VALGRIND:-}" = 1 ]; then
	# The targets are ASan binaries; memcheck is for vdeliver and vmap.
	skip "fuzz: not run under VALGRIND=1 (ASan targets; see make check)"
	t_end; exit $?
fi
if ! command -v clang >/dev/null 2>&1; then
	skip "fuzz: clang is not installed (make deps installs clang and libclang-rt-14-dev)"
	t_end; exit $?
fi
# clang without its libFuzzer runtime (libclang-rt-14-dev) cannot link.
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ return (0); }\n' \
    >"$T_DIR/probe.c"
if ! clang -fsanitize=fuzzer -o "$T_DIR/probe" "$T_DIR/probe.c" \
    >"$T_DIR/probe.log" 2>&1; then
	skip "fuzz: clang cannot link libFuzzer targets (make deps installs libclang-rt-14-dev): $(head -n 1 "$T_DIR/probe.log")"
	t_end; exit $?
fi

FUZZ_SECONDS=${FUZZ_SECONDS:-20} sh "$TOP/tests/fuzz.sh" short \
    >"$T_DIR/fuzz.log" 2>&1
rc=$?
while IFS= read -r line; do
	case $line in
	"PASS "*) pass "${line#PASS }" ;;
	"FAIL "*) fail "${line#FAIL }" ;;
	"SKIP "*) skip "${line#SKIP }" ;;
	*) echo "     $line" ;;
	esac
done <"$T_DIR/fuzz.log"
if [ $rc != 0 ] && [ "$T_FAIL" = 0 ]; then
	fail "fuzz.sh exited $rc"
fi
t_end
