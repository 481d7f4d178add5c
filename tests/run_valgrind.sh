#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_valgrind.sh - a selection of black-box suites with every vdeliver
# and vmap run under memcheck (tests/lib.sh, VALGRIND=1): any memcheck
# error or definite leak fails the suite it happens in.  The selection
# (VG_SUITES, default: exit vmap deliver maildir) covers every exit-code
# row, every map type vmap builds and queries, and both formats; make
# check-valgrind runs all black-box suites that way.  Not for the sanitizer
# build (ASan binaries do not run under memcheck).
. "$(dirname "$0")/lib.sh"
t_begin valgrind

if [ "${VALGRIND:-}" = 1 ]; then
	skip "valgrind: this run is already under memcheck"
	t_end; exit $?
fi
case $BUILD in
*san*)
	skip "valgrind: not for the sanitizer build (ASan and memcheck exclude each other)"
	t_end; exit $? ;;
esac
if ! command -v valgrind >/dev/null 2>&1; then
	skip "valgrind: not installed (make deps installs it)"
	t_end; exit $?
fi

for s in ${VG_SUITES:-exit vmap deliver maildir}; do
	VALGRIND=1 BUILD="$BUILD" sh "$TOP/tests/run_$s.sh" >"$T_DIR/$s.log" 2>&1
	rc=$?
	sum=$(grep "^$s: [0-9]* passed" "$T_DIR/$s.log" | tail -n 1)
	reports=$(grep -c '^valgrind report' "$T_DIR/$s.log")
	if [ "$rc" = 0 ] && [ -n "$sum" ] && [ "$reports" = 0 ]; then
		pass "run_$s.sh under memcheck: ${sum#*: }, no memcheck report"
	else
		fail "run_$s.sh under memcheck: exit $rc, ${sum:-no summary}, $reports memcheck report(s)"
		grep -v '^ok ' "$T_DIR/$s.log" | tail -n 60 | sed 's/^/     /'
	fi
done
t_end
