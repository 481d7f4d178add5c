#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_bigmsg.sh - a 100 MB message with CRLF line endings and lines that
# need From_ quoting, to a maildir and to an mbox: content verified by
# size and checksum, peak RSS measured (bound: 8 MB, not for the sanitizer
# build).  The default virtual_mailbox_limit (51200000) bounces it cleanly.
# Then the same message with LF line ends, a From_ line and no final
# newline, from a regular file (read in place) and from a pipe.
. "$(dirname "$0")/lib.sh"
t_begin bigmsg
need_root

B=$T_DIR/base
vd_init
vd_user big@example.com example.com/big/ 5001
vd_user bigmb@example.com example.com/bigmb 5001
MB=${VD_BIG_MB:-100}
RSS_MAX=8192	# KB

# a chunk of about 1 MB (not a multiple of any buffer size): CRLF lines of
# varying length, some "From " lines; the message is headers + MB chunks
awk 'BEGIN {
	s = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	while (length(s) < 300) s = s s
	n = 0; k = 0
	while (n < 1000003) {
		k++
		if (k % 97 == 0) l = "From line " k
		else if (k % 89 == 0) l = ""
		else l = substr(s, 1 + k % 50, k * 7 % 251)
		printf "%s\r\n", l; n += length(l) + 2
	}
}' >"$T_DIR/chunk"
{
	printf 'From: big@x\r\nSubject: a big one\r\n\r\n'
	i=0
	while [ $i -lt "$MB" ]; do cat "$T_DIR/chunk"; i=$((i + 1)); done
	printf 'the end, without CRLF'
} >"$T_DIR/big"
rm -f "$T_DIR/chunk"
echo "     (message: $(stat -c %s "$T_DIR/big") bytes)"
HDR_MD='Return-Path: <s@x>
Delivered-To: big@example.com
'
HDR_MB='Return-Path: <s@x>
Delivered-To: bigmb@example.com
'
lf() { tr -d '\r' <"$T_DIR/big"; echo; }	# CRLF -> LF, final newline added
exp_md=$({ printf '%s' "$HDR_MD"; lf; } | md5sum | cut -d' ' -f1)
exp_md_size=$({ printf '%s' "$HDR_MD"; lf; } | wc -c | tr -d ' ')
exp_mb=$({ printf '%s' "$HDR_MB"; lf | sed 's/^From />From /'; echo; } | md5sum | cut -d' ' -f1)
exp_mb_size=$({ printf '%s' "$HDR_MB"; lf | sed 's/^From />From /'; echo; } | wc -c | tr -d ' ')

rss_check() {	# rss_check WHAT
	rss=$(tail -n 1 "$T_DIR/rss")
	echo "     ($1: peak RSS $rss KB)"
	case "${VALGRIND:-}:$BUILD" in
	1:*) skip "$1: RSS bound not applied under valgrind (memcheck's own, $rss KB)" ;;
	*san*) skip "$1: RSS bound not applied to the sanitizer build ($rss KB)" ;;
	*) if [ "$rss" -le "$RSS_MAX" ] 2>/dev/null; then pass "$1: peak RSS $rss KB <= $RSS_MAX KB"
	   else fail "$1: peak RSS $rss KB > $RSS_MAX KB"; fi ;;
	esac
}

# --- maildir
/usr/bin/time -f %M -o "$T_DIR/rss" "$VDELIVER" -c "$T_DIR/vd.conf" \
    -o virtual_mailbox_limit=0 -f s@x -r big@example.com <"$T_DIR/big" \
    >"$T_DIR/.out" 2>"$T_DIR/.err"
RC=$?; ERR=$(cat "$T_DIR/.err"); ERR1=$(head -n 1 "$T_DIR/.err")
expect_status "100 MB maildir" 0 2.0.0
md=$B/example.com/big
f=$(ls "$md/new"/* 2>/dev/null | head -n 1)
if [ -n "$f" ]; then
	assert_eq "100 MB maildir: size" "$exp_md_size" "$(stat -c %s "$f")"
	assert_eq "100 MB maildir: S=" "$exp_md_size" "${f##*,S=}"
	assert_eq "100 MB maildir: checksum" "$exp_md" "$(md5sum <"$f" | cut -d' ' -f1)"
else
	fail "100 MB maildir: no file in new/"
fi
assert_eq "100 MB maildir: tmp/ empty" 0 "$(count_files "$md/tmp")"
rss_check "100 MB maildir"
rm -f "$md/new"/*

# --- mbox (appended to an existing one)
printf 'Subject: small\n\nx\n' | vd -f s@x -r bigmb@example.com
mbox=$B/example.com/bigmb
s0=$(stat -c %s "$mbox")
cp "$mbox" "$T_DIR/mbox.before"
/usr/bin/time -f %M -o "$T_DIR/rss" "$VDELIVER" -c "$T_DIR/vd.conf" \
    -o virtual_mailbox_limit=0 -f s@x -r bigmb@example.com <"$T_DIR/big" \
    >"$T_DIR/.out" 2>"$T_DIR/.err"
RC=$?; ERR=$(cat "$T_DIR/.err"); ERR1=$(head -n 1 "$T_DIR/.err")
expect_status "100 MB mbox" 0 2.0.0
assert_eq "100 MB mbox: first message untouched" \
    "$(md5sum <"$T_DIR/mbox.before" | cut -d' ' -f1)" \
    "$(head -c "$s0" "$mbox" | md5sum | cut -d' ' -f1)"
assert_match "100 MB mbox: From_ line" "^From s@x$FROM_DATE_RE" \
    "$(tail -c +$((s0 + 1)) "$mbox" | head -n 1)"
tail -c +$((s0 + 1)) "$mbox" | tail -n +2 >"$T_DIR/got"
assert_eq "100 MB mbox: size" "$exp_mb_size" "$(stat -c %s "$T_DIR/got")"
assert_eq "100 MB mbox: checksum (LF, quoted, blank line)" "$exp_mb" \
    "$(md5sum <"$T_DIR/got" | cut -d' ' -f1)"
rm -f "$T_DIR/got"
rss_check "100 MB mbox"

# --- the default limit bounces it and leaves nothing behind
cp "$mbox" "$T_DIR/mbox.before"
vd -f s@x -r bigmb@example.com <"$T_DIR/big"
expect_status "100 MB mbox, default limit" 73 5.2.2
assert_files_equal "100 MB mbox, default limit: mbox byte-identical" "$T_DIR/mbox.before" "$mbox"
rm -f "$T_DIR/mbox.before"
vd -f s@x -r big@example.com <"$T_DIR/big"
expect_status "100 MB maildir, default limit" 73 5.2.2
assert_eq "100 MB maildir, default limit: new/ empty" 0 "$(count_files "$md/new")"
assert_eq "100 MB maildir, default limit: tmp/ empty" 0 "$(count_files "$md/tmp")"

# --- buffer boundaries: 600 KB of CRLF lines that all begin "From ", of
# lengths that sweep every offset, byte-exact in an mbox and a maildir
awk 'BEGIN {
	s = "From "; while (length(s) < 600) s = s "x"
	printf "Subject: sweep\r\n\r\n"
	n = 0; k = 0
	while (n < 600000) { k++; l = substr(s, 1, 5 + (k * 37) % 401); printf "%s\r\n", l; n += length(l) + 2 }
	printf "From the last line"
}' >"$T_DIR/sweep"
{ printf '%s' "$HDR_MB"; tr -d '\r' <"$T_DIR/sweep" | sed 's/^From />From /'; printf '\n\n'; } \
    >"$T_DIR/sweep.mb"
{ printf '%s' "$HDR_MD"; tr -d '\r' <"$T_DIR/sweep"; echo; } >"$T_DIR/sweep.md"
rm -f "$mbox"
vd -f s@x -r bigmb@example.com <"$T_DIR/sweep"
expect_status "boundary sweep mbox" 0 2.0.0
tail -n +2 "$mbox" >"$T_DIR/got"
assert_files_equal "boundary sweep mbox: byte-exact" "$T_DIR/sweep.mb" "$T_DIR/got"
rm -f "$md/new"/*
vd -f s@x -r big@example.com <"$T_DIR/sweep"
expect_status "boundary sweep maildir" 0 2.0.0
f=$(ls "$md/new"/* 2>/dev/null | head -n 1)
[ -n "$f" ] && assert_files_equal "boundary sweep maildir: byte-exact" "$T_DIR/sweep.md" "$f"
rm -f "$md/new"/*

# --- the loop check sees the whole top header block, however large
hdrs() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "X-Filler-%d: %0100d\n", i, i }'; }
{ hdrs 3000; printf 'Delivered-To: big@example.com\n\nbody\n'; } >"$T_DIR/loop1"
vd -f s@x -r big@example.com <"$T_DIR/loop1"
expect_status "Delivered-To after 300 KB of headers" 65 5.4.6
{ printf 'X-Long: '; head -c 300000 /dev/zero | tr '\0' 'l';
  printf '\nDelivered-To: big@example.com\n\nbody\n'; } >"$T_DIR/loop2"
vd -f s@x -r big@example.com <"$T_DIR/loop2"
expect_status "Delivered-To after a 300 KB header line" 65 5.4.6
{ hdrs 3000; printf '\nDelivered-To: big@example.com\n'; } >"$T_DIR/noloop"
vd -f s@x -r big@example.com <"$T_DIR/noloop"
expect_status "Delivered-To in the body after 300 KB of headers" 0 2.0.0
assert_eq "no files left in tmp/" 0 "$(count_files "$md/tmp")"
rm -f "$md/new"/*

# --- from a pipe rather than a file (no seeking on standard input)
cat "$T_DIR/big" | "$VDELIVER" -c "$T_DIR/vd.conf" -o virtual_mailbox_limit=0 \
    -f s@x -r big@example.com >"$T_DIR/.out" 2>"$T_DIR/.err"
RC=$?; ERR=$(cat "$T_DIR/.err"); ERR1=$(head -n 1 "$T_DIR/.err")
expect_status "100 MB maildir from a pipe" 0 2.0.0
f=$(ls "$md/new"/* 2>/dev/null | head -n 1)
assert_eq "100 MB from a pipe: checksum" "$exp_md" \
    "$([ -n "$f" ] && md5sum <"$f" | cut -d' ' -f1)"


# --- LF only, a leading From_ line, no final newline: standard input that
# is a regular file is read in place (no spool); from a pipe it is spooled.
# Both byte-exact, both within the same RSS bound.
{ printf 'From someone@x  Thu Jan  1 00:00:00 2026\n'; tr -d '\r' <"$T_DIR/big"; } \
    >"$T_DIR/lf"
rm -f "$T_DIR/big"
body() { tail -n +2 "$T_DIR/lf"; echo; }	# From_ line gone, LF added
exp_md=$({ printf '%s' "$HDR_MD"; body; } | md5sum | cut -d' ' -f1)
exp_mb=$({ printf '%s' "$HDR_MB"; body | sed 's/^From />From /'; echo; } |
    md5sum | cut -d' ' -f1)
for how in file pipe; do
	rm -f "$md/new"/* "$mbox"
	for r in big bigmb; do
		if [ $how = file ]; then
			/usr/bin/time -f %M -o "$T_DIR/rss" "$VDELIVER" \
			    -c "$T_DIR/vd.conf" -o virtual_mailbox_limit=0 \
			    -f s@x -r $r@example.com <"$T_DIR/lf" \
			    >"$T_DIR/.out" 2>"$T_DIR/.err"
		else
			cat "$T_DIR/lf" | /usr/bin/time -f %M -o "$T_DIR/rss" \
			    "$VDELIVER" -c "$T_DIR/vd.conf" \
			    -o virtual_mailbox_limit=0 -f s@x -r $r@example.com \
			    >"$T_DIR/.out" 2>"$T_DIR/.err"
		fi
		RC=$?; ERR=$(cat "$T_DIR/.err"); ERR1=$(head -n 1 "$T_DIR/.err")
		expect_status "100 MB LF-only $r from a $how" 0 2.0.0
		rss_check "100 MB LF-only $r from a $how"
	done
	f=$(ls "$md/new"/* 2>/dev/null | head -n 1)
	assert_eq "100 MB LF-only maildir from a $how: checksum" "$exp_md" \
	    "$([ -n "$f" ] && md5sum <"$f" | cut -d' ' -f1)"
	assert_match "100 MB LF-only mbox from a $how: From_ line" \
	    "^From s@x$FROM_DATE_RE" "$(head -n 1 "$mbox")"
	assert_eq "100 MB LF-only mbox from a $how: checksum" "$exp_mb" \
	    "$(tail -n +2 "$mbox" | md5sum | cut -d' ' -f1)"
done
rm -f "$md/new"/* "$T_DIR/lf"

t_end
