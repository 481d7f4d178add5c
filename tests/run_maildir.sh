#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_maildir.sh - maildir delivery: unique names, partial structures,
# virtual_mailbox_limit, and nothing left in tmp/ or new/ after a failure
# (SPEC section 7).
. "$(dirname "$0")/lib.sh"
t_begin maildir
need_root

B=$T_DIR/base
vd_init
vd_user md@example.com example.com/md/ 5001
md=$B/example.com/md
printf 'Subject: maildir\n\nbody\n' >"$T_DIR/msg"
hdr="Return-Path: <s@x>
Delivered-To: md@example.com
"
msize=$(( ${#hdr} + $(stat -c %s "$T_DIR/msg") ))

# --- several deliveries: distinct names, all complete
i=0
while [ $i -lt 5 ]; do
	vd -f s@x -r md@example.com <"$T_DIR/msg"
	[ "$RC" = 0 ] || fail "burst $i: exit $RC ($ERR)"
	i=$((i + 1))
done
assert_eq "burst: 5 distinct files in new/" 5 "$(count_files "$md/new")"
assert_eq "burst: tmp/ empty" 0 "$(count_files "$md/tmp")"
bad=0
for f in "$md/new"/*; do
	n=${f##*/}
	printf '%s\n' "$n" | grep -Eq "$MAILDIR_NEW_RE" || bad=$((bad + 1))
	[ "$(stat -c %s "$f")" = "$msize" ] || bad=$((bad + 1))
	[ "${n##*,S=}" = "$msize" ] || bad=$((bad + 1))
done
assert_eq "burst: names, sizes and S= all right" 0 "$bad"

# --- a partial maildir (only cur/) is completed
mkdir -p "$B/part/m/cur"
chown -R 5001:5001 "$B/part"; chmod 0755 "$B/part" "$B/part/m" "$B/part/m/cur"
vd_user part@example.com part/m/ 5001
vd -f s@x -r part@example.com <"$T_DIR/msg"
expect_status "partial maildir" 0 2.0.0
assert_eq "partial maildir: delivered into new/" 1 "$(count_files "$B/part/m/new")"
assert_eq "partial maildir: tmp/ created 0700" 700 "$(file_mode "$B/part/m/tmp")"
assert_eq "partial maildir: existing dirs keep their mode" 755 "$(file_mode "$B/part/m")"

mkdir -p "$B/part2/m/new"
chown -R 5001:5001 "$B/part2"
vd_user part2@example.com part2/m/ 5001
vd -f s@x -r part2@example.com <"$T_DIR/msg"
expect_status "maildir with only new/" 0 2.0.0
assert_eq "maildir with only new/: tmp/ and cur/ created" "700 700" \
    "$(file_mode "$B/part2/m/tmp") $(file_mode "$B/part2/m/cur")"
assert_eq "maildir with only new/: delivered" 1 "$(count_files "$B/part2/m/new")"

# --- virtual_mailbox_limit: each file must fit
tree_sig "$md" >"$T_DIR/sig.before"
vd -o virtual_mailbox_limit=$((msize - 1)) -f s@x -r md@example.com <"$T_DIR/msg"
expect_status "limit: one byte too small" 73 5.2.2
tree_sig "$md" >"$T_DIR/sig.after"
assert_files_equal "limit: maildir unchanged (tmp/, new/)" "$T_DIR/sig.before" "$T_DIR/sig.after"
vd -o virtual_mailbox_limit=$msize -f s@x -r md@example.com <"$T_DIR/msg"
expect_status "limit: file exactly at the limit" 0 2.0.0
# a maildir limit is per file, not for the whole maildir
assert_eq "limit: per file" 6 "$(count_files "$md/new")"
head -c 300000 /dev/zero | tr '\0' 'y' | fold -w 76 >"$T_DIR/msg.big"
tree_sig "$md" >"$T_DIR/sig.before"
vd -o virtual_mailbox_limit=100000 -f s@x -r md@example.com <"$T_DIR/msg.big"
expect_status "limit: 300 KB message, 100 KB limit" 73 5.2.2
tree_sig "$md" >"$T_DIR/sig.after"
assert_files_equal "limit: 300 KB: maildir unchanged" "$T_DIR/sig.before" "$T_DIR/sig.after"

# the caller's RLIMIT_FSIZE: EFBIG, nothing left in tmp/ or new/
head -c 80000 /dev/zero | tr '\0' 'w' | fold -w 70 >"$T_DIR/msg.80k"
tree_sig "$md" >"$T_DIR/sig.before"
prlimit --fsize=50000 "$VDELIVER" -c "$T_DIR/vd.conf" -f s@x -r md@example.com \
    <"$T_DIR/msg.80k" >"$T_DIR/.out" 2>"$T_DIR/.err"
RC=$?; ERR=$(cat "$T_DIR/.err"); ERR1=$(head -n 1 "$T_DIR/.err")
expect_status "RLIMIT_FSIZE of the caller" 73 5.2.2
tree_sig "$md" >"$T_DIR/sig.after"
assert_files_equal "RLIMIT_FSIZE: maildir unchanged" "$T_DIR/sig.before" "$T_DIR/sig.after"

# --- failures after the tmp file was written leave nothing behind
# new/ not writable by the recipient: the link into new/ fails
mkdir -p "$B/nonew/m/tmp" "$B/nonew/m/new" "$B/nonew/m/cur"
chown -R 5001:5001 "$B/nonew"
chown root:root "$B/nonew/m/new"; chmod 0755 "$B/nonew/m/new"
vd_user nonew@example.com nonew/m/ 5001
tree_sig "$B/nonew" >"$T_DIR/sig.before"
vd -f s@x -r nonew@example.com <"$T_DIR/msg"
expect_status "new/ not writable" 75 4.2.0
tree_sig "$B/nonew" >"$T_DIR/sig.after"
assert_files_equal "new/ not writable: tmp/ and new/ unchanged" \
    "$T_DIR/sig.before" "$T_DIR/sig.after"

# tmp/ not writable
mkdir -p "$B/notmp/m/tmp" "$B/notmp/m/new" "$B/notmp/m/cur"
chown -R 5001:5001 "$B/notmp"
chown root:root "$B/notmp/m/tmp"; chmod 0755 "$B/notmp/m/tmp"
vd_user notmp@example.com notmp/m/ 5001
tree_sig "$B/notmp" >"$T_DIR/sig.before"
vd -f s@x -r notmp@example.com <"$T_DIR/msg"
expect_status "tmp/ not writable" 75 4.2.0
tree_sig "$B/notmp" >"$T_DIR/sig.after"
assert_files_equal "tmp/ not writable: unchanged" "$T_DIR/sig.before" "$T_DIR/sig.after"

# new is a file, not a directory
mkdir -p "$B/filenew/m/tmp" "$B/filenew/m/cur"
: >"$B/filenew/m/new"
chown -R 5001:5001 "$B/filenew"
vd_user filenew@example.com filenew/m/ 5001
tree_sig "$B/filenew" >"$T_DIR/sig.before"
vd -f s@x -r filenew@example.com <"$T_DIR/msg"
expect_status "new is a file" 75 4.2.0
tree_sig "$B/filenew" >"$T_DIR/sig.after"
assert_files_equal "new is a file: unchanged" "$T_DIR/sig.before" "$T_DIR/sig.after"

# the maildir's parent not writable: nothing can be created
mkdir -p "$B/rodom"; chmod 0755 "$B/rodom"; chown root:root "$B/rodom"
vd_user rodom@example.com rodom/m/ 5001
vd -f s@x -r rodom@example.com <"$T_DIR/msg"
expect_status "parent not writable" 75 4.2.0
assert_eq "parent not writable: nothing created" 0 "$(count_files "$B/rodom")"

# the maildir itself is a file
mkdir -p "$B/isfile"; : >"$B/isfile/m"; chown -R 5001:5001 "$B/isfile"
vd_user isfile@example.com isfile/m/ 5001
vd -f s@x -r isfile@example.com <"$T_DIR/msg"
expect_status "maildir path is a file" 75 4.2.0
assert_eq "maildir path is a file: still an empty file" 0 "$(stat -c %s "$B/isfile/m")"

# --- host names with / and : are escaped as \057 and \072
if unshare --uts sh -c 'printf "h/o:st" >/proc/sys/kernel/hostname' 2>/dev/null; then
	rm -rf "$md"
	unshare --uts sh -c 'printf "h/o:st" >/proc/sys/kernel/hostname &&
	    exec "$0" -c "$1" -f s@x -r md@example.com <"$2"' \
	    "$VDELIVER" "$T_DIR/vd.conf" "$T_DIR/msg" >"$T_DIR/.out" 2>&1
	assert_eq "odd host name: exit" 0 "$?"
	n=$(ls -A "$md/new" 2>/dev/null)
	case "$n" in
	*'.h\057o\072st,S='*) pass "odd host name: escaped in new/ name" ;;
	*) fail "odd host name: new/ name [$n] lacks h\\057o\\072st" ;;
	esac
	assert_match "odd host name: name format" "$MAILDIR_NEW_RE" "$n"
	assert_eq "odd host name: tmp/ empty" 0 "$(count_files "$md/tmp")"
else
	skip "odd host name: cannot unshare the UTS namespace"
fi

t_end
