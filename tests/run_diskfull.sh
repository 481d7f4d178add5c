#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_diskfull.sh - ENOSPC defers 4.3.0 (SPEC section 3) and leaves the
# mailbox as it was: a 1 MB tmpfs as the mailbox base, a 2 MB message.
. "$(dirname "$0")/lib.sh"
t_begin diskfull
need_root

FULL=$T_DIR/full
mkdir -p "$FULL"
if ! mount -t tmpfs -o size=1m,mode=0755 tmpfs "$FULL" 2>/dev/null; then
	skip "cannot mount a tmpfs here"
	t_end; exit $?
fi
trap 'umount "$FULL" 2>/dev/null; t_cleanup' EXIT

B=$FULL/base
mkdir -p "$B"; chown 5001:5001 "$B"
: >"$T_DIR/vmailbox"; : >"$T_DIR/uids"; : >"$T_DIR/gids"
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
assert_eq "disk full: no dotlock left" no "$([ -e "$B/mb.lock" ] && echo yes || echo no)"

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

t_end
