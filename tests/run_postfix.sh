#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_postfix.sh - vdeliver under a real Postfix, as the pipe(8)
# transport that replaces virtual(8): a private Postfix instance
# (tests/postfix_harness.sh) on a free port of 127.0.0.1, a set-uid root
# copy of vdeliver run by pipe as an unprivileged user, maps built with
# Postfix's own postmap, mail sent over SMTP (and once with sendmail).
#
#   1. the same messages delivered by virtual(8) and by vdeliver give the
#      same mbox and the same maildir files (after the normalisations
#      explained in norm() below);
#   2. headers, owners (uid/gid per recipient from the maps), null
#      sender, X-Original-To through an alias and an extension;
#   3. unknown user: bounced 5.1.1, the bounce lands in the sender's
#      mailbox; Delivered-To loop: bounced 5.4.6 (a deliberate deviation:
#      virtual(8) has no loop check);
#   4. map outage: a missing .db, then a stopped MariaDB server: the
#      message stays deferred (4.3.5) in the queue, and is delivered once
#      after the map is back and the queue is flushed.
#
# Sanitizer build (BUILD=*san*): the set-uid ASan/UBSan copy runs under
# pipe(8) as it is: no option is needed.  The sanitizer runtimes read
# their options before main(), so vdeliver clearing its environment does
# not matter, and glibc's set-uid mode (AT_SECURE) does not remove
# ASAN_OPTIONS/UBSAN_OPTIONS.  Options are used here only so that a report
# lands in a file that the suite checks (on stderr it would just become
# part of pipe's bounce or defer text): Postfix must be told to pass them
# (import_environment gives them to the master and its children,
# export_environment lets pipe hand them to the command), and the log
# directory must be world-writable (mode 1777) because a report may come
# after vdeliver has switched to the recipient's uid.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/postfix_harness.sh"
. "$(dirname "$0")/mysql_harness.sh"

pf_usable || pf_skip_suite postfix 1
t_begin postfix
pf_trap
PF_CLEAN=$T_DIR		# what the watcher removes if this shell is killed
T0=$(date +%s)
section() { echo "-- $* (at $(($(date +%s) - T0))s)"; }

if findmnt -no OPTIONS -T "$T_DIR" 2>/dev/null | grep -q nosuid; then
	skip "postfix: $T_DIR is on a nosuid file system (set-uid vdeliver)"
	t_end; exit $?
fi

# --- the set-uid copy, with its compiled-in config below $T_DIR/etc
san=
case "$BUILD" in *san*) san="SANITIZE=1" ;; esac
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -j2 -C "$TOP" \
    BUILD="$T_DIR/suid" SYSCONFDIR="$T_DIR/etc" $san \
    "$T_DIR/suid/vdeliver" >"$T_DIR/make.log" 2>&1; then
	fail "cannot build a private set-uid copy"
	cat "$T_DIR/make.log"
	t_end; exit $?
fi
SU=$T_DIR/sbin/vdeliver
mkdir -p "$T_DIR/sbin" "$T_DIR/etc/vdeliver"
cp "$T_DIR/suid/vdeliver" "$SU"
rm -rf "$T_DIR/suid"
chown root:root "$SU" "$T_DIR/sbin"
chmod 4755 "$SU"
chmod 0755 "$T_DIR/sbin" "$T_DIR/etc" "$T_DIR/etc/vdeliver"

# The pipe user: an account that owns nothing here.  pipe(8) refuses root
# and the mail_owner; nobody is neither.
if getent passwd nobody >/dev/null 2>&1; then
	PIPE_USER=nobody
else
	PIPE_USER=vdtestpipe
	getent passwd "$PIPE_USER" >/dev/null 2>&1 ||
	    useradd --system --no-create-home --shell /usr/sbin/nologin \
	        "$PIPE_USER" || { fail "useradd $PIPE_USER"; t_end; exit 1; }
fi

# --- the Postfix instance
if ! pf_create "$T_DIR/pf"; then
	fail "create the Postfix instance"
	t_end; exit 1
fi
PF=$PF_DIR

# --- mailboxes and maps (Postfix's postmap builds the .db files)
B=$T_DIR/base
M=$T_DIR/maps
mkdir -p "$B/u5001" "$B/u5002" "$M"
chown 5001:5001 "$B/u5001"
chown 5002:5002 "$B/u5002"
chmod 0755 "$B" "$B/u5001" "$B/u5002" "$M"
cat >"$M/vmailbox" <<EOF
cmp@example.com      u5001/cmp
cmpmd@example.com    u5002/cmpmd/
mb@example.com       u5001/mb
md@example.com       u5002/md/
sender@example.net   u5002/sender
EOF
# gids differ from uids: the gid comes from its own map
cat >"$M/uids" <<EOF
cmp@example.com      5001
mb@example.com       5001
cmpmd@example.com    5002
md@example.com       5002
sender@example.net   5002
EOF
sed -e 's/500\([12]\)$/501\1/' "$M/uids" >"$M/gids"
cat >"$M/valias" <<EOF
alias@example.com    cmp@example.com, cmpmd@example.com
EOF
for m in vmailbox uids gids valias; do
	postmap -c "$PF/etc" "hash:$M/$m" || fail "postmap $m"
done
chmod 0644 "$M"/*

SC=$T_DIR/etc/vdeliver/vdeliver.conf
VLOG=$T_DIR/vdeliver.log
# vdconf [lines] : the set-uid copy's compiled-in config, root 0644.
vdconf() {
	{
		echo "virtual_mailbox_base = $B"
		echo "virtual_mailbox_maps = hash:$M/vmailbox"
		echo "virtual_uid_maps = hash:$M/uids"
		echo "virtual_gid_maps = hash:$M/gids"
		echo "recipient_delimiter = +"
		echo "vdeliver_trusted_users = $PIPE_USER"
		echo "maillog_file = $VLOG"
		for _l in "$@"; do echo "$_l"; done
	} >"$SC"
	chown root:root "$SC"
	chmod 0644 "$SC"
}
vdconf

# --- main.cf: the virtual domains, virtual(8)'s maps, the vdeliver
# transport (virtual_transport is switched from virtual to vdeliver later)
pf_conf "virtual_mailbox_domains = example.com example.net" \
    "virtual_mailbox_base = $B" \
    "virtual_mailbox_maps = hash:$M/vmailbox" \
    "virtual_uid_maps = hash:$M/uids" \
    "virtual_gid_maps = hash:$M/gids" \
    "virtual_alias_maps = hash:$M/valias" \
    "recipient_delimiter = +" \
    "smtpd_reject_unlisted_recipient = no" \
    "virtual_transport = virtual" \
    "vdeliver_destination_recipient_limit = 1"
# smtpd_reject_unlisted_recipient = no: unknown users reach the delivery
# agent (instead of a 550 at RCPT time), so its 5.1.1 is what is tested.
SAN_DIR=$T_DIR/san
if [ -n "$san" ]; then
	mkdir -p "$SAN_DIR"
	chmod 1777 "$SAN_DIR"
	pf_conf "import_environment = $(postconf -d -h import_environment) ASAN_OPTIONS=verbosity=1:log_path=$SAN_DIR/asan UBSAN_OPTIONS=log_path=$SAN_DIR/ubsan:print_stacktrace=1" \
	    "export_environment = $(postconf -d -h export_environment) ASAN_OPTIONS UBSAN_OPTIONS"
fi
# The recommended pipe setup (conf/master.cf): flags=X only (vdeliver
# writes Return-Path, X-Original-To, Delivered-To and the From_ line),
# an empty null_sender (the NULL SENDER TRAP), -f and its value as two
# words, one recipient per run.
pf_service "vdeliver/unix = vdeliver unix - n n - - pipe flags=X user=$PIPE_USER null_sender= argv=$SU -f \${sender} -a \${original_recipient} -r \${recipient}"
if ! pf_start; then
	fail "start Postfix"
	t_end; exit 1
fi
LOG=$PF/maillog
SENT=0

# send [smtp|sendmail] SENDER RCPT... < msg : submit; QID = queue id.
send() {
	_how=smtp
	case $1 in smtp | sendmail) _how=$1; shift ;; esac
	if [ "$_how" = smtp ]; then pf_send "$@"; else pf_sendmail "$@"; fi
	_rc=$?
	QID=$PF_QID
	if [ $_rc = 0 ] && [ -n "$QID" ]; then
		SENT=$((SENT + 1))
	else
		fail "submit ($_how) to $*"
	fi
}

# drained WHAT : the queue empties within $PF_WAIT seconds.
drained() {
	if pf_wait_empty; then pass "$1: queue drained"; else
		fail "$1: queue not empty after ${PF_WAIT}s: $(pf_queue)"
	fi
}

# logged WHAT PATTERN : maillog has a line matching PATTERN (grep -E).
logged() {
	if pf_wait_log "$2" 10; then pass "$1"; else
		fail "$1: no log line /$2/"
		tail -n 15 "$LOG"
	fi
}

# mbox_msg FILE SHAPE : the message of mbox FILE with header X-Shape: SHAPE
# (from its From_ line to the next one).
mbox_msg() {
	awk -v s="X-Shape: $2" '
	    /^From / { if (hit) printf "%s", m; m = ""; hit = 0; hdr = 1 }
	    { m = m $0 "\n"; if ($0 == "") hdr = 0; if (hdr && $0 == s) hit = 1 }
	    END { if (hit) printf "%s", m }' "$1"
}

# norm < mailbox text : what differs between two deliveries of the same
# message, replaced by fixed words.  Nothing else is touched.
#  - the date in the From_ line: the time of delivery (asctime form);
#  - in Postfix's Received: header (and only there): the queue id, new
#    for every submission ("id 4A1B2C3D4E" -> "id QUEUEID"), and the
#    time stamp after the ";" (RFC 5322 date, on the same line or on a
#    continuation line of its own).
# Message-ID: and Date: are in every test message, so cleanup(8) adds
# neither (it would, with new values each time).
norm() {
	sed -E \
	    -e 's/^(From .*  )[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}$/\1DATE/' \
	    -e '/^Received: /,/^[^[:space:]]/{
		s/([[:space:]]id )[0-9A-Za-z]+/\1QUEUEID/
		s/(;[[:space:]]*|^[[:space:]]+)[A-Z][a-z]{2}, [ 0-9]?[0-9] [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}( \([A-Za-z0-9+-]+\))?$/\1DATE/
	    }'
}

# maildir_by_shape MAILDIR OUTDIR : copy each new/ file to OUTDIR/SHAPE.
maildir_by_shape() {
	mkdir -p "$2"
	for _f in "$1"/new/*; do
		[ -f "$_f" ] || continue
		_s=$(sed -n '/^$/q; s/^X-Shape: //p' "$_f")
		norm <"$_f" >"$2/${_s:-noshape}"
	done
}

# --- the messages for the comparison, one file per shape
S=$T_DIR/shapes
mkdir -p "$S"
hdr() {	# hdr SHAPE [To]
	printf 'From: Carol <carol@example.org>\nTo: %s\n' "${2:-cmp@example.com}"
	printf 'Subject: shape %s\nDate: Sun, 22 Nov 2026 02:27:04 +0000\n' "$1"
	printf 'Message-ID: <%s.shape@example.org>\nX-Shape: %s\n' "$1" "$1"
}
{ hdr plain; printf '\nHello,\nplain text.\n'; } >"$S/plain"
{ hdr fromlines; printf '\nFrom here on: quoted\n>From already quoted\n'
  printf ' From indented\nfrom lower case\nFrom\nFrom  two spaces\n'
  printf '.leading dot\n.\n..\n\nFrom the last line\n'; } >"$S/fromlines"
{ hdr eightbit; printf 'X-Utf8: Gr\303\274\303\237e \342\202\254\n'
  printf 'Content-Type: text/plain; charset=utf-8\n'
  printf 'Content-Transfer-Encoding: 8bit\n\n'
  printf 'UTF-8: \303\244\303\266\303\274 \342\202\254\nLatin-1: \351\350\n'
  printf 'controls: \001\002\033[0m\n'; } >"$S/eightbit"
{ hdr longlines; printf 'X-Long: %s\n\n' "$(head -c 2500 /dev/zero | tr '\0' h)"
  head -c 3000 /dev/zero | tr '\0' x; echo
  head -c 10000 /dev/zero | tr '\0' y; echo
  printf 'short\n'; } >"$S/longlines"
{ printf 'Delivered-To: someone@example.org\n'; hdr deliveredto
  printf '\nAn existing Delivered-To of another address.\n'; } >"$S/deliveredto"
{ hdr nullsender; printf '\nFrom the null sender.\n'; } >"$S/nullsender"
{ hdr alias alias@example.com; printf '\nTo an alias.\n'; } >"$S/alias"
{ hdr extcase Cmp+Tag@Example.COM; printf '\nExtension and case.\n'; } >"$S/extcase"
{ hdr quoted; printf '\nA sender with a quoted local part.\n'; } >"$S/quoted"
{ hdr headersonly; } >"$S/headersonly"
{ hdr nofinal; printf '\nno final newline'; } >"$S/nofinal"

# send_shapes : every shape once, each delivered before the next is sent
# (so the mbox order is the same for both agents).
send_shapes() {
	for shape in plain fromlines eightbit longlines deliveredto \
	    nullsender alias extcase quoted headersonly nofinal; do
		case $shape in
		nullsender) send "" cmp@example.com cmpmd@example.com ;;
		alias) send carol@example.org alias@example.com ;;
		extcase) send carol@example.org Cmp+Tag@Example.COM \
		    CmpMD@Example.com ;;
		quoted) send '"john doe"@example.org' cmp@example.com \
		    cmpmd@example.com ;;
		nofinal) send sendmail carol@example.org cmp@example.com \
		    cmpmd@example.com ;;
		*) send carol@example.org cmp@example.com cmpmd@example.com ;;
		esac <"$S/$shape"
		pf_wait_empty || fail "$1: shape $shape: still queued: $(pf_queue)"
		# postlogd writes the log a moment after the delivery
		_re=": $QID: to=<.*, relay=$1, .*status=sent"
		_n=0
		while [ "$(grep -cE "$_re" "$LOG")" -lt 2 ] && [ $_n -lt 50 ]; do
			sleep 0.1; _n=$((_n + 1))
		done
		assert_eq "$1: shape $shape: two deliveries by $1" 2 \
		    "$(grep -cE "$_re" "$LOG")"
	done
}
NSHAPES=11

section "virtual(8): the reference"
send_shapes virtual
C=$T_DIR/cmp
mkdir -p "$C"
assert_eq "virtual: mbox owner" "5001:5011 600" \
    "$(stat -c '%u:%g %a' "$B/u5001/cmp" 2>/dev/null)"
assert_eq "virtual: maildir owner" "5002:5012 700" \
    "$(stat -c '%u:%g %a' "$B/u5002/cmpmd/new" 2>/dev/null)"
assert_eq "virtual: messages in the mbox" $NSHAPES \
    "$(grep -c '^From ' "$B/u5001/cmp" 2>/dev/null)"
assert_eq "virtual: files in the maildir" $NSHAPES \
    "$(count_files "$B/u5002/cmpmd/new")"
mv "$B/u5001/cmp" "$C/virtual.mbox"
maildir_by_shape "$B/u5002/cmpmd" "$C/virtual.md"
rm -rf "$B/u5002/cmpmd"

section "vdeliver: the same messages through pipe(8)"
pf_conf "virtual_transport = vdeliver"
pf_reload || fail "postfix reload"
send_shapes vdeliver
assert_eq "vdeliver: mbox owner" "5001:5011 600" \
    "$(stat -c '%u:%g %a' "$B/u5001/cmp" 2>/dev/null)"
assert_eq "vdeliver: maildir owner" "5002:5012 700" \
    "$(stat -c '%u:%g %a' "$B/u5002/cmpmd/new" 2>/dev/null)"
assert_eq "vdeliver: messages in the mbox" $NSHAPES \
    "$(grep -c '^From ' "$B/u5001/cmp" 2>/dev/null)"
assert_eq "vdeliver: files in the maildir" $NSHAPES \
    "$(count_files "$B/u5002/cmpmd/new")"
cp "$B/u5001/cmp" "$C/vdeliver.mbox"
maildir_by_shape "$B/u5002/cmpmd" "$C/vdeliver.md"

section "virtual(8) and vdeliver wrote the same"
norm <"$C/virtual.mbox" >"$C/virtual.norm"
norm <"$C/vdeliver.mbox" >"$C/vdeliver.norm"
assert_files_equal "mbox: identical after normalisation" \
    "$C/virtual.norm" "$C/vdeliver.norm"
# the normalisation must not hide the difference it is not meant to hide
n=$(grep -c 'QUEUEID' "$C/vdeliver.norm")
assert_eq "normalised: one Received queue id per message" $NSHAPES "$n"
n=$(grep -c '^From .*  DATE$' "$C/vdeliver.norm")
assert_eq "normalised: one From_ date per message" $NSHAPES "$n"
for f in "$C/virtual.md"/*; do
	s=$(basename "$f")
	assert_files_equal "maildir: shape $s identical after normalisation" \
	    "$f" "$C/vdeliver.md/$s"
done
assert_eq "maildir: the same shapes" "$(ls "$C/virtual.md" | tr '\n' ' ')" \
    "$(ls "$C/vdeliver.md" 2>/dev/null | tr '\n' ' ')"
bad=0
for f in "$B/u5002/cmpmd/new"/*; do
	n=$(basename "$f")
	printf '%s\n' "$n" | grep -Eq "$MAILDIR_NEW_RE" || bad=$((bad + 1))
	[ "$(stat -c '%u:%g %a' "$f")" = "5002:5012 600" ] || bad=$((bad + 1))
	[ "${n##*,S=}" = "$(stat -c %s "$f")" ] || bad=$((bad + 1))
done
assert_eq "vdeliver maildir: names with ,S=size, owner 5002:5012, 0600" 0 $bad
assert_eq "vdeliver maildir: tmp/ is empty" 0 "$(count_files "$B/u5002/cmpmd/tmp")"

section "what vdeliver wrote, line by line"
V=$C/vdeliver.mbox
FROM_RE="^From carol@example\.org$FROM_DATE_RE"
m=$(mbox_msg "$V" plain)
assert_match "plain: From_ line" "$FROM_RE" "$(printf '%s\n' "$m" | sed -n 1p)"
assert_eq "plain: header order" "Return-Path: <carol@example.org>
X-Original-To: cmp@example.com
Delivered-To: cmp@example.com" "$(printf '%s\n' "$m" | sed -n 2,4p)"
assert_match "plain: then Postfix's Received" "^Received: from localhost" \
    "$(printf '%s\n' "$m" | sed -n 5p)"
m=$(mbox_msg "$V" nullsender)
assert_match "null sender: From MAILER-DAEMON" \
    "^From MAILER-DAEMON$FROM_DATE_RE" "$(printf '%s\n' "$m" | sed -n 1p)"
assert_eq "null sender: Return-Path: <>" "Return-Path: <>" \
    "$(printf '%s\n' "$m" | sed -n 2p)"
m=$(mbox_msg "$V" quoted)
assert_match "quoted sender: From_ line" \
    "^From \"john doe\"@example\.org$FROM_DATE_RE" "$(printf '%s\n' "$m" | sed -n 1p)"
assert_eq "quoted sender: Return-Path" 'Return-Path: <"john doe"@example.org>' \
    "$(printf '%s\n' "$m" | sed -n 2p)"
m=$(mbox_msg "$V" alias)
assert_eq "alias: X-Original-To is the alias, Delivered-To the mailbox" \
    "X-Original-To: alias@example.com
Delivered-To: cmp@example.com" "$(printf '%s\n' "$m" | sed -n 3,4p)"
m=$(mbox_msg "$V" extcase)
assert_eq "extension and case: kept in the headers" \
    "X-Original-To: Cmp+Tag@Example.COM
Delivered-To: Cmp+Tag@Example.COM" "$(printf '%s\n' "$m" | sed -n 3,4p)"
m=$(mbox_msg "$V" fromlines)
assert_eq "From quoting (mboxo)" ">From here on: quoted
>From already quoted
 From indented
from lower case
From
>From  two spaces
.leading dot
.
..

>From the last line" "$(printf '%s\n' "$m" | sed '1,/^$/d')"
mbox_msg "$V" nofinal >"$T_DIR/nofinal.got"
printf '\n\nno final newline\n\n' >"$T_DIR/nofinal.want"
tail -c "$(wc -c <"$T_DIR/nofinal.want")" "$T_DIR/nofinal.got" >"$T_DIR/nofinal.tail"
assert_files_equal "no final newline: added, then the empty line" \
    "$T_DIR/nofinal.want" "$T_DIR/nofinal.tail"
n=$(mbox_msg "$V" longlines | awk 'length($0) == 10000' | wc -l)
assert_eq "a 10000 byte line stays one line" 1 "$n"
m=$(mbox_msg "$V" eightbit)
assert_match "8-bit bytes kept" "$(printf 'Latin-1: \351\350')" "$m"

section "per-recipient uids, unknown user, loop"
printf 'From: s@example.net\nSubject: two uids\nMessage-ID: <two@x>\n\ntwo uids\n' \
    >"$T_DIR/msg.two"
send sender@example.net mb@example.com md@example.com <"$T_DIR/msg.two"
drained "two uids"
assert_eq "mbox of uid 5001" "5001:5011 600" \
    "$(stat -c '%u:%g %a' "$B/u5001/mb" 2>/dev/null)"
f=$(ls "$B/u5002/md/new"/* 2>/dev/null | head -n 1)
assert_eq "maildir file of uid 5002" "5002:5012 600" \
    "$(stat -c '%u:%g %a' "$f" 2>/dev/null)"
assert_eq "maildir of uid 5002" "5002:5012 700" \
    "$(stat -c '%u:%g %a' "$B/u5002/md" 2>/dev/null)"
logged "vdeliver's own log line" \
    "to=<md@example.com>, relay=vdeliver, .*dsn=2\.0\.0, status=sent"
grep -q 'to=<md@example.com>, relay=vdeliver, .*status=sent' "$VLOG" &&
    pass "vdeliver's maillog_file" || fail "vdeliver's maillog_file: $(cat "$VLOG")"

printf 'From: s@example.net\nSubject: unknown\nMessage-ID: <unk@x>\n\nto nobody\n' \
    >"$T_DIR/msg.unknown"
send sender@example.net nosuch@example.com <"$T_DIR/msg.unknown"
UQID=$QID
drained "unknown user (and its bounce)"
logged "unknown user: bounced 5.1.1" \
    ": $UQID: to=<nosuch@example.com>, relay=vdeliver, .*dsn=5\.1\.1, status=bounced"
printf 'Delivered-To: MB@example.com\nFrom: s@example.net\nSubject: loop\nMessage-ID: <loop@x>\n\nloop\n' \
    >"$T_DIR/msg.loop"
send sender@example.net mb@example.com <"$T_DIR/msg.loop"
LQID=$QID
drained "loop (and its bounce)"
logged "Delivered-To loop: bounced 5.4.6 (virtual(8) would deliver)" \
    ": $LQID: to=<mb@example.com>, relay=vdeliver, .*dsn=5\.4\.6, status=bounced"
SB=$B/u5002/sender
assert_eq "both bounces in the sender's mbox" 2 "$(grep -c '^From ' "$SB" 2>/dev/null)"
assert_eq "bounces: From MAILER-DAEMON" 2 \
    "$(grep -cE "^From MAILER-DAEMON$FROM_DATE_RE" "$SB" 2>/dev/null)"
assert_eq "bounces: Return-Path: <>" 2 "$(grep -c '^Return-Path: <>$' "$SB" 2>/dev/null)"
assert_eq "bounces: Delivered-To the sender" 2 \
    "$(grep -c '^Delivered-To: sender@example.net$' "$SB" 2>/dev/null)"
assert_match "bounce: Status 5.1.1 for nosuch" \
    "Final-Recipient: rfc822; ?nosuch@example.com" "$(cat "$SB" 2>/dev/null)"
assert_match "bounce: Status: 5.1.1" "^Status: 5\.1\.1" "$(cat "$SB" 2>/dev/null)"
assert_match "bounce: Status: 5.4.6" "^Status: 5\.4\.6" "$(cat "$SB" 2>/dev/null)"
assert_match "bounce: vdeliver's reason" "unknown user" "$(cat "$SB" 2>/dev/null)"
assert_eq "mb: the loop message was not written" 0 \
    "$(grep -c '^Subject: loop$' "$B/u5001/mb" 2>/dev/null)"

# outage WHAT RCPT BREAK FIX : send to RCPT while BREAK is in effect;
# it must stay in the queue, deferred with 4.3.5, nothing written; after
# FIX and a flush it is delivered, exactly once.
DTD=""
outage() {
	_what=$1 _rcpt=$2
	_sig=$(tree_sig "$B")
	eval "$3"
	printf 'From: s@example.net\nSubject: outage %s\nMessage-ID: <%s@x>\n\n%s\n' \
	    "$_what" "$(echo "$_what" | tr ' ' -)" "$_what" >"$T_DIR/msg.outage"
	send sender@example.net "$_rcpt" <"$T_DIR/msg.outage"
	_q=$QID
	logged "$_what: deferred 4.3.5" \
	    ": $_q: to=<$_rcpt>, relay=vdeliver, .*dsn=4\.3\.5, status=deferred"
	# Still queued, with the reason of the deferral.  Which queue
	# directory it is in at this moment (deferred, or active/incoming
	# while qmgr retries it every second here) is Postfix's business.
	pf_queue >"$T_DIR/queue.json"
	assert_match "$_what: still in the queue, with a delay reason" \
	    "\"queue_id\": *\"$_q\".*\"delay_reason\": *\"[^\"]+" \
	    "$(cat "$T_DIR/queue.json")"
	assert_eq "$_what: neither sent nor bounced while the map is down" "" \
	    "$(grep -E ": $_q: .*status=(sent|bounced)" "$LOG")"
	assert_eq "$_what: nothing written while deferred" "$_sig" "$(tree_sig "$B")"
	eval "$4"
	pf_flush
	drained "$_what: after the fix and postqueue -f"
	logged "$_what: then delivered" \
	    ": $_q: to=<$_rcpt>, relay=vdeliver, .*dsn=2\.0\.0, status=sent"
	DTD="$DTD $_q"
}

section "map outage: the .db is missing"
outage "missing .db" mb@example.com \
    'mv "$M/vmailbox.db" "$M/vmailbox.db.away"' \
    'mv "$M/vmailbox.db.away" "$M/vmailbox.db"'
assert_eq "missing .db: one copy in the mbox" 1 \
    "$(grep -c '^Subject: outage missing .db$' "$B/u5001/mb" 2>/dev/null)"

section "map outage: the MariaDB server is stopped"
NDTD=1
if ! mysql_usable; then
	skip "MariaDB outage: mariadb-server not installed (make deps)"
elif ! mysql_start a; then
	fail "start a private MariaDB server"
else
	NDTD=2
	mysql_sql a "INSERT INTO users (email, maildir, uid, gid) VALUES
	    ('sql@example.net', 'u5002/sql/', 5002, 5012)" ||
	    fail "MariaDB: insert the user"
	mkdir -p "$T_DIR/my"
	for m in mailbox uid gid; do
		sed -e "s|^hosts = .*|hosts = unix:$(mysql_sock a)|" \
		    -e "s|^password = .*|password = $MYSQL_PASSWORD|" \
		    "$TOP/conf/mysql-virtual-$m.cf" >"$T_DIR/my/$m.cf"
		chmod 0600 "$T_DIR/my/$m.cf"	# root only: the set-uid
	done					# vdeliver reads it as root
	vdconf "virtual_mailbox_maps = hash:$M/vmailbox, mysql:$T_DIR/my/mailbox.cf" \
	    "virtual_uid_maps = hash:$M/uids, mysql:$T_DIR/my/uid.cf" \
	    "virtual_gid_maps = hash:$M/gids, mysql:$T_DIR/my/gid.cf"
	printf 'Subject: sql\n\nsql\n' >"$T_DIR/msg.sql"
	send sender@example.net sql@example.net <"$T_DIR/msg.sql"
	drained "MariaDB user"
	f=$(ls "$B/u5002/sql/new"/* 2>/dev/null | head -n 1)
	assert_eq "MariaDB user: uid/gid from the database" "5002:5012 600" \
	    "$(stat -c '%u:%g %a' "$f" 2>/dev/null)"
	outage "stopped MariaDB" sql@example.net 'mysql_halt a' \
	    'mysql_start a || fail "restart MariaDB"'
	assert_eq "stopped MariaDB: one copy in the maildir" 1 \
	    "$(grep -l '^Subject: outage stopped MariaDB$' "$B/u5002/sql/new"/* 2>/dev/null | wc -l)"
	mysql_stop a
	vdconf
fi

section "totals"
NDD=0
for q in $DTD; do
	grep -q ": $q: .*status=deferred" "$LOG" &&
	    grep -q ": $q: .*status=sent" "$LOG" && NDD=$((NDD + 1))
done
assert_eq "deferred, then delivered" "$NDTD" "$NDD"
other=$(grep 'status=deferred' "$LOG" | sed 's/.*: \([0-9A-F]*\): to=.*/\1/' |
    sort -u | grep -vxF "$(echo $DTD | tr ' ' '\n')")
assert_eq "no other deferral" "" "$other"
assert_eq "no warnings or errors from Postfix" "" \
    "$(grep -E 'postfix/[a-z]+\[[0-9]+\]: (warning|error|fatal|panic):' "$LOG" |
        grep -v 'postfix/postfix-script' | head -5)"
if [ -n "$san" ]; then
	# verbosity=1: every vdeliver run leaves a file, which proves that the
	# options got through pipe(8) and the set-uid start
	n=$(ls "$SAN_DIR" | grep -c '^asan\.')
	[ "$n" -gt 0 ] && pass "ASAN_OPTIONS reached vdeliver ($n logs)" ||
	    fail "ASAN_OPTIONS did not reach vdeliver: no log in $SAN_DIR"
	r=$(grep -lE 'ERROR: |SUMMARY: |runtime error' "$SAN_DIR"/* 2>/dev/null)
	assert_eq "no sanitizer reports" "" "$r"
	for f in $r; do grep -B2 -A30 -E 'ERROR: |runtime error' "$f" | head -n 40; done
fi
DELIV=$(grep -cE 'postfix/(pipe|virtual)\[.*status=sent' "$LOG")
BNOTE=$(grep -cE 'postfix/pipe\[.*to=<sender@example.net>.*status=sent' "$LOG")
BOUNCED=$(grep -c 'status=bounced' "$LOG")
echo "messages sent: $SENT; deliveries: $DELIV (of which $BNOTE bounce" \
    "notices); bounced: $BOUNCED; deferred then delivered: $NDD"
assert_eq "bounced" 2 "$BOUNCED"

pf_stop
t_end
