#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_diskfull.sh - out of space, out of inodes, over quota, over the file
# size limit, on real file systems (SPEC sections 3 and 7):
#   ENOSPC defers 4.3.0 (exit 75), EDQUOT and EFBIG bounce 5.2.2 (exit 73),
#   and in every case the mbox is byte-identical afterwards and a maildir's
#   tmp/ and new/ are as they were; once space is back, delivery works.
# File systems: tmpfs (-o size=, nr_inodes=), a loop-mounted ext4 image
# filled up, a quota (ext4 usrquota with setquota for uid 5001 where the
# kernel has quota format v2; else a btrfs qgroup limit, the other real
# quota Linux has), and a full file system under TMPDIR for the spool.
# Everything is mounted below $T_DIR and unmounted by the exit trap.
. "$(dirname "$0")/lib.sh"
t_begin diskfull
need_root

MOUNTS=""
dfull_cleanup() {
	for _m in $MOUNTS; do
		umount "$_m" 2>/dev/null || umount -l "$_m" 2>/dev/null
	done
	t_cleanup
}
trap dfull_cleanup EXIT
trap 'exit 130' INT TERM HUP

# mount_tmpfs DIR OPTIONS : mount a tmpfs, remember it for the trap
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "$2" tmpfs "$1" 2>/dev/null || return 1
	MOUNTS="$1 $MOUNTS"
}
# mount_loop IMAGE DIR [OPTIONS] : loop-mount an image (auto-detached)
mount_loop() {
	mkdir -p "$2"
	mount -o "loop${3:+,$3}" "$1" "$2" 2>/dev/null || return 1
	MOUNTS="$2 $MOUNTS"
}
# fill DIR : as root, take every free block of DIR's file system
fill() {
	dd if=/dev/zero of="$1/filler" bs=64k 2>/dev/null
	dd if=/dev/zero of="$1/filler2" bs=1k 2>/dev/null
	dd if=/dev/zero of="$1/filler3" bs=512 2>/dev/null
	sync
}
unfill() { rm -f "$1/filler" "$1/filler2" "$1/filler3"; sync; }
no_lock() {	# no_lock WHAT MBOX
	assert_eq "$1: no dotlock left" no "$([ -e "$2.lock" ] && echo yes || echo no)"
}
nfiles() { find "$1" -type f 2>/dev/null | wc -l | tr -d ' '; }
: >"$T_DIR/vmailbox"; : >"$T_DIR/uids"; : >"$T_DIR/gids"
chmod 0644 "$T_DIR/vmailbox" "$T_DIR/uids" "$T_DIR/gids"

# ======================================================================
# 1. a 1 MB tmpfs as the mailbox base, a 2 MB message
FULL=$T_DIR/full
if ! mount_tmpfs "$FULL" size=1m,mode=0755; then
	skip "cannot mount a tmpfs here"
	t_end; exit $?
fi

B=$FULL/base
mkdir -p "$B"; chown 5001:5001 "$B"
vd_user mb@example.com mb 5001
vd_user md@example.com md/ 5001
vd_conf "virtual_mailbox_base = $B"
printf 'Subject: small\n\nsmall body\n' >"$T_DIR/small"
{ printf 'Subject: big\n\n'; head -c 2000000 /dev/zero | tr '\0' 'q' | fold -w 78; } \
    >"$T_DIR/big"

vd -f s@x -r mb@example.com -r md@example.com <"$T_DIR/small"
expect_status "small message on the small file system" 0 2.0.0

cp "$B/mb" "$T_DIR/mb.before"
vd -f s@x -r mb@example.com <"$T_DIR/big"
expect_status "disk full: mbox" 75 4.3.0
assert_files_equal "disk full: mbox byte-identical" "$T_DIR/mb.before" "$B/mb"
no_lock "disk full" "$B/mb"

tree_sig "$B/md" >"$T_DIR/sig.before"
vd -f s@x -r md@example.com <"$T_DIR/big"
expect_status "disk full: maildir" 75 4.3.0
tree_sig "$B/md" >"$T_DIR/sig.after"
assert_files_equal "disk full: maildir tmp/ and new/ unchanged" \
    "$T_DIR/sig.before" "$T_DIR/sig.after"

# the space is still there afterwards: a small message fits again
vd -f s@x -r mb@example.com -r md@example.com <"$T_DIR/small"
expect_status "after disk full: small message" 0 2.0.0

# several recipients: the deferral line comes first
vd -f s@x -r nobody@example.com -r mb@example.com <"$T_DIR/big"
expect_status "disk full + unknown user" 75 4.3.0
assert_match "disk full + unknown user: bounce line second" '^5\.1\.1 ' \
    "$(sed -n 2p "$T_DIR/.err")"

# ======================================================================
# 2. a file system filled to the last block: even a 10 KB message does
# not fit; existing and new mailboxes of both formats; then free space
# and deliver.  Once on tmpfs, once on a loop-mounted ext4 image (block
# allocator, delayed allocation, journal: ENOSPC from a disk file system).
{ printf 'Subject: ten\n\n'; head -c 10000 /dev/zero | tr '\0' 't' | fold -w 70
  echo; } >"$T_DIR/ten"
vd_user fmb@example.com fmb 5001
vd_user fmd@example.com fmd/ 5001
vd_user fnewmb@example.com fnew/mb 5001
vd_user fnewmd@example.com fnewmd/ 5001
vd_user fnewmd2@example.com fmd2/ 5001

filled_fs() {	# filled_fs LABEL MOUNTPOINT
	_l=$1 _b=$2/base
	mkdir -p "$_b"; chown 5001:5001 "$_b"
	vd -o "virtual_mailbox_base=$_b" -f s@x -r fmb@example.com \
	    -r fmd@example.com <"$T_DIR/small"
	expect_status "$_l: setup" 0 2.0.0
	mkdir -p "$_b/fmd2/tmp" "$_b/fmd2/new" "$_b/fmd2/cur"
	chown -R 5001:5001 "$_b/fmd2"
	fill "$2"
	cp "$_b/fmb" "$T_DIR/fmb.before"
	vd -o "virtual_mailbox_base=$_b" -f s@x -r fmb@example.com <"$T_DIR/ten"
	expect_status "$_l full: mbox" 75 4.3.0
	assert_files_equal "$_l full: mbox byte-identical" "$T_DIR/fmb.before" "$_b/fmb"
	no_lock "$_l full: mbox" "$_b/fmb"
	tree_sig "$_b/fmd" >"$T_DIR/sig.before"
	vd -o "virtual_mailbox_base=$_b" -f s@x -r fmd@example.com <"$T_DIR/small"
	expect_status "$_l full: maildir, tiny message" 75 4.3.0
	tree_sig "$_b/fmd" >"$T_DIR/sig.after"
	assert_files_equal "$_l full: maildir tmp/ and new/ unchanged" \
	    "$T_DIR/sig.before" "$T_DIR/sig.after"
	tree_sig "$_b/fmd2" >"$T_DIR/sig.before"
	vd -o "virtual_mailbox_base=$_b" -f s@x -r fnewmd2@example.com <"$T_DIR/ten"
	expect_status "$_l full: empty maildir" 75 4.3.0
	tree_sig "$_b/fmd2" >"$T_DIR/sig.after"
	assert_files_equal "$_l full: empty maildir stays empty" \
	    "$T_DIR/sig.before" "$T_DIR/sig.after"
	# new mailboxes: at most empty directories or an empty file remain
	vd -o "virtual_mailbox_base=$_b" -f s@x -r fnewmb@example.com <"$T_DIR/ten"
	case $RC in
	75) pass "$_l full: new mbox: exit 75" ;;
	*) fail "$_l full: new mbox: exit $RC ($ERR1)" ;;
	esac
	assert_eq "$_l full: new mbox absent or empty" 0 \
	    "$(stat -c %s "$_b/fnew/mb" 2>/dev/null || echo 0)"
	vd -o "virtual_mailbox_base=$_b" -f s@x -r fnewmd@example.com <"$T_DIR/ten"
	case $RC in
	75) pass "$_l full: new maildir: exit 75" ;;
	*) fail "$_l full: new maildir: exit $RC ($ERR1)" ;;
	esac
	assert_eq "$_l full: new maildir: no file in it" 0 "$(nfiles "$_b/fnewmd")"
	# free the space: everything delivers, with the message intact
	unfill "$2"
	vd -o "virtual_mailbox_base=$_b" -f s@x -r fmb@example.com -r fmd@example.com \
	    -r fnewmb@example.com -r fnewmd@example.com -r fnewmd2@example.com \
	    <"$T_DIR/ten"
	expect_status "$_l: space freed, all five delivered" 0 2.0.0
	assert_eq "$_l: space freed: mbox grew by the message" \
	    "$(($(stat -c %s "$T_DIR/fmb.before") + $(stat -c %s "$T_DIR/ten") + 85))" \
	    "$(stat -c %s "$_b/fmb")"
	assert_eq "$_l: space freed: maildir files" "2 1 1" \
	    "$(count_files "$_b/fmd/new") $(count_files "$_b/fnewmd/new") $(count_files "$_b/fmd2/new")"
	assert_eq "$_l: space freed: tmp/ empty" "0 0 0" \
	    "$(count_files "$_b/fmd/tmp") $(count_files "$_b/fnewmd/tmp") $(count_files "$_b/fmd2/tmp")"
}
# (85 = "From s@x  " + date + LF, "Return-Path: <s@x>" + LF,
# "Delivered-To: fmb@example.com" + LF, the final empty line)

if mount_tmpfs "$T_DIR/fill_tmpfs" size=512k,mode=0755; then
	filled_fs tmpfs "$T_DIR/fill_tmpfs"
else
	skip "filled tmpfs: cannot mount"
fi
truncate -s 8M "$T_DIR/ext4.img"
if mkfs.ext4 -q -F -m 0 -b 1024 "$T_DIR/ext4.img" >/dev/null 2>&1 &&
    mount_loop "$T_DIR/ext4.img" "$T_DIR/fill_ext4"; then
	chmod 0755 "$T_DIR/fill_ext4"
	filled_fs ext4 "$T_DIR/fill_ext4"
else
	skip "filled ext4: cannot make or loop-mount an ext4 image (mkfs.ext4, loop devices)"
fi
rm -f "$T_DIR/ext4.img"	# still in use while mounted, freed by the trap

# ======================================================================
# 3. out of inodes (tmpfs nr_inodes): nothing can be created, existing
# files can still grow.  The dotlock needs an inode: 4.3.0; an mbox with
# kernel locks only still takes mail; a maildir needs a new file: 4.3.0.
INO=$T_DIR/inodes
if mount_tmpfs "$INO" size=4m,nr_inodes=64,mode=0755; then
	mkdir -p "$INO/base"; chown 5001:5001 "$INO/base"
	vd -o "virtual_mailbox_base=$INO/base" -f s@x -r fmb@example.com \
	    -r fmd@example.com <"$T_DIR/small"
	expect_status "inodes: setup" 0 2.0.0
	_i=0
	while [ $_i -lt 100 ] && touch "$INO/i$_i" 2>/dev/null; do _i=$((_i + 1)); done
	assert_eq "inodes: the file system is out of inodes" yes \
	    "$([ $_i -lt 100 ] && echo yes || echo no)"
	cp "$INO/base/fmb" "$T_DIR/fmb.before"
	vd -o "virtual_mailbox_base=$INO/base" -f s@x -r fmb@example.com <"$T_DIR/ten"
	expect_status "inodes exhausted: mbox, dotlock needs an inode" 75 4.3.0
	assert_files_equal "inodes exhausted: mbox byte-identical" \
	    "$T_DIR/fmb.before" "$INO/base/fmb"
	assert_match "inodes exhausted: reason names the lock file" 'lock' "$ERR1"
	tree_sig "$INO/base/fmd" >"$T_DIR/sig.before"
	vd -o "virtual_mailbox_base=$INO/base" -f s@x -r fmd@example.com <"$T_DIR/ten"
	expect_status "inodes exhausted: maildir" 75 4.3.0
	tree_sig "$INO/base/fmd" >"$T_DIR/sig.after"
	assert_files_equal "inodes exhausted: maildir unchanged" \
	    "$T_DIR/sig.before" "$T_DIR/sig.after"
	vd -o "virtual_mailbox_base=$INO/base" -o virtual_mailbox_lock=fcntl \
	    -f s@x -r fmb@example.com <"$T_DIR/ten"
	expect_status "inodes exhausted: mbox with fcntl lock only" 0 2.0.0
	rm -f "$INO"/i*
	vd -o "virtual_mailbox_base=$INO/base" -f s@x -r fmb@example.com \
	    -r fmd@example.com <"$T_DIR/ten"
	expect_status "inodes freed: delivered" 0 2.0.0
else
	skip "inode exhaustion: cannot mount a tmpfs with nr_inodes"
fi

# ======================================================================
# 4. the spool: a message over 128 KiB goes to an unlinked file in
# $TMPDIR.  A full $TMPDIR defers 4.3.0 before any mailbox is touched,
# and leaves nothing there; a message that fits in memory does not need
# $TMPDIR at all.
SP=$T_DIR/spool
{ printf 'Subject: 300k\n\n'; head -c 300000 /dev/zero | tr '\0' 's' | fold -w 75; } \
    >"$T_DIR/k300"
{ printf 'Subject: 100k\n\n'; head -c 100000 /dev/zero | tr '\0' 'h' | fold -w 75; } \
    >"$T_DIR/k100"
if mount_tmpfs "$SP" size=64k,mode=1777; then
	vd_user sp@example.com spool/mb 5001
	vd_user spd@example.com spool/md/ 5001
	B=$T_DIR/spbase
	mkdir -p "$B"; chown 5001:5001 "$B"
	vd_conf "virtual_mailbox_base = $B"
	vd -f s@x -r sp@example.com -r spd@example.com <"$T_DIR/small"
	expect_status "spool: setup" 0 2.0.0
	tree_sig "$B" >"$T_DIR/sig.before"
	piped "$T_DIR/k300"	# from a file it is read in place, not spooled
	TMPDIR=$SP vd -f s@x -r sp@example.com -r spd@example.com <"$T_DIR/fifo"
	wait
	expect_status "spool on a 64 KB TMPDIR, 300 KB message" 75 4.3.0
	assert_match "spool full: reason is the temporary file" 'temporary file' "$ERR1"
	assert_match "spool full: No space left" 'No space left' "$ERR1"
	assert_eq "spool full: one line for both recipients" 2 "$(grep -c '^4\.3\.0 ' "$T_DIR/.err")"
	tree_sig "$B" >"$T_DIR/sig.after"
	assert_files_equal "spool full: no mailbox touched" "$T_DIR/sig.before" "$T_DIR/sig.after"
	assert_eq "spool full: nothing left in TMPDIR" 0 "$(count_files "$SP")"
	TMPDIR=$SP vd -f s@x -r sp@example.com -r spd@example.com <"$T_DIR/k100"
	expect_status "spool: 100 KB message stays in memory" 0 2.0.0
	# TMPDIR out of inodes: O_TMPFILE and the mkstemp fallback both fail
	umount "$SP" && mount_tmpfs "$SP" size=1m,nr_inodes=2,mode=1777
	_i=0
	while [ $_i -lt 10 ] && touch "$SP/i$_i" 2>/dev/null; do _i=$((_i + 1)); done
	tree_sig "$B" >"$T_DIR/sig.before"
	piped "$T_DIR/k300"
	TMPDIR=$SP vd -f s@x -r sp@example.com <"$T_DIR/fifo"
	wait
	expect_status "spool: TMPDIR out of inodes" 75 4.3.0
	tree_sig "$B" >"$T_DIR/sig.after"
	assert_files_equal "spool out of inodes: no mailbox touched" \
	    "$T_DIR/sig.before" "$T_DIR/sig.after"
	TMPDIR=$SP vd -f s@x -r sp@example.com <"$T_DIR/k300"
	expect_status "spool: TMPDIR out of inodes, a regular file read in place" 0 2.0.0
	rm -f "$SP"/i*
	piped "$T_DIR/k300"
	TMPDIR=$SP vd -f s@x -r sp@example.com -r spd@example.com <"$T_DIR/fifo"
	wait
	expect_status "spool: TMPDIR usable again, 300 KB delivered" 0 2.0.0
	assert_eq "spool: nothing left in TMPDIR after delivery" 0 "$(count_files "$SP")"
else
	skip "spool: cannot mount a tmpfs"
fi

# ======================================================================
# 5. EFBIG: the shell's ulimit -f (RLIMIT_FSIZE; vdeliver ignores
# SIGXFSZ) and a virtual_mailbox_limit crossed only by ">From " quoting.
# (prlimit --fsize for both formats: run_mbox, run_maildir.)
B=$T_DIR/fbbase
mkdir -p "$B"; chown 5001:5001 "$B"
vd_conf "virtual_mailbox_base = $B" "virtual_mailbox_limit = 0"
vd_user fb@example.com fb 5001
vd_user fbd@example.com fbd/ 5001
FSZ=$(sh -c 'ulimit -f 200 && exec prlimit --fsize --output SOFT --noheadings' 2>/dev/null |
    tr -d ' ')
case $FSZ in
''|*[!0-9]*) skip "ulimit -f: cannot read back the limit with prlimit" ;;
*)
	# mbox 20000 bytes below the limit, a 60 KB message (in memory)
	_h='From old@x  Sun Nov 22 02:27:04 2026
Subject: old

'
	{ printf '%s' "$_h"
	  head -c $((FSZ - 20000 - ${#_h} - 2)) /dev/zero | tr '\0' 'o'
	  printf '\n\n'; } >"$B/fb"
	chown 5001:5001 "$B/fb"; chmod 0600 "$B/fb"
	{ printf 'Subject: 60k\n\n'; head -c 60000 /dev/zero | tr '\0' 'x' | fold -w 75; } \
	    >"$T_DIR/k60"
	cp "$B/fb" "$T_DIR/fb.before"
	sh -c 'ulimit -f 200 && exec "$@"' sh "$VDELIVER" -c "$T_DIR/vd.conf" -f s@x \
	    -r fb@example.com <"$T_DIR/k60" >"$T_DIR/.out" 2>"$T_DIR/.err"
	RC=$?; ERR=$(cat "$T_DIR/.err"); ERR1=$(head -n 1 "$T_DIR/.err")
	expect_status "ulimit -f 200 ($FSZ bytes): mbox crosses it" 73 5.2.2
	assert_match "ulimit -f: File too large" 'File too large' "$ERR1"
	assert_files_equal "ulimit -f: mbox byte-identical" "$T_DIR/fb.before" "$B/fb"
	no_lock "ulimit -f" "$B/fb"
	# an mbox already over the limit: the first byte fails
	cat "$T_DIR/k60" "$T_DIR/k60" >>"$B/fb"
	cp "$B/fb" "$T_DIR/fb.before"
	sh -c 'ulimit -f 200 && exec "$@"' sh "$VDELIVER" -c "$T_DIR/vd.conf" -f s@x \
	    -r fb@example.com <"$T_DIR/small" >"$T_DIR/.out" 2>"$T_DIR/.err"
	RC=$?; ERR=$(cat "$T_DIR/.err"); ERR1=$(head -n 1 "$T_DIR/.err")
	expect_status "ulimit -f: mbox already over the limit" 73 5.2.2
	assert_files_equal "ulimit -f: over the limit: byte-identical" "$T_DIR/fb.before" "$B/fb"
	# maildir: the new file crosses it
	vd -f s@x -r fbd@example.com <"$T_DIR/small"
	tree_sig "$B/fbd" >"$T_DIR/sig.before"
	{ printf 'Subject: 120k\n\n'; head -c $((FSZ + 10000)) /dev/zero | tr '\0' 'y' | fold -w 75; } \
	    >"$T_DIR/kover"
	if [ "$(stat -c %s "$T_DIR/kover")" -le 131072 ]; then
		sh -c 'ulimit -f 200 && exec "$@"' sh "$VDELIVER" -c "$T_DIR/vd.conf" -f s@x \
		    -r fbd@example.com <"$T_DIR/kover" >"$T_DIR/.out" 2>"$T_DIR/.err"
		RC=$?; ERR=$(cat "$T_DIR/.err"); ERR1=$(head -n 1 "$T_DIR/.err")
		expect_status "ulimit -f: maildir file crosses it" 73 5.2.2
		tree_sig "$B/fbd" >"$T_DIR/sig.after"
		assert_files_equal "ulimit -f: maildir unchanged" "$T_DIR/sig.before" "$T_DIR/sig.after"
	fi
	# the spool file hits the limit: that is vdeliver's own file, not the
	# mailbox: defer, never bounce
	# (from a pipe: a regular file is read in place, without a spool file)
	tree_sig "$B" >"$T_DIR/sig.before"
	piped "$T_DIR/k300"
	sh -c 'ulimit -f 200 && exec "$@"' sh "$VDELIVER" -c "$T_DIR/vd.conf" -f s@x \
	    -r fbd@example.com <"$T_DIR/fifo" >"$T_DIR/.out" 2>"$T_DIR/.err"
	RC=$?; ERR=$(cat "$T_DIR/.err"); ERR1=$(head -n 1 "$T_DIR/.err")
	wait
	expect_status "ulimit -f: spool file over the limit defers" 75 4.3.0
	tree_sig "$B" >"$T_DIR/sig.after"
	assert_files_equal "ulimit -f: spool over the limit: nothing written" \
	    "$T_DIR/sig.before" "$T_DIR/sig.after"
	# the same message from a regular file, read in place: no spool file,
	# so it is the maildir file that crosses the limit: bounce, as above
	sh -c 'ulimit -f 200 && exec "$@"' sh "$VDELIVER" -c "$T_DIR/vd.conf" -f s@x \
	    -r fbd@example.com <"$T_DIR/k300" >"$T_DIR/.out" 2>"$T_DIR/.err"
	RC=$?; ERR=$(cat "$T_DIR/.err"); ERR1=$(head -n 1 "$T_DIR/.err")
	expect_status "ulimit -f: read in place, maildir file crosses it" 73 5.2.2
	tree_sig "$B" >"$T_DIR/sig.after"
	assert_files_equal "ulimit -f: read in place: nothing written" \
	    "$T_DIR/sig.before" "$T_DIR/sig.after"
	;;
esac

# virtual_mailbox_limit crossed only by the ">" quoting of From_ lines:
# the size check before writing cannot see it; the write stops at the limit
vd_user fq@example.com fq 5001
vd -f s@x -r fq@example.com <"$T_DIR/small"
{ printf 'Subject: froms\n\n'; _i=0
  while [ $_i -lt 2000 ]; do echo "From the line $_i"; _i=$((_i + 1)); done; } >"$T_DIR/froms"
s0=$(stat -c %s "$B/fq")
_h="From s@x  Sun Nov 22 02:27:04 2026
Return-Path: <s@x>
Delivered-To: fq@example.com
"
add=$(( ${#_h} + $(stat -c %s "$T_DIR/froms") + 1 ))	# unquoted, + empty line
cp "$B/fq" "$T_DIR/fq.before"
vd -o virtual_mailbox_limit=$((s0 + add + 1000)) -f s@x -r fq@example.com <"$T_DIR/froms"
expect_status "limit crossed by >From quoting (2000 lines)" 73 5.2.2
assert_files_equal "limit crossed by quoting: mbox byte-identical" "$T_DIR/fq.before" "$B/fq"
vd -o virtual_mailbox_limit=$((s0 + add + 2000)) -f s@x -r fq@example.com <"$T_DIR/froms"
expect_status "limit just big enough for the quoted message" 0 2.0.0
assert_eq "quoted message: 2000 >From lines" 2000 "$(grep -c '^>From the line' "$B/fq")"

# ======================================================================
# 6. EDQUOT: a real quota.  ext4 with the quota feature, mounted with
# usrquota, a setquota block (and inode) limit for uid 5001; this needs a
# kernel with CONFIG_QFMT_V2.  Without it, a btrfs qgroup limit on the
# subvolume that holds the base (the same EDQUOT from the same write
# path).  Over quota bounces 5.2.2 (exit 73), mailbox unchanged.
Q=$T_DIR/quota
QKIND=""
truncate -s 16M "$T_DIR/q.img"
if command -v setquota >/dev/null 2>&1 &&
    mkfs.ext4 -q -F -O quota -E quotatype=usrquota -m 0 -b 1024 "$T_DIR/q.img" \
    >/dev/null 2>&1 && mount_loop "$T_DIR/q.img" "$Q" usrquota; then
	QKIND=ext4
	mkdir -p "$Q/base"
else
	rm -f "$T_DIR/q.img"; truncate -s 128M "$T_DIR/q.img"
	if command -v btrfs >/dev/null 2>&1 &&
	    mkfs.btrfs -q -f "$T_DIR/q.img" >/dev/null 2>&1 &&
	    mount_loop "$T_DIR/q.img" "$Q" && btrfs quota enable "$Q" 2>/dev/null &&
	    btrfs subvolume create "$Q/base" >/dev/null 2>&1; then
		QKIND=btrfs
		echo "note: no ext4 user quota here (kernel without CONFIG_QFMT_V2 or" \
		    "no setquota): using a btrfs qgroup limit"
	fi
fi
rm -f "$T_DIR/q.img"
# qlimit KB|none [INODES] : the block (and inode) hard limit for the base
qlimit() {
	if [ "$QKIND" = ext4 ]; then
		_k=$1; [ "$_k" = none ] && _k=0
		setquota -u 5001 0 "$_k" 0 "${2:-0}" "$Q"
	else
		sync
		btrfs qgroup limit "$1$([ "$1" = none ] || echo K)" "$Q/base"
	fi
}
# qused : KB in use by uid 5001 (ext4) or referenced by the subvolume
qused() {
	sync
	if [ "$QKIND" = ext4 ]; then
		repquota -u "$Q" | awk '$1 == "#5001" || $1 == "5001" { print $3; exit }'
	else
		btrfs qgroup show -rf --raw "$Q/base" | awk 'NR > 2 { print int($2 / 1024); exit }'
	fi
}
if [ -n "$QKIND" ]; then
	B=$Q/base
	chmod 0755 "$Q"; chown 5001:5001 "$B"
	vd_conf "virtual_mailbox_base = $B"
	vd_user qmb@example.com qmb 5001
	vd_user qmd@example.com qmd/ 5001
	vd -f s@x -r qmb@example.com -r qmd@example.com <"$T_DIR/small"
	expect_status "quota ($QKIND): setup" 0 2.0.0
	used=$(qused)
	qlimit $((used + 100))
	assert_match "quota ($QKIND): limit set at ${used:-?} + 100 KB" '^[0-9]+$' "$used"
	cp "$B/qmb" "$T_DIR/qmb.before"
	vd -f s@x -r qmb@example.com <"$T_DIR/k300"
	expect_status "quota ($QKIND): mbox over quota" 73 5.2.2
	assert_match "quota ($QKIND): Disk quota exceeded" 'quota' "$ERR1"
	assert_files_equal "quota ($QKIND): mbox byte-identical" "$T_DIR/qmb.before" "$B/qmb"
	no_lock "quota ($QKIND)" "$B/qmb"
	if ! cmp -s "$T_DIR/qmb.before" "$B/qmb"; then
		echo "note: $(($(stat -c %s "$B/qmb") - $(stat -c %s "$T_DIR/qmb.before"))) bytes" \
		    "of a partial message left; maillog:"
		grep 'cannot truncate' "$T_DIR/maillog" | tail -n 1
		# put it right (above the quota), so the next checks stand alone
		qlimit none; cp "$T_DIR/qmb.before" "$B/qmb"; qlimit $((used + 100))
	fi
	tree_sig "$B/qmd" >"$T_DIR/sig.before"
	vd -f s@x -r qmd@example.com <"$T_DIR/k300"
	expect_status "quota ($QKIND): maildir over quota" 73 5.2.2
	tree_sig "$B/qmd" >"$T_DIR/sig.after"
	assert_files_equal "quota ($QKIND): maildir tmp/ and new/ unchanged" \
	    "$T_DIR/sig.before" "$T_DIR/sig.after"
	# several recipients: a bounce and a delivery side by side
	vd -f s@x -r qmb@example.com -r qmd@example.com <"$T_DIR/small"
	expect_status "quota ($QKIND): small message still fits" 0 2.0.0
	if [ "$QKIND" = ext4 ]; then
		# inode limit reached: no new file (maildir), no dotlock
		sync
		inodes=$(repquota -u "$Q" | awk '$1 == "#5001" || $1 == "5001" { print $6; exit }')
		qlimit none "$inodes"
		cp "$B/qmb" "$T_DIR/qmb.before"
		tree_sig "$B/qmd" >"$T_DIR/sig.before"
		vd -f s@x -r qmd@example.com <"$T_DIR/small"
		expect_status "inode quota: maildir" 73 5.2.2
		tree_sig "$B/qmd" >"$T_DIR/sig.after"
		assert_files_equal "inode quota: maildir unchanged" \
		    "$T_DIR/sig.before" "$T_DIR/sig.after"
		vd -f s@x -r qmb@example.com <"$T_DIR/small"
		expect_status "inode quota: mbox dotlock" 73 5.2.2
		assert_files_equal "inode quota: mbox byte-identical" "$T_DIR/qmb.before" "$B/qmb"
		vd -o virtual_mailbox_lock=fcntl -f s@x -r qmb@example.com <"$T_DIR/small"
		expect_status "inode quota: mbox with fcntl only still grows" 0 2.0.0
	fi
	qlimit none
	vd -f s@x -r qmb@example.com -r qmd@example.com <"$T_DIR/k300"
	expect_status "quota ($QKIND) lifted: 300 KB delivered" 0 2.0.0
	assert_eq "quota ($QKIND) lifted: tmp/ empty" 0 "$(count_files "$B/qmd/tmp")"
else
	skip "quota: neither ext4 usrquota (mkfs.ext4 -O quota, setquota from package quota, kernel CONFIG_QFMT_V2) nor btrfs qgroups (btrfs-progs) usable here"
fi

t_end
