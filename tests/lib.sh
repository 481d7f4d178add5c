# SPDX-License-Identifier: BSD-2-Clause
# lib.sh - shared helpers for the black-box suites (sourced, POSIX sh).
#
# Each suite: . "$(dirname "$0")/lib.sh"; t_begin NAME; ...; t_end
# Assertions count passes and failures; t_end prints the closing line
# "N passed, N failed, N skipped" and exits non-zero on any failure.

: "${BUILD:=build}"
TOP=$(cd "$(dirname "$0")/.." && pwd)
VDELIVER="$TOP/$BUILD/vdeliver"
VMAP="$TOP/$BUILD/vmap"
T_PASS=0
T_FAIL=0
T_SKIP=0
T_NAME=unnamed

t_begin() {
	T_NAME=$1
	T_DIR=$(mktemp -d "/tmp/vdtest.$1.XXXXXX")
	chmod 0755 "$T_DIR"
	trap 't_cleanup' EXIT
	echo "== $T_NAME"
}

t_cleanup() {
	[ -n "${T_KEEP:-}" ] || rm -rf "$T_DIR"
}

pass() { T_PASS=$((T_PASS + 1)); [ -z "${T_QUIET:-}" ] && echo "ok   $*"; :; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL $*"; }
skip() { T_SKIP=$((T_SKIP + 1)); echo "SKIP $*"; }

is_root() { [ "$(id -u)" = 0 ]; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else
		fail "$1: expected [$2], got [$3]"; fi
}

# assert_match WHAT PATTERN(grep -E) TEXT
assert_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then pass "$1"; else
		fail "$1: [$3] does not match /$2/"; fi
}

# assert_files_equal WHAT EXPECTED_FILE ACTUAL_FILE
assert_files_equal() {
	if cmp -s "$2" "$3"; then pass "$1"; else
		fail "$1: $3 differs from $2"
		diff "$2" "$3" | head -20
	fi
}

# run_vd ARGS... < input : sets RC, OUT (stdout), ERR (stderr), ERR1
# (first stderr line).
run_vd() {
	"$VDELIVER" "$@" >"$T_DIR/.out" 2>"$T_DIR/.err"
	RC=$?
	OUT=$(cat "$T_DIR/.out")
	ERR=$(cat "$T_DIR/.err")
	ERR1=$(head -n 1 "$T_DIR/.err")
}

# expect_status WHAT EXIT DSN : checks RC and that stderr starts with DSN
expect_status() {
	if [ "$RC" = "$2" ]; then pass "$1: exit $2"; else
		fail "$1: exit $RC, expected $2 (stderr: $ERR)"; fi
	if [ "$2" = 0 ]; then
		assert_eq "$1: no stderr" "" "$ERR"
	else
		case "$ERR1" in
		"$3 "*) pass "$1: dsn $3" ;;
		*) fail "$1: first stderr line [$ERR1] is not dsn $3" ;;
		esac
	fi
}

file_mode() { stat -c %a "$1"; }
file_owner() { stat -c %u:%g "$1"; }

t_end() {
	echo "$T_NAME: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	[ "$T_FAIL" = 0 ]
}
