#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# demo.sh BUILD_DIR - what "make demo" runs.
#
# Delivers a few sample messages with the example configuration in conf/
# into a sandbox, BUILD_DIR/demo/, and shows what vdeliver wrote where:
# a maildir user, an mbox user, an address extension, a regexp rule, a
# catch-all, a bounce (null sender), the -n explain report and the
# bounce line for an unknown user.
#
# As root the mailboxes belong to uid/gid 5000 (vdeliver switches to
# them); as an ordinary user they belong to the caller, because an
# unprivileged vdeliver only delivers as its caller.  The sandbox is
# wiped and recreated on every run.  Exits non-zero if any delivery that
# should succeed does not.

set -u

fail=0
say() { printf '\n==> %s\n' "$*"; }
bad() { printf 'demo: FAILED: %s\n' "$*" >&2; fail=1; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: sh conf/demo.sh BUILD_DIR"
top=$(cd "$(dirname "$0")/.." && pwd) || die "cannot find the source tree"
build=$(cd "$1" 2>/dev/null && pwd) || die "no directory $1: run make first"
vdeliver=$build/vdeliver
vmap=$build/vmap
for prog in "$vdeliver" "$vmap"; do
	[ -x "$prog" ] || die "$prog is missing: run make first"
done
case $build in
*[[:space:],\$]*)
	die "the build directory must not contain white space, commas or \$: $build" ;;
esac

sandbox=$build/demo
base=$sandbox/base
msgs=$sandbox/messages

if [ "$(id -u)" = 0 ]; then
	uid=5000
	gid=5000
	who="root: vdeliver switches to uid $uid, gid $gid for every mailbox"
else
	uid=$(id -u)
	gid=$(id -g)
	who="uid $uid: without root, vdeliver delivers only as its caller"
	[ "$gid" != 0 ] || die "your primary group is 0; vdeliver refuses gid 0"
fi
minuid=100
[ "$uid" -ge 100 ] || minuid=$uid

# Start from scratch.
if [ -e "$sandbox" ]; then
	rm -rf "$sandbox" 2>/dev/null || die "cannot remove $sandbox" \
	    "(left over by a run as another user? remove it as root)"
fi
mkdir -p "$base" "$msgs" || die "cannot create $sandbox"
chmod 0755 "$sandbox" "$msgs"
if [ "$(id -u)" = 0 ]; then
	# vdeliver creates the domain directories as the recipient, so the
	# base must belong to (or be writable by) the mailbox uid.
	chown "$uid:$gid" "$base"
	chmod 0755 "$base"
	if command -v setpriv >/dev/null 2>&1 &&
	    ! setpriv --reuid="$uid" --regid="$gid" --clear-groups \
	    test -w "$base" -a -x "$base"; then
		die "uid $uid cannot reach $base: make every parent" \
		    "directory of the build directory searchable (chmod o+x)"
	fi
fi

# The example maps, as installed under /etc/vdeliver, adapted to the
# sandbox: mailbox paths are relative to the base and need no change;
# the uids become the demo's uid.
cp "$top/conf/virtual_mailbox" "$top/conf/virtual_regexp" "$sandbox/" ||
    die "cannot copy the example maps"
sed -E "s/([[:space:]])5000\$/\\1$uid/" "$top/conf/virtual_uids" \
    >"$sandbox/virtual_uids" || die "cannot write $sandbox/virtual_uids"

# The example configuration, with -o overrides for the sandbox.
vd() {
	"$vdeliver" -c "$top/conf/vdeliver.conf" \
	    -o "virtual_mailbox_base=$base" \
	    -o "virtual_mailbox_maps=hash:$sandbox/virtual_mailbox, regexp:$sandbox/virtual_regexp" \
	    -o "virtual_uid_maps=texthash:$sandbox/virtual_uids" \
	    -o "virtual_gid_maps=static:$gid" \
	    -o "virtual_minimum_uid=$minuid" \
	    -o "recipient_delimiter=+" \
	    -o "maillog_file=$sandbox/maillog" \
	    "$@"
}

# show ARGS...: print a vdeliver command line, an empty argument as "".
show() {
	printf '$ vdeliver'
	for a in "$@"; do
		if [ -z "$a" ]; then printf ' ""'; else printf ' %s' "$a"; fi
	done
}

# deliver NAME MESSAGE ARGS...: one vdeliver run that must succeed.
deliver() {
	name=$1 msg=$2
	shift 2
	show "$@"
	printf ' < %s\n' "$msg"
	vd "$@" <"$msgs/$msg" 2>"$sandbox/stderr"
	rc=$?
	cat "$sandbox/stderr"
	if [ $rc = 0 ]; then
		echo "exit 0 (delivered)"
	else
		bad "$name: exit $rc"
	fi
}

# Sample messages.
cat >"$msgs/hello" <<'EOF'
From: Carol <carol@example.net>
To: Alice <alice@example.com>
Subject: Hello Alice
Date: Sun, 22 Nov 2026 10:00:00 +0000
Message-ID: <demo-1@example.net>

Hi Alice,

this message goes into your maildir.
EOF
cat >"$msgs/minutes" <<'EOF'
From: Carol <carol@example.net>
To: Bob <bob@example.com>
Subject: Minutes
Date: Sun, 22 Nov 2026 10:05:00 +0000
Message-ID: <demo-2@example.net>

Bob,

From now on the minutes go to your mbox.  The line above starts with
"From ", so vdeliver stores it as ">From " (as Postfix does).
EOF
cat >"$msgs/bounce" <<'EOF'
From: Mail Delivery System <MAILER-DAEMON@example.net>
To: bob@example.com
Subject: Undelivered Mail Returned to Sender
Date: Sun, 22 Nov 2026 10:10:00 +0000
Message-ID: <demo-3@example.net>

A bounce has the null sender: "Return-Path: <>" in the header and
"From MAILER-DAEMON" in the mbox From_ line.
EOF
cat >"$msgs/newsletter" <<'EOF'
From: News <news@example.net>
To: alice+news@example.com, postmaster@example.org, info@example.org
Subject: Newsletter
Date: Sun, 22 Nov 2026 10:15:00 +0000
Message-ID: <demo-4@example.net>

One message, three recipients, three kinds of lookup.
EOF

echo "vdeliver demo in $sandbox"
echo "running as $who"
"$vdeliver" -V

say "Build the hash map from the example source (like postmap)"
echo "\$ vmap hash:$sandbox/virtual_mailbox"
if "$vmap" "hash:$sandbox/virtual_mailbox"; then
	echo "\$ vmap -q bob@example.com hash:$sandbox/virtual_mailbox"
	"$vmap" -q bob@example.com "hash:$sandbox/virtual_mailbox" ||
	    bad "vmap -q bob@example.com: exit $?"
else
	bad "vmap could not build $sandbox/virtual_mailbox.db"
fi

say "Deliver: a maildir user, an mbox user (twice, once a bounce), and" \
    "one message to three recipients"
deliver "maildir user" hello \
    -f carol@example.net -a alice@example.com -r alice@example.com
deliver "mbox user" minutes -f carol@example.net -r bob@example.com
deliver "null sender" bounce -f "" -r bob@example.com
deliver "three recipients" newsletter -f news@example.net \
    -r alice+news@example.com -r postmaster@example.org \
    -r info@example.org

say "Explain (-n): what would happen to alice+news@example.com, without" \
    "writing anything"
echo "\$ vdeliver -n -r alice+news@example.com"
vd -n -r alice+news@example.com <"$msgs/hello"
rc=$?
[ $rc = 0 ] || bad "vdeliver -n alice+news@example.com: exit $rc"

say "An unknown user bounces: first stderr line 5.1.1, exit 67 (EX_NOUSER)"
echo "\$ vdeliver -f carol@example.net -r nosuch@example.com"
vd -f carol@example.net -r nosuch@example.com <"$msgs/hello" \
    2>"$sandbox/stderr"
rc=$?
cat "$sandbox/stderr"
echo "exit $rc"
[ $rc = 67 ] || bad "unknown user: exit $rc, expected 67"
head -n 1 "$sandbox/stderr" | grep -q '^5\.1\.1 ' ||
    bad "unknown user: stderr does not start with 5.1.1"

say "What is on disk (mode, uid:gid, size, path below $base)"
(cd "$base" && find . -mindepth 1 -printf '%M %U:%G %6s  %P\n' | sort -k4)

say "The mbox example.com/bob"
cat "$base/example.com/bob" 2>/dev/null || bad "no mbox $base/example.com/bob"

say "A maildir message: example.com/alice/new/"
first=$(cd "$base/example.com/alice/new" 2>/dev/null &&
    grep -l '^Subject: Hello Alice' -- * 2>/dev/null | head -n 1)
if [ -n "$first" ]; then
	echo "$first"
	cat "$base/example.com/alice/new/$first"
else
	bad "no message in $base/example.com/alice/new"
fi

say "The log (maillog_file = $sandbox/maillog)"
cat "$sandbox/maillog" 2>/dev/null || echo "(no log file)"

# Check what must be there, owned by the mailbox uid/gid.
count() { ls "$1" 2>/dev/null | wc -l; }
owner() { stat -c %u:%g "$1" 2>/dev/null; }
[ "$(count "$base/example.com/alice/new")" = 2 ] ||
    bad "expected 2 messages in example.com/alice/new"
[ "$(count "$base/example.com/postmaster/new")" = 1 ] ||
    bad "expected 1 message in example.com/postmaster/new (regexp map)"
[ "$(count "$base/example.org/catchall/new")" = 1 ] ||
    bad "expected 1 message in example.org/catchall/new (catch-all)"
[ "$(count "$base/example.com/alice/tmp")" = 0 ] ||
    bad "example.com/alice/tmp is not empty"
n=$(grep -c '^From ' "$base/example.com/bob" 2>/dev/null)
[ "${n:-0}" = 2 ] || bad "expected 2 messages in the mbox example.com/bob"
grep -q '^>From now on' "$base/example.com/bob" 2>/dev/null ||
    bad "the mbox body line \"From now on\" was not quoted"
grep -q '^From MAILER-DAEMON ' "$base/example.com/bob" 2>/dev/null ||
    bad "the null sender is not \"From MAILER-DAEMON\" in the mbox"
for f in "$base/example.com/bob" "$base/example.com/alice/new/$first"; do
	[ "$(owner "$f")" = "$uid:$gid" ] ||
	    bad "$f is owned by $(owner "$f"), expected $uid:$gid"
done

echo
if [ $fail = 0 ]; then
	echo "demo: all deliveries as expected; files owned by $uid:$gid in $base"
else
	echo "demo: some deliveries did NOT go as expected (see above)" >&2
fi
exit $fail
