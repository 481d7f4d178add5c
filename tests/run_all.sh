#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_all.sh [unit|blackbox] - run the check suites and the black-box
# suites, print one closing line with the totals, exit non-zero on any
# failure.
: "${BUILD:=build}"
cd "$(dirname "$0")/.." || exit 1
what=${1:-all}
pass=0 fail=0 skip=0 suites_failed=""
log=$(mktemp)

count() {	# add the numbers of the suite output in $log
	p=$(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$log" | tail -1)
	s=$(sed -n 's/.*failed, \([0-9]*\) skipped.*/\1/p' "$log" | tail -1)
	if [ -z "$p" ]; then	# check's summary line
		c=$(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$log" | tail -1)
		set -- $c
		if [ $# = 3 ]; then p=$(($1 - $2 - $3)); f=$(($2 + $3)); fi
	fi
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0})); skip=$((skip + ${s:-0}))
}

run() {		# run NAME CMD...
	name=$1; shift
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	count
	if [ $rc != 0 ]; then
		suites_failed="$suites_failed $name"
		grep -q 'passed\|Checks:' "$log" || fail=$((fail + 1))
	fi
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$BUILD"/check_*; do
		[ -x "$t" ] || continue
		run "$(basename "$t")" env CK_FORK=yes "$t"
	done
fi
if [ "$what" = all ] || [ "$what" = blackbox ]; then
	for t in tests/run_*.sh; do
		[ "$t" = tests/run_all.sh ] && continue
		run "$(basename "$t" .sh)" env BUILD="$BUILD" sh "$t"
	done
fi
rm -f "$log"
[ -n "$suites_failed" ] && echo "failed suites:$suites_failed"
echo "total: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] && [ -z "$suites_failed" ]
