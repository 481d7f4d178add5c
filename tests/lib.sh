# SPDX-License-Identifier: BSD-2-Clause
# lib.sh - shared helpers for the black-box suites (sourced, POSIX sh).
#
# Each suite: . "$(dirname "$0")/lib.sh"; t_begin NAME; ...; t_end
# Assertions count passes and failures; t_end prints the closing line
# "N passed, N failed, N skipped" and exits non-zero on any failure.

: "${BUILD:=build}"
TOP=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in
/*) BUILD_DIR=$BUILD ;;
*) BUILD_DIR=$TOP/$BUILD ;;
esac
VDELIVER="$BUILD_DIR/vdeliver"
VMAP="$BUILD_DIR/vmap"
T_PASS=0
T_FAIL=0
T_SKIP=0
T_NAME=unnamed

t_begin() {
	T_NAME=$1
	T_DIR=$(mktemp -d "/tmp/vdtest.$1.XXXXXX")
	chmod 0755 "$T_DIR"
	trap 't_cleanup' EXIT
	# a suite interrupted by a signal still runs its EXIT trap
	trap 'exit 130' INT TERM HUP
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

# --- vdeliver core suites (run_deliver, run_mbox, run_maildir, ...) ---
# Real uids used by the suites; no passwd entries are needed.
VD_U1=5001
VD_U2=5002

# run_vd_as UID[:GID] ARGS... < input : run_vd as another user (setpriv,
# supplementary groups cleared); sets RC, OUT, ERR, ERR1.
run_vd_as() {
	_u=${1%%:*}; _g=${1#*:}; shift
	setpriv --reuid="$_u" --regid="$_g" --clear-groups \
	    "$VDELIVER" "$@" >"$T_DIR/.out" 2>"$T_DIR/.err"
	RC=$?
	OUT=$(cat "$T_DIR/.out")
	ERR=$(cat "$T_DIR/.err")
	ERR1=$(head -n 1 "$T_DIR/.err")
}

# run_as UID[:GID] CMD... : run any command as another user.
run_as() {
	_u=${1%%:*}; _g=${1#*:}; shift
	setpriv --reuid="$_u" --regid="$_g" --clear-groups "$@"
}

# vd_init : standard sandbox in $T_DIR.  base/ (0755, owned by 5001 so that
# uid 5001 recipients can create their directories), base/u5002/ owned by
# 5002, texthash maps vmailbox/uids/gids (empty: tests append lines), and
# vd.conf (see vd_conf).  vd ARGS runs the binary with -c vd.conf.
vd_init() {
	rm -rf "$T_DIR/base"
	mkdir -p "$T_DIR/base/u5002"
	chown "$VD_U1:$VD_U1" "$T_DIR/base"
	chown "$VD_U2:$VD_U2" "$T_DIR/base/u5002"
	chmod 0755 "$T_DIR/base" "$T_DIR/base/u5002"
	: >"$T_DIR/vmailbox"
	: >"$T_DIR/uids"
	: >"$T_DIR/gids"
	chmod 0644 "$T_DIR/vmailbox" "$T_DIR/uids" "$T_DIR/gids"
	vd_conf
}

# vd_conf ["name = value"]... : write $T_DIR/vd.conf, the standard
# settings followed by the given lines (the last definition wins).
vd_conf() {
	{
		echo "virtual_mailbox_base = $T_DIR/base"
		echo "virtual_mailbox_maps = texthash:$T_DIR/vmailbox"
		echo "virtual_uid_maps = texthash:$T_DIR/uids"
		echo "virtual_gid_maps = texthash:$T_DIR/gids"
		echo "maillog_file = $T_DIR/maillog"
		for _l in "$@"; do echo "$_l"; done
	} >"$T_DIR/vd.conf"
	chmod 0644 "$T_DIR/vd.conf"
}

# vd_user ADDR PATH UID [GID] : add a recipient to the standard maps.
vd_user() {
	echo "$1 $2" >>"$T_DIR/vmailbox"
	echo "$1 $3" >>"$T_DIR/uids"
	echo "$1 ${4:-$3}" >>"$T_DIR/gids"
}

vd() { run_vd -c "$T_DIR/vd.conf" "$@"; }

# piped FILE : $T_DIR/fifo, a named pipe that a background cat feeds with
# FILE, for "... <"$T_DIR/fifo"; wait": standard input that is a pipe,
# so spooled (a regular file is read in place), with the caller's $RC.
piped() {
	rm -f "$T_DIR/fifo"
	mkfifo "$T_DIR/fifo" || exit 1
	cat "$1" >"$T_DIR/fifo" 2>/dev/null &
}
vd_as() { _who=$1; shift; run_vd_as "$_who" -c "$T_DIR/vd.conf" "$@"; }

# tree_sig DIR : names, types, modes, owners and file checksums below DIR
# (to prove that a failed delivery changed nothing).
tree_sig() {
	(cd "$1" 2>/dev/null && find . -printf '%p %y %m %U:%G\n' | LC_ALL=C sort &&
	    find . -type f -exec md5sum {} + | LC_ALL=C sort)
}

# count_files DIR : number of entries in DIR (0 when missing).
count_files() {
	if [ -d "$1" ]; then ls -A "$1" | wc -l | tr -d ' '; else echo 0; fi
}

# The mbox From_ line: "From SENDER  Www Mmm dd hh:mm:ss yyyy".
FROM_DATE_RE='  [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}$'
# A maildir new/ file name.
MAILDIR_NEW_RE='^[0-9]+\.M[0-9]+P[0-9]+V[0-9a-f]+I[0-9a-f]+\..+,S=[0-9]+$'

# re_quote TEXT : TEXT with grep -E metacharacters escaped.
re_quote() { printf '%s' "$1" | sed 's/[].[^$*+?(){}|\\/]/\\&/g'; }

# holdlock_build : compile tests/data/holdlock.c into $T_DIR/holdlock.
holdlock_build() {
	[ -x "$T_DIR/holdlock" ] ||
	    ${CC:-cc} -o "$T_DIR/holdlock" "$TOP/tests/data/holdlock.c"
}

# hold_lock fcntl|flock FILE SECONDS : hold a lock in the background until
# it is taken (HOLD_PID is the holder's pid).
hold_lock() {
	holdlock_build || return 1
	rm -f "$T_DIR/.locked"
	"$T_DIR/holdlock" "$1" "$2" "$3" "$T_DIR/.locked" &
	HOLD_PID=$!
	_n=0
	while [ ! -e "$T_DIR/.locked" ] && [ $_n -lt 100 ]; do
		sleep 0.05; _n=$((_n + 1))
	done
	[ -e "$T_DIR/.locked" ]
}

# db_make hash|btree FILE.db [nul] < "key value" lines : a Berkeley DB
# file as postmap writes it (keys and values NUL-terminated with nul).
db_make() {
	_t=$1 _db=$2 _z=
	[ "${3:-}" = nul ] && _z='\\00'
	rm -f "$_db"
	awk -v z="$_z" '{ k = $1; $1 = ""; sub(/^ +/, ""); print k z; print $0 z }' |
	    db5.3_load -T -t "$_t" "$_db"
}

# need_root : skip the rest of a suite when not root.
need_root() {
	if ! is_root; then
		skip "$T_NAME: needs root (real uids $VD_U1/$VD_U2)"
		t_end
		exit $?
	fi
}
# --- end of vdeliver core helpers ---

# --- valgrind mode (make check-valgrind: VALGRIND=1) ---
# $VDELIVER and $VMAP become wrapper scripts, in a private directory, that
# exec the real binaries under memcheck.  A memcheck error or a definite
# leak makes the binary exit 99 instead of its own status, so the suite's
# exit status assertions fail; the binary's own status is kept otherwise.
# The reports go to log files (stderr stays the program's own, for the
# stderr assertions); when the suite ends they are printed and any report
# is one more failure (see t_cleanup below).  The real
# binaries stay in $VDELIVER_REAL and $VMAP_REAL: a suite that copies the
# binary or makes it set-uid must use those (a set-uid script does not
# work); run_privs.sh builds its own set-uid copy.  Under VALGRIND=1 the
# EXIT trap of t_begin also runs vg_report and removes the wrappers.
VDELIVER_REAL=$VDELIVER
VMAP_REAL=$VMAP
export VDELIVER_REAL VMAP_REAL
if [ "${VALGRIND:-}" = 1 ]; then
	VG_DIR=$(mktemp -d /tmp/vdvalgrind.XXXXXX) || exit 1
	# Readable by the uids that run_vd_as uses; logs writable by them.
	chmod 0755 "$VG_DIR"
	mkdir -m 1777 "$VG_DIR/log"
	for _b in vdeliver vmap; do
		{
			echo "#!/bin/sh"
			echo "vg_dir='$VG_DIR' real='$BUILD_DIR/$_b'" \
			    "supp='$TOP/tests/valgrind.supp'"
			cat <<'VGEOF'
# memcheck keeps two unlinked files in ${TMPDIR:-/tmp} (the client's
# /proc/self/cmdline and auxv) and cannot start without them.  Where a
# suite made TMPDIR unusable on purpose (run_diskfull), run unchecked.
if [ -n "${TMPDIR:-}" ]; then
	_p1=$(mktemp "$TMPDIR/.vgprobe.XXXXXX" 2>/dev/null)
	_p2=$(mktemp "$TMPDIR/.vgprobe.XXXXXX" 2>/dev/null)
	rm -f ${_p1:+"$_p1"} ${_p2:+"$_p2"}
	if [ -z "$_p1" ] || [ -z "$_p2" ]; then
		echo "${real##*/} $*: TMPDIR=$TMPDIR unusable" \
		    >>"$vg_dir/log/unchecked.txt"
		exec "$real" "$@"
	fi
fi
exec valgrind --quiet --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite,possible \
    --track-fds=no --trace-children=no --vgdb=no --suppressions="$supp" \
    --log-file="$vg_dir/log/${real##*/}.%p" "$real" "$@"
VGEOF
		} >"$VG_DIR/$_b"
		chmod 0755 "$VG_DIR/$_b"
	done
	VDELIVER=$VG_DIR/vdeliver
	VMAP=$VG_DIR/vmap
	# Each run costs about a second of memcheck start-up: the stress
	# suites keep their concurrency but send fewer messages.
	: "${VD_CONC_N:=4}"
	export VD_CONC_N
	# vg_report : print every memcheck report written so far, once;
	# VG_REPORTS counts them.
	VG_REPORTS=0
	vg_report() {
		if [ -s "$VG_DIR/log/unchecked.txt" ]; then
			echo "note: not under valgrind (it needs TMPDIR):"
			sed 's/^/    /' "$VG_DIR/log/unchecked.txt"
			rm -f "$VG_DIR/log/unchecked.txt"
		fi
		for _f in "$VG_DIR"/log/*; do
			[ -s "$_f" ] || continue
			VG_REPORTS=$((VG_REPORTS + 1))
			echo "valgrind report ($T_NAME, ${_f##*/}):"
			sed 's/^/    /' "$_f"
			: >"$_f"
		done
	}
	# A report from a process whose exit status nobody checks (a
	# per-recipient child reports through a pipe) still fails the suite:
	# one more failure, a corrected closing line, a non-zero exit.
	t_cleanup() {
		_rc=$?
		vg_report
		rm -rf "$VG_DIR"
		[ -n "${T_KEEP:-}" ] || rm -rf "$T_DIR"
		if [ "$VG_REPORTS" != 0 ]; then
			fail "valgrind: $VG_REPORTS memcheck report(s) above"
			echo "$T_NAME: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
			exit 1
		fi
		exit $_rc
	}
fi
# --- end of valgrind mode ---
