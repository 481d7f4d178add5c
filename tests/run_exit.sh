#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_exit.sh - the exit status table (SPEC section 3): unknown user, mail
# loop, usage errors, map errors, bad uid/gid, several recipients, -v and
# -V.  (Locks, limits and unusable mailboxes: run_mbox, run_maildir,
# run_safety; configuration errors: run_config.)
. "$(dirname "$0")/lib.sh"
t_begin exit

# --- -V and usage errors need no sandbox and no root
run_vd -V </dev/null
assert_eq "-V: exit 0" 0 "$RC"
assert_match "-V: version" '0\.9\.0' "$OUT"
for t in static texthash hash btree regexp; do
	assert_match "-V: map type $t" "(^|[^a-z])$t([^a-z]|\$)" "$OUT"
done

printf 'Subject: x\n\nbody\n' >"$T_DIR/msg"
usage() {	# usage WHAT ARGS...
	_w=$1; shift
	run_vd "$@" <"$T_DIR/msg"
	expect_status "usage: $_w" 64 5.3.0
	assert_eq "usage: $_w: one stderr line first" 1 \
	    "$(head -n 1 "$T_DIR/.err" | grep -c '^5\.3\.0 ')"
}
usage "no recipient" -f s@x
usage "no recipient, with -c" -c /dev/null -f s@x
usage "unknown option -x" -x -r a@b
usage "unknown option --bogus" --bogus -r a@b
usage "-r without argument" -r
usage "-f without argument" -r a@b -f
usage "-a without argument" -r a@b -a
usage "-c without argument" -r a@b -c
usage "-o without argument" -r a@b -o

need_root
B=$T_DIR/base
vd_init
cat >"$T_DIR/vmailbox" <<EOF
user@example.com    example.com/user/
mb@example.com      example.com/mb
uid99@example.com   example.com/uid99
uid0@example.com    example.com/uid0
uidjunk@example.com example.com/uidjunk
uidneg@example.com  example.com/uidneg
uidmax@example.com  example.com/uidmax
uidbig@example.com  example.com/uidbig
uidhex@example.com  example.com/uidhex
uidnone@example.com example.com/uidnone
gid0@example.com    example.com/gid0
gidneg@example.com  example.com/gidneg
gidjunk@example.com example.com/gidjunk
gidmax@example.com  example.com/gidmax
gidnone@example.com example.com/gidnone
EOF
cat >"$T_DIR/uids" <<EOF
uid99@example.com   99
uid0@example.com    0
uidjunk@example.com 5000abc
uidneg@example.com  -1
uidmax@example.com  4294967295
uidbig@example.com  18446744073709551617
uidhex@example.com  0x1389
@example.com        5001
EOF
cat >"$T_DIR/gids" <<EOF
gid0@example.com    0
gidneg@example.com  -1
gidjunk@example.com 5001x
gidmax@example.com  4294967295
@example.com        5001
EOF
# uidnone and gidnone: only these maps lack the catch-all
cat >"$T_DIR/uids.nocatch" <<EOF
user@example.com 5001
EOF
mkdir -p "$B/example.com"; chown 5001:5001 "$B/example.com"
printf 'old\n' >"$B/example.com/mb"; chown 5001:5001 "$B/example.com/mb"

# check_base WHAT : nothing below the base changed since snap
snap() { tree_sig "$B" >"$T_DIR/sig.before"; }
check_base() {
	tree_sig "$B" >"$T_DIR/sig.after"
	assert_files_equal "$1: nothing written" "$T_DIR/sig.before" "$T_DIR/sig.after"
}

# --- unknown user: 5.1.1 / 67
snap
vd -f s@x -r nobody@example.com <"$T_DIR/msg"
expect_status "unknown user" 67 5.1.1
check_base "unknown user"
vd -f s@x -r nobody@nowhere.test <"$T_DIR/msg"
expect_status "unknown domain" 67 5.1.1

# --- mail loop: Delivered-To in the top header block
printf 'Subject: loop\nDelivered-To: other@example.com\nDelivered-To: MB@Example.COM\n\nbody\n' \
    >"$T_DIR/loop"
snap
vd -f s@x -r mb@example.com <"$T_DIR/loop"
expect_status "loop" 65 5.4.6
check_base "loop"
printf 'Subject: loop\nDelivered-To:   mb@example.com  \n\nbody\n' >"$T_DIR/loop2"
vd -f s@x -r mb@example.com <"$T_DIR/loop2"
expect_status "loop, value with blanks" 65 5.4.6
printf 'Subject: loop\r\ndelivered-to: mb@example.com\r\n\r\nbody\r\n' >"$T_DIR/loop3"
vd -f s@x -r mb@example.com <"$T_DIR/loop3"
expect_status "loop, lower-case header, CRLF" 65 5.4.6
printf 'From x@y  Sun Nov 22 02:27:04 2026\nDelivered-To: mb@example.com\n\nbody\n' \
    >"$T_DIR/loop4"
vd -r mb@example.com <"$T_DIR/loop4"
expect_status "loop, after a From_ line" 65 5.4.6
check_base "loop variants"
vd -f s@x -r Mb@Example.com <"$T_DIR/loop"
expect_status "loop, recipient in another case" 65 5.4.6
vd -o recipient_delimiter=+ -f s@x -r mb+ext@example.com <"$T_DIR/loop"
expect_status "loop: mb+ext is another recipient" 0 2.0.0
printf 'Subject: body\n\nDelivered-To: mb@example.com\n' >"$T_DIR/noloop"
vd -f s@x -r mb@example.com <"$T_DIR/noloop"
expect_status "Delivered-To in the body is no loop" 0 2.0.0
printf 'Subject: x\nX-Delivered-To: mb@example.com\nDelivered-To: mb@example.com.evil\n\nb\n' \
    >"$T_DIR/noloop2"
vd -f s@x -r mb@example.com <"$T_DIR/noloop2"
expect_status "other headers are no loop" 0 2.0.0
vd -o vdeliver_loop_check=no -f s@x -r mb@example.com <"$T_DIR/loop"
expect_status "vdeliver_loop_check=no" 0 2.0.0
assert_match "vdeliver_loop_check=no: delivered" "^Subject: loop" "$(cat "$B/example.com/mb")"

# --- map errors: 4.3.5, never "not found"
snap
vd -o "virtual_mailbox_maps=hash:$T_DIR/missing" -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "missing hash .db" 75 4.3.5
head -c 8192 /dev/urandom >"$T_DIR/corrupt.db"
vd -o "virtual_mailbox_maps=hash:$T_DIR/corrupt" -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "corrupt hash .db" 75 4.3.5
printf 'this is not a database\n' >"$T_DIR/text.db"
vd -o "virtual_mailbox_maps=btree:$T_DIR/text" -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "text file as btree .db" 75 4.3.5
vd -o "virtual_mailbox_maps=texthash:$T_DIR/missing" -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "missing texthash file" 75 4.3.5
vd -o "virtual_mailbox_maps=hash:$T_DIR/missing, texthash:$T_DIR/vmailbox" \
    -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "error in map 1 stops the search" 75 4.3.5
vd -o "virtual_uid_maps=hash:$T_DIR/missing" -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "uid map error" 75 4.3.5
vd -o "virtual_gid_maps=hash:$T_DIR/missing" -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "gid map error" 75 4.3.5
vd -o "virtual_mailbox_maps=hash:$T_DIR/missing" -f s@x -r nobody@nowhere.test <"$T_DIR/msg"
expect_status "unknown user behind a map error defers" 75 4.3.5
check_base "map errors"
# an empty value is an error
printf 'user@example.com \n' | db_make hash "$T_DIR/empty.db" nul
vd -o "virtual_mailbox_maps=hash:$T_DIR/empty" -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "empty mailbox value" 75 4.3.5
vd -o "virtual_uid_maps=hash:$T_DIR/empty" -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "empty uid value" 75 4.3.5
# unreadable texthash: as a non-root caller that may deliver to itself
mkdir -p "$T_DIR/nr"
cp "$T_DIR/vmailbox" "$T_DIR/nr/vmailbox"; chmod 000 "$T_DIR/nr/vmailbox"
cat >"$T_DIR/nr/vd.conf" <<EOF
virtual_mailbox_base = $T_DIR/base
virtual_mailbox_maps = texthash:$T_DIR/nr/vmailbox
virtual_uid_maps = static:5001
virtual_gid_maps = static:5001
EOF
chmod 0644 "$T_DIR/nr/vd.conf"
run_vd_as 5001 -c "$T_DIR/nr/vd.conf" -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "unreadable texthash (non-root)" 75 4.3.5
chmod 644 "$T_DIR/nr/vmailbox"
run_vd_as 5001 -c "$T_DIR/nr/vd.conf" -f s@x -r nobody@example.com <"$T_DIR/msg"
expect_status "readable texthash (non-root), unknown user" 67 5.1.1
check_base "unreadable maps"

# --- bad uid / gid / not in the uid or gid map: 4.3.5
for u in uid99 uid0 uidjunk uidneg uidmax uidbig uidhex gid0 gidneg gidjunk gidmax; do
	snap
	vd -f s@x -r "$u@example.com" <"$T_DIR/msg"
	expect_status "bad id: $u" 75 4.3.5
	check_base "bad id: $u"
done
vd -o "virtual_uid_maps=texthash:$T_DIR/uids.nocatch" -f s@x -r uidnone@example.com <"$T_DIR/msg"
expect_status "recipient not in the uid map" 75 4.3.5
vd -o "virtual_gid_maps=texthash:$T_DIR/uids.nocatch" -f s@x -r gidnone@example.com <"$T_DIR/msg"
expect_status "recipient not in the gid map" 75 4.3.5
vd -o virtual_minimum_uid=5002 -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "uid below virtual_minimum_uid" 75 4.3.5
vd -o virtual_minimum_uid=5001 -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "uid equal to virtual_minimum_uid" 0 2.0.0
vd -o virtual_uid_maps=static:0 -o virtual_minimum_uid=0 -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "uid 0 with virtual_minimum_uid=0" 75 4.3.5
vd -o "virtual_uid_maps=static:{ 5001 }" -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "uid from static:{ 5001 }" 0 2.0.0

# --- several recipients: 0 if all delivered, 75 if any deferred, else the
# first bounce; one stderr line per failure, the deferral first
rm -rf "$B/example.com/user"
multi() {	# multi WHAT EXIT DSN NLINES RCPT...
	_w=$1 _x=$2 _d=$3 _n=$4; shift 4
	_args=
	for _r; do _args="$_args -r $_r"; done
	vd -f s@x $_args <"$T_DIR/msg"
	expect_status "$_w" "$_x" "$_d"
	assert_eq "$_w: $_n stderr lines" "$_n" "$(grep -c . "$T_DIR/.err")"
}
multi "all delivered" 0 2.0.0 0 user@example.com mb@example.com
multi "unknown + ok" 67 5.1.1 1 nobody@example.com user@example.com
multi "ok + unknown" 67 5.1.1 1 user@example.com nobody@example.com
multi "unknown + bad uid: defer wins" 75 4.3.5 2 nobody@example.com uid99@example.com
assert_match "unknown + bad uid: second line is the bounce" '^5\.1\.1 ' \
    "$(sed -n 2p "$T_DIR/.err")"
multi "bad uid + unknown" 75 4.3.5 2 uid99@example.com nobody@example.com
cp "$T_DIR/loop" "$T_DIR/msg"
multi "unknown + loop: first bounce" 67 5.1.1 2 nobody@example.com mb@example.com
assert_match "unknown + loop: second line" '^5\.4\.6 ' "$(sed -n 2p "$T_DIR/.err")"
multi "loop + unknown: first bounce" 65 5.4.6 2 mb@example.com nobody@example.com
multi "loop + unknown + bad gid + ok" 75 4.3.5 3 mb@example.com nobody@example.com \
    gid0@example.com user@example.com
printf 'Subject: x\n\nbody\n' >"$T_DIR/msg"
n=$(count_files "$B/example.com/user/new")
multi "ok recipients are delivered beside failures" 75 4.3.5 1 \
    uid0@example.com user@example.com
assert_eq "ok beside failures: one more file" $((n + 1)) \
    "$(count_files "$B/example.com/user/new")"

# --- -v: diagnostics on stderr, and still the DSN line first on failure
vd -v -f s@x -r user@example.com <"$T_DIR/msg"
assert_eq "-v: exit 0" 0 "$RC"
assert_match "-v: names the key tried" "user@example\.com" "$ERR"
vd -v -f s@x -r nobody@example.com <"$T_DIR/msg"
assert_eq "-v failure: exit 67" 67 "$RC"
assert_match "-v failure: first stderr line is the DSN line" '^5\.1\.1 ' "$ERR1"

# unreadable standard input: an I/O error defers
vd -f s@x -r user@example.com </
expect_status "standard input is a directory" 75 4.3.0

# never an exit code outside the table (e.g. 1) for odd input
vd -f s@x -r '' <"$T_DIR/msg"
case "$RC" in
64|67|75) pass "empty recipient: exit $RC" ;;
*) fail "empty recipient: exit $RC ($ERR1)" ;;
esac
vd -f s@x -r '@example.com' <"$T_DIR/msg"
case "$RC" in
0|64|67|75) pass "recipient @example.com: exit $RC" ;;
*) fail "recipient @example.com: exit $RC ($ERR1)" ;;
esac

long=$(head -c 20000 /dev/zero | tr '\0' a)
vd -f s@x -r "$long@example.com" <"$T_DIR/msg"
case "$RC" in
64|67|75) pass "20000-character recipient: exit $RC" ;;
*) fail "20000-character recipient: exit $RC ($ERR1)" ;;
esac
vd -f "$long@x" -r user@example.com <"$T_DIR/msg"
case "$RC" in
0|64|75) pass "20000-character sender: exit $RC" ;;
*) fail "20000-character sender: exit $RC ($ERR1)" ;;
esac

t_end
