#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_dovecot.sh - a real Dovecot (the Debian 12 package, 2.3.19) reads the
# mbox and the maildir that vdeliver wrote, over IMAP: message counts, and
# every message byte for byte (FETCH BODY.PEEK[], BINARY.PEEK[],
# BODY.PEEK[TEXT], RFC822.SIZE), Return-Path and Delivered-To present,
# INTERNALDATE from the From_ line; doveadm's own count and sizes; no
# complaint in Dovecot's log; then Dovecot rewrites the mbox (flags,
# expunge) and vdeliver appends again; then vdeliver and Dovecot work on
# the same mailboxes at the same time; and a 50 MB message.
#
# No dovecot daemon is started: a private configuration (no listeners,
# base_dir in the sandbox) is used by /usr/lib/dovecot/imap, run directly
# in PREAUTH mode as uid 5001 (setpriv, empty environment) and spoken to
# over a pipe by tests/data/dovecot/imapc.pl, which parses IMAP literals
# exactly and writes them to files; doveadm runs the same way, as the
# mailbox owner without -u (no auth lookup).  The expected replies are
# computed from the input by tests/data/dovecot/expect.pl, from the rules
# of SPEC sections 2 and 7.
#
# What Dovecot 2.3 does with vdeliver's mailboxes (established here):
# - mbox: the default settings read it (mbox_min_index_size = 0, i.e. an
#   index is always kept; mbox_dirty_syncs = yes); messages that vdeliver
#   appends later are found by the next sync.  vdeliver's default locks
#   (fcntl, dotlock) are the ones Dovecot uses (Debian's
#   mbox_write_locks = "fcntl dotlock", mbox_read_locks = fcntl); the
#   dotlock needs the mbox's directory writable by the user, which is so
#   for the directories vdeliver creates.  The order differs: vdeliver
#   (like Postfix) takes the dotlock first, Debian's Dovecot takes fcntl
#   first and keeps it while it waits for a dotlock (upstream's default
#   is "dotlock fcntl").  If both ever hold one lock each, vdeliver gives
#   up after deliver_lock_attempts and defers (4.2.0); nothing is lost.
# - Dovecot does NOT undo mboxo quoting: a body line "From x" that vdeliver
#   stored as ">From x" is returned as ">From x", and a line that was
#   ">From x" already is returned unchanged (mboxo is ambiguous).  So the
#   expected body is the input after vdeliver's documented
#   transformations: envelope From_ line removed, CRLF -> LF, final
#   newline added, "From " -> ">From " - then sent by IMAP with CRLF line
#   ends (LF -> CRLF; a bare CR is passed as it is).
# - The From_ line and the empty line that ends each mbox message are not
#   part of the message (RFC822.SIZE and BODY[] exclude them); the From_
#   date is read as local time and becomes INTERNALDATE.
# - NUL bytes: BODY[] and BODY[TEXT] return each NUL as 0x80; BINARY[]
#   (a literal8) returns the NULs themselves.  Both are compared.
# - Dovecot writes into the mbox, even for a read-only EXAMINE: it inserts
#   X-IMAPbase, X-UID (and Status, X-Status, X-Keywords after flag
#   changes) headers, in place - same inode, owner and mode, so vdeliver's
#   strict_mailbox_ownership and one-link checks still accept the file.
#   Those headers are hidden from IMAP clients.  The mbox is therefore not
#   byte-identical to what vdeliver wrote once Dovecot has opened it.
# - maildir: Dovecot uses vdeliver's ",S=" size as the physical size; it
#   writes dovecot-uidlist into the maildir and moves mail from new/ to
#   cur/ (read-write access only).
. "$(dirname "$0")/lib.sh"
t_begin dovecot
trap 'exit 1' HUP INT TERM PIPE	# so that the EXIT trap cleans up
need_root

IMAP_BIN=/usr/lib/dovecot/imap
DATA=$TOP/tests/data/dovecot
if [ ! -x "$IMAP_BIN" ] || ! command -v doveadm >/dev/null 2>&1 ||
    ! command -v perl >/dev/null 2>&1; then
	skip "dovecot: needs dovecot-imapd, doveadm (dovecot-core) and perl"
	t_end
	exit $?
fi

B=$T_DIR/base
DV=$T_DIR/dovecot
E=$T_DIR/exp
M=$T_DIR/msg
SENDER=s@example.net
VERIFIED=0
# the From_ date is local time; a zone far from UTC shows that Dovecot
# reads it as such (vdeliver and imap both get this TZ)
TZ=XYZ-14
export TZ

vd_init
vd_user mb@example.com example.com/mb 5001
vd_user md@example.com example.com/md/ 5001
vd_user big@example.com example.com/big 5001
vd_user bigmd@example.com example.com/bigmd/ 5001
mkdir -p "$DV/home" "$DV/run" "$DV/tmp" "$DV/idx" "$E" "$M"
chown -R 5001:5001 "$DV"
cat >"$DV/dovecot.conf" <<EOF
# private configuration for tests/run_dovecot.sh: nothing listens, no
# master process; imap and doveadm are started directly as uid 5001
base_dir = $DV/run
mail_temp_dir = $DV/tmp
ssl = no
EOF
chmod 0644 "$DV/dovecot.conf"

# loc BOX: the mail_location of a test mailbox (an mbox INBOX or a maildir;
# Dovecot's index files kept out of the mailbox, in $DV/idx, or only in
# memory when DV_INDEX=MEMORY)
loc() {
	_ix=${DV_INDEX:-$DV/idx/$1}
	case $1 in
	*md) echo "maildir:$B/example.com/$1:INDEX=$_ix" ;;
	*) echo "mbox:$DV/home/mail:INBOX=$B/example.com/$1:INDEX=$_ix" ;;
	esac
}
# as_owner CMD... : run CMD as the mailbox owner with a clean environment
as_owner() {
	setpriv --reuid=5001 --regid=5001 --clear-groups \
	    env -i USER=vdtest HOME="$DV/home" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    TZ="$TZ" "$@"
}
# dv_imap BOX IMAP-COMMAND... : one IMAP session on BOX; literals land in
# $DV/out/SEQ.ITEM, the responses in $DV/transcript, Dovecot's log lines
# (stderr) in $DV/log; sets IRC
dv_imap() {
	_box=$1; shift
	rm -rf "$DV/out"; mkdir "$DV/out"
	perl "$DATA/imapc.pl" "$DV/out" "$@" -- \
	    setpriv --reuid=5001 --regid=5001 --clear-groups \
	    env -i USER=vdtest HOME="$DV/home" PATH=/usr/bin:/bin TZ="$TZ" \
	    "$IMAP_BIN" -c "$DV/dovecot.conf" -o "mail_location=$(loc "$_box")" \
	    >"$DV/transcript" 2>>"$DV/log"
	IRC=$?
}
# dv_adm BOX DOVEADM-ARGS... : doveadm on BOX (stdout), log to $DV/log
dv_adm() {
	_box=$1; shift
	as_owner doveadm -c "$DV/dovecot.conf" -o "mail_location=$(loc "$_box")" \
	    "$@" 2>>"$DV/log"
}
# log_clean WHAT : Dovecot logged nothing but its "Disconnected" info lines
log_clean() {
	_bad=$(grep -v 'Info: Disconnected: Logged out' "$DV/log" 2>/dev/null)
	if [ -z "$_bad" ]; then pass "$1: Dovecot's log has no complaint"
	else fail "$1: Dovecot logged: $(printf '%s' "$_bad" | head -5)"; fi
	: >"$DV/log"
}

# --- the messages (delivered in this order, to the mbox and the maildir)
printf 'From: Alice <alice@example.org>\nTo: mb@example.com\nSubject: plain\nDate: Sat, 21 Nov 2026 10:00:00 +0000\nMessage-ID: <plain@example.org>\n\nHello,\nthis is plain text.\n' >"$M/01plain"
# a leading envelope line (removed; it gives the sender) and "From " lines
# at the start of the body, in the middle, several in a row, one that looks
# like a real From_ line, and lines that must stay as they are
printf 'From alice@example.org  Sat Nov 21 10:00:00 2026\nFrom: alice@example.org\nSubject: From lines\n\nFrom the start of the body\nmiddle line\nFrom here,\nFrom there,\nFrom everywhere\n>From already quoted\n>>From twice\nFrom\nFromage\n From indented\nfrom lower case\nFrom someone@example.com  Sun Nov 22 02:27:04 2026\n\nFrom after an empty line\nlast line\n' >"$M/02fromlines"
printf 'From: c@example.org\r\nSubject: CRLF\r\n\r\nline one\r\nbare\rCR inside\r\nFrom a CRLF line\r\n\r\nend\r\n' >"$M/03crlf"
{
	printf 'From: e@example.org\nSubject: 8-bit \303\251t\303\251\n\n'
	printf 'UTF-8: gr\303\274\303\237e, \342\202\254, \360\237\223\254\nLatin-1: caf\351 na\357ve\n'
	perl -e 'print map(chr, 128 .. 255), "\n", map(chr, 1 .. 9, 11, 12, 14 .. 31, 127), "\n"'
	printf 'From \377\376 8-bit From line\n'
} >"$M/04eightbit"
printf 'Subject: NUL bytes\n\nNUL\000in the middle\n\000at the start\nat the end\000\n\000\000\000\nFrom \000\n' >"$M/05nul"
printf 'Subject: no final newline\n\nfirst line\nlast line without newline' >"$M/06nonl"
printf 'Subject: no final newline, From\n\nbody\nFrom the last line, no newline' >"$M/07nonlfrom"
printf 'Subject: empty body\n\n' >"$M/08emptybody"
printf 'Subject: header only, no empty line\n' >"$M/09headeronly"
: >"$M/10emptyinput"
printf 'Subject: trailing empty lines\n\nbody\n\n\n' >"$M/11trailing"
printf 'From: MAILER-DAEMON\nSubject: bounce\n\nnull sender\n' >"$M/12nullsender"

sender_of() {	# SND = the envelope sender used for message $1
	case $1 in
	*fromlines) SND=alice@example.org ;;
	*nullsender) SND= ;;
	*) SND=$SENDER ;;
	esac
}
# next_idx BOX : a new index for an expected message of BOX ($E/BOX.list
# holds "INDEX NAME" per message, in mailbox order; the line number is the
# message sequence number)
next_idx() {
	echo $(($(awk 'END { print $1 + 0 }' "$E/$1.list" 2>/dev/null || echo 0) + 1))
}
# deliver NAME BOX : deliver message NAME to BOX@example.com, compute what
# Dovecot must return ($E/BOX.N.*, sizes in $E/BOX.N.sizes) and add it to
# the list of BOX ($E/BOX.list, in delivery = mailbox order)
deliver() {
	sender_of "$1"; _s=$SND
	case $1 in
	*fromlines) vd -r "$2@example.com" <"$M/$1" ;;	# sender from the envelope line
	*) vd -f "$_s" -r "$2@example.com" <"$M/$1" ;;
	esac
	expect_status "deliver $1 to $2" 0 2.0.0
	_n=$(next_idx "$2")
	_fmt=mbox; case $2 in *md) _fmt=maildir ;; esac
	perl "$DATA/expect.pl" "$_fmt" "$_s" "$2@example.com" "$E/$2.$_n" \
	    <"$M/$1" >"$E/$2.$_n.sizes"
	echo "$_n $1" >>"$E/$2.list"
}

# verify WHAT BOX : one EXAMINE session fetches every message of BOX and
# compares it with the list; doveadm's count and sizes; the log
verify() {
	_w=$1 _box=$2
	_n=$(wc -l <"$E/$_box.list")
	dv_imap "$_box" 'EXAMINE INBOX' \
	    'FETCH 1:* (RFC822.SIZE INTERNALDATE BODY.PEEK[] BINARY.PEEK[] BODY.PEEK[TEXT])'
	if [ "$IRC" != 0 ]; then
		fail "$_w: IMAP session failed: $(tail -3 "$DV/transcript")"
		return
	fi
	assert_eq "$_w: IMAP EXISTS" "$_n" \
	    "$(sed -n 's/^\* \([0-9]*\) EXISTS$/\1/p' "$DV/transcript" | tail -1)"
	# "INDEX NAME SEQ RFC822.SIZE" per message
	sed -n 's/^\* \([0-9]*\) FETCH (.*RFC822\.SIZE \([0-9]*\).*/\1 \2/p' \
	    "$DV/transcript" | paste -d' ' "$E/$_box.list" - >"$DV/table"
	_ok=0 _q=0
	: >"$DV/sizes.exp"
	: >"$DV/hdrs.exp"
	while read -r _i _name _seq _sz; do
		_q=$((_q + 1))	# sequence number
		_p=$E/$_box.$_i
		_o=$DV/out/$_q
		read -r _ss _cs <"$_p.sizes"
		echo "$_q $_ss $_cs" >>"$DV/sizes.exp"
		sender_of "$_name"
		printf 'Return-Path: <%s>\r\nDelivered-To: %s@example.com\r\n' \
		    "$SND" "$_box" >>"$DV/hdrs.exp"
		_bad=
		for _it in body:BODY binary:BINARY text:BODY.TEXT; do
			cmp -s "$_p.${_it%%:*}" "$_o.${_it#*:}" ||
			    _bad="$_bad ${_it#*:}"
		done
		[ "$_seq $_sz" = "$_q $_cs" ] || _bad="$_bad RFC822.SIZE($_seq $_sz)"
		if [ -z "$_bad" ]; then
			_ok=$((_ok + 1))
		else
			fail "$_w: message $_q ($_name) differs in:$_bad"
			[ -e "$_o.BODY" ] && cmp "$_p.body" "$_o.BODY" | head -2
		fi
	done <"$DV/table"
	assert_eq "$_w: messages byte-identical (BODY[], BINARY[], BODY[TEXT], RFC822.SIZE)" \
	    "$_n" "$_ok"
	VERIFIED=$((VERIFIED + _ok))
	# the two headers vdeliver adds come first in every message
	perl -e 'for (@ARGV) { open(F, "<", $_) or next; print scalar(<F>) // "", scalar(<F>) // ""; }' \
	    $(awk '{ print "'"$DV"'/out/" NR ".BODY" }' "$E/$_box.list") >"$DV/hdrs"
	assert_files_equal "$_w: Return-Path and Delivered-To first" "$DV/hdrs.exp" "$DV/hdrs"
	# Dovecot's own view, without IMAP
	assert_eq "$_w: doveadm message count" "messages=$_n" \
	    "$(dv_adm "$_box" mailbox status messages INBOX | sed 's/^INBOX //')"
	dv_adm "$_box" -f tab fetch 'seq size.physical size.virtual' mailbox INBOX |
	    tail -n +2 | tr '\t' ' ' >"$DV/sizes"
	assert_files_equal "$_w: doveadm physical and virtual sizes" "$DV/sizes.exp" "$DV/sizes"
	log_clean "$_w"
}

# internaldate_check BOX : INTERNALDATE of every message (from the last
# verify's transcript) is the date of its From_ line, read as local time
internaldate_check() {
	grep -a '^From ' "$B/example.com/$1" |
	    awk '{ printf "%02d-%s-%s %s +1400\n", $(NF-2), $(NF-3), $NF, $(NF-1) }' \
	    >"$DV/dates.exp"
	sed -n 's/^\* [0-9]* FETCH (.*INTERNALDATE "\([^"]*\)".*/\1/p' "$DV/transcript" \
	    >"$DV/dates"
	assert_files_equal "$1: INTERNALDATE = From_ line date (local time, TZ=$TZ)" \
	    "$DV/dates.exp" "$DV/dates"
}

for f in $(ls "$M"); do deliver "$f" mb; deliver "$f" md; done
mbox=$B/example.com/mb
md=$B/example.com/md
cp "$mbox" "$T_DIR/mb.vdeliver"

# --- 1. Dovecot reads the fresh mailboxes
verify "fresh mbox" mb
internaldate_check mb
verify "fresh maildir" md
# what Dovecot did to the files
assert_eq "mbox after EXAMINE: Dovecot added its X-IMAPbase header" 1 \
    "$(grep -ac '^X-IMAPbase: ' "$mbox")"
assert_eq "mbox after EXAMINE: same messages, Dovecot's headers aside" \
    "$(md5sum <"$T_DIR/mb.vdeliver")" \
    "$(grep -aEv '^(X-IMAPbase|X-UID|Status|X-Status|X-Keywords): ' "$mbox" | md5sum)"
assert_eq "maildir after EXAMINE: still in new/" "$(wc -l <"$E/md.list")" \
    "$(count_files "$md/new")"

# --- 2. Dovecot rewrites the mailboxes (flags, expunge of the first
# message, so that every later one moves), vdeliver appends again
st_before=$(stat -c '%i %u:%g %a %h' "$mbox")
for box in mb md; do
	dv_imap "$box" 'SELECT INBOX' 'STORE 1:* +FLAGS.SILENT (\Seen)' \
	    'STORE 3 +FLAGS.SILENT (\Flagged $Label1)' \
	    'STORE 1 +FLAGS.SILENT (\Deleted)' 'EXPUNGE'
	assert_eq "$box: SELECT, STORE, EXPUNGE" 0 "$IRC"
	sed -i '1d' "$E/$box.list"
done
assert_eq "mbox rewritten by Dovecot: same inode, owner, mode, links" \
    "$st_before" "$(stat -c '%i %u:%g %a %h' "$mbox")"
assert_match "mbox rewritten by Dovecot: Status headers" '^Status: RO' \
    "$(grep -a '^Status: ' "$mbox" | head -1)"
assert_eq "maildir after SELECT: new/ emptied into cur/" 0 "$(count_files "$md/new")"
for f in 02fromlines 05nul 06nonl; do deliver "$f" mb; deliver "$f" md; done
verify "mbox rewritten by Dovecot, then appended to" mb
verify "maildir after Dovecot, then delivered to" md
# the same files parsed from scratch, without Dovecot's index files
DV_INDEX=MEMORY
verify "mbox, no index" mb
verify "maildir, no index" md
DV_INDEX=

# --- 3. at the same time: vdeliver appends (retrying deferrals as an MTA
# would) while IMAP sessions set flags, which makes Dovecot rewrite the
# mbox; locks must keep every message whole
K=15
awk 'BEGIN { p = "0000000000000000000000000000000000000000"
	for (i = 0; i < 400; i++) printf "From line %d of a longer message, %s\n", i, substr(p, 1, i % 40) }' \
    >"$T_DIR/filler"
k=1
while [ $k -le $K ]; do
	{ printf 'Subject: concurrent %d\n\nFrom the concurrent test, %d\n' $k $k
	  cat "$T_DIR/filler"; } >"$M/c$k"
	k=$((k + 1))
done
: >"$T_DIR/c.deferred"
(
	k=1
	while [ $k -le $K ]; do
		for box in mb md; do
			t=0
			while [ $t -lt 10 ]; do
				"$VDELIVER" -c "$T_DIR/vd.conf" -o deliver_lock_delay=200ms \
				    -f "$SENDER" -r "$box@example.com" <"$M/c$k" \
				    >/dev/null 2>"$T_DIR/c.err"
				rc=$?
				[ $rc = 0 ] && break
				echo "$box c$k exit $rc: $(head -n 1 "$T_DIR/c.err")" >>"$T_DIR/c.deferred"
				t=$((t + 1))
			done
			[ $rc = 0 ] && echo "$box c$k" >>"$T_DIR/c.done"
			sleep 0.2	# spread the deliveries over many sessions
		done
		k=$((k + 1))
	done
	: >"$T_DIR/c.finished"
) &
BG=$!
trap 'kill $BG 2>/dev/null; t_cleanup' EXIT
sessions=0 sfail=0
deadline=$(($(date +%s) + 120))
while [ ! -e "$T_DIR/c.finished" ] && [ "$(date +%s)" -lt "$deadline" ]; do
	for box in mb md; do
		dv_imap "$box" 'SELECT INBOX' 'STORE 1:* +FLAGS.SILENT (\Seen)' \
		    'FETCH 1:* (FLAGS RFC822.SIZE)'
		sessions=$((sessions + 1))
		[ "$IRC" = 0 ] || { sfail=$((sfail + 1)); tail -3 "$DV/transcript"; }
	done
done
[ -e "$T_DIR/c.finished" ] || { fail "concurrent: deliveries still running after 120 s"; kill $BG; }
wait $BG
trap 't_cleanup' EXIT
echo "     ($sessions IMAP sessions during $((2 * K)) deliveries," \
    "$(wc -l <"$T_DIR/c.deferred") deferrals)"
assert_eq "concurrent: IMAP sessions failed" 0 "$sfail"
assert_eq "concurrent: deliveries that succeeded" $((2 * K)) \
    "$(wc -l <"$T_DIR/c.done" 2>/dev/null || echo 0)"
# a deferral is allowed (lock busy, 4.2.0), nothing else
assert_eq "concurrent: deferrals other than 75 / 4.2.0" "" \
    "$(grep -v 'exit 75: 4\.2\.0 ' "$T_DIR/c.deferred")"
k=1
while [ $k -le $K ]; do
	for box in mb md; do
		_fmt=mbox; case $box in *md) _fmt=maildir ;; esac
		_n=$(next_idx "$box")
		perl "$DATA/expect.pl" "$_fmt" "$SENDER" "$box@example.com" "$E/$box.$_n" \
		    <"$M/c$k" >"$E/$box.$_n.sizes"
		echo "$_n c$k" >>"$E/$box.list"
	done
	k=$((k + 1))
done
verify "mbox after concurrent delivery and rewrites" mb
verify "maildir after concurrent delivery" md
assert_eq "concurrent: no dotlock left" no "$([ -e "$mbox.lock" ] && echo yes || echo no)"
assert_eq "concurrent: maildir tmp/ empty" 0 "$(count_files "$md/tmp")"

# --- 4. a 50 MB message (CRLF lines, "From " lines, 8-bit bytes) between
# two small ones, in an mbox and a maildir; compared by size and checksum
# of the fetched body, streamed to files
LC_ALL=C awk 'BEGIN {
	s = "0123456789abcdefghijklmnopqrstuvwxyz\351\374\337ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	while (length(s) < 300) s = s s
	n = 0; k = 0
	while (n < 1048576) {
		k++
		if (k % 97 == 0) l = "From line " k
		else if (k % 89 == 0) l = ""
		else l = substr(s, 1 + k % 50, k * 7 % 251)
		printf "%s\r\n", l; n += length(l) + 2
	}
}' >"$T_DIR/chunk"
{
	printf 'From: big@example.org\r\nSubject: 50 MB\r\n\r\n'
	i=0
	while [ $i -lt 50 ]; do cat "$T_DIR/chunk"; i=$((i + 1)); done
	printf 'From the end, without CRLF'
} >"$M/big"
rm -f "$T_DIR/chunk"
echo "     (message: $(stat -c %s "$M/big") bytes)"
for box in big bigmd; do
	_fmt=mbox; case $box in *md) _fmt=maildir ;; esac
	for f in 01plain big 02fromlines; do
		_n=$(next_idx "$box")
		vd -o virtual_mailbox_limit=0 -f "$SENDER" -r "$box@example.com" <"$M/$f"
		expect_status "deliver $f to $box" 0 2.0.0
		perl "$DATA/expect.pl" "$_fmt" "$SENDER" "$box@example.com" "$E/$box.$_n" body \
		    <"$M/$f" >"$E/$box.$_n.sizes"
		echo "$_n $f" >>"$E/$box.list"
	done
	dv_imap "$box" 'EXAMINE INBOX' 'FETCH 1:* (RFC822.SIZE BODY.PEEK[])'
	assert_eq "$box: IMAP session" 0 "$IRC"
	assert_eq "$box: IMAP EXISTS" 3 \
	    "$(sed -n 's/^\* \([0-9]*\) EXISTS$/\1/p' "$DV/transcript" | tail -1)"
	ok=0
	for i in 1 2 3; do
		exp_size=$(stat -c %s "$E/$box.$i.body")
		got_size=$(stat -c %s "$DV/out/$i.BODY" 2>/dev/null)
		exp_md5=$(md5sum <"$E/$box.$i.body" | cut -d' ' -f1)
		got_md5=$(md5sum <"$DV/out/$i.BODY" 2>/dev/null | cut -d' ' -f1)
		sz=$(sed -n "s/^\* $i FETCH (.*RFC822\.SIZE \([0-9]*\).*/\1/p" "$DV/transcript")
		if [ "$exp_size $exp_md5 $exp_size" = "$got_size $got_md5 $sz" ]; then
			ok=$((ok + 1))
		else
			fail "$box: message $i: size $got_size (RFC822.SIZE $sz), md5 $got_md5; expected $exp_size, $exp_md5"
		fi
	done
	assert_eq "$box: 50 MB message and its neighbours: size, RFC822.SIZE and md5 of BODY[]" 3 "$ok"
	VERIFIED=$((VERIFIED + ok))
	assert_eq "$box: doveadm message count" "messages=3" \
	    "$(dv_adm "$box" mailbox status messages INBOX | sed 's/^INBOX //')"
	assert_eq "$box: doveadm physical size of the 50 MB message" \
	    "$(cut -d' ' -f1 "$E/$box.2.sizes")" \
	    "$(dv_adm "$box" -f tab fetch 'size.physical' mailbox INBOX 2 | tail -n 1)"
	log_clean "$box"
	rm -rf "$DV/out" "$E/$box".*.body
done

echo "     ($VERIFIED messages read back through Dovecot's IMAP, byte-identical)"
t_end
