#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_safety.sh - unusable mailboxes: symbolic links below the base, hard
# links, foreign owners, directories, devices, FIFOs, sockets, permission
# problems, ".." paths.  Nothing may be written anywhere, and every
# mailbox must be byte-identical afterwards (SPEC sections 3, 6, 7).
. "$(dirname "$0")/lib.sh"
t_begin safety
need_root

B=$T_DIR/base
vd_init
echo "@example.com 5001" >"$T_DIR/uids"
echo "@example.com 5001" >"$T_DIR/gids"
printf 'Subject: safety\n\nbody\n' >"$T_DIR/msg"

rcpt() {	# rcpt LOCALPART PATH : add LOCALPART@example.com -> PATH
	echo "$1@example.com $2" >>"$T_DIR/vmailbox"
}
# try WHAT LOCALPART EXIT DSN : deliver and compare the whole sandbox
# ($T_DIR minus the log) before and after
try() {
	tree_sig "$B" >"$T_DIR/sig.before"
	vd -f s@x -r "$2@example.com" <"$T_DIR/msg"
	expect_status "$1" "$3" "$4"
	tree_sig "$B" >"$T_DIR/sig.after"
	assert_files_equal "$1: nothing changed below the base" \
	    "$T_DIR/sig.before" "$T_DIR/sig.after"
}
mk5001() { mkdir -p "$@"; chown 5001:5001 "$@"; chmod 0755 "$@"; }
file5001() { printf 'old content\n' >"$1"; chown 5001:5001 "$1"; chmod 0600 "$1"; }

mk5001 "$B/example.com" "$B/real" "$B/real/m" "$B/real/m/tmp" "$B/real/m/new" \
    "$B/real/m/cur"
file5001 "$B/example.com/target"
file5001 "$B/real/mbox"

# --- symbolic links below the base, even pointing inside it
ln -s real "$B/linkdir"; chown -h 5001:5001 "$B/linkdir"
rcpt symdir linkdir/mbox
try "symlink directory component (mbox)" symdir 75 4.2.0
rcpt symdirmd linkdir/m/
try "symlink directory component (maildir)" symdirmd 75 4.2.0
rcpt symdirnew linkdir/new/
try "symlink directory component (new maildir)" symdirnew 75 4.2.0

ln -s target "$B/example.com/link"; chown -h 5001:5001 "$B/example.com/link"
rcpt symmbox example.com/link
try "mbox is a symlink to a file in the base" symmbox 75 4.2.0
ln -s "$B/example.com/target" "$B/example.com/abslink"
rcpt symabs example.com/abslink
try "mbox is an absolute root-owned symlink" symabs 75 4.2.0
ln -s nonexistent "$B/example.com/dangling"; chown -h 5001:5001 "$B/example.com/dangling"
rcpt dangling example.com/dangling
try "mbox is a dangling symlink" dangling 75 4.2.0
ln -s /etc "$B/example.com/etc"
rcpt etcpw example.com/etc/passwd-test
try "symlink to /etc" etcpw 75 4.2.0
assert_eq "symlink to /etc: nothing written there" no \
    "$([ -e /etc/passwd-test ] && echo yes || echo no)"

mk5001 "$B/md2" "$B/md2/m" "$B/md2/m/new" "$B/md2/m/cur" "$B/md2/realtmp"
ln -s ../realtmp "$B/md2/m/tmp"; chown -h 5001:5001 "$B/md2/m/tmp"
rcpt symtmp md2/m/
try "maildir tmp/ is a symlink" symtmp 75 4.2.0
mk5001 "$B/md3" "$B/md3/m" "$B/md3/m/tmp" "$B/md3/m/cur" "$B/md3/realnew"
ln -s ../realnew "$B/md3/m/new"; chown -h 5001:5001 "$B/md3/m/new"
rcpt symnew md3/m/
try "maildir new/ is a symlink" symnew 75 4.2.0
ln -s real/m "$B/mdlink"; chown -h 5001:5001 "$B/mdlink"
rcpt symmd mdlink/
try "the maildir itself is a symlink" symmd 75 4.2.0

# --- hard links, owners, directories
file5001 "$B/example.com/hard"
ln "$B/example.com/hard" "$B/example.com/hard2"
rcpt hard example.com/hard
try "mbox with 2 links" hard 75 4.2.0

printf 'old\n' >"$B/example.com/foreign"
chown 5002:5002 "$B/example.com/foreign"; chmod 0666 "$B/example.com/foreign"
rcpt foreign example.com/foreign
try "mbox owned by another uid" foreign 75 4.2.0
printf 'old\n' >"$B/example.com/rootown"; chmod 0666 "$B/example.com/rootown"
rcpt rootown example.com/rootown
try "mbox owned by root" rootown 75 4.2.0
vd -o strict_mailbox_ownership=no -f s@x -r foreign@example.com <"$T_DIR/msg"
expect_status "strict_mailbox_ownership=no: foreign mbox" 0 2.0.0
assert_eq "strict_mailbox_ownership=no: appended" yes \
    "$([ "$(stat -c %s "$B/example.com/foreign")" -gt 4 ] && echo yes || echo no)"
assert_eq "strict_mailbox_ownership=no: owner kept" 5002:5002 \
    "$(file_owner "$B/example.com/foreign")"

printf 'old\n' >"$B/example.com/othergrp"
chown 5001:5002 "$B/example.com/othergrp"; chmod 0600 "$B/example.com/othergrp"
rcpt othergrp example.com/othergrp
vd -f s@x -r othergrp@example.com <"$T_DIR/msg"
expect_status "mbox of the recipient uid, another group (group not checked)" 0 2.0.0

mk5001 "$B/example.com/adir"
rcpt adir example.com/adir
try "directory where the mbox should be" adir 75 4.2.0

printf 'old\n' >"$B/example.com/noperm"
chown 5001:5001 "$B/example.com/noperm"; chmod 0400 "$B/example.com/noperm"
rcpt noperm example.com/noperm
try "mbox not writable by its owner" noperm 75 4.2.0

mkdir -p "$B/rootdir"; chmod 0755 "$B/rootdir"
rcpt rootdir rootdir/mbox
try "permission denied creating the mbox" rootdir 75 4.2.0
rcpt rootdir2 rootdir/sub/mbox
try "permission denied creating a directory" rootdir2 75 4.2.0
rcpt rootdirmd rootdir/md/
try "permission denied creating a maildir" rootdirmd 75 4.2.0

# a regular file where a directory should be
rcpt notdir example.com/target/mbox
try "a file as a directory component" notdir 75 4.2.0

# --- devices, FIFOs and sockets bounce 5.3.5
mkfifo "$B/example.com/fifo"; chown 5001:5001 "$B/example.com/fifo"
rcpt fifo example.com/fifo
tree_sig "$B" >"$T_DIR/sig.before"
timeout 20 "$VDELIVER" -c "$T_DIR/vd.conf" -f s@x -r fifo@example.com \
    <"$T_DIR/msg" >"$T_DIR/.out" 2>"$T_DIR/.err"
RC=$?; ERR=$(cat "$T_DIR/.err"); ERR1=$(head -n 1 "$T_DIR/.err")
[ "$RC" = 124 ] && ERR1="(timed out: blocked on the FIFO)"
expect_status "mbox is a FIFO" 78 5.3.5
tree_sig "$B" >"$T_DIR/sig.after"
assert_files_equal "FIFO: nothing changed" "$T_DIR/sig.before" "$T_DIR/sig.after"

if mknod "$B/example.com/null" c 1 3 2>/dev/null; then
	chown 5001:5001 "$B/example.com/null"; chmod 0666 "$B/example.com/null"
	rcpt dev example.com/null
	try "mbox is a character device" dev 78 5.3.5
else
	skip "mknod not permitted here"
fi
if perl -MSocket -e 'socket(S, PF_UNIX, SOCK_STREAM, 0) or die;
    bind(S, pack_sockaddr_un($ARGV[0])) or die' "$B/example.com/sock" 2>/dev/null; then
	chown 5001:5001 "$B/example.com/sock"
	rcpt sock example.com/sock
	try "mbox is a socket" sock 78 5.3.5
else
	skip "cannot create a UNIX socket"
fi

# --- bad paths defer 4.3.5 and write nothing, inside or outside the base
rcpt dotdot1 "../escape"
try "path ../escape" dotdot1 75 4.3.5
rcpt dotdot2 "example.com/../../escape2"
try "path example.com/../../escape2" dotdot2 75 4.3.5
rcpt dotdot3 "example.com/../inside"
try "path example.com/../inside (.. inside the base)" dotdot3 75 4.3.5
rcpt dotdot4 "example.com/x/.."
try "path ending in /.." dotdot4 75 4.3.5
rcpt dotdot5 "../escape3/"
try "maildir path ../escape3/" dotdot5 75 4.3.5
assert_eq ".. paths: nothing outside the base" no \
    "$(ls -d "$T_DIR"/escape* 2>/dev/null | grep -q . && echo yes || echo no)"
rcpt slash "/"
try "path /" slash 75 4.3.5
rcpt dots "./."
try "path ./." dots 75 4.3.5
assert_match "bad path: reason" "bad mailbox path" "$ERR1"

# --- line breaks in -f, -a or -r never reach the mailbox as extra header
# lines or a forged From_ line: refused, or written without the break
mk5001 "$B/inj"
rcpt inj inj/mb
nl='
'
cr=$(printf '\r')
inject() {	# inject WHAT ARGS...
	_w=$1; shift
	rm -f "$B/inj/mb"
	vd "$@" <"$T_DIR/msg"
	case "$RC" in
	0|64|75) pass "$_w: exit $RC" ;;
	*) fail "$_w: exit $RC ($ERR1)" ;;
	esac
	n=$(grep -c '^From ' "$B/inj/mb" 2>/dev/null)
	i=$(grep -c -i '^X-Inj' "$B/inj/mb" 2>/dev/null)
	c=$(tr -cd '\r' 2>/dev/null <"$B/inj/mb" | wc -c | tr -d ' ')
	if [ "${n:-0}" -le 1 ] && [ "${i:-0}" = 0 ] && [ "${c:-0}" = 0 ]; then
		pass "$_w: no injected lines"
	else
		fail "$_w: mailbox has $n From_ lines, $i injected headers, $c CRs"
		sed -n 1,8p "$B/inj/mb"
	fi
}
inject "newline in -f" -f "a@x${nl}X-Inj: 1" -r inj@example.com
inject "forged From_ line via -f" -f "a@x${nl}${nl}From evil@x  Sun Nov 22 02:27:04 2026" \
    -r inj@example.com
inject "CR in -f" -f "a@x${cr}X-Inj: 1" -r inj@example.com
inject "newline in -a" -f s@x -a "o@x${nl}X-Inj: 2" -r inj@example.com
inject "CR in -a" -f s@x -a "o@x${cr}X-Inj: 2" -r inj@example.com
echo "@inj.test inj/mb" >>"$T_DIR/vmailbox"
echo "@inj.test 5001" >>"$T_DIR/uids"; echo "@inj.test 5001" >>"$T_DIR/gids"
inject "newline in -r" -f s@x -r "x${nl}X-Inj: 3${nl}@inj.test"

# --- closed standard descriptors: no file opened later may take their
# place (a config file read as the message, diagnostics written into a
# mailbox)
mk5001 "$B/fd"
rcpt fdmb fd/mb
rcpt fdmd fd/md/
"$VDELIVER" -v -c "$T_DIR/vd.conf" -f s@x -r fdmb@example.com -r fdmd@example.com \
    <"$T_DIR/msg" >&- 2>&-
assert_eq "stdout and stderr closed, -v: exit" 0 "$?"
{ printf 'Return-Path: <s@x>\nDelivered-To: fdmb@example.com\n'; cat "$T_DIR/msg"; echo; } \
    >"$T_DIR/exp"
tail -n +2 "$B/fd/mb" >"$T_DIR/got" 2>/dev/null
assert_files_equal "stdout and stderr closed: mbox holds only the message" \
    "$T_DIR/exp" "$T_DIR/got"
{ printf 'Return-Path: <s@x>\nDelivered-To: fdmd@example.com\n'; cat "$T_DIR/msg"; } \
    >"$T_DIR/exp"
f=$(ls "$B/fd/md/new"/* 2>/dev/null | head -n 1)
if [ -n "$f" ]; then
	assert_files_equal "stdout and stderr closed: maildir holds only the message" \
	    "$T_DIR/exp" "$f"
else
	fail "stdout and stderr closed: nothing in the maildir"
fi
tree_sig "$B" >"$T_DIR/sig.before"
"$VDELIVER" -v -c "$T_DIR/vd.conf" -f s@x -r nobody@example.com <"$T_DIR/msg" >&- 2>&-
assert_eq "stderr closed, unknown user: exit" 67 "$?"
tree_sig "$B" >"$T_DIR/sig.after"
assert_files_equal "stderr closed, unknown user: nothing written" \
    "$T_DIR/sig.before" "$T_DIR/sig.after"
rm -f "$B/fd/mb"
"$VDELIVER" -c "$T_DIR/vd.conf" -f s@x -r fdmb@example.com <&- >"$T_DIR/.out" 2>"$T_DIR/.err"
rc=$?
case "$rc" in
0|75) pass "stdin closed: exit $rc" ;;
*) fail "stdin closed: exit $rc ($(head -n 1 "$T_DIR/.err"))" ;;
esac
if grep -q virtual_mailbox "$B/fd/mb" 2>/dev/null; then
	fail "stdin closed: the configuration file was delivered as the message"
else
	pass "stdin closed: no configuration text in the mailbox"
fi

t_end
