#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_concurrency.sh - 8 processes x 50 messages into one mbox, once per
# lock setting: every message present once, intact, not interleaved.
# Then 8 processes into distinct maildirs and into one shared maildir.
. "$(dirname "$0")/lib.sh"
t_begin concurrency
need_root

B=$T_DIR/base
vd_init
vd_user c@example.com example.com/c 5001
P=8			# processes
N=${VD_CONC_N:-50}	# messages per process
case "$BUILD" in
*san*)	# sanitizer start-up and leak check cost ~0.2 s per run: fewer
	# messages, no leak check here (the other suites do that)
	N=${VD_CONC_N:-25}
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	export ASAN_OPTIONS
	echo "     (sanitizer build: $N messages per process, detect_leaks=0)" ;;
esac

# 8 x 50 distinct messages of about 3 KB, with body lines that need quoting
mkdir -p "$T_DIR/msgs"
awk -v P=$P -v N=$N -v dir="$T_DIR/msgs" 'BEGIN {
	pad = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
	for (p = 1; p <= P; p++) for (i = 1; i <= N; i++) {
		id = p "-" i; f = dir "/" id
		printf "Subject: message %s\nMessage-Id: <%s@test>\n\nBEGIN %s\n", id, id, id > f
		for (k = 1; k <= 45; k++) {
			if (k % 15 == 0) printf "From %s line %d\n", id, k > f
			else printf "%s line %d %s\n", id, k, pad > f
		}
		printf "END %s\n", id > f
		close(f)
	}
}'

# the verifier: every message exactly once, each block byte-exact
cat >"$T_DIR/check_mbox.pl" <<'EOF'
use strict;
my ($mbox, $dir, $rcpt, $total) = @ARGV;
my %want;
opendir(my $dh, $dir) or die "$dir: $!";
for my $id (grep { !/^\./ } readdir $dh) {
	local $/; open(my $fh, '<', "$dir/$id") or die; my $m = <$fh>;
	$m =~ s/^From />From /mg;
	$want{$id} = "Return-Path: <s\@x>\nDelivered-To: $rcpt\n$m\n";
}
local $/; open(my $fh, '<', $mbox) or die "$mbox: $!"; my $all = <$fh>;
my @blocks = split(/^(?=From )/m, $all);
my ($ok, $bad, $dup, %seen) = (0, 0, 0);
for my $b (@blocks) {
	my ($first, $rest) = split(/\n/, $b, 2);
	my ($id) = $rest =~ /^Subject: message (\S+)$/m;
	if ($first !~ /^From s\@x  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/ ||
	    !defined $id || !exists $want{$id} || $rest ne $want{$id}) {
		$bad++; print STDERR "bad block: ", substr($b, 0, 120), "\n" if $bad < 4;
		next;
	}
	$dup++ if $seen{$id}++;
	$ok++;
}
my $missing = grep { !$seen{$_} } keys %want;
print "blocks=", scalar(@blocks), " ok=$ok bad=$bad dup=$dup missing=$missing\n";
EOF
cat >"$T_DIR/check_maildir.pl" <<'EOF'
use strict;
my ($msgs, $rcpt, @dirs) = @ARGV;
my ($ok, $bad, $files, %seen) = (0, 0, 0);
for my $d (@dirs) {
	opendir(my $dh, "$d/new") or die "$d/new: $!";
	for my $f (grep { !/^\./ } readdir $dh) {
		$files++;
		local $/; open(my $fh, '<', "$d/new/$f") or die; my $c = <$fh>;
		my ($id) = $c =~ /^Subject: message (\S+)$/m;
		my $m = '';
		if (defined $id && open(my $mh, '<', "$msgs/$id")) { $m = <$mh>; }
		my $size = ($f =~ /,S=(\d+)$/)[0] // -1;
		if ($c eq "Return-Path: <s\@x>\nDelivered-To: $rcpt\n$m" &&
		    $size == length($c) && !$seen{$id}++) { $ok++; }
		else { $bad++; }
	}
}
print "files=$files ok=$ok bad=$bad\n";
EOF

# worker P LABEL ARGS... : deliver messages P-1..P-N; failures to fails.LABEL
worker() {
	_p=$1 _l=$2; shift 2
	_i=1
	while [ $_i -le $N ]; do
		"$VDELIVER" -c "$T_DIR/vd.conf" -f s@x "$@" <"$T_DIR/msgs/$_p-$_i" \
		    >/dev/null 2>"$T_DIR/err.$_l.$_p" ||
		    echo "$_p-$_i exit $? $(head -n 1 "$T_DIR/err.$_l.$_p")" >>"$T_DIR/fails.$_l"
		_i=$((_i + 1))
	done
}
# run_workers LABEL ARGS... : P workers in parallel, then wait
run_workers() {
	_l=$1; shift
	: >"$T_DIR/fails.$_l"
	_p=1; _pids=
	while [ $_p -le $P ]; do
		worker $_p "$_l" "$@" &
		_pids="$_pids $!"
		_p=$((_p + 1))
	done
	wait $_pids
}

mbox=$B/example.com/c
for locks in fcntl flock dotlock "fcntl, dotlock"; do
	l=$(echo "$locks" | tr -d ' ,')
	rm -f "$mbox"
	vd_conf "virtual_mailbox_lock = $locks" "deliver_lock_attempts = 60" \
	    "deliver_lock_delay = 1s"
	t0=$(date +%s)
	run_workers "$l" -r c@example.com
	t1=$(date +%s)
	echo "     ($locks: $((P * N)) deliveries in $((t1 - t0)) s)"
	assert_eq "$locks: every delivery exited 0" "" "$(head -n 3 "$T_DIR/fails.$l")"
	res=$(perl "$T_DIR/check_mbox.pl" "$mbox" "$T_DIR/msgs" c@example.com 2>&1)
	assert_eq "$locks: mbox holds each message once, intact" \
	    "blocks=$((P * N)) ok=$((P * N)) bad=0 dup=0 missing=0" "$(printf '%s\n' "$res" | tail -n 1)"
	[ "$(printf '%s\n' "$res" | wc -l)" -gt 1 ] && printf '%s\n' "$res" | head -n 4
	assert_eq "$locks: From_ lines" $((P * N)) "$(grep -c '^From ' "$mbox")"
	assert_eq "$locks: no dotlock left" no "$([ -e "$mbox.lock" ] && echo yes || echo no)"
	assert_eq "$locks: mbox owner and mode" "5001:5001 600" \
	    "$(file_owner "$mbox") $(file_mode "$mbox")"
done

# maildirs: one per process, then all processes into one maildir
vd_conf
: >"$T_DIR/vmailbox"
p=1
while [ $p -le $P ]; do
	vd_user "d$p@example.com" "example.com/d$p/" 5001
	p=$((p + 1))
done
vd_user shared@example.com example.com/shared/ 5001
: >"$T_DIR/fails.md"
p=1; pids=
while [ $p -le $P ]; do
	worker $p md -r "d$p@example.com" &
	pids="$pids $!"
	p=$((p + 1))
done
wait $pids
assert_eq "distinct maildirs: every delivery exited 0" "" "$(head -n 3 "$T_DIR/fails.md")"
p=1; ok=0; dirs=
while [ $p -le $P ]; do
	r=$(perl "$T_DIR/check_maildir.pl" "$T_DIR/msgs" "d$p@example.com" "$B/example.com/d$p")
	[ "$r" = "files=$N ok=$N bad=0" ] && ok=$((ok + 1)) || echo "     d$p: $r"
	[ "$(count_files "$B/example.com/d$p/tmp")" = 0 ] || echo "     d$p: tmp/ not empty"
	[ "$(count_files "$B/example.com/d$p/tmp")" = 0 ] || ok=$((ok - 1))
	p=$((p + 1))
done
assert_eq "distinct maildirs: all $P complete, tmp/ empty" $P $ok

run_workers shared -r shared@example.com
assert_eq "shared maildir: every delivery exited 0" "" "$(head -n 3 "$T_DIR/fails.shared")"
assert_eq "shared maildir: every message once, intact, S= right" \
    "files=$((P * N)) ok=$((P * N)) bad=0" \
    "$(perl "$T_DIR/check_maildir.pl" "$T_DIR/msgs" shared@example.com "$B/example.com/shared")"
assert_eq "shared maildir: tmp/ empty" 0 "$(count_files "$B/example.com/shared/tmp")"

t_end
