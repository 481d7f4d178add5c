#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_mbox.sh - mbox locking (fcntl, flock, dotlock, stale dotlocks, busy
# locks) and virtual_mailbox_limit, with the mailbox byte-identical after
# every failure (SPEC sections 3, 4, 7).
. "$(dirname "$0")/lib.sh"
t_begin mbox
need_root

B=$T_DIR/base
vd_init
vd_conf "deliver_lock_attempts = 2" "deliver_lock_delay = 100ms"
vd_user mb@example.com example.com/mb 5001
vd_user ro@example.com ro/mb 5001
mbox=$B/example.com/mb
printf 'Subject: lock test\n\nbody line\n' >"$T_DIR/msg"

# a first delivery makes the mbox and its directory
vd -f s@x -r mb@example.com <"$T_DIR/msg"
expect_status "setup" 0 2.0.0

unchanged() {	# unchanged WHAT : mbox equals the saved copy, no dotlock
	assert_files_equal "$1: mbox unchanged" "$T_DIR/mbox.before" "$mbox"
	assert_eq "$1: no dotlock left" no \
	    "$([ -e "$mbox.lock" ] && echo yes || echo no)"
}
size_of() { stat -c %s "$1"; }

# --- a busy fcntl lock (default set "fcntl, dotlock")
cp "$mbox" "$T_DIR/mbox.before"
if hold_lock fcntl "$mbox" 10; then
	t0=$(date +%s)
	vd -f s@x -r mb@example.com <"$T_DIR/msg"
	t1=$(date +%s)
	expect_status "fcntl lock busy" 75 4.2.0
	unchanged "fcntl lock busy"
	[ $((t1 - t0)) -le 5 ] && pass "fcntl lock busy: gave up after the attempts" ||
	    fail "fcntl lock busy: took $((t1 - t0)) s with 2 x 100ms"
	# a different lock type does not see the fcntl lock
	vd -o virtual_mailbox_lock=flock -f s@x -r mb@example.com <"$T_DIR/msg"
	expect_status "fcntl lock held, virtual_mailbox_lock=flock" 0 2.0.0
	vd -o virtual_mailbox_lock=dotlock -f s@x -r mb@example.com <"$T_DIR/msg"
	expect_status "fcntl lock held, virtual_mailbox_lock=dotlock" 0 2.0.0
	kill "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null
else
	fail "could not take an fcntl lock on $mbox"
fi

# --- a busy flock lock
cp "$mbox" "$T_DIR/mbox.before"
if hold_lock flock "$mbox" 10; then
	vd -o virtual_mailbox_lock=flock -f s@x -r mb@example.com <"$T_DIR/msg"
	expect_status "flock lock busy" 75 4.2.0
	unchanged "flock lock busy"
	vd -o "virtual_mailbox_lock=fcntl, flock" -f s@x -r mb@example.com <"$T_DIR/msg"
	expect_status "flock lock busy, set fcntl, flock" 75 4.2.0
	unchanged "flock lock busy, set fcntl, flock"
	vd -o virtual_mailbox_lock=fcntl -f s@x -r mb@example.com <"$T_DIR/msg"
	expect_status "flock lock held, virtual_mailbox_lock=fcntl" 0 2.0.0
	kill "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null
else
	fail "could not take a flock lock on $mbox"
fi

# --- a lock that is released while vdeliver retries: delivered
cp "$mbox" "$T_DIR/mbox.before"
if hold_lock fcntl "$mbox" 1; then
	vd -o deliver_lock_attempts=10 -o deliver_lock_delay=1s \
	    -f s@x -r mb@example.com <"$T_DIR/msg"
	expect_status "fcntl lock released during the retries" 0 2.0.0
	assert_eq "released lock: mbox grew" yes \
	    "$([ "$(size_of "$mbox")" -gt "$(size_of "$T_DIR/mbox.before")" ] && echo yes || echo no)"
	wait "$HOLD_PID" 2>/dev/null
else
	fail "could not take an fcntl lock on $mbox"
fi

# --- a fresh dotlock: busy, and left alone
cp "$mbox" "$T_DIR/mbox.before"
: >"$mbox.lock"
vd -o virtual_mailbox_lock=dotlock -f s@x -r mb@example.com <"$T_DIR/msg"
expect_status "fresh dotlock" 75 4.2.0
assert_files_equal "fresh dotlock: mbox unchanged" "$T_DIR/mbox.before" "$mbox"
assert_eq "fresh dotlock: someone else's lock is not removed" yes \
    "$([ -e "$mbox.lock" ] && echo yes || echo no)"
vd -f s@x -r mb@example.com <"$T_DIR/msg"
expect_status "fresh dotlock, default lock set" 75 4.2.0
assert_files_equal "fresh dotlock, default set: mbox unchanged" "$T_DIR/mbox.before" "$mbox"
vd -o virtual_mailbox_lock=fcntl -f s@x -r mb@example.com <"$T_DIR/msg"
expect_status "dotlock present, virtual_mailbox_lock=fcntl" 0 2.0.0

# --- a stale dotlock (ctime older than stale_lock_time) is removed
cp "$mbox" "$T_DIR/mbox.before"
: >"$mbox.lock"
: >"$T_DIR/maillog"
sleep 2
vd -o stale_lock_time=1s -f s@x -r mb@example.com <"$T_DIR/msg"
expect_status "stale dotlock" 0 2.0.0
assert_eq "stale dotlock: removed" no "$([ -e "$mbox.lock" ] && echo yes || echo no)"
assert_eq "stale dotlock: delivered" yes \
    "$([ "$(size_of "$mbox")" -gt "$(size_of "$T_DIR/mbox.before")" ] && echo yes || echo no)"
assert_match "stale dotlock: warning logged" "warning: .*$(re_quote "$mbox.lock")" \
    "$(cat "$T_DIR/maillog")"
# a stale_lock_time in minutes keeps a 2 s old lock
: >"$mbox.lock"
sleep 2
cp "$mbox" "$T_DIR/mbox.before"
vd -o stale_lock_time=1m -f s@x -r mb@example.com <"$T_DIR/msg"
expect_status "dotlock younger than stale_lock_time=1m" 75 4.2.0
assert_files_equal "young dotlock: mbox unchanged" "$T_DIR/mbox.before" "$mbox"
rm -f "$mbox.lock"

# --- the dotlock needs a writable directory; kernel locks do not
mkdir -p "$B/ro"
chown root:root "$B/ro"; chmod 0755 "$B/ro"
: >"$B/ro/mb"; chown 5001:5001 "$B/ro/mb"; chmod 0600 "$B/ro/mb"
vd -f s@x -r ro@example.com <"$T_DIR/msg"
expect_status "dotlock in a read-only directory" 75 4.2.0
assert_eq "read-only directory: mbox still empty" 0 "$(size_of "$B/ro/mb")"
vd -o virtual_mailbox_lock=fcntl -f s@x -r ro@example.com <"$T_DIR/msg"
expect_status "read-only directory, fcntl only" 0 2.0.0
vd -o "virtual_mailbox_lock=flock fcntl" -f s@x -r ro@example.com <"$T_DIR/msg"
expect_status "read-only directory, flock fcntl" 0 2.0.0

# --- virtual_mailbox_limit: the crossing message bounces, the file keeps
# its old size; a message that ends exactly at the limit fits
vd_user lim@example.com example.com/lim 5001
lim=$B/example.com/lim
vd -o virtual_mailbox_limit=0 -f s@x -r lim@example.com <"$T_DIR/msg"
expect_status "limit: setup" 0 2.0.0
s0=$(size_of "$lim")
# From_ line ("From s@x  " + 24-char date + NL) + headers + message + NL
hdr="Return-Path: <s@x>
Delivered-To: lim@example.com
"
add=$(( 10 + 24 + 1 + ${#hdr} + $(size_of "$T_DIR/msg") + 1 ))
cp "$lim" "$T_DIR/lim.before"
vd -o virtual_mailbox_limit=$((s0 + add - 1)) -f s@x -r lim@example.com <"$T_DIR/msg"
expect_status "limit: one byte too small" 73 5.2.2
assert_files_equal "limit: mbox byte-identical" "$T_DIR/lim.before" "$lim"
assert_eq "limit: no dotlock left" no "$([ -e "$lim.lock" ] && echo yes || echo no)"
vd -o virtual_mailbox_limit=$((s0 + add)) -f s@x -r lim@example.com <"$T_DIR/msg"
expect_status "limit: exactly at the limit" 0 2.0.0
assert_eq "limit: new size" $((s0 + add)) "$(size_of "$lim")"
cp "$lim" "$T_DIR/lim.before"
head -c 20000 /dev/zero | tr '\0' 'x' | fold -w 70 >"$T_DIR/msg.big"
vd -o virtual_mailbox_limit=$((s0 + add + 1000)) -f s@x -r lim@example.com <"$T_DIR/msg.big"
expect_status "limit: 20 KB message" 73 5.2.2
assert_files_equal "limit: 20 KB message: mbox byte-identical" "$T_DIR/lim.before" "$lim"
# the limit applies to a new mbox too
vd_user lim2@example.com example.com/lim2 5001
vd -o virtual_mailbox_limit=50 -f s@x -r lim2@example.com <"$T_DIR/msg"
expect_status "limit: new mbox" 73 5.2.2
assert_eq "limit: new mbox left empty or absent" 0 \
    "$(size_of "$B/example.com/lim2" 2>/dev/null || echo 0)"
# the default limit (51200000) accepts ordinary mail
vd -f s@x -r lim2@example.com <"$T_DIR/msg.big"
expect_status "limit: default" 0 2.0.0

# the caller's RLIMIT_FSIZE: EFBIG (SIGXFSZ must not kill the process
# half-way), the mailbox keeps its size
head -c 80000 /dev/zero | tr '\0' 'w' | fold -w 70 >"$T_DIR/msg.80k"
cp "$lim" "$T_DIR/lim.before"
prlimit --fsize=$((s0 + add + 50000)) "$VDELIVER" -c "$T_DIR/vd.conf" -o virtual_mailbox_limit=0 \
    -f s@x -r lim@example.com <"$T_DIR/msg.80k" >"$T_DIR/.out" 2>"$T_DIR/.err"
RC=$?; ERR=$(cat "$T_DIR/.err"); ERR1=$(head -n 1 "$T_DIR/.err")
expect_status "RLIMIT_FSIZE of the caller" 73 5.2.2
assert_files_equal "RLIMIT_FSIZE: mbox byte-identical" "$T_DIR/lim.before" "$lim"

t_end
