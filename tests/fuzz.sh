#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# fuzz.sh [short|long|build] [NAME...] - build the libFuzzer targets
# tests/fuzz_*.c with clang (ASan + UBSan + libFuzzer) and run each.
#
#   short   a bounded run for make check: FUZZ_SECONDS (20) per target,
#           starting from the seed corpus tests/fuzz-corpus/NAME/; what the
#           run finds goes to a scratch corpus that is deleted afterwards.
#   long    make fuzz: FUZZ_SECONDS (300) per target; the corpus it grows
#           is kept in $BUILD/fuzz/corpus/NAME/ for the next long run (the
#           seeds in the repository are never written).
#   build   only build.
#
# NAMEs (conf, message, ...) pick targets; default all.  The library
# sources are compiled once into $BUILD/fuzz/ with the fuzzer's
# instrumentation; each target links against them.  A target can ask for
# extra link flags with a "fuzz-ldflags: ..." line in its source.
# Targets run FUZZ_JOBS (nproc) at a time.  One result line per target:
#   PASS fuzz_NAME: N executions in S s
#   FAIL fuzz_NAME: <what>, reproducer <file>   (followed by the report)
# Exit status: 0 when every target ran clean.  Crash reproducers are kept
# in $BUILD/fuzz/artifacts/; rerun one with: $BUILD/fuzz/fuzz_NAME FILE
: "${BUILD:=build}"
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
case $BUILD in
/*) FDIR=$BUILD/fuzz ;;
*) FDIR=$TOP/$BUILD/fuzz ;;
esac
mode=${1:-short}
[ $# -gt 0 ] && shift
case $mode in
short) secs=${FUZZ_SECONDS:-20} ;;
long) secs=${FUZZ_SECONDS:-300} ;;
build) secs=0 ;;
*) echo "usage: fuzz.sh [short|long|build] [NAME...]" >&2; exit 2 ;;
esac
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
CC=${FUZZ_CC:-clang}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE -Iinclude \
    -DVDELIVER_VERSION=\"fuzz\" -DSYSCONFDIR=\"/etc\" -Wall -Wextra"

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "SKIP fuzz: $CC is not installed (make deps installs clang)"
	exit 0
fi
mkdir -p "$FDIR/obj" "$FDIR/artifacts" "$FDIR/logs" || exit 1

# --- the library: every module but the mains and the MySQL backend (no
# server here; map.c registers it only under HAVE_MYSQL)
build_lib() {
	newest_h=$(ls -t include/*.h src/*.h | head -n 1)
	objs="" pids=""
	for src in src/*.c; do
		case $src in
		src/main.c | src/vmap.c | src/map_mysql*) continue ;;
		esac
		o=$FDIR/obj/$(basename "$src" .c).o
		objs="$objs $o"
		if [ -f "$o" ] && [ "$o" -nt "$src" ] && [ "$o" -nt "$newest_h" ]
		then continue; fi
		$CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c -o "$o" "$src" &
		pids="$pids $!"
		set -- $pids
		if [ $# -ge "$jobs" ]; then wait $1; pids=${pids#* $1}; fi
	done
	rc=0
	for p in $pids; do wait "$p" || rc=1; done
	[ $rc = 0 ] || return 1
	for o in $objs; do [ -f "$o" ] || return 1; done
	rm -f "$FDIR/libvdfuzz.a"
	ar rcs "$FDIR/libvdfuzz.a" $objs
}

build_target() {	# build_target NAME
	src=tests/fuzz_$1.c
	ld=$(sed -n 's/.*fuzz-ldflags: *//p' "$src" | head -n 1)
	$CC $CFLAGS $SAN -fsanitize=fuzzer -o "$FDIR/fuzz_$1" "$src" \
	    "$FDIR/libvdfuzz.a" $ld -ldb
}

targets=""
if [ $# -gt 0 ]; then
	for n in "$@"; do targets="$targets ${n#fuzz_}"; done
else
	for f in tests/fuzz_*.c; do
		n=$(basename "$f" .c); targets="$targets ${n#fuzz_}"
	done
fi

echo "fuzz: building in $FDIR"
if ! build_lib; then
	echo "FAIL fuzz: cannot compile the library with $CC"
	exit 1
fi
failed=0 ok=""
for t in $targets; do
	if [ ! -f "tests/fuzz_$t.c" ]; then
		echo "FAIL fuzz_$t: no tests/fuzz_$t.c"; failed=1; continue
	fi
	if build_target "$t" >"$FDIR/logs/$t.build" 2>&1; then
		ok="$ok $t"
	else
		echo "FAIL fuzz_$t: does not build"
		cat "$FDIR/logs/$t.build"
		failed=1
	fi
done
[ "$mode" = build ] && exit $failed

# --- running
run_target() {	# run_target NAME : writes $FDIR/logs/NAME.log and .result
	t=$1
	rm -f "$FDIR/logs/$t.result"
	if [ "$mode" = long ]; then
		corpus=$FDIR/corpus/$t
	else
		corpus=$FDIR/scratch/$t
		rm -rf "$corpus"
	fi
	mkdir -p "$corpus" "$FDIR/tmp"
	seeds=tests/fuzz-corpus/$t
	[ -d "$seeds" ] || seeds=
	start=$(date +%s)
	# New inputs go to the first directory only, never to the seeds.
	TMPDIR=$FDIR/tmp "$FDIR/fuzz_$t" -max_total_time="$secs" \
	    -timeout="${FUZZ_TIMEOUT:-25}" -print_final_stats=1 \
	    -artifact_prefix="$FDIR/artifacts/$t-" $FUZZ_FLAGS \
	    "$corpus" $seeds >"$FDIR/logs/$t.log" 2>&1
	rc=$?
	el=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$FDIR/logs/$t.log" | tail -n 1)
	if [ $rc = 0 ] && [ -n "$execs" ]; then
		echo "PASS fuzz_$t: ${execs} executions in $el s" \
		    >"$FDIR/logs/$t.result"
	else
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' \
		    "$FDIR/logs/$t.log" | tail -n 1)
		what=$(grep -m 1 -E '^==[0-9]+== *ERROR|runtime error|ALARM' \
		    "$FDIR/logs/$t.log" | sed 's/^==[0-9]*== *//')
		echo "FAIL fuzz_$t: exit $rc after $el s: ${what:-see log}${art:+, reproducer $art}" \
		    >"$FDIR/logs/$t.result"
	fi
	[ "$mode" = long ] || rm -rf "$corpus"
}

# A pool of $jobs runs: start the next target as soon as one ends.
running=""
for t in $ok; do
	while :; do
		still=""
		for p in $running; do
			kill -0 "$p" 2>/dev/null && still="$still $p"
		done
		running=$still
		set -- $running
		[ $# -lt "$jobs" ] && break
		sleep 1
	done
	run_target "$t" &
	running="$running $!"
done
wait
for t in $ok; do
	cat "$FDIR/logs/$t.result"
	case $(cat "$FDIR/logs/$t.result") in
	PASS*) continue ;;
	esac
	failed=1
	# The report: the sanitizer's stack and the reproducer, also as
	# base64 so that a CI log alone is enough to replay it.
	sed -n '/^==[0-9]*== *ERROR\|runtime error\|ALARM/,/^SUMMARY\|Test unit written/p' \
	    "$FDIR/logs/$t.log" | head -n 60
	art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' \
	    "$FDIR/logs/$t.log" | tail -n 1)
	if [ -n "$art" ] && [ -f "$art" ] &&
	    [ "$(wc -c <"$art")" -le 8192 ]; then
		echo "reproducer (base64 -d >FILE; $FDIR/fuzz_$t FILE):"
		base64 "$art"
	fi
done
rm -rf "$FDIR/scratch" "$FDIR/tmp"
exit $failed
