#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_races.sh - path attacks during delivery (SPEC section 6): while
# vdeliver delivers message after message, an attacker running as the
# recipient (uid 5001, who owns the directories below the base) swaps
# directory components, the mbox, the dotlock name and maildir tmp/ and
# new/ for symbolic links to an "outside" directory, for hard links to
# outside files (one of them root-owned and world-writable), and renames
# them away and back, in a tight loop on the other CPU.
# Afterwards:
#   - nothing was written outside the base (the outside tree is
#     byte-identical, no new names), nor into a file not owned by the
#     recipient (a root-owned 0666 file inside the base and one hard-linked
#     in from outside are unchanged);
#   - every delivery either delivered (exit 0) or deferred (exit 75),
#     never a bounce or another code: delivered + deferred = attempts;
#   - every delivered message is found exactly once, intact, inside the
#     base (wherever the attacker's renames left it), no deferred one is
#     there, and no tmp/ holds a leftover.
# RACE_N deliveries per scenario (default 300), at most RACE_SECS seconds
# each (default 4).  The base and the outside share one tmpfs (hard links
# need one file system; fsync costs nothing there, so more rounds fit).
. "$(dirname "$0")/lib.sh"
t_begin races
need_root

N=${RACE_N:-300}
SECS=${RACE_SECS:-4}
FS=$T_DIR/fs
mkdir -p "$FS"
MOUNTED=""
if mount -t tmpfs -o size=256m,mode=0755 tmpfs "$FS" 2>/dev/null; then
	MOUNTED=$FS
else
	echo "note: no tmpfs: racing on $(df -P "$T_DIR" | awk 'NR == 2 { print $6 }')"
fi
vd_init
rm -rf "$T_DIR/base"
B=$FS/base
OUT=$FS/outside
ATT=$T_DIR/att		# the attacker's stop and count files
mkdir -p "$B/u5002" "$ATT"
chown 5001:5001 "$B" "$ATT"; chown 5002:5002 "$B/u5002"; chmod 0755 "$B" "$B/u5002"
vd_conf "virtual_mailbox_base = $B" "deliver_lock_attempts = 3" "deliver_lock_delay = 10ms"
echo "@race.test 5001" >"$T_DIR/uids"
echo "@race.test 5001" >"$T_DIR/gids"

# A sanitizer build: no leak check at each exit here (it costs ~0.3 s a
# run with the attacker on the other CPU; the other suites do it)
if ldd "$VDELIVER" 2>/dev/null | grep -q libasan; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	export ASAN_OPTIONS
fi

ATTACKERS=""
races_cleanup() {
	: >"$ATT/stop" 2>/dev/null
	for _p in $ATTACKERS; do kill "$_p" 2>/dev/null; wait "$_p" 2>/dev/null; done
	[ -z "$MOUNTED" ] || umount "$MOUNTED" 2>/dev/null || umount -l "$MOUNTED"
	t_cleanup
}
trap races_cleanup EXIT
trap 'exit 130' INT TERM HUP

# ----------------------------------------------------------------------
# the attacker: renameat2(RENAME_EXCHANGE) swaps, rename-away-and-back
# with a symlink in the gap (never destroying a regular file: the way
# back is RENAME_NOREPLACE, and a name vdeliver created in the gap is
# kept), or a symlink that comes and goes
cat >"$T_DIR/racer.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static volatile unsigned long spin;

static void
dally(unsigned *seed)
{
	unsigned n = (unsigned)rand_r(seed) % 20000;

	while (n-- > 0)
		spin++;
}

static int
xchg(const char *a, const char *b)
{
	return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

static void
unlink_if_symlink(const char *p)
{
	struct stat st;

	if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode))
		(void)unlink(p);
}

/* racer STOPFILE COUNTFILE xchg A B | swap P BAK TARGET | sym P TARGET */
int
main(int argc, char **argv)
{
	unsigned long n = 0, keep = 0;
	unsigned seed = (unsigned)getpid();
	char	k[PATH_MAX];
	FILE	*f;

	if (argc < 6)
		return (2);
	while (access(argv[1], F_OK) != 0) {
		if (strcmp(argv[3], "xchg") == 0) {
			if (xchg(argv[4], argv[5]) == 0) {
				dally(&seed);
				while (xchg(argv[4], argv[5]) != 0)
					;
			}
		} else if (strcmp(argv[3], "swap") == 0 && argc > 6) {
			if (renameat2(AT_FDCWD, argv[4], AT_FDCWD, argv[5],
			    RENAME_NOREPLACE) != 0)
				continue;
			if (symlink(argv[6], argv[4]) == 0) {
				dally(&seed);
				unlink_if_symlink(argv[4]);
			}
			if (renameat2(AT_FDCWD, argv[5], AT_FDCWD, argv[4],
			    RENAME_NOREPLACE) != 0) {
				/* vdeliver made a new one in the gap: keep both */
				snprintf(k, sizeof(k), "%s.keep.%lu", argv[4], keep++);
				(void)renameat2(AT_FDCWD, argv[5], AT_FDCWD, k,
				    RENAME_NOREPLACE);
			}
		} else if (strcmp(argv[3], "sym") == 0) {
			if (symlink(argv[5], argv[4]) == 0) {
				dally(&seed);
				unlink_if_symlink(argv[4]);
			}
		} else
			return (2);
		n++;
		dally(&seed);
	}
	if ((f = fopen(argv[2], "w")) != NULL) {
		fprintf(f, "%lu %lu\n", n, keep);
		fclose(f);
	}
	return (0);
}
EOF
if ! ${CC:-cc} -O2 -o "$T_DIR/racer" "$T_DIR/racer.c" 2>"$T_DIR/racer.err"; then
	fail "cannot build the attacker: $(head -n 3 "$T_DIR/racer.err")"
	t_end; exit $?
fi

# ----------------------------------------------------------------------
# the outside: everything a redirected write could reach, owned and
# writable by the recipient, so that an escape would succeed and show
mk5001() { mkdir -p "$@"; chown 5001:5001 "$@"; chmod 0755 "$@"; }
canary() { printf 'canary %s\n' "$1" >"$1"; chown 5001:5001 "$1"; chmod 0600 "$1"; }
mk5001 "$OUT" "$OUT/u" "$OUT/md" "$OUT/md/tmp" "$OUT/md/new" "$OUT/md/cur" \
    "$OUT/p" "$OUT/p/m" "$OUT/p/m/tmp" "$OUT/p/m/new" "$OUT/p/m/cur"
canary "$OUT/u/mbox"
canary "$OUT/mbox"
canary "$OUT/hl5001"
canary "$OUT/md/new/1.old"
printf 'root canary\n' >"$OUT/rootfile"; chmod 0666 "$OUT/rootfile"
tree_sig "$OUT" >"$T_DIR/out.before"

# the message: headers with the id, a fixed 20 KB body
_i=0
while [ $_i -lt 250 ]; do
	echo "race body line $_i: the quick brown fox jumps over the lazy dog"
	_i=$((_i + 1))
done >"$T_DIR/body"
BODY=$(cat "$T_DIR/body")
: >"$T_DIR/results"

# scenario ID WHAT PATH RACER-ARGS... : N deliveries to ID@race.test at
# PATH (below the base) while the attacker runs
scenario() {
	_id=$1 _what=$2 _path=$3; shift 3
	_rcpt=$(echo "$_id" | tr 'S' 's')@race.test
	echo "$_rcpt $_path" >>"$T_DIR/vmailbox"
	rm -f "$ATT/stop" "$ATT/count"
	run_as 5001:5001 "$T_DIR/racer" "$ATT/stop" "$ATT/count" "$@" &
	_apid=$!
	ATTACKERS="$_apid"
	_t0=$(date +%s) _n=0 _ok=0 _def=0 _other=0
	while [ $_n -lt "$N" ]; do
		_n=$((_n + 1))
		_mid="$_id-$_n"
		"$VDELIVER" -c "$T_DIR/vd.conf" -f s@x -r "$_rcpt" \
		    >/dev/null 2>"$T_DIR/.err" <<EOM
Subject: race $_mid
X-Race-Id: $_mid

$BODY
EOM
		_rc=$?
		echo "$_mid $_rc" >>"$T_DIR/results"
		case $_rc in
		0) _ok=$((_ok + 1)) ;;
		75) _def=$((_def + 1)) ;;
		*) _other=$((_other + 1))
		   echo "  $_mid: exit $_rc: $(head -n 1 "$T_DIR/.err")" ;;
		esac
		if [ $((_n % 10)) = 0 ] && [ $(($(date +%s) - _t0)) -ge "$SECS" ]; then
			break
		fi
	done
	: >"$ATT/stop"
	wait "$_apid"
	ATTACKERS=""
	_swaps="" _kept=""
	[ -e "$ATT/count" ] && read -r _swaps _kept <"$ATT/count"
	echo "  $_id $_what: $_n deliveries: $_ok delivered, $_def deferred, $_other other;" \
	    "attacker: ${_swaps:-?} rounds${_kept:+, $_kept names kept}"
	assert_eq "$_id $_what: delivered + deferred = attempts" "$_n" $((_ok + _def))
	TOTAL=$((TOTAL + _n)); TOK=$((TOK + _ok)); TDEF=$((TDEF + _def))
	TSWAPS=$((TSWAPS + ${_swaps:-0}))
}
TOTAL=0 TOK=0 TDEF=0 TSWAPS=0

# --- directory components
mk5001 "$B/d1" "$B/d1/u"
ln -s "$OUT" "$B/d1.evil"; chown -h 5001:5001 "$B/d1.evil"
scenario S1 "directory <-> symlink to outside (exchange)" d1/u/mbox \
    xchg "$B/d1" "$B/d1.evil"

mk5001 "$B/d2" "$B/d2/u"
scenario S2 "directory renamed away, symlink to outside in its place" d2/u/mbox \
    swap "$B/d2" "$B/d2.bak" "$OUT"

# --- the mbox file
mk5001 "$B/d3"; canary "$B/d3/mbox"
ln -s "$OUT/mbox" "$B/d3/evil"; chown -h 5001:5001 "$B/d3/evil"
scenario S3 "mbox <-> symlink to an outside mbox (exchange)" d3/mbox \
    xchg "$B/d3/mbox" "$B/d3/evil"

mk5001 "$B/d4"; canary "$B/d4/mbox"
scenario S4 "mbox renamed away, symlink to outside in its place" d4/mbox \
    swap "$B/d4/mbox" "$B/d4/mbox.bak" "$OUT/mbox"

mk5001 "$B/d5"; canary "$B/d5/mbox"
ln "$OUT/hl5001" "$B/d5/hl"
scenario S5 "mbox <-> hard link to the recipient's outside file" d5/mbox \
    xchg "$B/d5/mbox" "$B/d5/hl"

mk5001 "$B/d6"; canary "$B/d6/mbox"
ln "$OUT/rootfile" "$B/d6/rl"	# root makes it: protected_hardlinks
scenario S6 "mbox <-> hard link to a root-owned 0666 outside file" d6/mbox \
    xchg "$B/d6/mbox" "$B/d6/rl"

mk5001 "$B/d7"; canary "$B/d7/mbox"
printf 'root inside\n' >"$B/d7/rootown"; chmod 0666 "$B/d7/rootown"
rootsum=$(md5sum <"$B/d7/rootown")
scenario S7 "mbox <-> a root-owned 0666 file in the base" d7/mbox \
    xchg "$B/d7/mbox" "$B/d7/rootown"
assert_eq "S7: the root-owned file is unchanged" "$rootsum" \
    "$(md5sum <"$(find "$B/d7" -type f -user 0 | head -n 1)")"

mk5001 "$B/d13"
scenario S13 "dotlock name is a symlink to outside, on and off" d13/mbox \
    sym "$B/d13/mbox.lock" "$OUT/evil.lock"

# --- maildirs
mk5001 "$B/m8" "$B/m8/tmp" "$B/m8/new" "$B/m8/cur"
ln -s "$OUT/md/tmp" "$B/m8/evil"; chown -h 5001:5001 "$B/m8/evil"
scenario S8 "maildir tmp/ <-> symlink to outside (exchange)" m8/ \
    xchg "$B/m8/tmp" "$B/m8/evil"

mk5001 "$B/m9" "$B/m9/tmp" "$B/m9/new" "$B/m9/cur"
ln -s "$OUT/md/new" "$B/m9/evil"; chown -h 5001:5001 "$B/m9/evil"
scenario S9 "maildir new/ <-> symlink to outside (exchange)" m9/ \
    xchg "$B/m9/new" "$B/m9/evil"

mk5001 "$B/p10" "$B/p10/m" "$B/p10/m/tmp" "$B/p10/m/new" "$B/p10/m/cur"
ln -s "$OUT/md" "$B/p10/evil"; chown -h 5001:5001 "$B/p10/evil"
scenario S10 "the maildir <-> symlink to an outside maildir" p10/m/ \
    xchg "$B/p10/m" "$B/p10/evil"

mk5001 "$B/p11" "$B/p11/m" "$B/p11/m/tmp" "$B/p11/m/new" "$B/p11/m/cur"
ln -s "$OUT/p" "$B/p11.evil"; chown -h 5001:5001 "$B/p11.evil"
scenario S11 "maildir parent <-> symlink to outside" p11/m/ \
    xchg "$B/p11" "$B/p11.evil"

mk5001 "$B/m12" "$B/m12/tmp" "$B/m12/new" "$B/m12/cur"
scenario S12 "maildir tmp/ renamed away, symlink in its place" m12/ \
    swap "$B/m12/tmp" "$B/m12/tmp.bak" "$OUT/md/tmp"

mk5001 "$B/m14" "$B/m14/tmp" "$B/m14/new" "$B/m14/cur"
scenario S14 "maildir new/ renamed away, symlink in its place" m14/ \
    swap "$B/m14/new" "$B/m14/new.bak" "$OUT/md/new"

# ----------------------------------------------------------------------
# the verdict
tree_sig "$OUT" >"$T_DIR/out.after"
assert_files_equal "nothing written outside the base (outside tree identical)" \
    "$T_DIR/out.before" "$T_DIR/out.after"
assert_eq "no dotlock created through the symlink" no \
    "$([ -e "$OUT/evil.lock" ] && echo yes || echo no)"
assert_eq "no file below the base owned by another uid, except the two root canaries" 2 \
    "$(find "$B" -type f ! -user 5001 | wc -l | tr -d ' ')"

# every regular file below the base (no symlink followed): maildir files
# and mbox messages with an X-Race-Id, each compared with what it must be
perl -e '
use strict; use warnings; use File::Find;
my ($base, $bodyf) = @ARGV;
open(my $bf, "<", $bodyf) or die; my $body = do { local $/; <$bf> }; close $bf;
sub expect {
	my $id = shift; my ($s) = $id =~ /^(S\d+)-/;
	return "Return-Path: <s\@x>\nDelivered-To: " . lc($s) . "\@race.test\n" .
	    "Subject: race $id\nX-Race-Id: $id\n\n$body";
}
find({ no_chdir => 1, wanted => sub {
	my $p = $File::Find::name;
	lstat($p) or return; -f _ or return;
	open(my $f, "<", $p) or return; my $c = do { local $/; <$f> }; close $f;
	my $where = $p; $where =~ s/^\Q$base\E\///;
	if ($p =~ m{/(tmp|new|cur)(\.bak|\.keep\.\d+)?/[^/]+$}) {
		print "TMP $where\n" if $1 eq "tmp";
		return if $c =~ /^canary/;
		my ($id) = $c =~ /^X-Race-Id: (\S+)$/m;
		if (!defined $id) { print "bad ? $where\n"; return; }
		print $c eq expect($id) ? "ok" : "bad", " $id $where\n";
		return;
	}
	for my $m (split /^(?=From )/m, $c) {
		my ($id) = $m =~ /^X-Race-Id: (\S+)$/m or next;
		my $ok = $m =~ s/^From s\@x  [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \d{4}\n// &&
		    $m eq expect($id) . "\n";
		print $ok ? "ok" : "bad", " $id $where\n";
	}
}}, $base);
' "$B" "$T_DIR/body" >"$T_DIR/found"

awk '$1 == "ok" { print $2 }' "$T_DIR/found" | sort >"$T_DIR/found.ok"
awk '$2 == 0 { print $1 }' "$T_DIR/results" | sort >"$T_DIR/delivered"
awk '$2 != 0 { print $1 }' "$T_DIR/results" | sort >"$T_DIR/notdelivered"
assert_eq "no damaged message anywhere below the base" "" \
    "$(grep '^bad ' "$T_DIR/found" | head -n 5)"
assert_eq "no leftover in any tmp/" "" "$(grep '^TMP ' "$T_DIR/found" | head -n 5)"
assert_eq "no message stored twice" "" "$(uniq -d "$T_DIR/found.ok" | head -n 5)"
assert_eq "every delivered message found intact inside the base (none lost)" "" \
    "$(comm -23 "$T_DIR/delivered" "$T_DIR/found.ok" | head -n 5)"
assert_eq "no deferred message stored" "" \
    "$(comm -12 "$T_DIR/notdelivered" "$T_DIR/found.ok" | head -n 5)"
assert_eq "every message found was delivered" "" \
    "$(comm -13 "$T_DIR/delivered" "$T_DIR/found.ok" | head -n 5)"
echo "races: $TOTAL deliveries: $TOK delivered (all found intact inside the base)," \
    "$TDEF deferred, $((TOTAL - TOK - TDEF)) other; $TSWAPS attacker rounds"
assert_eq "some deliveries got through the attacks" yes \
    "$([ "$TOK" -gt 0 ] && echo yes || echo no)"

t_end
