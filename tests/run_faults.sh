#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_faults.sh - I/O errors and lock peers from the real world.
#
# 1. I/O errors that no real file system produces on demand (EIO from
#    write, fsync, close, link, ...) are injected by an LD_PRELOAD shim,
#    tests/faultshim.c, built here into $T_DIR.  It fails the chosen call
#    only for files below the given paths (the mailbox, or the spool), so
#    the configuration, maps and log are untouched.  Every case checks
#    that the fault really fired, that vdeliver defers (4.x.x, exit 75;
#    5.2.2 for EDQUOT/EFBIG), and that nothing is half-written: the mbox
#    byte-identical, the maildir's tmp/ and new/ as they were.  Named
#    cases first, then a sweep: for each kind of call, its 1st, 2nd, ...
#    call below the base fails, one per delivery, until none is left, so
#    every call the code makes is covered in whatever order it makes them.
# 2. Lock contention with real peers: dotlockfile(1) (liblockfile-bin),
#    flock(1) (util-linux), python3 fcntl.lockf (or perl File::FcntlLock):
#    vdeliver waits, defers 4.2.0 after its attempts, delivers as soon as
#    the peer lets go (the wait is printed), and breaks dotlocks whose
#    ctime is older than stale_lock_time.
# (ENOSPC, EDQUOT and EFBIG from real file systems: run_diskfull.sh.)
. "$(dirname "$0")/lib.sh"
t_begin faults
need_root
PEERS="" vdpid=""
faults_cleanup() {
	for _p in $PEERS $vdpid; do kill "$_p" 2>/dev/null; done
	t_cleanup
}
trap faults_cleanup EXIT
trap 'exit 130' INT TERM HUP

B=$T_DIR/base
vd_init
BR=$(cd "$B" && pwd -P)
vd_user mb@example.com example.com/mb 5001
vd_user md@example.com example.com/md/ 5001
vd_user md9@example.com example.com/md9/ 5001
vd_user nmd@example.com example.com/new/md/ 5001
vd_user u2@example.com u5002/mb 5002
vd_user lk@example.com locks/lk 5001
mkdir -p "$B/example.com" "$B/locks"
chown 5001:5001 "$B/example.com" "$B/locks"
MB=$BR/example.com/mb
MD=$BR/example.com/md
LK=$BR/locks/lk

printf 'Subject: small\n\nsmall body\n' >"$T_DIR/small"
# 200 KB: spooled to a file (over 128 KiB), four 64 KiB writes
{ printf 'Subject: big\n\n'; head -c 200000 /dev/zero | tr '\0' 'b' | fold -w 75; echo; } \
    >"$T_DIR/big"

no_lock() {	# no_lock WHAT MBOX
	assert_eq "$1: no dotlock left" no "$([ -e "$2.lock" ] && echo yes || echo no)"
}
# is_appended MBOX BEFORE RCPT MSG : MBOX is BEFORE plus exactly one
# complete copy of MSG for RCPT (a predicate: counts nothing)
is_appended() {
	_sz=$(stat -c %s "$2")
	head -c "$_sz" "$1" | cmp -s - "$2" || return 1
	tail -c +$((_sz + 1)) "$1" >"$T_DIR/app"
	{ printf 'Return-Path: <s@x>\nDelivered-To: %s\n' "$3"; cat "$4"; echo; } >"$T_DIR/exp"
	head -n 1 "$T_DIR/app" | grep -Eq "^From s@x$FROM_DATE_RE" &&
	    tail -n +2 "$T_DIR/app" | cmp -s - "$T_DIR/exp"
}
# appended_ok WHAT MBOX BEFORE RCPT MSG : assert is_appended
appended_ok() {
	_w=$1; shift
	if is_appended "$@"; then
		pass "$_w: exactly one complete message appended"
	else
		fail "$_w: not the old content plus one complete message ($(wc -c <"$T_DIR/app" 2>/dev/null) bytes appended)"
	fi
}
# is_newest MAILDIR RCPT MSG : the newest file in new/ is MSG for RCPT
is_newest() {
	_f=$(ls -t "$1/new" 2>/dev/null | head -n 1)
	{ printf 'Return-Path: <s@x>\nDelivered-To: %s\n' "$2"; cat "$3"; } >"$T_DIR/exp"
	[ -n "$_f" ] && cmp -s "$T_DIR/exp" "$1/new/$_f"
}
newest_ok() {	# newest_ok WHAT MAILDIR RCPT MSG
	_w=$1; shift
	if is_newest "$@"; then pass "$_w: message intact in new/"
	else fail "$_w: no intact message in new/"; fi
}

# ======================================================================
# the shim
SHIM=$T_DIR/faultshim.so
FLOG=$T_DIR/faults.log
: >"$FLOG"; chmod 0666 "$FLOG"
HAVE_SHIM=no
asan=$(ldd "$VDELIVER" 2>/dev/null | awk '/libasan/ { print $3; exit }')
if ${CC:-cc} -O1 -shared -fPIC -o "$SHIM" "$TOP/tests/faultshim.c" -ldl \
    2>"$T_DIR/shim.err"; then
	HAVE_SHIM=yes
	PRELOAD=$SHIM
	if [ -n "$asan" ]; then
		# ASan must come first in the initial library list; its
		# interceptors reach the shim through dlsym(RTLD_NEXT)
		PRELOAD="$asan:$SHIM"
		echo "note: sanitizer build: LD_PRELOAD=$PRELOAD"
	fi
	# the shim must be transparent when it injects nothing
	cp "$T_DIR/small" "$T_DIR/probe"
	FAULT_SPEC= LD_PRELOAD=$PRELOAD "$VDELIVER" -c "$T_DIR/vd.conf" -f s@x \
	    -r md9@example.com <"$T_DIR/probe" >"$T_DIR/.out" 2>"$T_DIR/.err"
	if [ $? != 0 ] || [ "$(count_files "$B/example.com/md9/new")" != 1 ]; then
		HAVE_SHIM=no
		fail "shim: vdeliver under LD_PRELOAD=$PRELOAD does not deliver: $(head -n 3 "$T_DIR/.err")"
	fi
	rm -rf "$B/example.com/md9"
else
	fail "shim: cannot build tests/faultshim.c: $(head -n 3 "$T_DIR/shim.err")"
fi

# vdf SPEC PATHS ARGS... : vdeliver with the shim failing SPEC below PATHS;
# sets RC, ERR, ERR1 and FIRED (faults injected by this run)
vdf() {
	_spec=$1 _paths=$2; shift 2
	_n0=$(grep -vc '^short ' "$FLOG")
	FAULT_SPEC=$_spec FAULT_PATHS=$_paths FAULT_LOG=$FLOG LD_PRELOAD=$PRELOAD \
	    "$VDELIVER" -c "$T_DIR/vd.conf" "$@" >"$T_DIR/.out" 2>"$T_DIR/.err"
	RC=$?
	OUT=$(cat "$T_DIR/.out")
	ERR=$(cat "$T_DIR/.err")
	ERR1=$(head -n 1 "$T_DIR/.err")
	FIRED=$(($(grep -vc '^short ' "$FLOG") - _n0))
}
# expect_defer WHAT EXIT DSN : expect_status, where DSN "4" is any 4.x.x
expect_defer() {
	if [ "$3" = 4 ]; then
		assert_eq "$1: exit" 75 "$RC"
		assert_match "$1: a 4.x.x line first" '^4\.[0-9]+\.[0-9]+ ' "$ERR1"
	else
		expect_status "$1" "$2" "$3"
	fi
}
fired() {	# fired WHAT [MIN]
	if [ "$FIRED" -ge "${2:-1}" ]; then pass "$1: $FIRED fault(s) injected"
	else fail "$1: the shim injected $FIRED fault(s), expected ${2:-1}"; fi
}
# mbox_case WHAT SPEC PATHS EXIT DSN MSG [ARGS...] : the fault leaves the
# mbox byte-identical and no dotlock
mbox_case() {
	_w=$1 _s=$2 _p=$3 _x=$4 _d=$5 _m=$6; shift 6
	cp "$MB" "$T_DIR/mb.before"
	vdf "$_s" "$_p" "$@" -f s@x -r mb@example.com <"$_m"
	expect_defer "mbox, $_w" "$_x" "$_d"
	fired "mbox, $_w"
	assert_files_equal "mbox, $_w: byte-identical" "$T_DIR/mb.before" "$MB"
	no_lock "mbox, $_w" "$MB"
}
# md_case WHAT SPEC PATHS EXIT DSN MSG [ARGS...] : tmp/, new/, cur/ unchanged
md_case() {
	_w=$1 _s=$2 _p=$3 _x=$4 _d=$5 _m=$6; shift 6
	tree_sig "$MD" >"$T_DIR/sig.before"
	vdf "$_s" "$_p" "$@" -f s@x -r md@example.com <"$_m"
	expect_defer "maildir, $_w" "$_x" "$_d"
	fired "maildir, $_w"
	tree_sig "$MD" >"$T_DIR/sig.after"
	assert_files_equal "maildir, $_w: tmp/ and new/ unchanged" \
	    "$T_DIR/sig.before" "$T_DIR/sig.after"
}

if [ "$HAVE_SHIM" = yes ]; then
	vd -f s@x -r mb@example.com -r md@example.com <"$T_DIR/small"
	expect_status "faults: setup" 0 2.0.0

	# --- mbox: write, fsync, fstat, open, locks (order: dotlock,
	# open, fcntl, fstat, writes, fsync, close, dotlock removal)
	mbox_case "write EIO, first write" write:EIO "$MB" 75 4.3.0 "$T_DIR/small"
	mbox_case "write EIO after 64 KiB written" write:EIO:1 "$MB" 75 4.3.0 "$T_DIR/big"
	mbox_case "write ENOSPC after 128 KiB" write:ENOSPC:2 "$MB" 75 4.3.0 "$T_DIR/big"
	mbox_case "write EDQUOT after 64 KiB" write:EDQUOT:1 "$MB" 73 5.2.2 "$T_DIR/big"
	mbox_case "write EFBIG after 64 KiB" write:EFBIG:1 "$MB" 73 5.2.2 "$T_DIR/big"
	mbox_case "fsync EIO" fsync:EIO "$MB" 75 4.3.0 "$T_DIR/big"
	# the append's blocks are reserved first: a full disk or a quota
	# (btrfs cannot even truncate a file over its qgroup limit back)
	# fails before any byte is written
	mbox_case "fallocate ENOSPC" fallocate:ENOSPC "$MB" 75 4.3.0 "$T_DIR/big"
	mbox_case "fallocate EDQUOT" fallocate:EDQUOT "$MB" 73 5.2.2 "$T_DIR/big"
	cp "$MB" "$T_DIR/mb.before"
	vdf fallocate:EOPNOTSUPP "$MB" -f s@x -r mb@example.com <"$T_DIR/small"
	expect_status "mbox, fallocate EOPNOTSUPP: delivered all the same" 0 2.0.0
	fired "mbox, fallocate EOPNOTSUPP"
	appended_ok "mbox, fallocate EOPNOTSUPP" "$MB" "$T_DIR/mb.before" \
	    mb@example.com "$T_DIR/small"
	mbox_case "fsync EIO, small message" fsync:EIO "$MB" 75 4.3.0 "$T_DIR/small"
	mbox_case "open EIO" open:EIO "$MB" 75 4 "$T_DIR/small"
	mbox_case "fstat EIO, first fstat" fstat:EIO "$MB" 75 4 "$T_DIR/small"
	mbox_case "fcntl lock ENOLCK" lock:ENOLCK "$MB" 75 4 "$T_DIR/small"
	mbox_case "flock EIO" flock:EIO "$MB" 75 4 "$T_DIR/small" \
	    -o virtual_mailbox_lock=flock
	# the dotlock is made by O_EXCL create or by link(2) to its name
	mbox_case "dotlock create EIO" creat:EIO:0:0,link:EIO:0:0 "$MB.lock" 75 4 \
	    "$T_DIR/small"
	mbox_case "dotlock create ENOSPC" creat:ENOSPC:0:0,link:ENOSPC:0:0 "$MB.lock" \
	    75 4.3.0 "$T_DIR/small"
	mbox_case "dotlock create EDQUOT" creat:EDQUOT:0:0,link:EDQUOT:0:0 "$MB.lock" \
	    73 5.2.2 "$T_DIR/small"
	mbox_case "walk: base directory open EIO" open:EIO "$BR" 75 4 "$T_DIR/small"
	mbox_case "walk: mkdir EIO for a new directory" mkdir:EIO "$BR" 75 4 \
	    "$T_DIR/small" -o "virtual_mailbox_maps=static:example.com/sub/mb"
	assert_eq "mkdir EIO: no directory made" no \
	    "$([ -e "$B/example.com/sub" ] && echo yes || echo no)"

	# interrupted calls are retried, not failures
	cp "$MB" "$T_DIR/mb.before"
	vdf write:EINTR:0:5 "$MB" -f s@x -r mb@example.com <"$T_DIR/big"
	expect_status "mbox, write EINTR x5" 0 2.0.0
	fired "mbox, write EINTR x5" 5
	appended_ok "mbox, write EINTR x5" "$MB" "$T_DIR/mb.before" mb@example.com "$T_DIR/big"
	cp "$MB" "$T_DIR/mb.before"
	vdf lock:EINTR:0:3 "$MB" -f s@x -r mb@example.com <"$T_DIR/small"
	expect_status "mbox, fcntl lock EINTR x3" 0 2.0.0
	fired "mbox, fcntl lock EINTR x3" 3
	appended_ok "mbox, fcntl lock EINTR x3" "$MB" "$T_DIR/mb.before" mb@example.com "$T_DIR/small"
	# short writes (a full pipe, a signal, a network file system)
	cp "$MB" "$T_DIR/mb.before"
	_s0=$(grep -c '^short ' "$FLOG")
	export FAULT_SHORT=1000
	vdf "" "$MB" -f s@x -r mb@example.com <"$T_DIR/big"
	unset FAULT_SHORT
	expect_status "mbox, short writes of 1000 bytes" 0 2.0.0
	assert_eq "mbox, short writes happened" yes \
	    "$([ "$(grep -c '^short ' "$FLOG")" -gt $((_s0 + 100)) ] && echo yes || echo no)"
	appended_ok "mbox, short writes" "$MB" "$T_DIR/mb.before" mb@example.com "$T_DIR/big"

	# close after the fsync: the message is complete and durable, but
	# the lock is gone, so it cannot be taken back: defer (duplicate,
	# never loss), and what is in the mbox is one complete message
	cp "$MB" "$T_DIR/mb.before"
	vdf close:EIO "$MB" -f s@x -r mb@example.com <"$T_DIR/big"
	expect_status "mbox, close EIO after fsync" 75 4.3.0
	fired "mbox, close EIO after fsync"
	appended_ok "mbox, close EIO after fsync (nothing half-written)" "$MB" \
	    "$T_DIR/mb.before" mb@example.com "$T_DIR/big"
	no_lock "mbox, close EIO" "$MB"
	# the dotlock cannot be removed after delivery: delivered, warned
	cp "$MB" "$T_DIR/mb.before"
	vdf unlink:EIO "$MB.lock" -f s@x -r mb@example.com <"$T_DIR/small"
	expect_status "mbox, dotlock removal EIO" 0 2.0.0
	fired "mbox, dotlock removal EIO"
	appended_ok "mbox, dotlock removal EIO" "$MB" "$T_DIR/mb.before" \
	    mb@example.com "$T_DIR/small"
	assert_match "mbox, dotlock removal EIO: warning logged" \
	    "warning: cannot remove lock file" "$(cat "$T_DIR/maillog")"
	rm -f "$MB.lock"
	# double fault: the write fails and so does the truncate back.  The
	# delivery defers and says so; the crash journal stays, and the next
	# delivery cuts the partial message off before it appends.
	cp "$MB" "$T_DIR/mb.before"
	vdf write:EIO:1,ftruncate:EIO:0:0 "$MB" -f s@x -r mb@example.com <"$T_DIR/big"
	expect_status "mbox, write EIO + ftruncate EIO" 75 4.3.0
	fired "mbox, write EIO + ftruncate EIO" 2
	assert_match "mbox, write + ftruncate EIO: warning logged" \
	    "cannot truncate mailbox .* back to $(stat -c %s "$T_DIR/mb.before") bytes" \
	    "$(cat "$T_DIR/maillog")"
	assert_eq "mbox, truncation failed: crash journal kept" yes \
	    "$([ -L "$MB.vdeliver-journal" ] && echo yes || echo no)"
	vd -f s@x -r mb@example.com <"$T_DIR/small"
	expect_status "mbox, after a failed truncation: next delivery" 0 2.0.0
	appended_ok "mbox, partial message cut off, then" "$MB" "$T_DIR/mb.before" \
	    mb@example.com "$T_DIR/small"
	assert_eq "mbox, repaired: journal gone" no \
	    "$( { [ -e "$MB.vdeliver-journal" ] || [ -L "$MB.vdeliver-journal" ]; } && echo yes || echo no)"
	cp "$T_DIR/mb.before" "$MB"

	# --- the spool (TMPDIR): the message is read back with pread().  A
	# regular file on standard input is read in place, not spooled: the
	# spool cases are fed through a pipe.
	SP=$T_DIR/spool
	mkdir -p "$SP"; chmod 1777 "$SP"
	export TMPDIR="$SP"
	piped "$T_DIR/big"
	mbox_case "spool pread EIO after 64 KiB copied" pread:EIO:1 "$SP" 75 4.3.0 \
	    "$T_DIR/fifo"
	wait
	piped "$T_DIR/big"
	md_case "spool pread EIO after 64 KiB copied" pread:EIO:1 "$SP" 75 4.3.0 \
	    "$T_DIR/fifo"
	wait
	# read in place: a read error on standard input's file defers too
	mbox_case "stdin read in place: pread EIO" pread:EIO "$T_DIR/big" 75 4.3.0 \
	    "$T_DIR/big"
	md_case "stdin read in place: pread EIO" pread:EIO "$T_DIR/big" 75 4.3.0 \
	    "$T_DIR/big"
	assert_eq "stdin read in place: nothing in TMPDIR" 0 "$(count_files "$SP")"
	tree_sig "$B" >"$T_DIR/sig.before"
	piped "$T_DIR/big"
	vdf write:EIO:1 "$SP" -f s@x -r mb@example.com -r md@example.com \
	    <"$T_DIR/fifo"
	wait
	expect_status "spool write EIO" 75 4.3.0
	fired "spool write EIO"
	piped "$T_DIR/big"
	vdf write:EDQUOT:1 "$SP" -f s@x -r mb@example.com <"$T_DIR/fifo"
	wait
	expect_status "spool write EDQUOT defers (not the mailbox)" 75 4.3.0
	fired "spool write EDQUOT"
	tree_sig "$B" >"$T_DIR/sig.after"
	assert_files_equal "spool write errors: no mailbox touched" \
	    "$T_DIR/sig.before" "$T_DIR/sig.after"
	assert_eq "spool write errors: nothing left in TMPDIR" 0 "$(count_files "$SP")"
	cp "$MB" "$T_DIR/mb.before"
	piped "$T_DIR/big"
	vdf open:EOPNOTSUPP "$SP" -f s@x -r mb@example.com <"$T_DIR/fifo"
	wait
	expect_status "spool without O_TMPFILE: mkstemp fallback" 0 2.0.0
	fired "spool without O_TMPFILE"
	appended_ok "spool without O_TMPFILE" "$MB" "$T_DIR/mb.before" mb@example.com \
	    "$T_DIR/big"
	assert_eq "spool without O_TMPFILE: temporary file removed" 0 "$(count_files "$SP")"
	unset TMPDIR

	# --- maildir: write, fsync, fstat, close of the tmp/ file; link;
	# fsync of new/; the rename fallbacks
	md_case "write EIO, first write" write:EIO "$MD" 75 4.3.0 "$T_DIR/small"
	md_case "write EIO after 64 KiB written" write:EIO:1 "$MD" 75 4.3.0 "$T_DIR/big"
	md_case "write EDQUOT after 64 KiB" write:EDQUOT:1 "$MD" 73 5.2.2 "$T_DIR/big"
	md_case "write ENOSPC after 64 KiB" write:ENOSPC:1 "$MD" 75 4.3.0 "$T_DIR/big"
	md_case "fsync EIO" fsync:EIO "$MD" 75 4.3.0 "$T_DIR/big"
	md_case "fstat EIO" fstat:EIO "$MD/tmp" 75 4 "$T_DIR/small"
	md_case "close EIO" close:EIO "$MD/tmp" 75 4.3.0 "$T_DIR/small"
	md_case "create in tmp/ EIO" creat:EIO "$MD/tmp" 75 4 "$T_DIR/small"
	md_case "link EIO" link:EIO "$MD" 75 4 "$T_DIR/small"
	md_case "link ENOSPC" link:ENOSPC "$MD" 75 4.3.0 "$T_DIR/small"
	md_case "fsync of new/ EIO" dirfsync:EIO "$MD/new" 75 4.3.0 "$T_DIR/small"
	md_case "link EPERM, rename EIO" link:EPERM,rename2:EIO "$MD" 75 4 \
	    "$T_DIR/small"
	md_case "link EPERM, renameat2 ENOSYS, rename EIO" \
	    link:EPERM,rename2:ENOSYS,rename:EIO "$MD" 75 4 "$T_DIR/small"
	# file systems without hard links: renameat2(RENAME_NOREPLACE),
	# else rename
	for spec in link:EPERM link:EXDEV link:EOPNOTSUPP,rename2:EINVAL; do
		n=$(count_files "$MD/new")
		vdf "$spec" "$MD" -f s@x -r md@example.com <"$T_DIR/small"
		expect_status "maildir, $spec: rename fallback" 0 2.0.0
		fired "maildir, $spec"
		assert_eq "maildir, $spec: one more file in new/" $((n + 1)) \
		    "$(count_files "$MD/new")"
		assert_eq "maildir, $spec: tmp/ empty" 0 "$(count_files "$MD/tmp")"
		newest_ok "maildir, $spec" "$MD" md@example.com "$T_DIR/small"
	done
	n=$(count_files "$MD/new")
	export FAULT_SHORT=1000
	vdf "" "$MD" -f s@x -r md@example.com <"$T_DIR/big"
	unset FAULT_SHORT
	expect_status "maildir, short writes of 1000 bytes" 0 2.0.0
	assert_eq "maildir, short writes: one more file" $((n + 1)) "$(count_files "$MD/new")"
	newest_ok "maildir, short writes" "$MD" md@example.com "$T_DIR/big"
	# the tmp/ name cannot be removed after the link: delivered (the
	# message is in new/), a warning, a tmp/ twin as after a crash
	n=$(count_files "$MD/new")
	vdf unlink:EIO "$MD/tmp" -f s@x -r md@example.com <"$T_DIR/small"
	expect_status "maildir, tmp/ unlink EIO after the link" 0 2.0.0
	fired "maildir, tmp/ unlink EIO after the link"
	assert_eq "maildir, tmp/ unlink EIO: delivered" $((n + 1)) "$(count_files "$MD/new")"
	assert_match "maildir, tmp/ unlink EIO: warning logged" \
	    "warning: cannot remove maildir file" "$(cat "$T_DIR/maillog")"
	rm -f "$MD/tmp"/*
	# a new maildir: mkdir of new/ fails after tmp/ was made
	vdf mkdir:EIO "$BR/example.com/new/md/new" -f s@x -r nmd@example.com <"$T_DIR/small"
	expect_defer "new maildir, mkdir new/ EIO" 75 4
	fired "new maildir, mkdir new/ EIO"
	assert_eq "new maildir, mkdir new/ EIO: no file made" 0 \
	    "$(find "$B/example.com/new" -type f | wc -l | tr -d ' ')"

	# --- several recipients, one process: the first write fails, the
	# second recipient is delivered; the deferral is the first line
	cp "$MB" "$T_DIR/mb.before"
	n=$(count_files "$MD/new")
	vdf write:EIO "$BR" -f s@x -r mb@example.com -r md@example.com <"$T_DIR/small"
	expect_status "two recipients, first write EIO" 75 4.3.0
	fired "two recipients, first write EIO"
	assert_files_equal "two recipients: mbox byte-identical" "$T_DIR/mb.before" "$MB"
	assert_eq "two recipients: maildir delivered" $((n + 1)) "$(count_files "$MD/new")"
	assert_eq "two recipients: one stderr line" 1 "$(grep -c . "$T_DIR/.err")"
	# two uids: one child each, each child's first write fails
	vd -f s@x -r u2@example.com <"$T_DIR/small"
	cp "$B/u5002/mb" "$T_DIR/u2.before"
	cp "$MB" "$T_DIR/mb.before"
	vdf write:EIO "$BR" -f s@x -r mb@example.com -r u2@example.com <"$T_DIR/small"
	expect_status "two uids (child processes), write EIO in each" 75 4.3.0
	fired "two uids, write EIO in each" 2
	assert_eq "two uids: two stderr lines" 2 "$(grep -c '^4\.3\.0 ' "$T_DIR/.err")"
	assert_files_equal "two uids: mbox 5001 byte-identical" "$T_DIR/mb.before" "$MB"
	assert_files_equal "two uids: mbox 5002 byte-identical" "$T_DIR/u2.before" "$B/u5002/mb"
	# --- systematic: for each kind of call, fail its 1st, 2nd, 3rd ...
	# call below the base, one per delivery, until a delivery makes no
	# more such calls (whatever order the code makes them in).  The
	# invariant after every single fault: delivered with exactly one
	# complete copy, or deferred (4.x.x; 5.2.2 for EDQUOT) with the
	# mailbox as it was (or, after the fsync, with one complete copy:
	# a duplicate later, never a loss); never anything half-written.
	cp "$MB" "$T_DIR/mb.base"
	SW_RUNS=0 SW_DUP=0
	sweep_mbox() {	# sweep_mbox KIND ERRNO
		_k=$1 _n=0 _bad="" _del=0 _def=0
		while [ $_n -lt 60 ]; do
			cp "$T_DIR/mb.base" "$MB"; rm -f "$MB.lock"
			: >"$T_DIR/maillog"
			vdf "$_k:$2:$_n" "$BR" -o "virtual_mailbox_lock=dotlock, flock, fcntl" \
			    -f s@x -r mb@example.com <"$T_DIR/big"
			_app=no
			is_appended "$MB" "$T_DIR/mb.base" mb@example.com "$T_DIR/big" && _app=yes
			case "$RC:$_app" in
			0:yes) _del=$((_del + 1)) ;;
			75:yes|73:yes) _def=$((_def + 1)); SW_DUP=$((SW_DUP + 1))
			    echo "note: $_k $2 at call $_n: deferred after a complete append (duplicate on retry): $ERR1" ;;
			75:*|73:*)
				if cmp -s "$T_DIR/mb.base" "$MB"; then _def=$((_def + 1))
				else _bad="$_bad call $_n: exit $RC, mbox neither unchanged nor one complete message;"; fi ;;
			*) _bad="$_bad call $_n: exit $RC ($ERR1);" ;;
			esac
			case "$RC:$ERR1" in
			75:4.*|73:5.2.2*|0:*) ;;
			*) _bad="$_bad call $_n: exit $RC with [$ERR1];" ;;
			esac
			if [ -e "$MB.lock" ] && ! { [ "$_k" = unlink ] && grep -q 'cannot remove lock file' "$T_DIR/maillog"; }; then
				_bad="$_bad call $_n: dotlock left behind;"
			fi
			if [ "$FIRED" = 0 ]; then _del=$((_del - 1)); break; fi
			SW_RUNS=$((SW_RUNS + 1)); _n=$((_n + 1))
		done
		if [ -z "$_bad" ] && [ "$RC" = 0 ]; then
			pass "sweep mbox, $_k $2: each of $_n calls failed in turn: $_del delivered, $_def deferred, nothing half-written; then a clean delivery"
		else
			fail "sweep mbox, $_k $2:$_bad${_bad:+ }last run (no fault) exit $RC"
		fi
	}
	for k in open creat fstat lock flock write pwrite pread fsync dirfsync close \
	    unlink ftruncate fallocate fdatasync mkdir link rename rename2; do
		sweep_mbox "$k" EIO
	done
	sweep_mbox write EDQUOT
	sweep_mbox creat ENOSPC
	sweep_mbox link ENOSPC
	cp "$T_DIR/mb.base" "$MB"; rm -f "$MB.lock"

	sweep_md() {	# sweep_md KIND ERRNO
		_k=$1 _n=0 _bad="" _del=0 _def=0
		while [ $_n -lt 60 ]; do
			tree_sig "$MD" >"$T_DIR/sig.before"
			_c0=$(count_files "$MD/new")
			: >"$T_DIR/maillog"
			vdf "$_k:$2:$_n" "$BR" -f s@x -r md@example.com <"$T_DIR/big"
			case $RC in
			0)	_del=$((_del + 1))
				[ "$(count_files "$MD/new")" = $((_c0 + 1)) ] ||
				    _bad="$_bad call $_n: delivered, but not one more file in new/;"
				is_newest "$MD" md@example.com "$T_DIR/big" ||
				    _bad="$_bad call $_n: delivered, file in new/ not intact;"
				if [ "$(count_files "$MD/tmp")" != 0 ]; then
					grep -q 'cannot remove maildir file' "$T_DIR/maillog" ||
					    _bad="$_bad call $_n: delivered, a silent leftover in tmp/;"
					rm -f "$MD/tmp"/*
				fi ;;
			75|73)	_def=$((_def + 1))
				tree_sig "$MD" >"$T_DIR/sig.after"
				cmp -s "$T_DIR/sig.before" "$T_DIR/sig.after" ||
				    _bad="$_bad call $_n: deferred, but tmp/ or new/ changed;"
				case "$RC:$ERR1" in
				75:4.*|73:5.2.2*) ;;
				*) _bad="$_bad call $_n: exit $RC with [$ERR1];" ;;
				esac ;;
			*)	_bad="$_bad call $_n: exit $RC ($ERR1);" ;;
			esac
			if [ "$FIRED" = 0 ]; then _del=$((_del - 1)); break; fi
			SW_RUNS=$((SW_RUNS + 1)); _n=$((_n + 1))
		done
		if [ -z "$_bad" ] && [ "$RC" = 0 ]; then
			pass "sweep maildir, $_k $2: each of $_n calls failed in turn: $_del delivered, $_def deferred, nothing half-written; then a clean delivery"
		else
			fail "sweep maildir, $_k $2:$_bad${_bad:+ }last run (no fault) exit $RC"
		fi
	}
	for k in open creat fstat write pwrite pread fsync dirfsync close link rename \
	    rename2 unlink mkdir fdatasync; do
		sweep_md "$k" EIO
	done
	sweep_md write EDQUOT
	sweep_md link EPERM
	echo "note: sweeps: $SW_RUNS deliveries with one fault each; $SW_DUP deferred after a complete append"

	assert_eq "faults: nothing left in any tmp/" 0 \
	    "$(find "$B" -path "$B/*/tmp/*" | wc -l | tr -d ' ')"
else
	skip "I/O fault injection: no usable LD_PRELOAD shim"
fi

# ======================================================================
# lock peers
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
# wait_for FILE : up to 5 s
# wait_for FILE : up to 30 s (a valgrind start takes seconds)
wait_for() {
	_n=0
	while [ ! -e "$1" ] && [ $_n -lt 1500 ]; do sleep 0.02; _n=$((_n + 1)); done
	[ -e "$1" ]
}
# A peer that is to hold its lock until told: it waits for $REL (60 s at
# most).  HOLD_SH is that wait in sh, for flock(1) and dotlockfile(1).
REL=$T_DIR/release
HOLD_SH="n=0; while [ ! -e '$REL' ] && [ \$n -lt 3000 ]; do sleep 0.02; n=\$((n + 1)); done"
peer_wait() {
	: >"$REL"
	for _p in $PEERS; do wait "$_p" 2>/dev/null; done
	PEERS=""
	rm -f "$REL" "$T_DIR/ready"
}
# timed_vd ARGS... : vd, ELAPSED in seconds
timed_vd() {
	_t0=$(now)
	vd "$@"
	ELAPSED=$(secs "$_t0" "$(now)")
}
# timings: no sanitizer leak check at exit (it adds a variable ~0.1 s)
if [ -n "${asan:-}" ]; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	export ASAN_OPTIONS
fi
PATIENT="-o deliver_lock_attempts=20 -o deliver_lock_delay=1s"
BRIEF="-o deliver_lock_attempts=4 -o deliver_lock_delay=200ms"
timed_vd $PATIENT -f s@x -r lk@example.com <"$T_DIR/small"
expect_status "locks: setup" 0 2.0.0
T_FREE=$ELAPSED
echo "note: an uncontended delivery takes $T_FREE s"
# The releasing peers hold the lock HOLD = (uncontended run + 0.2) s, so
# that they let go about 0.2 s after vdeliver first tried the lock.
# quick_release WHAT : how long after the release vdeliver finished must
# be well under one deliver_lock_delay step of 1 s (0.75-1.25 s with the
# jitter): a doubling back-off retries within ~0.2 s here
HOLD=$(awk -v t="$T_FREE" 'BEGIN { printf "%.2f", t + 0.2 }')
# stale_lock_time for the ctime test: 2 s, longer where a run is slow
# (sanitizers, valgrind), so that a fresh lock is still young when seen
STALE=$(awk -v t="$T_FREE" 'BEGIN { printf "%d", int(t * 3) + 2 }')
quick_release() {
	_late=$(secs "$HOLD" "$ELAPSED")
	echo "note: $1: the peer let go $HOLD s after start, vdeliver was done $_late s later (deliver_lock_delay 1s)"
	if [ "${VALGRIND:-}" = 1 ]; then
		skip "$1: timing under valgrind means nothing"
		return
	fi
	assert_eq "$1: delivered well within one 1 s retry step" yes \
	    "$(lt "$_late" 0.5 && echo yes || echo "no ($_late s after the release)")"
}

# fcntl peer: python3 fcntl.lockf, else perl File::FcntlLock
PY=""
for p in /usr/bin/python3 python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import fcntl' 2>/dev/null; then
		PY=$p; break
	fi
done
FCNTL_PEER=${VD_FCNTL_PEER:-}	# python3 or perl: force one
if [ -n "$FCNTL_PEER" ]; then
	:
elif [ -n "$PY" ]; then
	FCNTL_PEER=python3
elif perl -MFile::FcntlLock -e 1 2>/dev/null; then
	FCNTL_PEER=perl
fi
# fcntl_peer FILE READY SECONDS & : hold a whole-file write lock for
# SECONDS, or until $REL exists
fcntl_peer() {
	if [ "$FCNTL_PEER" = python3 ]; then
		"$PY" -c 'import fcntl, os, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
end = time.time() + float(sys.argv[3])
while time.time() < end and not os.path.exists(sys.argv[4]):
    time.sleep(0.01)' "$@" "$REL"
	else
		perl -MFile::FcntlLock -MFcntl=F_SETLKW,F_WRLCK,SEEK_SET \
		    -MTime::HiRes=time -e 'use strict;
open(my $f, "+<", $ARGV[0]) or die;
my $l = File::FcntlLock->new(l_type => F_WRLCK, l_whence => SEEK_SET,
    l_start => 0, l_len => 0);
$l->lock($f, F_SETLKW) or die $l->error;
open(my $r, ">", $ARGV[1]) or die; close $r;
my $end = time + $ARGV[2];
select(undef, undef, undef, 0.01) while time < $end && ! -e $ARGV[3];' "$@" "$REL"
	fi
}

# --- dotlockfile (liblockfile): a mutt/procmail-style dotlock
if command -v dotlockfile >/dev/null 2>&1; then
	dotlockfile -l -r 0 -p "$LK.lock"
	assert_eq "dotlockfile: lock taken" yes "$([ -e "$LK.lock" ] && echo yes || echo no)"
	cp "$LK" "$T_DIR/lk.before"
	timed_vd $BRIEF -f s@x -r lk@example.com <"$T_DIR/small"
	expect_status "dotlockfile holds the lock: deferred after 4 x 200ms" 75 4.2.0
	echo "note: gave up after $ELAPSED s (4 attempts, deliver_lock_delay 200ms)"
	assert_eq "dotlockfile holds: waited 0.5-5 s" yes \
	    "$(lt 0.5 "$ELAPSED" && lt "$ELAPSED" 5 && echo yes || echo "no ($ELAPSED s)")"
	assert_files_equal "dotlockfile holds: mbox byte-identical" "$T_DIR/lk.before" "$LK"
	assert_eq "dotlockfile holds: its lock is left alone" yes \
	    "$([ -e "$LK.lock" ] && echo yes || echo no)"
	dotlockfile -u "$LK.lock"
	# released within the patience window: delivered at once, not after
	# a whole deliver_lock_delay step
	rm -f "$T_DIR/ready"
	dotlockfile -l -r 0 "$LK.lock" sh -c "touch '$T_DIR/ready'; sleep $HOLD" &
	PEERS="$PEERS $!"
	if wait_for "$T_DIR/ready"; then
		cp "$LK" "$T_DIR/lk.before"
		timed_vd $PATIENT -f s@x -r lk@example.com <"$T_DIR/small"
		expect_status "dotlockfile releases soon: delivered" 0 2.0.0
		quick_release "dotlockfile releases"
		appended_ok "dotlockfile releases" "$LK" "$T_DIR/lk.before" lk@example.com \
		    "$T_DIR/small"
		no_lock "dotlockfile releases" "$LK"
	else
		fail "dotlockfile: the peer did not take the lock"
	fi
	peer_wait
	# stale by ctime, not mtime: an old mtime does not make a lock stale
	# (utime() can set it), a future mtime does not keep it fresh
	dotlockfile -l -r 0 -p "$LK.lock"
	touch -d '2 hours ago' "$LK.lock"
	cp "$LK" "$T_DIR/lk.before"
	vd $BRIEF -o stale_lock_time=${STALE}s -f s@x -r lk@example.com <"$T_DIR/small"
	expect_status "dotlock with a 2 hour old mtime, new ctime: not stale" 75 4.2.0
	assert_files_equal "young ctime: mbox byte-identical" "$T_DIR/lk.before" "$LK"
	touch -d '1 hour' "$LK.lock"
	sleep "$STALE.5"
	vd $BRIEF -o stale_lock_time=${STALE}s -f s@x -r lk@example.com <"$T_DIR/small"
	expect_status "dotlock with ctime $STALE.5 s old, future mtime, stale_lock_time ${STALE}s" 0 2.0.0
	no_lock "stale dotlock broken" "$LK"
	appended_ok "stale dotlock broken" "$LK" "$T_DIR/lk.before" lk@example.com \
	    "$T_DIR/small"
	assert_match "stale dotlock: warning logged" "removed stale lock file .*lk\.lock" \
	    "$(cat "$T_DIR/maillog")"
else
	skip "dotlock peer: no dotlockfile (package liblockfile-bin)"
fi

# --- flock(1) holding a BSD flock
rm -f "$T_DIR/ready"
flock -x "$LK" sh -c "touch '$T_DIR/ready'; $HOLD_SH" &
PEERS="$PEERS $!"
if wait_for "$T_DIR/ready"; then
	cp "$LK" "$T_DIR/lk.before"
	timed_vd -o virtual_mailbox_lock=flock $BRIEF -f s@x -r lk@example.com <"$T_DIR/small"
	expect_status "flock(1) holds the lock: deferred" 75 4.2.0
	echo "note: gave up after $ELAPSED s (4 attempts, deliver_lock_delay 200ms)"
	assert_files_equal "flock(1) holds: mbox byte-identical" "$T_DIR/lk.before" "$LK"
	no_lock "flock(1) holds" "$LK"
else
	fail "flock(1): the peer did not take the lock"
fi
peer_wait
rm -f "$T_DIR/ready"
flock -x "$LK" sh -c "touch '$T_DIR/ready'; sleep $HOLD" &
PEERS="$PEERS $!"
if wait_for "$T_DIR/ready"; then
	cp "$LK" "$T_DIR/lk.before"
	timed_vd -o virtual_mailbox_lock=flock $PATIENT -f s@x -r lk@example.com <"$T_DIR/small"
	expect_status "flock(1) releases soon: delivered" 0 2.0.0
	quick_release "flock(1) releases"
	appended_ok "flock(1) releases" "$LK" "$T_DIR/lk.before" lk@example.com "$T_DIR/small"
else
	fail "flock(1): the peer did not take the lock"
fi
peer_wait

# --- an fcntl (POSIX) lock held by another program
if [ -n "$FCNTL_PEER" ]; then
	rm -f "$T_DIR/ready"
	fcntl_peer "$LK" "$T_DIR/ready" 60 &
	PEERS="$PEERS $!"
	if wait_for "$T_DIR/ready"; then
		cp "$LK" "$T_DIR/lk.before"
		timed_vd $BRIEF -f s@x -r lk@example.com <"$T_DIR/small"
		expect_status "$FCNTL_PEER fcntl lock held: deferred" 75 4.2.0
		echo "note: gave up after $ELAPSED s (4 attempts, deliver_lock_delay 200ms)"
		assert_files_equal "$FCNTL_PEER fcntl lock held: mbox byte-identical" \
		    "$T_DIR/lk.before" "$LK"
		no_lock "$FCNTL_PEER fcntl lock held: own dotlock removed" "$LK"
	else
		fail "$FCNTL_PEER: the peer did not take the lock"
	fi
	peer_wait
	rm -f "$T_DIR/ready"
	fcntl_peer "$LK" "$T_DIR/ready" "$HOLD" &
	PEERS="$PEERS $!"
	if wait_for "$T_DIR/ready"; then
		cp "$LK" "$T_DIR/lk.before"
		timed_vd $PATIENT -f s@x -r lk@example.com <"$T_DIR/small"
		expect_status "$FCNTL_PEER fcntl lock released soon: delivered" 0 2.0.0
		quick_release "$FCNTL_PEER releases"
		appended_ok "$FCNTL_PEER releases" "$LK" "$T_DIR/lk.before" lk@example.com \
		    "$T_DIR/small"
	else
		fail "$FCNTL_PEER: the peer did not take the lock"
	fi
	peer_wait
	# the other way round: while vdeliver holds its dotlock and flock
	# and waits for the fcntl lock, the real tools see both as taken
	rm -f "$T_DIR/ready"
	fcntl_peer "$LK" "$T_DIR/ready" 60 &
	PEERS="$PEERS $!"
	if wait_for "$T_DIR/ready"; then
		cp "$LK" "$T_DIR/lk.before"
		"$VDELIVER" -c "$T_DIR/vd.conf" -o "virtual_mailbox_lock=dotlock, flock, fcntl" \
		    -o deliver_lock_attempts=40 -o deliver_lock_delay=200ms \
		    -f s@x -r lk@example.com <"$T_DIR/small" >"$T_DIR/bg.out" 2>"$T_DIR/bg.err" &
		vdpid=$!
		if wait_for "$LK.lock"; then
			pass "vdeliver waiting on fcntl: its dotlock exists"
			if command -v dotlockfile >/dev/null 2>&1; then
				dotlockfile -l -r 0 -q "$LK.lock"
				assert_eq "vdeliver's dotlock: dotlockfile -r 0 cannot lock" \
				    fail "$([ $? = 0 ] && echo taken || echo fail)"
			fi
			# the flock follows the dotlock: flock(1) -n fails once it is held
			_n=0
			while flock -n "$LK" true && [ $_n -lt 500 ]; do
				sleep 0.02; _n=$((_n + 1))
			done
			assert_eq "vdeliver's flock: flock -n cannot lock" yes \
			    "$([ $_n -lt 500 ] && echo yes || echo no)"
		else
			fail "vdeliver waiting on fcntl: no dotlock seen"
		fi
		: >"$REL"
		wait "$vdpid"
		assert_eq "all three locks, fcntl peer lets go: delivered" 0 "$?"
		vdpid=""
		appended_ok "all three locks" "$LK" "$T_DIR/lk.before" lk@example.com "$T_DIR/small"
		no_lock "all three locks" "$LK"
	else
		fail "$FCNTL_PEER: the peer did not take the lock"
	fi
	peer_wait
else
	skip "fcntl peer: neither python3 nor perl File::FcntlLock"
fi

# ======================================================================
if [ -s "$FLOG" ]; then
	echo "faults injected, by kind:"
	awk '$1 != "short" { n[$1 " " $2]++ }
	    END { for (k in n) printf "  %-20s %d\n", k, n[k] }' "$FLOG" | sort
	echo "  total $(grep -vc '^short ' "$FLOG") faults, and $(grep -c '^short ' "$FLOG") short writes"
fi
t_end
