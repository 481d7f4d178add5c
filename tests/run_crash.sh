#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_crash.sh - crash consistency: deliveries of 1-20 MB messages are
# SIGKILLed at chosen and at random points (while spooling, as soon as the
# dotlock or the crash journal appears, at a random offset of the append,
# once the append is complete, after a random time), under each
# virtual_mailbox_lock setting and for maildir.  After every kill the
# next delivery must succeed at once (a dead holder's dotlock is broken
# by its pid, not after stale_lock_time) and the whole mailbox must hold
# only complete, intact messages: no partial message, no lock or journal
# left, maildir new/ only complete files, tmp/ files older than 36 hours
# removed.  Prints how many kills were survived.
. "$(dirname "$0")/lib.sh"
t_begin crash
need_root

B=$T_DIR/base
vd_init
vd_user c@example.com example.com/c 5001
vd_user m@example.com example.com/m/ 5001
mbox=$B/example.com/c
md=$B/example.com/m
K=${VD_CRASH_CYCLES:-24}	# kills per setting
case "$BUILD" in
*san*)	K=${VD_CRASH_CYCLES:-12}
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	export ASAN_OPTIONS
	echo "     (sanitizer build: $K kills per setting)" ;;
esac
KILLS=0		# deliveries that died of SIGKILL
LATE=0		# deliveries that finished before the kill came

# --- crashkit: run a command with a file on stdin, SIGKILL it when told
cat >"$T_DIR/crashkit.c" <<'EOF'
/*
 * crashkit MODE ARG WATCH INPUT CMD... : run CMD with INPUT on stdin and
 * SIGKILL it: "time US" after US microseconds; "size N" once the file
 * WATCH has N bytes; "exists" once WATCH exists; "dirsize N" once a
 * regular file in directory WATCH has N bytes; "spool N" after feeding
 * N bytes of INPUT through a pipe that then stalls (CMD is blocked
 * reading its input).  Prints "killed" or "exit N".
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int
dir_has(const char *dir, off_t n)
{
	struct dirent *de;
	struct stat st;
	char	p[4096];
	DIR	*d = opendir(dir);
	int	hit = 0;

	while (d != NULL && !hit && (de = readdir(d)) != NULL) {
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		hit = lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size >= n;
	}
	if (d != NULL)
		closedir(d);
	return (hit);
}

static int
ready(const char *mode, long long arg, const char *watch, double t0)
{
	struct timespec ts;
	struct stat st;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec + ts.tv_nsec / 1e9 - t0 > 20)
		return (1);			/* never hang the suite */
	if (strcmp(mode, "time") == 0)
		return ((ts.tv_sec + ts.tv_nsec / 1e9 - t0) * 1e6 >= arg);
	if (strcmp(mode, "size") == 0)
		return (stat(watch, &st) == 0 && st.st_size >= arg);
	if (strcmp(mode, "exists") == 0)
		return (lstat(watch, &st) == 0);
	return (dir_has(watch, arg));
}

int
main(int argc, char **argv)
{
	struct timespec ts;
	long long arg;
	char	buf[65536];
	int	pfd[2], in, status;
	ssize_t	n;
	pid_t	pid;

	if (argc < 6)
		return (2);
	arg = atoll(argv[2]);
	if ((in = open(argv[4], O_RDONLY)) < 0 || pipe(pfd) < 0)
		return (2);
	if ((pid = fork()) == 0) {
		dup2(strcmp(argv[1], "spool") == 0 ? pfd[0] : in, 0);
		close(pfd[0]);
		close(pfd[1]);
		close(in);
		execv(argv[5], argv + 5);
		_exit(127);
	}
	close(pfd[0]);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (strcmp(argv[1], "spool") == 0) {
		while (arg > 0 && (n = read(in, buf, arg < (long long)
		    sizeof(buf) ? (size_t)arg : sizeof(buf))) > 0 &&
		    write(pfd[1], buf, (size_t)n) == n)
			arg -= n;
		usleep(50000);		/* it reads what it got, then waits */
	} else
		while (waitpid(pid, &status, WNOHANG) == 0 &&
		    !ready(argv[1], arg, argv[3], ts.tv_sec + ts.tv_nsec / 1e9))
			;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		printf("killed\n");
	else
		printf("exit %d\n", WEXITSTATUS(status));
	return (0);
}
EOF
if ! ${CC:-cc} -O2 -o "$T_DIR/crashkit" "$T_DIR/crashkit.c"; then
	fail "cannot build crashkit"
	t_end; exit $?
fi

# --- messages: four body templates (1, 5, 12, 20 MB) with "From " lines to
# quote; a message is a header naming its id, a template, "END id".
mkdir -p "$T_DIR/tpl"
for c in 1 5 12 20; do
	awk -v mb=$c 'BEGIN {
		pad = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		n = int(mb * 1048576 / 80)
		for (k = 1; k <= n; k++)
			if (k % 997 == 1) printf "From line %08d of class %d\n", k, mb
			else printf "%08d %s%s\n", k, pad, substr(pad, 1, 7)
	}' >"$T_DIR/tpl/body.$c"
	grep -c '^From ' "$T_DIR/tpl/body.$c" >"$T_DIR/tpl/quotes.$c"
done
# make_msg ID CLASS : $T_DIR/msg.ID
make_msg() {
	{ printf 'Subject: crash %s\nMessage-Id: <%s@test>\nX-Class: %s\n\n' \
	    "$1" "$1" "$2"
	  cat "$T_DIR/tpl/body.$2"; printf 'END %s\n' "$1"; } >"$T_DIR/msg.$1"
}
# small ID : a small message (class 0, no template)
small() {
	printf 'Subject: crash %s\nMessage-Id: <%s@test>\nX-Class: 0\n\nEND %s\n' \
	    "$1" "$1" "$1" >"$T_DIR/msg.$1"
}
printf '' >"$T_DIR/tpl/body.0"; echo 0 >"$T_DIR/tpl/quotes.0"
size_of() { stat -c %s "$1"; }

# The verifier: each block of the mbox is one expected message, byte for
# byte; ids in PRESENT exactly once, ids in MAYBE at most once.
cat >"$T_DIR/check_mbox.pl" <<'EOF'
use strict;
my ($mbox, $tpl, $rcpt, $present, $maybe) = @ARGV;
my (%body, %want, %may);
for (split /,/, $present) { my ($i, $c) = split /:/; $want{$i} = $c; }
for (split /,/, $maybe) { my ($i, $c) = split /:/; $may{$i} = $c; }
sub expect {
	my ($id, $c) = @_;
	$body{$c} //= do {
		local $/; open(my $f, '<', "$tpl/body.$c") or die; my $b = <$f>;
		$b =~ s/^From />From /mg; $b };
	return "Return-Path: <s\@x>\nDelivered-To: $rcpt\nSubject: crash $id\n" .
	    "Message-Id: <$id\@test>\nX-Class: $c\n\n$body{$c}END $id\n\n";
}
local $/; open(my $fh, '<', $mbox) or die "$mbox: $!"; my $all = <$fh>;
my ($ok, $bad, $dup, %seen) = (0, 0, 0);
my @blocks = split(/^(?=From )/m, $all);
for my $b (@blocks) {
	my ($first, $rest) = split(/\n/, $b, 2);
	my ($id) = ($rest // '') =~ /^Message-Id: <(\S+)\@test>$/m;
	my $c = defined $id ? ($want{$id} // $may{$id}) : undef;
	if ($first !~ /^From s\@x  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/ ||
	    !defined $c || $rest ne expect($id, $c)) {
		$bad++;
		printf STDERR "bad block at %d bytes: %.100s\n",
		    index($all, $b), $b if $bad < 3;
		next;
	}
	$dup++ if $seen{$id}++;
	$ok++;
}
my $missing = grep { !$seen{$_} } keys %want;
print "bad=$bad dup=$dup missing=$missing\n";
EOF

# deliver_ok WHAT ID : deliver message ID to c@, expect exit 0
deliver_ok() {
	vd -f s@x -r c@example.com <"$T_DIR/msg.$2"
	[ "$RC" = 0 ] || fail "$1: next delivery exit $RC: $ERR1"
}

# crash MODE ARG WATCH ID [RCPT] : run the delivery of ID under crashkit
crash() {
	_r=$("$T_DIR/crashkit" "$1" "$2" "$3" "$T_DIR/msg.$4" "$VDELIVER" \
	    -c "$T_DIR/vd.conf" -f s@x -r "${5:-c@example.com}" 2>/dev/null)
	case $_r in
	killed)	KILLS=$((KILLS + 1)) ;;
	"exit 0") LATE=$((LATE + 1)) ;;
	*)	fail "$4: delivery under crashkit $1 ended with [$_r]" ;;
	esac
	CRASH_RESULT=$_r
}

# --- mbox, one lock setting: prefix of 3 messages, then K kill cycles
mbox_cycles() {
	mc_locks=$1 mc_dot=$2 mc_l=$(echo "$1" | tr -d ' ,')
	rm -f "$mbox" "$mbox.lock" "$mbox.vdeliver-journal"
	vd_conf "virtual_mailbox_lock = $mc_locks" "deliver_lock_attempts = 20" \
	    "deliver_lock_delay = 100ms" "stale_lock_time = 500s"
	: >"$T_DIR/maillog"
	_pre=
	for _i in 1 2 3; do
		small "pre-$mc_l-$_i"; deliver_ok "$mc_locks: prefix" "pre-$mc_l-$_i"
		_pre="$_pre,pre-$mc_l-$_i:0"
	done
	_s0=$(size_of "$mbox")
	_bad=0 _n=0 _k0=$KILLS _slow=0 SLOW_S=3
	[ "${VALGRIND:-}" = 1 ] && SLOW_S=30
	while [ $_n -lt "$K" ]; do
		_n=$((_n + 1))
		_id="$mc_l-$_n"
		set -- 1 5 12 20
		shift $((_n % 4)); _c=$1
		[ $((_n % 6)) = 4 ] && _c=20	# cut early: surely partial
		make_msg "$_id" "$_c"
		# the From_ line is 35 bytes, Return-Path + Delivered-To 47
		_len=$((35 + 47 + $(size_of "$T_DIR/msg.$_id") + \
		    $(cat "$T_DIR/tpl/quotes.$_c") + 1))
		_present="$_pre" _maybe="$_id:$_c"
		case $((_n % 6)) in
		0)	crash spool $((_n * 100000)) - "$_id"
			_maybe=		# killed before any lock: nothing written
			[ "$(size_of "$mbox")" = "$_s0" ] && [ ! -e "$mbox.lock" ] &&
			    [ ! -e "$mbox.vdeliver-journal" ] || {
				_bad=$((_bad + 1))
				echo "     $mc_locks cycle $_n: killed while spooling, but the mailbox changed"
			} ;;
		1)	if [ "$mc_dot" = 1 ]; then
				crash exists 0 "$mbox.lock" "$_id"
			else
				crash exists 0 "$mbox.vdeliver-journal" "$_id"
			fi ;;
		2)	crash size $((_s0 + $(od -An -N4 -tu4 /dev/urandom) % _len)) \
			    "$mbox" "$_id" ;;
		4)	crash size $((_s0 + 1)) "$mbox" "$_id"
			[ "$CRASH_RESULT" = killed ] && [ "$(size_of "$mbox")" -gt "$_s0" ] &&
			    [ "$(size_of "$mbox")" -lt $((_s0 + _len)) ] ||
			    echo "     $mc_locks cycle $_n: not cut mid-append" ;;
		3)	crash size $((_s0 + _len)) "$mbox" "$_id"
			# every byte was written: the message must be kept
			_present="$_pre,$_id:$_c" _maybe= ;;
		5)	crash time $(($(od -An -N4 -tu4 /dev/urandom) % 120000)) - "$_id" ;;
		esac
		# the next delivery: at once, also after a dead holder's dotlock
		small "next-$_id"
		_t0=$(date +%s)
		if [ $((_n % 4)) = 1 ]; then	# three at once race for the repair
			for _j in a b c; do
				small "next-$_id$_j"
				"$VDELIVER" -c "$T_DIR/vd.conf" -f s@x -r c@example.com \
				    <"$T_DIR/msg.next-$_id$_j" >/dev/null 2>"$T_DIR/err.$_j" &
			done
			wait
			for _j in a b c; do
				[ -s "$T_DIR/err.$_j" ] && fail "$mc_locks $_id: concurrent next delivery: $(head -n 1 "$T_DIR/err.$_j")"
				_present="$_present,next-$_id$_j:0"
			done
		else
			deliver_ok "$mc_locks $_id" "next-$_id"
			_present="$_present,next-$_id:0"
		fi
		# 3 s: under the 2 s lock budget plus start-up (memcheck's
		# start-up alone takes a second or more per process)
		[ $(($(date +%s) - _t0)) -le "${SLOW_S:-3}" ] || _slow=$((_slow + 1))
		_r=$(perl "$T_DIR/check_mbox.pl" "$mbox" "$T_DIR/tpl" c@example.com \
		    "${_present#,}" "$_maybe")
		if [ "$_r" != "bad=0 dup=0 missing=0" ] ||
		    [ -e "$mbox.lock" ] || [ -e "$mbox.vdeliver-journal" ]; then
			_bad=$((_bad + 1))
			echo "     $mc_locks cycle $_n ($CRASH_RESULT): $_r" \
			    "$(ls "$B/example.com" | tr '\n' ' ')"
		fi
		# back to the prefix, so that the mailbox stays small
		truncate -s "$_s0" "$mbox"
		rm -f "$T_DIR/msg.$_id" "$T_DIR/msg.next-$_id"*
	done
	echo "     ($mc_locks: $((KILLS - _k0)) kills, $(grep -c 'removed a partial' \
	    "$T_DIR/maillog") partial messages removed, $(grep -c 'which is gone' \
	    "$T_DIR/maillog") dead dotlocks broken)"
	assert_eq "$mc_locks: every mailbox complete and intact after each kill" 0 $_bad
	assert_eq "$mc_locks: no next delivery waited for stale_lock_time" 0 $_slow
	assert_match "$mc_locks: partial messages were cut mid-append and removed" \
	    'removed a partial message \([0-9]+ bytes\) from the end of' \
	    "$(cat "$T_DIR/maillog")"
	[ "$mc_dot" = 1 ] && assert_match "$mc_locks: dead holder's dotlock broken by pid" \
	    "removed stale lock file $(re_quote "$mbox").lock of process [0-9]+ on .*, which is gone" \
	    "$(cat "$T_DIR/maillog")"
	:
}

mbox_cycles dotlock 1
mbox_cycles fcntl 0
mbox_cycles flock 0
mbox_cycles "fcntl, dotlock" 1

# --- maildir: kills while spooling, at random times and at random sizes of
# the tmp/ file; then a fake tmp/ file 40 hours old and tmp/ last read 9
# hours ago: the next delivery removes it and leaves fresh leftovers.
cat >"$T_DIR/check_maildir.pl" <<'EOF'
use strict;
my ($md, $tpl, $rcpt, $present, $maybe) = @ARGV;
my (%body, %want, %may, %seen);
for (split /,/, $present) { my ($i, $c) = split /:/; $want{$i} = $c; }
for (split /,/, $maybe) { my ($i, $c) = split /:/; $may{$i} = $c; }
my ($ok, $bad) = (0, 0);
opendir(my $dh, "$md/new") or die;
for my $f (grep { !/^\./ } readdir $dh) {
	local $/; open(my $fh, '<', "$md/new/$f") or die; my $m = <$fh>;
	my ($id) = $m =~ /^Message-Id: <(\S+)\@test>$/m;
	my $c = defined $id ? ($want{$id} // $may{$id}) : undef;
	my $b = '';
	if (defined $c) { open(my $bf, '<', "$tpl/body.$c") or die; $b = <$bf>; }
	my $exp = defined $c ? "Return-Path: <s\@x>\nDelivered-To: $rcpt\n" .
	    "Subject: crash $id\nMessage-Id: <$id\@test>\nX-Class: $c\n\n${b}END $id\n" : '';
	my ($size) = $f =~ /,S=(\d+)$/;
	if (!defined $c || $m ne $exp || !defined $size || $size != length($m) ||
	    $seen{$id}++) { $bad++; print STDERR "bad new/$f\n"; } else { $ok++; }
}
my $missing = grep { !$seen{$_} } keys %want;
print "bad=$bad missing=$missing\n";
EOF
: >"$T_DIR/maillog"
small pre-md; vd -f s@x -r m@example.com <"$T_DIR/msg.pre-md"
expect_status "maildir: first delivery" 0 2.0.0
pre=$(ls "$md/new")
bad=0 n=0 k0=$KILLS stale_kept=0
while [ $n -lt "$K" ]; do
	n=$((n + 1))
	id="md-$n"
	set -- 1 5 12 20
	shift $((n % 4)); c=$1
	make_msg "$id" "$c"
	case $((n % 3)) in
	0)	crash spool $((n * 100000)) - "$id" m@example.com ;;
	1)	crash dirsize $(($(od -An -N4 -tu4 /dev/urandom) % (c * 1048576))) \
		    "$md/tmp" "$id" m@example.com ;;
	2)	crash time $(($(od -An -N4 -tu4 /dev/urandom) % 150000)) - "$id" \
		    m@example.com ;;
	esac
	fresh=$(count_files "$md/tmp")
	: >"$md/tmp/1.M1P1.old-$n"; chown 5001:5001 "$md/tmp/1.M1P1.old-$n"
	touch -d '40 hours ago' "$md/tmp/1.M1P1.old-$n"
	touch -a -d '9 hours ago' "$md/tmp"
	small "next-$id"
	vd -f s@x -r m@example.com <"$T_DIR/msg.next-$id"
	[ "$RC" = 0 ] || fail "maildir $id: next delivery exit $RC: $ERR1"
	r=$(perl "$T_DIR/check_maildir.pl" "$md" "$T_DIR/tpl" m@example.com \
	    "pre-md:0,next-$id:0" "$id:$c")
	left=$(count_files "$md/tmp")
	if [ "$r" != "bad=0 missing=0" ] || [ -e "$md/tmp/1.M1P1.old-$n" ] ||
	    [ "$left" != "$fresh" ]; then
		bad=$((bad + 1))
		echo "     maildir cycle $n ($CRASH_RESULT): $r, tmp/ $fresh -> $left: $(ls "$md/tmp")"
	fi
	[ "$left" -gt 0 ] && stale_kept=$((stale_kept + 1))
	# keep the first message; forget this cycle's files
	find "$md/new" -type f ! -name "$pre" -delete
	rm -f "$md/tmp/"* "$T_DIR/msg.$id" "$T_DIR/msg.next-$id"
done
echo "     (maildir: $((KILLS - k0)) kills, $stale_kept left a fresh tmp/ file," \
    "$(grep -c 'removed stale file tmp/' "$T_DIR/maillog") old tmp/ files removed)"
assert_eq "maildir: new/ only complete files, old tmp/ files removed, fresh kept" 0 $bad
assert_eq "maildir: every fake 40 hour old tmp/ file removed" "$K" \
    "$(grep -c 'removed stale file tmp/1.M1P1.old-' "$T_DIR/maillog")"

echo "     ($KILLS kills survived, $LATE deliveries finished before their kill)"
[ "$KILLS" -ge $((K * 4)) ] && pass "at least $((K * 4)) kills landed" ||
    fail "only $KILLS kills landed"
t_end
