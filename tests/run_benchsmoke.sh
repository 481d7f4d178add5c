#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_benchsmoke.sh - benchsmoke: the "make bench" harness works.  Runs
# tests/bench.sh in smoke mode (a handful of deliveries per row, < 20 s)
# and checks, row by row, that every delivery landed whole in its
# mailbox (the bench counts messages and their end markers, and checks
# the shared mbox for interleaving).  Speed is not judged here.  Rows
# whose agent is not installed (peers) are skipped.
. "$(dirname "$0")/lib.sh"
t_begin benchsmoke

BENCH_DIR=$T_DIR/bench BENCH_RESULTS=$T_DIR/results.txt \
    sh "$TOP/tests/bench.sh" "$BUILD_DIR" smoke >"$T_DIR/out" 2>&1
RC=$?
assert_eq "bench.sh smoke exit status" 0 "$RC"
[ "$RC" = 0 ] || tail -n 30 "$T_DIR/out"

if [ -f "$T_DIR/results.txt" ]; then
	pass "results file written"
else
	fail "results file written"
fi
if [ -e "$T_DIR/bench" ]; then
	fail "bench work directory removed"
else
	pass "bench work directory removed"
fi

# One line per row of the table: "ok ROW", "na ROW" or "bad ROW".
awk '
	/^-+$/ { table = 1; next }
	table && /^ratio:/ { exit }
	table && NF > 0 {
		row = substr($0, 1, 51)
		sub(/ +$/, "", row)
		gsub(/ +/, " ", row)
		if ($0 ~ /n\/a \(/) { print "na " row; next }
		landed = ""
		for (i = NF; i > 0; i--)
			if ($i ~ /^[0-9]+\/[0-9]+$/) { landed = $i; break }
		split(landed, a, "/")
		if (landed != "" && a[1] == a[2] && a[1] > 0 && $0 !~ /LOST/)
			print "ok " row
		else
			print "bad " row
	}' "$T_DIR/out" >"$T_DIR/rows"

while read -r what row; do
	case $what in
	ok) pass "$row: every delivery landed" ;;
	na) skip "$row: agent not available" ;;
	*) fail "$row: deliveries lost or torn" ;;
	esac
done <"$T_DIR/rows"

# The rows that must always run: the floor and vdeliver itself.
for row in "4K seq maildir floor" "4K seq maildir vdeliver static" \
    "4K seq mbox vdeliver static" "4K par8 shared mbox vdeliver static" \
    "1M one maildir vdeliver static"; do
	if grep -q "^ok $row" "$T_DIR/rows"; then
		pass "row present: $row"
	else
		fail "row present: $row"
	fi
done
t_end
