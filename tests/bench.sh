#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench.sh BUILD [smoke] - "make bench": vdeliver side by side with the
# physical floor (tests/bench/floor.c) and the Debian peers (safecat,
# procmail, maildrop, dovecot-lda), printed as one table and written to
# BUILD/bench-results.txt with a description of the machine.
#
# Workloads (all agents run by the same fork+exec driver, tests/bench/
# driver.c, under the same uid, environment and corpus):
#   seq   1,000 sequential deliveries of a 4 KB message, deliveries/s
#   par   2 and 8 parallel streams into distinct maildirs and into one
#         shared mbox (checked for lost and interleaved messages)
#   big   one 4 KB, 1 MB, 20 MB and 200 MB message: seconds and peak RSS
#         (/usr/bin/time -f '%e %M'), against "cat > file && sync file"
# Runs are interleaved (round 1 of every row, then round 2, ...), so that
# the noise of a shared machine spreads over all rows alike; ratios are
# paired per round (row / reference of the same round, median over the
# rounds).  Every run is verified (messages counted whole in the
# mailbox); a run that lost mail is reported as LOST, never as fast.
# Each run is time-boxed (BENCH_LIMIT, default 8 s; parallel 5 s): on a
# busy machine a run makes fewer deliveries than asked ("cut"), and a
# round after the 3rd (parallel, big: the 2nd) is dropped when the whole
# would exceed BENCH_BUDGET (840 s), so that "make bench" stays within
# about 15 minutes.
#
# smoke: tiny counts, no package installation, no MariaDB, < 20 s; exit
# status 0 only if every delivery of every row that ran landed.
#
# Environment: BENCH_DIR (work directory, default BUILD/bench, removed at
# the end unless BENCH_KEEP=1), BENCH_RESULTS (default
# BUILD/bench-results.txt; BUILD/bench-results-smoke.txt in smoke mode),
# BENCH_N, BENCH_RUNS, BENCH_PAR_N, BENCH_PAR_RUNS, BENCH_BIG_RUNS,
# BENCH_LIMIT, BENCH_PAR_LIMIT, BENCH_BUDGET; BENCH_ONLY=big runs only
# the one-message rows (no sequential or parallel rows, no MariaDB, a
# small hash map), BENCH_BIG_SIZES their sizes in bytes (default "4096
# 1048576 20971520 209715200"), e.g. BENCH_ONLY=big BENCH_BIG_SIZES=
# "20971520 209715200" BENCH_BIG_RUNS=5.  Root is needed for the
# uid switch row and to install missing peers; everything else runs as
# nobody (65534), the unprivileged "vmail" setup of Postfix's pipe(8).
# Servers: a private MariaDB on a UNIX socket only (tests/mysql_harness.sh),
# stopped by the EXIT trap.

BUILD=${1:-build}
MODE=${2:-full}
case $MODE in full | smoke) ;; *)
	echo "usage: sh tests/bench.sh BUILD [smoke]" >&2; exit 64 ;; esac
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
TOP=$(cd "$(dirname "$0")/.." && pwd)
VD=$BUILD/vdeliver
VMAP=$BUILD/vmap
for f in "$VD" "$VMAP"; do
	[ -x "$f" ] || { echo "bench: $f missing (make all)" >&2; exit 1; }
done

if [ "$MODE" = smoke ]; then
	N=${BENCH_N:-5} RUNS=${BENCH_RUNS:-1} RUNS_SLOW=1
	PAR_N=${BENCH_PAR_N:-8} PAR_RUNS=${BENCH_PAR_RUNS:-1}
	BIG_SIZES="1048576" BIG_RUNS=${BENCH_BIG_RUNS:-1}
	HASH_BIG=10000 RE_RULES=1000 LIMIT_SEQ=3 LIMIT_PAR=3
	PAR_AGENTS="floor vd"
	RESULTS=${BENCH_RESULTS:-$BUILD/bench-results-smoke.txt}
else
	N=${BENCH_N:-1000} RUNS=${BENCH_RUNS:-5} RUNS_SLOW=3
	PAR_N=${BENCH_PAR_N:-800} PAR_RUNS=${BENCH_PAR_RUNS:-3}
	BIG_SIZES=${BENCH_BIG_SIZES:-"4096 1048576 20971520 209715200"}
	BIG_RUNS=${BENCH_BIG_RUNS:-3}
	HASH_BIG=1000000 RE_RULES=1000
	LIMIT_SEQ=${BENCH_LIMIT:-8} LIMIT_PAR=${BENCH_PAR_LIMIT:-5}
	PAR_AGENTS="floor vd safecat procmail maildrop dovecot"
	RESULTS=${BENCH_RESULTS:-$BUILD/bench-results.txt}
fi
[ "$RUNS_SLOW" -gt "$RUNS" ] && RUNS_SLOW=$RUNS
ONLY=${BENCH_ONLY:-}
case $ONLY in '' | big) ;; *)
	echo "bench: BENCH_ONLY=$ONLY: only \"big\" is known" >&2; exit 64 ;; esac
[ "$ONLY" = big ] && HASH_BIG=10	# no row uses the big map
BUDGET=${BENCH_BUDGET:-840}
B=${BENCH_DIR:-$BUILD/bench}
case $B in *[!A-Za-z0-9_./+-]*)
	echo "bench: $B: only [A-Za-z0-9_./+-] in the path, please" >&2
	exit 1 ;;
esac
BIN=$B/bin CORPUS=$B/corpus C=$B/conf M=$B/mail LOGS=$B/logs RAW=$B/raw
ROWS=$B/rows
SENDER=bench@example.net
LDA=/usr/lib/dovecot/dovecot-lda
T0=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

if [ "$(id -u)" = 0 ]; then
	U=65534 G=65534
	UOPT="-u $U:$G"
else
	U=$(id -u) G=$(id -g) UOPT=
fi

MYSQL_UP=0
cleanup() {
	[ "$MYSQL_UP" = 1 ] && mysql_stop_all
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$B"
}
trap 'cleanup' EXIT
trap 'exit 130' INT TERM HUP

say() { printf "[%4ss] %s\n" "$(elapsed)" "$*" >&2; }
elapsed() { echo $(($(date +%s) - T0)); }

# ---------------------------------------------------------------- setup
rm -rf "$B"
mkdir -p "$BIN" "$CORPUS" "$C" "$M" "$LOGS" "$B/home" "$B/tmp" "$B/time" ||
    exit 1
: >"$RAW"
: >"$ROWS"
${CC:-cc} -O2 -o "$BIN/floor" "$TOP/tests/bench/floor.c" &&
    ${CC:-cc} -O2 -o "$BIN/driver" "$TOP/tests/bench/driver.c" || exit 1
DRV=$BIN/driver
printf '#!/bin/sh\ncat >"$1" && exec sync "$1"\n' >"$BIN/catsync"
chmod 0755 "$BIN/catsync"

# Peers from Debian, installed when missing (full mode, as root).
if [ "$MODE" = full ] && [ "$(id -u)" = 0 ]; then
	missing=
	for p in safecat procmail maildrop; do
		dpkg-query -W -f='${Status}' $p 2>/dev/null |
		    grep -q 'ok installed' || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		say "bench: installing$missing"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends $missing >"$LOGS/apt.log" 2>&1 ||
		    { apt-get update -qq >>"$LOGS/apt.log" 2>&1 &&
		    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends $missing >>"$LOGS/apt.log" 2>&1; } ||
		    say "bench: apt-get failed, see the peers marked n/a"
	fi
fi

# Corpus: deterministic (fixed seeds), identical on every machine.
say "bench: corpus"
"$DRV" gen 4096 4242 m >"$CORPUS/msg.eml"
s=0
while [ $s -lt 8 ]; do
	"$DRV" gen 4096 4242 "s$s" >"$CORPUS/msg-s$s.eml"
	s=$((s + 1))
done
for size in $BIG_SIZES; do
	"$DRV" gen "$size" 4343 "big$size" >"$CORPUS/big$size.eml"
done
# Every mbox starts with one message in it, as a real mailbox does (and
# procmail sleeps 1 s after the first byte of an empty mailbox).
{ echo "From seed@example.net  Thu Jan  1 00:00:00 2026"
	"$DRV" gen 1024 1 seed; echo; } >"$CORPUS/seed.mbox"

# Maps: a hash of 10 and of $HASH_BIG entries, a regexp of $RE_RULES
# rules; the recipient's entry sits in the middle of the hash and is the
# last regexp rule (every rule compiled and tried).
say "bench: maps"
mkmap() {	# mkmap FILE ENTRIES KEYNUM VALUE
	awk -v n="$2" -v k="$3" -v v="$4" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "user%07d@example.com\t%s\n", i,
			    i == k ? v : sprintf("other/u%07d/", i) }' >"$1"
}
mkmap "$C/hash10" 10 5 vd-h10/
mkmap "$C/hashbig" "$HASH_BIG" $((HASH_BIG / 2)) vd-hbig/
"$VMAP" hash:"$C/hash10" && "$VMAP" hash:"$C/hashbig" || exit 1
awk -v n="$RE_RULES" 'BEGIN { for (i = 0; i < n; i++)
	printf "/^r%04d@example\\.com$/\t%s\n", i,
	    i == n - 1 ? "vd-re/" : sprintf("other/r%04d/", i) }' >"$C/regexp"
RCPT_H10=user0000005@example.com
RCPT_HBIG=$(printf 'user%07d@example.com' $((HASH_BIG / 2)))
RCPT_RE=$(printf 'r%04d@example.com' $((RE_RULES - 1)))
HASH_BIG_LABEL=$(echo "$HASH_BIG" |
    sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/;ta')

vdconf() {	# vdconf FILE MAILBOX_MAPS [UID_MAPS GID_MAPS]
	cat >"$1" <<EOF
virtual_mailbox_base = $M
virtual_mailbox_maps = $2
virtual_uid_maps = ${3:-static:$U}
virtual_gid_maps = ${4:-static:$G}
maillog_file = $LOGS/vdeliver.maillog
virtual_mailbox_limit = 0
EOF
}
vdconf "$C/vd.conf" static:vd-md0/
vdconf "$C/vd-h10.conf" "hash:$C/hash10"
vdconf "$C/vd-hbig.conf" "hash:$C/hashbig"
vdconf "$C/vd-re.conf" "regexp:$C/regexp"

# Peers: the smallest private configurations that deliver.
printf 'DEFAULT=$DEST\nLOGFILE=\n' >"$C/procmailrc"
printf 'to "$1"\n' >"$C/maildroprc"
cat >"$C/dovecot.conf" <<EOF
ssl = no
mail_location = maildir:$M/dv-md0
log_path = $LOGS/dovecot.log
EOF
chmod 0600 "$C/maildroprc"		# maildrop insists
chmod -R a+rX "$B"
chown -R "$U:$G" "$M" "$B/home" "$B/tmp" "$B/time" "$C/maildroprc" \
    "$LOGS" 2>/dev/null

# Run as $U, in the same environment for every agent.
drive() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$B/home" \
    TMPDIR="$B/tmp" LANG=C "$DRV" run "$@"; }

# MySQL: a private MariaDB on a UNIX socket (tests/mysql_harness.sh);
# mailbox, uid and gid from the database, as in conf/mysql-*.cf.
MYSQL_NOTE=
if [ "$MODE" = smoke ]; then
	MYSQL_NOTE="skipped in smoke mode (server start-up)"
elif [ "$ONLY" = big ]; then
	MYSQL_NOTE="skipped (BENCH_ONLY=big)"
else
	. "$TOP/tests/mysql_harness.sh"
	if ! mysql_usable; then
		MYSQL_NOTE="needs root and mariadb-server (make deps)"
	else
		say "bench: starting a private MariaDB"
		MYSQL_UP=1
		if mysql_start bench >"$LOGS/mysql.log" 2>&1 &&
		    mysql_sql bench "INSERT INTO users (email, maildir, uid, gid)
			VALUES ('rcpt@example.com', 'vd-my/', $U, $G)" \
		    >>"$LOGS/mysql.log" 2>&1; then
			for what in mailbox:maildir uid:uid gid:gid; do
				cat >"$C/my-${what%%:*}.cf" <<EOF
hosts = unix:$(mysql_sock bench)
user = $MYSQL_USER
password = $MYSQL_PASSWORD
dbname = vmail
query = SELECT ${what#*:} FROM users WHERE email = '%s' AND active = 1
EOF
			done
			chmod 0600 "$C"/my-*.cf
			chown "$U:$G" "$C"/my-*.cf 2>/dev/null
			vdconf "$C/vd-my.conf" "mysql:$C/my-mailbox.cf" \
			    "mysql:$C/my-uid.cf" "mysql:$C/my-gid.cf"
		else
			MYSQL_NOTE="MariaDB did not start: $(tail -n 1 \
			    "$LOGS/mysql.log" | cut -c1-60)"
		fi
	fi
fi

# ---------------------------------------------------------------- agents
# agent NAME FORMAT : CMD (argv, "@S@" = stream number), TGT (the mailbox,
# "@S@" likewise; a maildir or an mbox file below $M), RUNAS (-u or not).
agent() {
	RUNAS=$UOPT
	case $2 in
	maildir) TGT=$M/$1-md@S@ ;;
	*) TGT=$M/$1.mbox ;;
	esac
	case $1 in
	floor) CMD="$BIN/floor $2 $TGT" ;;
	vd | vdroot)
		case $2 in maildir) map=static:vd-md@S@/ ;;
		*) map=static:vd.mbox ;; esac
		TGT=$M/${map#static:}
		TGT=${TGT%/}
		CMD="$VD -c $C/vd.conf -o virtual_mailbox_maps=$map -f $SENDER \
-r rcpt@example.com"
		[ "$1" = vdroot ] && RUNAS= ;;
	vdh10) TGT=$M/vd-h10
		CMD="$VD -c $C/vd-h10.conf -f $SENDER -r $RCPT_H10" ;;
	vdhbig) TGT=$M/vd-hbig
		CMD="$VD -c $C/vd-hbig.conf -f $SENDER -r $RCPT_HBIG" ;;
	vdre) TGT=$M/vd-re
		CMD="$VD -c $C/vd-re.conf -f $SENDER -r $RCPT_RE" ;;
	vdmy) TGT=$M/vd-my
		CMD="$VD -c $C/vd-my.conf -f $SENDER -r rcpt@example.com" ;;
	safecat) CMD="safecat $TGT/tmp $TGT/new" ;;
	procmail)
		d=$TGT; [ "$2" = maildir ] && d=$TGT/
		CMD="procmail -f $SENDER -m DEST=$d $C/procmailrc" ;;
	maildrop)
		d=$TGT; [ "$2" = maildir ] && d=$TGT/
		CMD="maildrop -f $SENDER $C/maildroprc $d" ;;
	dovecot)
		case $2 in
		maildir) loc=maildir:$TGT ;;
		*) loc=mbox:$M/dv-mboxdir:INBOX=$TGT ;;
		esac
		CMD="$LDA -c $C/dovecot.conf -e -f $SENDER -o mail_location=$loc" ;;
	catsync) TGT=$M/cat.out
		CMD="$BIN/catsync $TGT" ;;
	esac
}

label() {	# label NAME : the agent column
	case $1 in
	floor) echo "floor (floor.c)" ;;
	vd) echo "vdeliver static" ;;
	vdroot) echo "vdeliver static, root->uid" ;;
	vdh10) echo "vdeliver hash 10" ;;
	vdhbig) echo "vdeliver hash $HASH_BIG_LABEL" ;;
	vdre) echo "vdeliver regexp $RE_RULES rules" ;;
	vdmy) echo "vdeliver mysql x3 (socket)" ;;
	safecat) echo "safecat $(dpkg-query -W -f='${Version}' safecat 2>/dev/null)" ;;
	procmail) echo "procmail $(dpkg-query -W -f='${Version}' procmail 2>/dev/null)" ;;
	maildrop) echo "maildrop $(dpkg-query -W -f='${Version}' maildrop 2>/dev/null)" ;;
	dovecot) echo "dovecot-lda $(dpkg-query -W -f='${Version}' dovecot-core 2>/dev/null | sed 's/^1://;s/+.*//')" ;;
	catsync) echo "cat > file && sync file" ;;
	esac
}

# stream_path PATH S : SP = PATH with "@S@" replaced by S (no subshell:
# forks are slow on a busy machine).
stream_path() {
	case $1 in
	*@S@*) SP=${1%%@S@*}$2${1#*@S@} ;;
	*) SP=$1 ;;
	esac
}

# prep NAME FORMAT P : a fresh, empty mailbox for every stream.
prep() {
	agent "$1" "$2"
	if [ "$1" = catsync ]; then
		rm -f "$TGT"
	elif [ "$2" = maildir ]; then
		s=0 dirs=
		while [ $s -lt "$3" ]; do
			stream_path "$TGT" $s
			dirs="$dirs $SP"
			s=$((s + 1))
		done
		rm -rf $dirs
		[ -n "${4:-}" ] && return	# clean up only
		for d in $dirs; do
			set -- "$@" "$d/tmp" "$d/new" "$d/cur"
		done
		shift 3
		mkdir -p "$@" && chown -R "$U:$G" $dirs
	else
		rm -rf "$TGT" "$TGT.lock" "$M/dv-mboxdir"
		[ -n "${4:-}" ] && return	# clean up only
		cp "$CORPUS/seed.mbox" "$TGT"
		chown "$U:$G" "$TGT"
		chmod 0600 "$TGT"
		# Last read long ago: else procmail sleeps 1 s so that the
		# mtime moves past the atime (new-mail detection).
		touch -d @1767225600 "$TGT"
	fi
}

# landed NAME FORMAT P N [cut] : print the number of messages that
# arrived whole; a note in $B/note when some did not (torn, interleaved,
# streams uneven -- not checked when the run was cut short).
landed() {
	agent "$1" "$2"
	: >"$B/note"
	if [ "$2" = maildir ]; then
		s=0 dirs=
		while [ $s -lt "$3" ]; do
			stream_path "$TGT" $s
			dirs="$dirs $SP/new $SP/cur"
			s=$((s + 1))
		done
		# Count the files that end with their END-MARKER line.
		find $dirs -type f -exec tail -qn 1 {} + 2>/dev/null |
		    awk -v note="$B/note" '
			/^END-MARKER / { good++; next } { bad++ }
			END { if (bad) print bad " torn" >>note; print good + 0 }'
		return
	fi
	# mbox: every message, from its From_ line on, has one marker header
	# and one END-MARKER line of the same stream and nothing after it;
	# each stream has N/P messages; the seed message is still there.
	awk -v p="$3" -v n="$4" -v cut="${5:-}" -v note="$B/note" '
	function done_msg() {
		if (mk != "" && ends == 1 && em == mk && after == 0) {
			good++; per[mk]++
		} else bad++
	}
	/^From / { if (inmsg) done_msg(); inmsg = 1; mk = ""; em = ""
		ends = 0; after = 0; next }
	/^X-Bench-Marker: / { if (mk == "") mk = $2; else mk = "dup" }
	/^END-MARKER / { ends++; em = $2; next }
	ends > 0 && $0 != "" { after++ }
	END {
		if (inmsg) done_msg()
		for (k in per)
			if (k != "seed" && p > 1 && !cut && per[k] != int(n / p))
				uneven++
		if (bad) print bad " torn or interleaved" >>note
		if (uneven) print "streams uneven" >>note
		if (per["seed"] != 1) print "seed message lost" >>note
		print good - per["seed"]
	}' "$TGT" 2>/dev/null || echo 0
}

# Rows are keys SECTION_FORMAT_AGENT (seq_md_vd, par8_mbox_procmail,
# big209715200_md_floor); NA_<key> says why a row cannot run.
key_parse() {	# key_parse KEY : SECT, FMT (maildir|mbox), AG
	AG=${1##*_}
	FMT=${1%_*}
	SECT=${FMT%_*}
	FMT=${FMT##*_}
	[ "$FMT" = md ] && FMT=maildir
}

na_static() {	# na_static AGENT FORMAT : reasons known before any run
	case $1:$2 in
	safecat:mbox) echo "no mbox support" ;;
	vdroot:*) [ -n "$UOPT" ] || echo "needs root" ;;
	vdmy:*) echo "$MYSQL_NOTE" ;;
	dovecot:*) [ -x "$LDA" ] || echo "dovecot-core not installed" ;;
	safecat:* | procmail:* | maildrop:*)
		command -v "$1" >/dev/null 2>&1 ||
		    echo "$1 not installed" ;;
	esac
}
na() { eval "echo \"\${NA_$1:-}\""; }

# measure KEY P N INPUT RUN : one run of N deliveries in P streams (no
# new delivery after LIMIT_SEQ or LIMIT_PAR seconds).  A first run that
# delivers nothing makes the row n/a (with the agent's last words as the
# reason); a parallel run cut short before a tenth of N with a delivery
# that waited 2 s or more (an agent stuck in lock sleeps) is not repeated
# (CUT_<key>).
measure() {
	key_parse "$1"
	limit=$LIMIT_SEQ
	[ "$2" = 1 ] || limit=$LIMIT_PAR
	prep "$AG" "$FMT" "$2"
	out=$(drive -n "$3" -p "$2" -t "$limit" $RUNAS -i "$4" \
	    -l "$LOGS/$1.log" -- $CMD 2>>"$LOGS/$1.log")
	made=${out#n=}
	made=${made%% *}
	cut=
	case $out in *cut=1*)
		cut=1
		lmax=${out#*lat_max_ms=}
		lmax=${lmax%%.*}
		[ "$2" = 1 ] || [ "${made:-0}" -ge $(($3 / 10)) ] ||
		    [ "${lmax:-0}" -lt 2000 ] || eval "CUT_$1=1" ;;
	esac
	got=$(landed "$AG" "$FMT" "$2" "${made:-0}" $cut)
	note=
	[ -s "$B/note" ] && note=$(tr '\n ' '__' <"$B/note")
	if [ "$5" = 1 ] && [ "$got" = 0 ]; then
		why=$(grep -v '^driver:' "$LOGS/$1.log" | tail -n 1 |
		    tr -d '|' | cut -c1-48)
		eval "NA_$1=\"\${why:-delivered nothing}\""
		say "bench: $1: n/a ($(na "$1"))"
		return
	fi
	echo "row=$1 run=$5 $out landed=$got note=$note" >>"$RAW"
	[ "$got" = "$made" ] && [ -z "$note" ] ||
	    say "bench: $1 run $5: $got of ${made:-?} landed $note"
}

# measure_big KEY RUN : one message of SECT's size under /usr/bin/time
# -f '%e %M' (peak RSS of the agent itself); the driver's clock (finer
# than %e) gives the seconds.
measure_big() {
	key_parse "$1"
	size=${SECT#big}
	prep "$AG" "$FMT" 1
	tf=$B/time/$1
	rm -f "$tf"
	out=$(drive -n 1 $RUNAS -i "$CORPUS/big$size.eml" -l "$LOGS/$1.log" \
	    -- /usr/bin/time -f '%e %M' -o "$tf" $CMD 2>>"$LOGS/$1.log")
	tm=$(tail -n 1 "$tf" 2>/dev/null | tr ' ' ,)
	if [ "$AG" = catsync ]; then
		got=0
		[ "$(stat -c %s "$TGT" 2>/dev/null)" = "$size" ] && got=1
	elif [ "$FMT" = maildir ]; then
		got=$(landed "$AG" "$FMT" 1 1)
	else	# after the seed message
		got=$(($(grep -c '^From ' "$TGT" 2>/dev/null) - 1))
		tail -c 64 "$TGT" 2>/dev/null | grep -q '^END-MARKER ' ||
		    got=0
	fi
	prep "$AG" "$FMT" 1 clean
	if [ "$2" = 1 ] && [ "$got" = 0 ]; then
		why=$(grep -v '^driver:' "$LOGS/$1.log" | tail -n 1 |
		    tr -d '|' | cut -c1-48)
		eval "NA_$1=\"\${why:-delivered nothing}\""
		say "bench: $1: n/a ($(na "$1"))"
		return
	fi
	echo "row=$1 run=$2 $out landed=$got time=$tm note=" >>"$RAW"
	[ "$got" = 1 ] || say "bench: $1 run $2: the message did not land"
}

# declare KEY... : set NA_<key> for rows that cannot run at all.
declare_rows() {
	for k in "$@"; do
		key_parse "$k"
		eval "NA_$k=\$(na_static $AG $FMT)"
	done
}

# rounds RUNS SLOW_RUNS MIN_RUNS BUDGET_PCT KIND KEY... : interleaved
# rounds (SLOW_RUNS for the slow rows: dovecot-lda, regexp, mysql); a
# round after MIN_RUNS is dropped when it would end after BUDGET_PCT % of
# $BUDGET seconds (judged by the last round's duration).  KIND: "P N
# INPUT" for measure, or "big".
rounds() {
	_runs=$1 _slow=$2 _min=$3 _pct=$4 _kind=$5
	shift 5
	_r=1 _last=0
	while [ $_r -le "$_runs" ]; do
		_t=$(elapsed)
		if [ $_r -gt "$_min" ] &&
		    [ $((_t + _last)) -gt $((BUDGET * _pct / 100)) ]; then
			_d=$_r
			[ "$_r" = "$_runs" ] || _d="$_r to $_runs"
			say "bench: busy machine: round $_d of $_runs dropped" \
			    "(budget ${BUDGET}s)"
			DROPPED=1
			break
		fi
		for _k in "$@"; do
			[ -z "$(na "$_k")" ] || continue
			[ "$_r" = 1 ] || [ -z "$(eval "echo \${CUT_$_k:-}")" ] ||
			    continue
			case $_k in *_dovecot | *_vdre | *_vdmy)
				[ $_r -le "$_slow" ] || continue ;;
			esac
			if [ "$_kind" = big ]; then
				measure_big "$_k" $_r
			else
				# shellcheck disable=SC2086
				measure "$_k" $_kind $_r
			fi
		done
		_last=$(($(elapsed) - _t))
		_r=$((_r + 1))
	done
}

# ------------------------------------------------------------ workloads
SEQ_MD="seq_md_floor seq_md_vd seq_md_vdroot seq_md_vdh10 seq_md_vdhbig \
seq_md_vdre seq_md_vdmy seq_md_safecat seq_md_procmail seq_md_maildrop \
seq_md_dovecot"
SEQ_MBOX="seq_mbox_floor seq_mbox_vd seq_mbox_procmail seq_mbox_maildrop \
seq_mbox_dovecot"
PAR=
for w in par2_md par8_md par2_mbox par8_mbox; do
	for a in $PAR_AGENTS; do
		PAR="$PAR ${w}_$a"
	done
done
BIG=
for size in $BIG_SIZES; do
	for a in md_catsync md_floor md_vd md_safecat md_procmail md_maildrop \
	    md_dovecot mbox_floor mbox_vd; do
		BIG="$BIG big${size}_$a"
	done
done
if [ "$ONLY" = big ]; then
	SEQ_MD= SEQ_MBOX= PAR=
fi
declare_rows $SEQ_MD $SEQ_MBOX $PAR $BIG

[ "$ONLY" = big ] || {
say "bench: sequential, $RUNS x $N deliveries of 4 KB per row"
rounds "$RUNS" "$RUNS_SLOW" 3 50 "1 $N $CORPUS/msg.eml" $SEQ_MD $SEQ_MBOX
}
for p in 2 8; do
	[ "$ONLY" = big ] && break
	say "bench: $p parallel streams, $PAR_RUNS x $PAR_N deliveries per row"
	keys=
	for k in $PAR; do
		case $k in par${p}_*) keys="$keys $k" ;; esac
	done
	rounds "$PAR_RUNS" "$PAR_RUNS" 2 $((60 + p * 2)) \
	    "$p $PAR_N $CORPUS/msg-s@S@.eml" \
	    $keys
done
for size in $BIG_SIZES; do
	say "bench: one message of $size bytes, $BIG_RUNS runs per row"
	keys=
	for k in $BIG; do
		case $k in big${size}_*) keys="$keys $k" ;; esac
	done
	rounds "$BIG_RUNS" "$BIG_RUNS" 2 95 big $keys
done

# ---------------------------------------------------------------- report
say "bench: report"
wl_label() {	# wl_label SECTION FORMAT
	case $1 in
	seq) w="4K seq" ;;
	par2 | par8) w="4K $1" ;;
	big4096) w="4K one" ;;
	big1048576) w="1M one" ;;
	big20971520) w="20M one" ;;
	big209715200) w="200M one" ;;
	*) w=$1 ;;
	esac
	case $1:$2 in
	par*:mbox) echo "$w shared mbox" ;;
	par*:maildir) echo "$w maildirs" ;;
	*) echo "$w $2" ;;
	esac
}
for k in $SEQ_MD $SEQ_MBOX $PAR $BIG; do
	key_parse "$k"
	case $SECT in
	big*) ref=${SECT}_md_catsync ;;
	*) ref=${k%_*}_floor ;;
	esac
	printf '%s|%s|%s|%s|%s\n' "$k" "$(wl_label "$SECT" "$FMT")" \
	    "$(label "$AG")" "$ref" "$(na "$k")"
done >"$ROWS"

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
DROPNOTE=
[ -z "${DROPPED:-}" ] || DROPNOTE="; rounds dropped to stay within ${BUDGET}s"

{
	echo "vdeliver make bench ($MODE), $(date '+%Y-%m-%d %H:%M:%S %z')"
	echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' \
	    /proc/cpuinfo | head -n 1)), $(awk '/^MemTotal/ {
	    printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) RAM," \
	    "Linux $(uname -r)"
	echo "bench dir: $B on $(findmnt -n -o FSTYPE,SOURCE,OPTIONS \
	    -T "$B" 2>/dev/null | awk '{ print $1 " " $2 " (" $3 ")" }')"
	echo "load average at start: $LOAD_START; at end: $LOAD_END$(awk \
	    -v a="${LOAD_START%% *}" -v b="${LOAD_END%% *}" -v n="$(nproc)" \
	    'BEGIN { if (a > n / 2 || b > n / 2)
		printf " -- SHARED/NOISY machine: absolute rates are low and" \
		    " vary; compare the ratios (paired per round) and cpu/msg" }')"
	echo "agents run as uid $U by tests/bench/driver.c (fork+exec," \
	    "stdin from the corpus file), except \"root->uid\";" \
	    "vdeliver $("$VD" -V 2>/dev/null | head -n 1 | cut -d' ' -f2)" \
	    "($VD, built $(date -r "$VD" '+%Y-%m-%d %H:%M')" \
	    "from commit $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null ||
	    echo unknown) plus any uncommitted changes)"
	echo "per row: $N deliveries x $RUNS runs ($RUNS_SLOW for dovecot-lda," \
	    "regexp, mysql), parallel $PAR_N x $PAR_RUNS, big x $BIG_RUNS;" \
	    "no new delivery after ${LIMIT_SEQ}s (parallel ${LIMIT_PAR}s) of" \
	    "a run (\"cut\": fewer deliveries than asked); a parallel run" \
	    "stuck in lock sleeps is not repeated$DROPNOTE"
	echo
	awk -F'|' -v raw="$RAW" -v hbig="$HASH_BIG_LABEL" '
	function med(list, k,   n, i, j, t, a) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++) {
			t = a[i] + 0
			for (j = i - 1; j >= 1 && a[j] + 0 > t; j--)
				a[j + 1] = a[j]
			a[j + 1] = t
		}
		if (n == 0) return ""
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function minmax(list, which,   n, i, a, m) {
		n = split(list, a, " ")
		m = a[1] + 0
		for (i = 2; i <= n; i++)
			if (which == "min" ? a[i] + 0 < m : a[i] + 0 > m)
				m = a[i] + 0
		return m
	}
	function fmtv(v, big) {
		if (big) return sprintf(v < 10 ? "%.3f" : "%.1f", v)
		return sprintf(v < 100 ? "%.1f" : "%.0f", v)
	}
	BEGIN {
		while ((getline line < raw) > 0) {
			delete f
			n = split(line, kv, " ")
			for (i = 1; i <= n; i++) {
				e = index(kv[i], "=")
				f[substr(kv[i], 1, e - 1)] = substr(kv[i], e + 1)
			}
			k = f["row"]; r = f["run"]
			big = k ~ /^big/
			v = big ? f["secs"] : f["rate"]
			val[k, r] = v
			vals[k] = vals[k] " " v
			runs[k]++
			made[k] += f["n"]; got[k] += f["landed"]
			if (f["landed"] + 0 < f["n"] + 0 ||
			    (f["note"] != "" && f["note"] !~ /^cut/))
				lost[k] = 1
			if (f["cut"] == 1) cut[k] = 1
			if (f["note"] != "" && index(notes[k], f["note"]) == 0)
				notes[k] = notes[k] " " f["note"]
			cpu[k] = cpu[k] " " f["cpu_ms"]
			p99[k] = p99[k] " " f["lat_p99_ms"]
			if (f["lat_max_ms"] + 0 > lmax[k]) lmax[k] = f["lat_max_ms"] + 0
			split(f["time"], tm, ",")
			rss = big ? tm[2] : f["maxrss_kb"]
			if (rss + 0 > peak[k]) peak[k] = rss + 0
			if (r > maxrun) maxrun = r
		}
		hdr = sprintf("%-22s %-28s %4s %9s %-15s %6s %7s %-15s %8s  %s",
		    "workload", "agent", "runs", "median", "min-max", "ratio",
		    "cpu/msg", "p99/max ms|MB/s", "peak RSS", "landed")
		print hdr
		gsub(/./, "-", hdr); print hdr
	}
	{
		k = $1; ref[k] = $4
		order[++nrows] = k; wl[k] = $2; ag[k] = $3; na[k] = $5
	}
	# Paired ratio: per round against the reference row of the same
	# round (rates: row/ref; big: throughput, i.e. ref secs/row secs).
	function ratio(k, r0,   r, list, big) {
		big = k ~ /^big/
		list = ""
		for (r = 1; r <= maxrun; r++)
			if ((k, r) in val && (r0, r) in val && val[k, r] > 0 &&
			    val[r0, r] > 0)
				list = list " " (big ? val[r0, r] / val[k, r] :
				    val[k, r] / val[r0, r])
		return list == "" ? "" : med(list)
	}
	END {
		for (i = 1; i <= nrows; i++) {
			k = order[i]
			big = k ~ /^big/
			if (i > 1 && wl[k] != wl[order[i - 1]]) print ""
			if (na[k] != "" || runs[k] == 0) {
				printf "%-22s %-28s n/a (%s)\n", wl[k], ag[k],
				    na[k] != "" ? na[k] : "no run"
				continue
			}
			m = med(vals[k])
			rt = ratio(k, ref[k])
			if (big) {
				size = substr(k, 4); sub(/_.*/, "", size)
				mbs = size / 1048576 / m
				medtxt = fmtv(m, 1) " s"
				lat = sprintf(mbs < 10 ? "%.1f MB/s" : "%.0f MB/s", mbs)
			} else {
				medtxt = fmtv(m, 0) "/s"
				lat = sprintf("%.1f/%.0f", med(p99[k]), lmax[k])
			}
			if (lost[k]) { medtxt = "LOST"; rt = "" }
			land = got[k] "/" made[k] (lost[k] ? " LOST" : "") \
			    (cut[k] ? " cut" : "") notes[k]
			printf "%-22s %-28s %4d %9s %-15s %6s %7s %-15s %8s  %s\n",
			    wl[k], ag[k], runs[k], medtxt,
			    fmtv(minmax(vals[k], "min"), big) "-" \
			    fmtv(minmax(vals[k], "max"), big),
			    rt == "" ? "-" : sprintf("%.2f", rt),
			    sprintf("%.1fms", med(cpu[k])), lat,
			    sprintf("%.1f MB", peak[k] / 1024), land
			R[k] = rt; MED[k] = m; PEAK[k] = peak[k]
			LMAX[k] = lmax[k]; P99[k] = med(p99[k]); LOSTK[k] = lost[k]
			OK[k] = 1
		}
		print ""
		print "ratio: rate / floor rate of the same workload (paired per" \
		    " round, median); big rows: throughput / that of cat+sync."
		print "cpu/msg: user+sys time of one delivery (steadier than" \
		    " rates on a busy machine); p99/max: latency of one" \
		    " delivery, lock waits included."
		print ""
		print "targets:"
		t("seq_md_vd", "seq_md_floor", 0.85,
		    "vdeliver maildir static vs floor")
		t("seq_mbox_vd", "seq_mbox_floor", 0.85,
		    "vdeliver mbox static vs floor (info)")
		if (OK["seq_md_vdhbig"] && OK["seq_md_vdh10"])
			t("seq_md_vdhbig", "seq_md_vdh10", 0.90,
			    "vdeliver hash " hbig " vs hash 10 entries")
		split("seq_md seq_mbox par2_md par8_md par2_mbox par8_mbox",
		    W, " ")
		for (w = 1; w in W; w++) {
			vk = W[w] "_vd"
			if (!OK[vk]) continue
			behind = ""; n = 0
			for (i = 1; i <= nrows; i++) {
				k = order[i]
				if (index(k, W[w] "_") != 1 || !OK[k] ||
				    k ~ /_(floor|vd[a-z0-9]*)$/) continue
				n++
				if (LOSTK[k]) continue
				if (MED[k] >= MED[vk])
					behind = behind sprintf(" %s (%.2fx us)",
					    ag[k], MED[k] / MED[vk])
			}
			if (n > 0)
				printf "  %-52s %s\n", "vdeliver ahead of every peer, " \
				    wl[vk] ":", behind == "" ? "MET" :
				    "MISSED: behind" behind
		}
		for (fi = 1; fi <= 2; fi++) {
			fm = fi == 1 ? "md" : "mbox"
			a = "big4096_" fm "_vd"; b = "big209715200_" fm "_vd"
			if (OK[a] && OK[b])
				printf "  %-52s %s\n", "peak RSS 200 MB - 4 KB, " \
				    (fi == 1 ? "maildir" : "mbox") " (<= 2048 KB):",
				    sprintf("%d KB %s", PEAK[b] - PEAK[a],
				    PEAK[b] - PEAK[a] <= 2048 ? "MET" : "MISSED")
		}
		split("20971520 209715200", S, " ")
		for (s = 1; s in S; s++)
			for (fi = 1; fi <= 2; fi++) {
				k = "big" S[s] "_" (fi == 1 ? "md" : "mbox") "_vd"
				if (OK[k] && R[k] != "")
					printf "  %-52s %.2f %s\n",
					    sprintf("%d MB %s throughput vs cat+sync" \
					    " (>= 0.70):", S[s] / 1048576,
					    fi == 1 ? "maildir" : "mbox"), R[k],
					    R[k] >= 0.70 ? "MET" : "MISSED"
			}
		split("par2_mbox_vd par8_mbox_vd", P, " ")
		for (p = 1; p in P; p++)
			if (OK[P[p]])
				printf "  %-52s %s; delivery latency p99 %.0f ms," \
				    " max %.0f ms%s\n", "shared mbox, " \
				    substr(P[p], 4, 1) " streams:",
				    LOSTK[P[p]] ? "MESSAGES LOST OR TORN" :
				    "none lost or interleaved", P99[P[p]],
				    LMAX[P[p]], LMAX[P[p]] >= 1000 ?
				    " (PATHOLOGICAL: >= 1 s)" : ""
	}
	function t(k, r0, want, what,   v) {
		if (!OK[k] || !OK[r0]) return
		v = R[k]
		if (r0 != ref[k]) {
			v = ratio(k, r0)
		}
		printf "  %-52s %.2f %s\n", what " (>= " want "):", v,
		    v >= want ? "MET" : "MISSED"
	}' "$ROWS"
} >"$B/table"
cat "$B/table"
{
	cat "$B/table"
	echo
	echo "raw runs (tests/bench/driver.c output; landed = messages" \
	    "found whole in the mailbox):"
	cat "$RAW"
} >"$RESULTS"
echo
echo "results written to $RESULTS"
# Exit status: did every delivery of every row that ran land?
! grep -q 'LOST' "$B/table"
