#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_deliver.sh - delivery as root with real uids: headers, senders,
# line endings, recipient forms (case, extensions, catch-all, key order),
# several recipients, map types (SPEC sections 2, 5, 7).
. "$(dirname "$0")/lib.sh"
t_begin deliver
need_root

B=$T_DIR/base
vd_init
cat >"$T_DIR/vmailbox" <<EOF
user@example.com    example.com/user/
mb@example.com      example.com/mb
deep@mbox.test      mbox.test/sub/deep
other@example.org   u5002/example.org/other/
other2@example.org  u5002/example.org/other2
@example.net        example.net/catchall
boss@example.net    example.net/boss/
abs@example.com     /abs/dir/mbox
norm@example.com    //norm/./x//y/
EOF
cat >"$T_DIR/uids" <<EOF
@example.com 5001
@mbox.test 5001
@example.net 5001
@example.org 5002
EOF
cp "$T_DIR/uids" "$T_DIR/gids"

cat >"$T_DIR/m1" <<'EOF'
From: Alice <alice@x>
To: user@example.com
Subject: hello

Hello.
From the start
>From quoted
 From space
from lower
From
end
EOF
cat >"$T_DIR/m1.quoted" <<'EOF'
From: Alice <alice@x>
To: user@example.com
Subject: hello

Hello.
>From the start
>From quoted
 From space
from lower
From
end
EOF

# the single file in maildir DIR/new -> MD_FILE (empty if not exactly one)
md_one() {
	MD_FILE=
	n=$(count_files "$1/new")
	if [ "$n" = 1 ]; then
		MD_FILE="$1/new/$(ls -A "$1/new")"
		pass "$2: one file in new/"
	else
		fail "$2: $n files in $1/new, expected 1"
	fi
}

# mbox_check WHAT MBOX SENDER EXPECTED : MBOX holds exactly one message:
# a From_ line for SENDER, then EXPECTED byte for byte.
mbox_check() {
	if [ ! -f "$2" ]; then fail "$1: no mbox $2"; return; fi
	assert_match "$1: From_ line" "^From $(re_quote "$3")$FROM_DATE_RE" \
	    "$(head -n 1 "$2")"
	tail -n +2 "$2" >"$T_DIR/.rest"
	assert_files_equal "$1: content" "$4" "$T_DIR/.rest"
}

# expected file: Return-Path, [X-Original-To], Delivered-To, then a body
exp_hdr() {	# exp_hdr OUT SENDER RCPT [ORIG]
	{
		printf 'Return-Path: <%s>\n' "$2"
		[ -n "${4:-}" ] && printf 'X-Original-To: %s\n' "$4"
		printf 'Delivered-To: %s\n' "$3"
	} >"$1"
}

# --- maildir: structure, name, owner, mode, content
vd -f sender@x -r user@example.com <"$T_DIR/m1"
expect_status "maildir" 0 2.0.0
md=$B/example.com/user
md_one "$md" maildir
for d in "$B/example.com" "$md" "$md/tmp" "$md/new" "$md/cur"; do
	assert_eq "maildir: mode of ${d#$B/}" 700 "$(file_mode "$d")"
	assert_eq "maildir: owner of ${d#$B/}" 5001:5001 "$(file_owner "$d")"
done
if [ -n "$MD_FILE" ]; then
	name=${MD_FILE##*/}
	assert_match "maildir: new/ name" "$MAILDIR_NEW_RE" "$name"
	assert_eq "maildir: S= is the file size" "$(stat -c %s "$MD_FILE")" \
	    "${name##*,S=}"
	host=$(hostname | sed 's,/,\\057,g; s,:,\\072,g')
	case "$name" in
	*".$host,S="*) pass "maildir: host part is gethostname()" ;;
	*) fail "maildir: host part of $name is not $host" ;;
	esac
	ino=$(printf '%x' "$(stat -c %i "$MD_FILE")")
	case "$name" in
	*"I$ino."*) pass "maildir: I is the inode in hex" ;;
	*) fail "maildir: $name does not carry I$ino" ;;
	esac
	dev=$(stat -c %D "$MD_FILE")
	case "$name" in
	*"V${dev}I"*) pass "maildir: V is the device in hex" ;;
	*) fail "maildir: $name does not carry V$dev" ;;
	esac
	sec=${name%%.*}; now=$(date +%s)
	assert_eq "maildir: <sec> is the time of delivery" yes \
	    "$([ $((now - sec)) -ge 0 ] && [ $((now - sec)) -le 60 ] && echo yes || echo no)"
	usec=${name#*.M}; usec=${usec%%P*}
	assert_eq "maildir: M<usec> below 1000000" yes \
	    "$([ "$usec" -lt 1000000 ] && echo yes || echo no)"
	assert_eq "maildir: file mode" 600 "$(file_mode "$MD_FILE")"
	assert_eq "maildir: file owner" 5001:5001 "$(file_owner "$MD_FILE")"
	exp_hdr "$T_DIR/exp" sender@x user@example.com
	cat "$T_DIR/m1" >>"$T_DIR/exp"
	assert_files_equal "maildir: content (no quoting, no blank line)" \
	    "$T_DIR/exp" "$MD_FILE"
fi
assert_eq "maildir: tmp/ empty" 0 "$(count_files "$md/tmp")"
assert_eq "maildir: cur/ empty" 0 "$(count_files "$md/cur")"

# second delivery: a second, distinct file
vd -f sender@x -r user@example.com <"$T_DIR/m1"
expect_status "maildir again" 0 2.0.0
assert_eq "maildir again: two files in new/" 2 "$(count_files "$md/new")"
assert_eq "maildir again: tmp/ empty" 0 "$(count_files "$md/tmp")"

# --- mbox: byte-exact, From_ quoting, owner, mode, parent directories
mbox=$B/example.com/mb
vd -f sender@x -r mb@example.com <"$T_DIR/m1"
expect_status "mbox" 0 2.0.0
exp_hdr "$T_DIR/exp" sender@x mb@example.com
cat "$T_DIR/m1.quoted" >>"$T_DIR/exp"
echo >>"$T_DIR/exp"
mbox_check "mbox" "$mbox" sender@x "$T_DIR/exp"
assert_eq "mbox: mode" 600 "$(file_mode "$mbox")"
assert_eq "mbox: owner" 5001:5001 "$(file_owner "$mbox")"
assert_eq "mbox: no dotlock left" no "$([ -e "$mbox.lock" ] && echo yes || echo no)"

# append: the first message stays, the second follows
cp "$mbox" "$T_DIR/mbox.1"
vd -f other@y -r mb@example.com <"$T_DIR/m1"
expect_status "mbox append" 0 2.0.0
s1=$(stat -c %s "$T_DIR/mbox.1")
head -c "$s1" "$mbox" >"$T_DIR/.head"
assert_files_equal "mbox append: first message untouched" "$T_DIR/mbox.1" "$T_DIR/.head"
tail -c +$((s1 + 1)) "$mbox" >"$T_DIR/.second"
exp_hdr "$T_DIR/exp" other@y mb@example.com
cat "$T_DIR/m1.quoted" >>"$T_DIR/exp"
echo >>"$T_DIR/exp"
mbox_check "mbox append: second message" "$T_DIR/.second" other@y "$T_DIR/exp"

# missing parent directories of an mbox are created 0700 (deviation)
vd -f sender@x -r deep@mbox.test <"$T_DIR/m1"
expect_status "mbox parents" 0 2.0.0
for d in "$B/mbox.test" "$B/mbox.test/sub"; do
	assert_eq "mbox parents: mode of ${d#$B/}" 700 "$(file_mode "$d")"
	assert_eq "mbox parents: owner of ${d#$B/}" 5001:5001 "$(file_owner "$d")"
done
assert_eq "mbox parents: mbox mode" 600 "$(file_mode "$B/mbox.test/sub/deep")"

# --- X-Original-To with -a; enable_original_recipient=no drops it
rm -f "$mbox"
vd -f s@x -a Orig@Example.COM -r mb@example.com <"$T_DIR/m1"
expect_status "-a" 0 2.0.0
exp_hdr "$T_DIR/exp" s@x mb@example.com Orig@Example.COM
cat "$T_DIR/m1.quoted" >>"$T_DIR/exp"; echo >>"$T_DIR/exp"
mbox_check "-a: X-Original-To between Return-Path and Delivered-To" \
    "$mbox" s@x "$T_DIR/exp"
rm -f "$mbox"
vd -o enable_original_recipient=no -f s@x -a orig@example.com \
    -r mb@example.com <"$T_DIR/m1"
expect_status "-a, enable_original_recipient=no" 0 2.0.0
exp_hdr "$T_DIR/exp" s@x mb@example.com
cat "$T_DIR/m1.quoted" >>"$T_DIR/exp"; echo >>"$T_DIR/exp"
mbox_check "-a, enable_original_recipient=no: no X-Original-To" \
    "$mbox" s@x "$T_DIR/exp"

# -a equal to the recipient: still written
rm -f "$mbox"
vd -f s@x -a mb@example.com -r mb@example.com <"$T_DIR/m1"
expect_status "-a same as recipient" 0 2.0.0
exp_hdr "$T_DIR/exp" s@x mb@example.com mb@example.com
cat "$T_DIR/m1.quoted" >>"$T_DIR/exp"; echo >>"$T_DIR/exp"
mbox_check "-a same as recipient: X-Original-To written" "$mbox" s@x "$T_DIR/exp"

# the From_ date is local time (TZ honoured by a plain binary)
rm -f "$mbox"
env TZ=XYZ-14 "$VDELIVER" -c "$T_DIR/vd.conf" -f s@x -r mb@example.com \
    <"$T_DIR/m1" >/dev/null 2>&1
d1=$(TZ=XYZ-14 LC_ALL=C date '+%a %b %e %H:%M')
d0=$(TZ=XYZ-14 LC_ALL=C date -d '-1 min' '+%a %b %e %H:%M')
got=$(head -n 1 "$mbox" | cut -c 11-26)
case "$got" in
"$d1"|"$d0") pass "From_ date is the local time of delivery" ;;
*) fail "From_ date [$got] is not local time (TZ=XYZ-14: [$d1])" ;;
esac

# an empty -a (pipe's ${original_recipient} may be empty): no header
rm -f "$mbox"
vd -f s@x -a '' -r mb@example.com <"$T_DIR/m1"
expect_status "-a ''" 0 2.0.0
exp_hdr "$T_DIR/exp" s@x mb@example.com
cat "$T_DIR/m1.quoted" >>"$T_DIR/exp"; echo >>"$T_DIR/exp"
mbox_check "-a '': no X-Original-To" "$mbox" s@x "$T_DIR/exp"

# --- the null sender
printf 'Subject: null\n\nbody\n' >"$T_DIR/mnull"
printf 'Return-Path: <>\nDelivered-To: mb@example.com\nSubject: null\n\nbody\n\n' \
    >"$T_DIR/exp.null"
for f in '' '<>' MAILER-DAEMON none; do
	rm -f "$mbox"
	if [ "$f" = none ]; then
		vd -r mb@example.com <"$T_DIR/mnull"; what="no -f, no From_ line"
	else
		vd -f "$f" -r mb@example.com <"$T_DIR/mnull"; what="-f '$f'"
	fi
	expect_status "null sender $what" 0 2.0.0
	mbox_check "null sender $what" "$mbox" MAILER-DAEMON "$T_DIR/exp.null"
done
# in a maildir too
rm -rf "$md"
vd -f '' -r user@example.com <"$T_DIR/mnull"
expect_status "null sender maildir" 0 2.0.0
md_one "$md" "null sender maildir"
printf 'Return-Path: <>\nDelivered-To: user@example.com\nSubject: null\n\nbody\n' \
    >"$T_DIR/exp"
[ -n "$MD_FILE" ] && assert_files_equal "null sender maildir: content" \
    "$T_DIR/exp" "$MD_FILE"

# --- sender from a leading From_ line; the line is removed
printf 'From env@y  Sun Nov 22 02:27:04 2026\nSubject: env\n\nFrom body\n' \
    >"$T_DIR/menv"
rm -f "$mbox"
vd -r mb@example.com <"$T_DIR/menv"
expect_status "From_ sender" 0 2.0.0
printf 'Return-Path: <env@y>\nDelivered-To: mb@example.com\nSubject: env\n\n>From body\n\n' \
    >"$T_DIR/exp"
mbox_check "From_ sender: used and removed" "$mbox" env@y "$T_DIR/exp"
rm -f "$mbox"
vd -f cmd@z -r mb@example.com <"$T_DIR/menv"
expect_status "From_ line with -f" 0 2.0.0
printf 'Return-Path: <cmd@z>\nDelivered-To: mb@example.com\nSubject: env\n\n>From body\n\n' \
    >"$T_DIR/exp"
mbox_check "From_ line with -f: -f wins, line removed" "$mbox" cmd@z "$T_DIR/exp"
rm -rf "$md"
vd -r user@example.com <"$T_DIR/menv"
expect_status "From_ sender maildir" 0 2.0.0
md_one "$md" "From_ sender maildir"
printf 'Return-Path: <env@y>\nDelivered-To: user@example.com\nSubject: env\n\nFrom body\n' \
    >"$T_DIR/exp"
[ -n "$MD_FILE" ] && assert_files_equal "From_ sender maildir: content" \
    "$T_DIR/exp" "$MD_FILE"

# --- line endings: CRLF -> LF, bare CR and NUL kept, final newline added
printf 'Subject: crlf\r\nX-A: 1\r\n\r\nline one\r\nFrom crlf\r\nbare\rcr\r\nnul\000byte\r\ncr-cr\r\r\nlast' \
    >"$T_DIR/mcrlf"
printf 'Subject: crlf\nX-A: 1\n\nline one\n>From crlf\nbare\rcr\nnul\000byte\ncr-cr\r\nlast\n\n' \
    >"$T_DIR/body.mbox"
printf 'Subject: crlf\nX-A: 1\n\nline one\nFrom crlf\nbare\rcr\nnul\000byte\ncr-cr\r\nlast\n' \
    >"$T_DIR/body.md"
rm -f "$mbox"
vd -f s@x -r mb@example.com <"$T_DIR/mcrlf"
expect_status "CRLF mbox" 0 2.0.0
exp_hdr "$T_DIR/exp" s@x mb@example.com
cat "$T_DIR/body.mbox" >>"$T_DIR/exp"
mbox_check "CRLF/CR/NUL/no final newline mbox" "$mbox" s@x "$T_DIR/exp"
rm -rf "$md"
vd -f s@x -r user@example.com <"$T_DIR/mcrlf"
expect_status "CRLF maildir" 0 2.0.0
md_one "$md" "CRLF maildir"
exp_hdr "$T_DIR/exp" s@x user@example.com
cat "$T_DIR/body.md" >>"$T_DIR/exp"
[ -n "$MD_FILE" ] && assert_files_equal "CRLF/CR/NUL/no final newline maildir" \
    "$T_DIR/exp" "$MD_FILE"
# CRLF in a leading From_ line
printf 'From crlf@y  Sun Nov 22 02:27:04 2026\r\nSubject: x\r\n\r\nb\r\n' >"$T_DIR/mcrlf2"
rm -f "$mbox"
vd -r mb@example.com <"$T_DIR/mcrlf2"
expect_status "CRLF From_ line" 0 2.0.0
printf 'Return-Path: <crlf@y>\nDelivered-To: mb@example.com\nSubject: x\n\nb\n\n' >"$T_DIR/exp"
mbox_check "CRLF From_ line" "$mbox" crlf@y "$T_DIR/exp"

# --- recipient case: lookup folded, headers keep the case
rm -f "$mbox"
vd -f s@x -r MB@Example.COM <"$T_DIR/mnull"
expect_status "upper-case recipient" 0 2.0.0
printf 'Return-Path: <s@x>\nDelivered-To: MB@Example.COM\nSubject: null\n\nbody\n\n' \
    >"$T_DIR/exp"
mbox_check "upper-case recipient: Delivered-To keeps the case" "$mbox" s@x "$T_DIR/exp"

# --- leading '/' does not escape; empty and '.' components dropped
vd -f s@x -r abs@example.com <"$T_DIR/mnull"
expect_status "leading / in the map value" 0 2.0.0
assert_eq "leading /: mbox below the base" yes \
    "$([ -f "$B/abs/dir/mbox" ] && echo yes || echo no)"
assert_eq "leading /: nothing at /abs" no "$([ -e /abs/dir/mbox ] && echo yes || echo no)"
vd -f s@x -r norm@example.com <"$T_DIR/mnull"
expect_status "//norm/./x//y/" 0 2.0.0
assert_eq "//norm/./x//y/: maildir at norm/x/y" 1 "$(count_files "$B/norm/x/y/new")"

# --- catch-all and specific keys
vd -f s@x -r anyone@example.net <"$T_DIR/mnull"
expect_status "catch-all" 0 2.0.0
assert_eq "catch-all: delivered to example.net/catchall" yes \
    "$([ -f "$B/example.net/catchall" ] && echo yes || echo no)"
vd -f s@x -r boss@example.net <"$T_DIR/mnull"
expect_status "specific key beats catch-all" 0 2.0.0
assert_eq "specific key beats catch-all: boss maildir" 1 \
    "$(count_files "$B/example.net/boss/new")"
vd -f s@x -r nobody@example.com <"$T_DIR/mnull"
expect_status "no catch-all for example.com" 67 5.1.1

# --- recipient_delimiter
vd -f s@x -r user+ext@example.com <"$T_DIR/mnull"
expect_status "no delimiter: user+ext unknown" 67 5.1.1
rm -rf "$md"
vd -o recipient_delimiter=+ -f s@x -r User+Ext@Example.com <"$T_DIR/mnull"
expect_status "delimiter +: User+Ext" 0 2.0.0
md_one "$md" "delimiter +"
printf 'Return-Path: <s@x>\nDelivered-To: User+Ext@Example.com\nSubject: null\n\nbody\n' \
    >"$T_DIR/exp"
[ -n "$MD_FILE" ] && assert_files_equal "delimiter +: Delivered-To keeps extension and case" \
    "$T_DIR/exp" "$MD_FILE"
# the full address wins over the stripped one
echo "user+vip@example.com example.com/vip/" >>"$T_DIR/vmailbox"
vd -o recipient_delimiter=+ -f s@x -r user+vip@example.com <"$T_DIR/mnull"
expect_status "delimiter +: full address first" 0 2.0.0
assert_eq "delimiter +: user+vip has its own maildir" 1 \
    "$(count_files "$B/example.com/vip/new")"

# delimiter set "+-" (texthash map of its own)
cat >"$T_DIR/vm.delim" <<EOF
e@d.test         d.test/e
e+a@d.test       d.test/e-plus-a
owner@d.test     d.test/owner
list@d.test      d.test/list
mailer@d.test    d.test/mailer
postmaster@d.test d.test/postmaster
EOF
echo "@d.test 5001" >>"$T_DIR/uids"
echo "@d.test 5001" >>"$T_DIR/gids"
dl() { vd -o "virtual_mailbox_maps=texthash:$T_DIR/vm.delim" \
    -o "recipient_delimiter=+-" -f s@x -r "$@" <"$T_DIR/mnull"; }
dl e+a+b@d.test
expect_status "delimiter +-: e+a+b" 0 2.0.0
assert_eq "delimiter +-: e+a+b goes to e (split at the first)" yes \
    "$([ -f "$B/d.test/e" ] && [ ! -e "$B/d.test/e-plus-a" ] && echo yes || echo no)"
rm -f "$B/d.test/e"
dl e-x+a@d.test
expect_status "delimiter +-: e-x+a" 0 2.0.0
assert_eq "delimiter +-: e-x+a goes to e" yes "$([ -f "$B/d.test/e" ] && echo yes || echo no)"
dl +x@d.test
expect_status "delimiter +-: +x (empty localpart) not split" 67 5.1.1
dl owner-x@d.test
expect_status "delimiter +-: owner-x not split" 67 5.1.1
dl list-request@d.test
expect_status "delimiter +-: list-request not split" 67 5.1.1
dl MAILER-DAEMON@d.test
expect_status "delimiter +-: MAILER-DAEMON not split" 67 5.1.1
dl postmaster+x@d.test
expect_status "delimiter +-: postmaster+x split" 0 2.0.0

# --- key-major order across a map list
cat >"$T_DIR/vm.a" <<EOF
@ko.test      ko.test/catchall
e@ko.test     ko.test/e-map1
EOF
cat >"$T_DIR/vm.b" <<EOF
u@ko.test     ko.test/u-map2
e+x@ko.test   ko.test/ex-map2
EOF
echo "@ko.test 5001" >>"$T_DIR/uids"
echo "@ko.test 5001" >>"$T_DIR/gids"
ko() { vd -o "virtual_mailbox_maps=texthash:$T_DIR/vm.a, texthash:$T_DIR/vm.b" \
    -o recipient_delimiter=+ -f s@x -r "$@" <"$T_DIR/mnull"; }
ko u@ko.test
expect_status "key-major: u" 0 2.0.0
assert_eq "key-major: u@ko.test in map 2 beats @ko.test in map 1" yes \
    "$([ -f "$B/ko.test/u-map2" ] && [ ! -e "$B/ko.test/catchall" ] && echo yes || echo no)"
ko e+x@ko.test
expect_status "key-major: e+x" 0 2.0.0
assert_eq "key-major: e+x@ko.test in map 2 beats e@ko.test in map 1" yes \
    "$([ -f "$B/ko.test/ex-map2" ] && [ ! -e "$B/ko.test/e-map1" ] && echo yes || echo no)"
# the same for the uid map: a later key in map 1 loses to an earlier key
# in map 2
printf '@ko.test 5001\n' >"$T_DIR/uid.a"
printf 'u@ko.test 5002\n' >"$T_DIR/uid.b"
rm -rf "$B/ko.test"
mkdir -p "$B/u5002/ko"; chown 5002:5002 "$B/u5002/ko"
echo "u@ko.test u5002/ko/u" >"$T_DIR/vm.c"
vd -o "virtual_mailbox_maps=texthash:$T_DIR/vm.c" \
    -o "virtual_uid_maps=texthash:$T_DIR/uid.a texthash:$T_DIR/uid.b" \
    -o "virtual_gid_maps=static:5002" -f s@x -r u@ko.test <"$T_DIR/mnull"
expect_status "key-major uid map" 0 2.0.0
assert_eq "key-major uid map: owner 5002" 5002:5002 \
    "$(file_owner "$B/u5002/ko/u" 2>/dev/null)"

# --- several recipients in one run
rm -rf "$md"; rm -f "$mbox"
vd -f s@x -r user@example.com -r mb@example.com <"$T_DIR/mnull"
expect_status "two recipients, same uid" 0 2.0.0
assert_eq "two recipients: maildir" 1 "$(count_files "$md/new")"
assert_eq "two recipients: mbox" yes "$([ -f "$mbox" ] && echo yes || echo no)"
md_one "$md" "two recipients"
printf 'Return-Path: <s@x>\nDelivered-To: user@example.com\nSubject: null\n\nbody\n' \
    >"$T_DIR/exp"
[ -n "$MD_FILE" ] && assert_files_equal "two recipients: maildir has its own Delivered-To" \
    "$T_DIR/exp" "$MD_FILE"
printf 'Return-Path: <s@x>\nDelivered-To: mb@example.com\nSubject: null\n\nbody\n\n' \
    >"$T_DIR/exp"
mbox_check "two recipients: mbox has its own Delivered-To" "$mbox" s@x "$T_DIR/exp"

rm -rf "$md"; rm -f "$mbox"
vd -f s@x -r user@example.com -r other@example.org -r mb@example.com \
    -r other2@example.org <"$T_DIR/m1"
expect_status "four recipients, two uids" 0 2.0.0
o=$B/u5002/example.org/other
assert_eq "two uids: 5001 maildir" 1 "$(count_files "$md/new")"
assert_eq "two uids: 5002 maildir" 1 "$(count_files "$o/new")"
for f in "$B/u5002/example.org" "$o" "$o/new" "$o/new"/* "$B/u5002/example.org/other2"; do
	assert_eq "two uids: owner of ${f#$B/}" 5002:5002 "$(file_owner "$f")"
done
for f in "$md/new"/* "$mbox"; do
	assert_eq "two uids: owner of ${f#$B/}" 5001:5001 "$(file_owner "$f")"
done
exp_hdr "$T_DIR/exp" s@x other2@example.org
cat "$T_DIR/m1.quoted" >>"$T_DIR/exp"; echo >>"$T_DIR/exp"
mbox_check "two uids: 5002 mbox content" "$B/u5002/example.org/other2" s@x "$T_DIR/exp"

# twenty recipients, alternating uids (one child per recipient)
i=1; args=
while [ $i -le 20 ]; do
	if [ $((i % 2)) = 0 ]; then
		echo "many$i@example.org u5002/many/m$i/" >>"$T_DIR/vmailbox"
	else
		echo "many$i@example.com many/m$i" >>"$T_DIR/vmailbox"
	fi
	args="$args -r many$i@example.$([ $((i % 2)) = 0 ] && echo org || echo com)"
	i=$((i + 1))
done
vd -f s@x $args <"$T_DIR/mnull"
expect_status "twenty recipients, two uids" 0 2.0.0
assert_eq "twenty recipients: 10 mboxes of 5001" "10 5001:5001" \
    "$(ls "$B/many" 2>/dev/null | wc -l | tr -d ' ') $(stat -c %u:%g "$B/many"/* 2>/dev/null | sort -u)"
assert_eq "twenty recipients: 10 maildirs of 5002" "10 5002:5002" \
    "$(ls "$B/u5002/many"/*/new/* 2>/dev/null | wc -l | tr -d ' ') $(stat -c %u:%g "$B/u5002/many"/*/new/* 2>/dev/null | sort -u)"

# two recipients that share one mbox: two complete copies
printf 'share1@example.com shared/mb\nshare2@example.com shared/mb\n' >>"$T_DIR/vmailbox"
vd -f s@x -r share1@example.com -r share2@example.com <"$T_DIR/mnull"
expect_status "two recipients, one mbox" 0 2.0.0
{ printf 'Return-Path: <s@x>\nDelivered-To: share1@example.com\nSubject: null\n\nbody\n\n'
  printf 'Return-Path: <s@x>\nDelivered-To: share2@example.com\nSubject: null\n\nbody\n\n'; } |
    sort >"$T_DIR/exp"
grep -v '^From ' "$B/shared/mb" 2>/dev/null | sort >"$T_DIR/got"
assert_files_equal "two recipients, one mbox: both copies" "$T_DIR/exp" "$T_DIR/got"
assert_eq "two recipients, one mbox: two From_ lines" 2 \
    "$(grep -c '^From s@x  ' "$B/shared/mb" 2>/dev/null)"

# trailing operands, with and without -r
rm -rf "$md" "$o"
vd -f s@x user@example.com other@example.org <"$T_DIR/mnull"
expect_status "recipients as operands" 0 2.0.0
assert_eq "operands: first delivered" 1 "$(count_files "$md/new")"
assert_eq "operands: second delivered" 1 "$(count_files "$o/new")"
rm -rf "$md" "$o"
vd -f s@x -r user@example.com other@example.org <"$T_DIR/mnull"
expect_status "-r plus an operand" 0 2.0.0
assert_eq "-r plus operand: both delivered" 2 \
    "$(( $(count_files "$md/new") + $(count_files "$o/new") ))"

# --- Berkeley DB maps (hash, btree), with and without trailing NULs
for t in hash btree; do
	for z in nul plain; do
		printf 'user@example.com example.com/%s-%s/\n' $t $z |
		    db_make $t "$T_DIR/db-$t-$z.db" $z
		printf '@example.com 5001\n' | db_make $t "$T_DIR/uid-$t-$z.db" $z
		vd -o "virtual_mailbox_maps=$t:$T_DIR/db-$t-$z" \
		    -o "virtual_uid_maps=$t:$T_DIR/uid-$t-$z" \
		    -o "virtual_gid_maps=static:5001" \
		    -f s@x -r User@Example.com <"$T_DIR/mnull"
		expect_status "$t map ($z)" 0 2.0.0
		assert_eq "$t map ($z): delivered" 1 \
		    "$(count_files "$B/example.com/$t-$z/new")"
	done
done

# a hash map built by vmap from a source with an upper-case key
if [ -x "$VMAP" ]; then
	printf 'VMapped@Example.COM example.com/vmapped/\n' >"$T_DIR/vm.src"
	if "$VMAP" "hash:$T_DIR/vm.src" >/dev/null 2>&1; then
		vd -o "virtual_mailbox_maps=hash:$T_DIR/vm.src" -f s@x \
		    -r vmapped@example.com <"$T_DIR/mnull"
		expect_status "hash map built by vmap" 0 2.0.0
		assert_eq "vmap hash map: delivered" 1 \
		    "$(count_files "$B/example.com/vmapped/new")"
	else
		fail "vmap hash:$T_DIR/vm.src failed"
	fi
else
	skip "no vmap binary: hash map built by vmap"
fi

# texthash: keys lower-cased, the first duplicate wins
printf 'Upper@Example.NET  example.net/upper/\ndup@example.net example.net/dup1/\ndup@example.net example.net/dup2/\n' \
    >>"$T_DIR/vmailbox"
vd -f s@x -r upper@example.net -r dup@example.net <"$T_DIR/mnull"
expect_status "texthash upper-case key, duplicate key" 0 2.0.0
assert_eq "texthash: upper-case key matches" 1 "$(count_files "$B/example.net/upper/new")"
assert_eq "texthash: first duplicate wins" "1 0" \
    "$(count_files "$B/example.net/dup1/new") $(count_files "$B/example.net/dup2/new")"

# regexp maps: full address only; $1 rules are skipped with a warning
cat >"$T_DIR/vm.rx" <<'EOF'
/^rx@example\.com$/          example.com/rx/
/^(.*)@sub\.example\.com$/   example.com/sub-$1/
EOF
rx() { vd -o "virtual_mailbox_maps=regexp:$T_DIR/vm.rx" -o recipient_delimiter=+ \
    -f s@x -r "$@" <"$T_DIR/mnull"; }
: >"$T_DIR/maillog"
rx RX@Example.com
expect_status "regexp map" 0 2.0.0
assert_eq "regexp map: delivered" 1 "$(count_files "$B/example.com/rx/new")"
rx rx+ext@example.com
expect_status "regexp map sees only the full address" 67 5.1.1
rx joe@sub.example.com
expect_status "regexp \$1 rule skipped" 67 5.1.1
assert_eq "regexp \$1 rule: nothing written" no \
    "$(ls -d "$B/example.com/sub-"* >/dev/null 2>&1 && echo yes || echo no)"
assert_match "regexp \$1 rule: warning logged" 'warning: .*' "$(cat "$T_DIR/maillog")"

# static maps and a { } group
vd -o "virtual_mailbox_maps=static:{ example.com/static/ }" \
    -o "virtual_uid_maps=static:5001" -o "virtual_gid_maps=static:5001" \
    -f s@x -r whoever@anywhere.test <"$T_DIR/mnull"
expect_status "static maps" 0 2.0.0
assert_eq "static maps: delivered" 1 "$(count_files "$B/example.com/static/new")"

t_end
