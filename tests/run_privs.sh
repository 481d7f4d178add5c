#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_privs.sh - privileges (SPEC section 6): run as an ordinary user, run
# as root with a hostile umask, and installed set-uid root (trusted users,
# -c/-o refused, config ownership and mode, cleared environment).  The
# set-uid tests build a private copy with a test SYSCONFDIR.
. "$(dirname "$0")/lib.sh"
t_begin privs
need_root

printf 'Subject: privs\n\nbody\n' >"$T_DIR/msg"

# --- an ordinary caller (uid 5001): its own recipients only
NR=$T_DIR/nr
mkdir -p "$NR/base"
cat >"$NR/vmailbox" <<EOF
me@example.com      me/
memb@example.com    memb
other@example.com   other/
mixed@example.com   mixed/
EOF
cat >"$NR/uids" <<EOF
other@example.com 5002
@example.com 5001
EOF
cat >"$NR/gids" <<EOF
mixed@example.com 5002
@example.com 5001
EOF
cat >"$NR/vd.conf" <<EOF
virtual_mailbox_base = $NR/base
virtual_mailbox_maps = texthash:$NR/vmailbox
virtual_uid_maps = texthash:$NR/uids
virtual_gid_maps = texthash:$NR/gids
maillog_file = $NR/maillog
EOF
chown -R 5001:5001 "$NR"
chmod 0644 "$NR"/vmailbox "$NR"/uids "$NR"/gids "$NR"/vd.conf
nr() { run_vd_as 5001 -c "$NR/vd.conf" -f s@x "$@" <"$T_DIR/msg"; }

nr -r me@example.com
expect_status "non-root: own uid (maildir)" 0 2.0.0
f=$(ls "$NR/base/me/new"/* 2>/dev/null | head -n 1)
assert_eq "non-root: file owner" 5001:5001 "$(file_owner "$f" 2>/dev/null)"
assert_eq "non-root: file mode" 600 "$(file_mode "$f" 2>/dev/null)"
nr -r memb@example.com
expect_status "non-root: own uid (mbox)" 0 2.0.0
tree_sig "$NR/base" >"$T_DIR/sig.before"
nr -r other@example.com
expect_status "non-root: another uid" 75 4.3.5
assert_match "non-root: another uid: reason" \
    "cannot deliver as uid 5002 without root privileges" "$ERR1"
nr -r mixed@example.com
expect_status "non-root: own uid, another gid" 75 4.3.5
tree_sig "$NR/base" >"$T_DIR/sig.after"
assert_files_equal "non-root refusals: nothing written" "$T_DIR/sig.before" "$T_DIR/sig.after"
nr -r other@example.com -r me@example.com
expect_status "non-root: one refused, one delivered" 75 4.3.5
assert_eq "non-root: the own one delivered" 2 "$(count_files "$NR/base/me/new")"
nr -o virtual_mailbox_limit=10 -r memb@example.com
expect_status "non-root: -o accepted by a plain binary" 73 5.2.2
nr -o virtual_mailbox_limit=0 -r memb@example.com
expect_status "non-root: -o accepted (2)" 0 2.0.0

# --- root with umask 000 still writes 0600 files and 0700 directories
B=$T_DIR/base
vd_init
vd_user u@example.com example.com/u/ 5001
vd_user m@example.com example.com/sub/m 5001
(umask 000; vd -f s@x -r u@example.com -r m@example.com <"$T_DIR/msg"
    echo "$RC" >"$T_DIR/rc")
assert_eq "umask 000: exit" 0 "$(cat "$T_DIR/rc")"
for d in example.com example.com/u example.com/u/tmp example.com/u/new \
    example.com/u/cur example.com/sub; do
	assert_eq "umask 000: mode of $d" 700 "$(file_mode "$B/$d")"
done
assert_eq "umask 000: mbox mode" 600 "$(file_mode "$B/example.com/sub/m")"
assert_eq "umask 000: maildir file mode" 600 \
    "$(file_mode "$(ls "$B/example.com/u/new"/* | head -n 1)")"

# supplementary groups are reduced to {gid}: a directory that only group
# 5003 may enter stays closed even when the root caller is in group 5003
mkdir -p "$B/grp"; chown root:5003 "$B/grp"; chmod 0770 "$B/grp"
vd_user grp@example.com grp/m 5001
setpriv --groups=5003 "$VDELIVER" -c "$T_DIR/vd.conf" -f s@x -r grp@example.com \
    <"$T_DIR/msg" >"$T_DIR/.out" 2>"$T_DIR/.err"
RC=$?; ERR=$(cat "$T_DIR/.err"); ERR1=$(head -n 1 "$T_DIR/.err")
expect_status "caller's supplementary group 5003 dropped" 75 4.2.0
assert_eq "supplementary groups: nothing written" 0 "$(count_files "$B/grp")"
# ... while the recipient's own gid does give access
vd_user grp2@example.com grp/m2 5001 5003
vd -f s@x -r grp2@example.com <"$T_DIR/msg"
expect_status "recipient gid 5003 opens the group directory" 0 2.0.0
assert_eq "recipient gid: mbox group" 5001:5003 "$(file_owner "$B/grp/m2" 2>/dev/null)"

# --- installed set-uid root
if findmnt -no OPTIONS -T "$T_DIR" 2>/dev/null | grep -q nosuid; then
	skip "set-uid: $T_DIR is on a nosuid file system"
	t_end; exit $?
fi
san=
case "$BUILD" in *san*) san="SANITIZE=1" ;; esac
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$TOP" \
    BUILD="$T_DIR/suid" SYSCONFDIR="$T_DIR/etc" $san \
    "$T_DIR/suid/vdeliver" >"$T_DIR/make.log" 2>&1; then
	fail "set-uid: cannot build a private copy"
	cat "$T_DIR/make.log"
	t_end; exit $?
fi
SU=$T_DIR/sbin/vdeliver
mkdir -p "$T_DIR/sbin" "$T_DIR/etc/vdeliver" "$T_DIR/smaps"
cp "$T_DIR/suid/vdeliver" "$SU"
chown root:root "$SU"; chmod 4755 "$SU"
SB=$T_DIR/sbase
mkdir -p "$SB/u5001" "$SB/u5002"
chown 5001:5001 "$SB/u5001"; chown 5002:5002 "$SB/u5002"
cat >"$T_DIR/smaps/vmailbox" <<EOF
a@example.com   u5001/a/
b@example.com   u5002/b/
bm@example.com  u5002/bm
EOF
cat >"$T_DIR/smaps/uids" <<EOF
@example.com 5001
b@example.com 5002
bm@example.com 5002
EOF
cp "$T_DIR/smaps/uids" "$T_DIR/smaps/gids"
chmod 0644 "$T_DIR/smaps"/*
SC=$T_DIR/etc/vdeliver/vdeliver.conf
sconf() {	# sconf [lines] : the compiled-in config, root 0644
	{
		echo "virtual_mailbox_base = $SB"
		echo "virtual_mailbox_maps = texthash:$T_DIR/smaps/vmailbox"
		echo "virtual_uid_maps = texthash:$T_DIR/smaps/uids"
		echo "virtual_gid_maps = texthash:$T_DIR/smaps/gids"
		echo "maillog_file = $T_DIR/slog"
		for _l in "$@"; do echo "$_l"; done
	} >"$SC"
	chown root:root "$SC"; chmod 0644 "$SC"
}
sconf "vdeliver_trusted_users = 5001"
# su_as UID ARGS... < input : run the set-uid copy as UID
su_as() {
	_u=$1; shift
	setpriv --reuid="$_u" --regid="$_u" --clear-groups "$SU" "$@" \
	    >"$T_DIR/.out" 2>"$T_DIR/.err"
	RC=$?; OUT=$(cat "$T_DIR/.out"); ERR=$(cat "$T_DIR/.err")
	ERR1=$(head -n 1 "$T_DIR/.err")
}
snap() { tree_sig "$SB" >"$T_DIR/sig.before"; }
unchanged() {
	tree_sig "$SB" >"$T_DIR/sig.after"
	assert_files_equal "$1: nothing written" "$T_DIR/sig.before" "$T_DIR/sig.after"
}

su_as 5001 -f s@x -r b@example.com -r bm@example.com <"$T_DIR/msg"
expect_status "set-uid: trusted caller, another uid" 0 2.0.0
f=$(ls "$SB/u5002/b/new"/* 2>/dev/null | head -n 1)
assert_eq "set-uid: maildir file owned by the recipient" 5002:5002 "$(file_owner "$f" 2>/dev/null)"
assert_eq "set-uid: maildir owned by the recipient" 5002:5002 "$(file_owner "$SB/u5002/b" 2>/dev/null)"
assert_eq "set-uid: mbox owned by the recipient" 5002:5002 "$(file_owner "$SB/u5002/bm" 2>/dev/null)"
assert_eq "set-uid: log written" yes "$(grep -q 'to=<b@example.com>' "$T_DIR/slog" 2>/dev/null && echo yes || echo no)"
su_as 5001 -f s@x -r a@example.com <"$T_DIR/msg"
expect_status "set-uid: trusted caller, its own uid" 0 2.0.0

snap
su_as 5003 -f s@x -r b@example.com <"$T_DIR/msg"
expect_status "set-uid: untrusted caller" 75 4.3.5
su_as 5003 -n -f s@x -r b@example.com <"$T_DIR/msg"
expect_status "set-uid: untrusted caller, -n" 75 4.3.5
case "$OUT" in *u5002*) fail "set-uid: untrusted -n printed the mailbox path" ;;
*) pass "set-uid: untrusted -n prints no map data" ;; esac
su_as 5001 -c "$SC" -f s@x -r b@example.com <"$T_DIR/msg"
expect_status "set-uid: -c from a non-root caller" 75 4.3.5
su_as 5001 -o virtual_mailbox_limit=0 -f s@x -r b@example.com <"$T_DIR/msg"
expect_status "set-uid: -o from a non-root caller" 75 4.3.5
su_as 5001 -o "virtual_mailbox_base=$T_DIR/evil" -f s@x -r b@example.com <"$T_DIR/msg"
expect_status "set-uid: -o base from a non-root caller" 75 4.3.5
assert_eq "set-uid: -o base: nothing at the other base" no \
    "$([ -e "$T_DIR/evil" ] && echo yes || echo no)"
unchanged "set-uid refusals"

# root may use -c and -o with the set-uid binary
"$SU" -o virtual_mailbox_limit=0 -f s@x -r a@example.com <"$T_DIR/msg" >/dev/null 2>&1
assert_eq "set-uid: root caller with -o" 0 "$?"

# trusted list forms; the default is root only
sconf "vdeliver_trusted_users = root, 5003	5004"
su_as 5003 -f s@x -r a@example.com <"$T_DIR/msg"
expect_status "set-uid: trusted list 'root, 5003<TAB>5004'" 0 2.0.0
if getent passwd nobody >/dev/null; then
	nuid=$(id -u nobody)
	sconf "vdeliver_trusted_users = nobody"
	su_as "$nuid" -f s@x -r a@example.com <"$T_DIR/msg"
	expect_status "set-uid: trusted by user name" 0 2.0.0
fi
sconf
su_as 5001 -f s@x -r a@example.com <"$T_DIR/msg"
expect_status "set-uid: default trusted users (root only)" 75 4.3.5

# the configuration file must be root-owned and not group/other-writable
sconf "vdeliver_trusted_users = 5001"
snap
chmod 0664 "$SC"
su_as 5001 -f s@x -r b@example.com <"$T_DIR/msg"
expect_status "set-uid: group-writable config" 75 4.3.5
chmod 0646 "$SC"
su_as 5001 -f s@x -r b@example.com <"$T_DIR/msg"
expect_status "set-uid: other-writable config" 75 4.3.5
chmod 0644 "$SC"; chown 5001:5001 "$SC"
su_as 5001 -f s@x -r b@example.com <"$T_DIR/msg"
expect_status "set-uid: config owned by the caller" 75 4.3.5
chown root:5001 "$SC"; chmod 0640 "$SC"
su_as 5001 -f s@x -r b@example.com <"$T_DIR/msg"
expect_status "set-uid: config root-owned, group-readable" 0 2.0.0
chown root:root "$SC"; chmod 0644 "$SC"

# the environment is cleared: a bad TMPDIR does not matter, even for a
# message that has to be spooled to a temporary file
head -c 400000 /dev/zero | tr '\0' 'z' | fold -w 72 >"$T_DIR/msg.big"
n=$(count_files "$SB/u5002/b/new")
env TMPDIR=/nonexistent/tmp setpriv --reuid=5001 --regid=5001 --clear-groups \
    "$SU" -f s@x -r b@example.com <"$T_DIR/msg.big" >"$T_DIR/.out" 2>"$T_DIR/.err"
RC=$?; ERR=$(cat "$T_DIR/.err"); ERR1=$(head -n 1 "$T_DIR/.err")
expect_status "set-uid: TMPDIR=/nonexistent" 0 2.0.0
assert_eq "set-uid: big message delivered" $((n + 1)) "$(count_files "$SB/u5002/b/new")"

t_end
