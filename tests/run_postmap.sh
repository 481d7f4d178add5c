#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_postmap.sh - vmap and the real Postfix postmap(1) are
# interchangeable: .db files built by either answer both tools (and a real
# vdeliver) identically, for hash and btree, byte for byte as db_dump -p
# shows them.  Also compares the two tools on texthash, static and regexp
# tables, and shows where vmap -q and vdeliver differ on purpose.
#
# What is compared, and why (Postfix 3.7, as in Debian 12):
# - Without -f both tools fold the keys of a table they build AND the key
#   of a -q query to lower case (postmap(1): "-f Do not fold the lookup
#   key to lower case while creating or querying a table"), so for hash,
#   btree and texthash tables "postmap -q K" and "vmap -q K" are compared
#   with the same K, in any case.  With -f neither tool folds.
# - For regexp tables postmap -q never folds the key (case is up to the
#   pattern's i flag) while vmap -q folds it (to show what vdeliver, which
#   looks up folded addresses, would get); so regexp answers are compared
#   as "postmap -q K" against "vmap -f -q K", and the difference is shown.
# - Non-ASCII keys: with smtputf8_enable = yes (Postfix 3.7's default)
#   postmap folds UTF-8 upper case and skips lines that are not UTF-8;
#   vmap, like vdeliver, folds ASCII only and keeps 8-bit bytes.  8-bit
#   tables are compared under smtputf8_enable = no, where the tools agree;
#   the difference under the default is asserted, so the man page stays
#   true.
# postmap runs with -c and a private main.cf (Debian's postfix package
# may have none), dated an hour back: Postfix re-reads a main.cf or a
# texthash source younger than about two seconds until it is older, which
# costs seconds per call.
. "$(dirname "$0")/lib.sh"
t_begin postmap

POSTMAP=$(command -v postmap 2>/dev/null || echo /usr/sbin/postmap)
DBDUMP=$(command -v db_dump 2>/dev/null || command -v db5.3_dump 2>/dev/null)
if [ ! -x "$POSTMAP" ] || [ -z "$DBDUMP" ]; then
	skip "postmap: Postfix's postmap or db_dump not installed (make deps)"
	t_end
	exit $?
fi
umask 022
TAB=$(printf '\t')
# The mailboxes' owner: a real uid as root; else the caller, since an
# unprivileged vdeliver delivers only as its caller.
if is_root; then MB_U=$VD_U1 MB_G=$VD_U1; else MB_U=$(id -u) MB_G=$(id -g); fi

# aged FILE... : date files an hour back (see above).
aged() { touch -d '-1 hour' "$@"; }

PF="$T_DIR/pf"			# postmap's configuration directories
PF8="$T_DIR/pf8"		# ... with smtputf8_enable = no
mkdir "$PF" "$PF8"
printf 'compatibility_level = 3.6\ndefault_database_type = hash\n' \
	>"$PF/main.cf"
{ cat "$PF/main.cf"; echo "smtputf8_enable = no"; } >"$PF8/main.cf"
aged "$PF/main.cf" "$PF8/main.cf"

# run_pm ARGS... / run_vm ARGS... : set RC, OUT, ERR.
run_pm() {
	"$POSTMAP" -c "$PF" "$@" >"$T_DIR/.out" 2>"$T_DIR/.err" </dev/null
	RC=$?
	OUT=$(cat "$T_DIR/.out")
	ERR=$(cat "$T_DIR/.err")
}
run_vm() {
	"$VMAP" "$@" >"$T_DIR/.out" 2>"$T_DIR/.err" </dev/null
	RC=$?
	OUT=$(cat "$T_DIR/.out")
	ERR=$(cat "$T_DIR/.err")
}

# db_pairs FILE.db : "key<TAB>value" per pair as db_dump -p prints them
# (every byte that is not printable escaped, so NULs show as \00).
db_pairs() {
	"$DBDUMP" -p "$1" | sed -n '/^HEADER=END$/,/^DATA=END$/s/^ //p' |
		paste - -
}

# transcript pm|vm FLAGS SPEC < keys : "key -> exit value" per key.
transcript() {
	while IFS= read -r _k; do
		if [ "$1" = pm ]; then
			_v=$("$POSTMAP" -c "$PF" $2 -q "$_k" "$3" 2>/dev/null \
				</dev/null)
		else
			_v=$("$VMAP" $2 -q "$_k" "$3" 2>/dev/null </dev/null)
		fi
		printf '%s -> %s %s\n' "$_k" "$?" "$_v"
	done
}

# src_warnings : the source-format warnings in $ERR as "line N: what",
# whichever tool wrote them.
src_warnings() {
	printf '%s\n' "$ERR" | sed -n 's/.*, line \([0-9]*\): \(expected format\|'\
'record is in\|unbalanced\).*/line \1: \2/p'
}

# --- the edge cases of the source format ------------------------------------
mkdir "$T_DIR/v" "$T_DIR/p"
{
	echo "# edge cases of the postmap source format"
	printf 'User@Example.COM\texample.com/user/\n'
	printf 'info@example.com \t example.com/info \t \n'
	printf 'spaced@example.com\texample.com/with  two spaces/\n'
	printf 'long@example.com\texample.com/\n'
	echo "# a comment inside an entry"
	echo ""
	echo "  long/"
	printf '"a b"@example.com\texample.com/ab/\n'
	printf 'back\\ slash@example.com\texample.com/backslash\n'
	printf 'hash@example.com\texample.com/hash#1\n'
	printf 'dup@example.com\texample.com/first/\n'
	printf 'DUP@Example.com\texample.com/second/\n'
	printf 'crlf@example.com\texample.com/crlf\r\n'
	printf 'alias@example.com: example.com/alias\n'
	printf 'novalue@example.com\n'
	printf '"unbalanced@example.com x\n'
	printf '@example.org\texample.org/catchall/\n'
} >"$T_DIR/edge"
cp "$T_DIR/edge" "$T_DIR/v/edge"
cp "$T_DIR/edge" "$T_DIR/p/edge"
aged "$T_DIR/edge" "$T_DIR/v/edge" "$T_DIR/p/edge"
V="$T_DIR/v/edge"
P="$T_DIR/p/edge"

EXPECT_PAIRS='"a b"@example.com	example.com/ab/
@example.org	example.org/catchall/
alias@example.com:	example.com/alias
back\ slash@example.com	example.com/backslash
crlf@example.com	example.com/crlf
dup@example.com	example.com/first/
hash@example.com	example.com/hash#1
info@example.com	example.com/info
long@example.com	example.com/  long/
spaced@example.com	example.com/with  two spaces/
user@example.com	example.com/user/'

EXPECT_Q='user@example.com -> 0 example.com/user/
USER@EXAMPLE.COM -> 0 example.com/user/
User@Example.COM -> 0 example.com/user/
info@example.com -> 0 example.com/info
spaced@example.com -> 0 example.com/with  two spaces/
long@example.com -> 0 example.com/  long/
"a b"@example.com -> 0 example.com/ab/
a b@example.com -> 1 
back\ slash@example.com -> 0 example.com/backslash
hash@example.com -> 0 example.com/hash#1
DUP@example.com -> 0 example.com/first/
crlf@example.com -> 0 example.com/crlf
alias@example.com: -> 0 example.com/alias
novalue@example.com -> 1 
@EXAMPLE.ORG -> 0 example.org/catchall/
example.org -> 1 
nobody@example.com -> 1 '
# The keys asked: the first field of each expected line.
printf '%s\n' "$EXPECT_Q" | sed 's/ -> [01] .*$//' >"$T_DIR/keys"

for type in hash btree; do
	echo "-- $type: vmap builds $V.db, postmap builds $P.db"
	run_vm "$type:$V"
	assert_eq "$type: vmap build: exit" 0 "$RC"
	assert_match "$type: vmap warns about the duplicate, naming both lines" \
		"$V, line 13: duplicate entry \"dup@example.com\" ignored: \
the first one, on line 12, wins" \
		"$ERR"
	vm_warn=$(src_warnings)
	run_pm "$type:$P"
	assert_eq "$type: postmap build: exit" 0 "$RC"
	assert_match "$type: postmap warns about the duplicate" \
		"duplicate entry: \"dup@example.com\"" "$ERR"
	pm_warn=$(src_warnings)
	assert_eq "$type: postmap's source warnings (line numbers)" \
		"line 15: record is in
line 16: expected format
line 17: unbalanced" "$pm_warn"
	assert_eq "$type: vmap warns on the same lines for the same reasons" \
		"$pm_warn" "$vm_warn"

	# db_dump -p: the same key/value bytes, NUL-terminated.
	db_pairs "$V.db" >"$T_DIR/pairs.v"
	db_pairs "$P.db" >"$T_DIR/pairs.p"
	assert_eq "$type: postmap's pairs are NUL-terminated (db_dump -p)" \
		"$(printf '%s\n' "$EXPECT_PAIRS" |
			sed 's/\\/\\\\/g; s/\t/\\00\t/; s/$/\\00/')" \
		"$(LC_ALL=C sort "$T_DIR/pairs.p")"
	if [ "$type" = btree ]; then
		# Key order is defined: the files must agree line by line.
		assert_files_equal "btree: db_dump -p pairs, vmap = postmap, in order" \
			"$T_DIR/pairs.p" "$T_DIR/pairs.v"
	else
		LC_ALL=C sort -o "$T_DIR/pairs.v" "$T_DIR/pairs.v"
		LC_ALL=C sort -o "$T_DIR/pairs.p" "$T_DIR/pairs.p"
		assert_files_equal "hash: db_dump -p pairs, vmap = postmap" \
			"$T_DIR/pairs.p" "$T_DIR/pairs.v"
	fi
	assert_match "$type: db_dump type" "^type=$type" \
		"$("$DBDUMP" -p "$V.db" | head -5)"

	# -s: each tool lists each file; all four listings agree.
	for tool in pm vm; do
		for f in "$V" "$P"; do
			run_$tool -s "$type:$f"
			assert_eq "$type: $tool -s ${f#$T_DIR/}: sorted pairs" \
				"$EXPECT_PAIRS" "$(printf '%s\n' "$OUT" | LC_ALL=C sort)"
		done
	done

	# -q: same value, same exit, whoever built and whoever asks (vmap
	# on its own files: run_vmap.sh, and vdeliver -n below).
	for run in "pm $P" "pm $V" "vm $P"; do
		got=$(transcript ${run%% *} "" "$type:${run#* }" <"$T_DIR/keys")
		assert_eq "$type: ${run%% *} -q on ${run#*$T_DIR/}.db: every key" \
			"$EXPECT_Q" "$got"
	done
	# postmap's batch mode: the key as given, then its value.
	pq_v=$("$POSTMAP" -c "$PF" -q - "$type:$V" <"$T_DIR/keys" 2>&1)
	pq_p=$("$POSTMAP" -c "$PF" -q - "$type:$P" <"$T_DIR/keys" 2>&1)
	assert_eq "$type: postmap -q - on vmap's file = on postmap's" \
		"$pq_p" "$pq_v"
	assert_eq "$type: postmap -q - finds 13 of 17 keys" 13 \
		"$(printf '%s\n' "$pq_v" | grep -c "$TAB")"
done

# --- texthash and static: no build step, the same answers --------------------
for tool in pm vm; do
	got=$(transcript $tool "" "texthash:$V" <"$T_DIR/keys")
	assert_eq "texthash: $tool -q: every key" "$EXPECT_Q" "$got"
	run_$tool -s "texthash:$V"
	assert_eq "texthash: $tool -s: sorted pairs" "$EXPECT_PAIRS" \
		"$(printf '%s\n' "$OUT" | LC_ALL=C sort)"
	run_$tool -q anything 'static:{ a b }'
	assert_eq "static:{ a b }: $tool -q" "0 a b" "$RC $OUT"
	run_$tool -q anything static:5000
	assert_eq "static:5000: $tool -q" "0 5000" "$RC $OUT"
done

# --- -f: the case of keys is kept, on both sides ---------------------------
for type in hash btree; do
	run_vm -f "$type:$V"
	assert_eq "$type -f: vmap build: exit" 0 "$RC"
	run_pm -f "$type:$P"
	assert_eq "$type -f: postmap build: exit" 0 "$RC"
	db_pairs "$V.db" | LC_ALL=C sort >"$T_DIR/pairs.v"
	db_pairs "$P.db" | LC_ALL=C sort >"$T_DIR/pairs.p"
	assert_files_equal "$type -f: db_dump -p pairs, vmap = postmap" \
		"$T_DIR/pairs.p" "$T_DIR/pairs.v"
	assert_match "$type -f: both keys of the duplicate are kept" \
		'^DUP@Example\.com\\00	example\.com/second/\\00$' \
		"$(cat "$T_DIR/pairs.p")"
	for tool in pm vm; do
		for f in "$V" "$P"; do
			n=${f#$T_DIR/}
			run_$tool -f -q User@Example.COM "$type:$f"
			assert_eq "$type -f: $tool -f -q User@Example.COM on $n" \
				"0 example.com/user/" "$RC $OUT"
			run_$tool -f -q user@example.com "$type:$f"
			assert_eq "$type -f: $tool -f -q user@example.com on $n" \
				"1 " "$RC $OUT"
			# Without -f the query is folded: it misses the
			# upper-case key, as vdeliver (and virtual(8)) would.
			run_$tool -q User@Example.COM "$type:$f"
			assert_eq "$type -f: $tool -q User@Example.COM on $n" \
				"1 " "$RC $OUT"
		done
	done
done

# --- vdeliver reads postmap's tables as it reads vmap's --------------------
# The mailbox table as hash (built last as btree -f above), the ids as
# btree: each side reads only what its own tool built.
"$VMAP" "hash:$V" 2>/dev/null
"$POSTMAP" -c "$PF" "hash:$P" 2>/dev/null
printf 'User@Example.COM %s\n@example.com %s\n@example.org %s\n' \
	"$MB_U" "$MB_U" "$MB_U" >"$T_DIR/ids"
cp "$T_DIR/ids" "$T_DIR/v/ids"
cp "$T_DIR/ids" "$T_DIR/p/ids"
aged "$T_DIR/v/ids" "$T_DIR/p/ids"
"$VMAP" btree:"$T_DIR/v/ids"
"$POSTMAP" -c "$PF" btree:"$T_DIR/p/ids"
mkdir "$T_DIR/base"
chown "$MB_U:$MB_G" "$T_DIR/base"
for side in v p; do
	cat >"$T_DIR/vd-$side.conf" <<EOF
virtual_mailbox_base = $T_DIR/base
virtual_mailbox_maps = hash:$T_DIR/$side/edge
virtual_uid_maps = btree:$T_DIR/$side/ids
virtual_gid_maps = static:$MB_G
maillog_file = $T_DIR/maillog
EOF
done
set --
while IFS= read -r k; do set -- "$@" -r "$k"; done <"$T_DIR/keys"
run_vd -c "$T_DIR/vd-v.conf" -n "$@" </dev/null
n_v=$(printf '%s\n' "$OUT" | sed "s|/v/|/X/|")
run_vd -c "$T_DIR/vd-p.conf" -n "$@" </dev/null
n_p=$(printf '%s\n' "$OUT" | sed "s|/p/|/X/|")
assert_eq "vdeliver -n: postmap's tables resolve every key as vmap's" \
	"$n_v" "$n_p"
assert_match "vdeliver -n: a mixed-case recipient finds the folded key" \
	"recipient=User@Example.COM
map=hash:$T_DIR/X/edge
key=user@example.com
path=$T_DIR/base/example.com/user/" "$n_p"
# 12 found with a uid; "alias@example.com:" has no uid ("@example.com:"
# is not in the table): defer; the 4 keys that are not found bounce.
assert_eq "vdeliver -n: deliver, bounce, defer" "12 4 1" \
	"$(for st in deliver bounce defer; do
		printf '%s\n' "$n_p" | grep -c "^status=$st\$"; done | xargs)"
assert_eq "vdeliver -n: exit (a deferral wins)" 75 "$RC"
assert_match "vdeliver -n: continuation with white space kept" \
	"path=$T_DIR/base/example.com/  long/" "$n_p"
printf 'Subject: interop\n\nvia a postmap table\n' >"$T_DIR/msg"
run_vd -c "$T_DIR/vd-p.conf" -f a@example.net -r User@Example.COM \
	<"$T_DIR/msg"
expect_status "deliver through postmap's hash + btree tables" 0 ""
f=$(ls "$T_DIR/base/example.com/user/new/" 2>/dev/null | head -1)
if [ -n "$f" ] && grep -q '^via a postmap table$' \
	"$T_DIR/base/example.com/user/new/$f"; then
	pass "delivered into the maildir postmap's table names"
else
	fail "no message in $T_DIR/base/example.com/user/new/"
fi
assert_eq "delivered as the uid of postmap's btree table" "$MB_U:$MB_G" \
	"$(file_owner "$T_DIR/base/example.com/user/new/$f")"
run_vd -c "$T_DIR/vd-p.conf" -r 'spaced@example.com' <"$T_DIR/msg"
expect_status "deliver to a path with spaces from postmap" 0 ""
assert_eq "one message in the maildir whose path has spaces" 1 \
	"$(count_files "$T_DIR/base/example.com/with  two spaces/new")"
# A table built by postmap -f keeps the upper-case key: vdeliver never
# finds it (it looks up folded addresses), as virtual(8).
"$POSTMAP" -c "$PF" -f "hash:$P" 2>/dev/null
run_vd -c "$T_DIR/vd-p.conf" -n -r User@Example.COM </dev/null
expect_status "postmap -f table: mixed-case key is not found" 67 "5.1.1"
"$POSTMAP" -c "$PF" "hash:$P" 2>/dev/null

# --- 1,000 random entries, every key compared ---------------------------------
SEED=${PM_SEED:-$(date +%s)}
echo "-- random table, seed $SEED (PM_SEED=$SEED to repeat)"
mkdir "$T_DIR/rv" "$T_DIR/rp"
awk -v seed="$SEED" -v n=1000 -v keysfile="$T_DIR/rkeys" '
function rnd(k) { return int(rand() * k) }
function word(lo, hi, set,	len, s, i) {
	len = lo + rnd(hi - lo + 1)
	for (s = ""; len-- > 0;)
		s = s substr(set, 1 + rnd(length(set)), 1)
	return s
}
BEGIN {
	srand(seed)
	lp = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-"
	vs = "abcdefghijklmnopqrstuvwxyz0123456789_-"
	nd = split("Example.COM example.org Mail.Example.NET " \
	    "a.b.c.example x-y.example", dom, " ")
	while (count < n) {
		if (rnd(31) == 0)	# a quoted key with a space
			key = "\"" word(1, 6, lp) " " word(1, 6, lp) "\"@" dom[1 + rnd(nd)]
		else
			key = word(1, 12, lp) "@" dom[1 + rnd(nd)]
		if (tolower(key) in seen)
			continue
		seen[tolower(key)] = 1
		keys[++count] = key
		print key > keysfile
		v = "d" count "/" word(1, 8, vs)
		for (j = rnd(3); j > 0; j--)
			v = v substr("   ", 1, 1 + rnd(3)) word(1, 8, vs)
		if (rnd(2))
			v = v "/"
		sep = substr("\t \t  \t", 1 + rnd(3), 1 + rnd(3))
		end = (rnd(13) == 0) ? "  " : (rnd(19) == 0 ? "\r" : "")
		if (rnd(7) == 0 && (i = index(v, " ")) > 0) {
			# a continuation line, maybe with a comment between
			print key sep substr(v, 1, i - 1)
			if (rnd(2))
				print "# comment inside an entry"
			print substr(v, i) end
		} else
			print key sep v end
		if (rnd(29) == 0)
			print ""
		if (rnd(37) == 0)	# a duplicate: the first one wins
			print toupper(keys[1 + rnd(count)]) "\tduplicate/"
	}
}' >"$T_DIR/rv/rand"
cp "$T_DIR/rv/rand" "$T_DIR/rp/rand"
aged "$T_DIR/rv/rand" "$T_DIR/rp/rand"
RV="$T_DIR/rv/rand"
RP="$T_DIR/rp/rand"
vd_conf_r() {	# vd_conf_r MAP : vd-r.conf with MAP for the mailboxes
	cat >"$T_DIR/vd-r.conf" <<EOF
virtual_mailbox_base = $T_DIR/base
virtual_mailbox_maps = $1
virtual_uid_maps = static:$MB_U
virtual_gid_maps = static:$MB_G
maillog_file = $T_DIR/maillog
EOF
}
set --
while IFS= read -r k; do set -- "$@" -r "$k"; done <"$T_DIR/rkeys"
for type in hash btree; do
	"$VMAP" "$type:$RV" 2>/dev/null
	assert_eq "random $type: vmap build" 0 "$?"
	"$POSTMAP" -c "$PF" "$type:$RP" 2>/dev/null
	assert_eq "random $type: postmap build" 0 "$?"
	"$POSTMAP" -c "$PF" -s "$type:$RP" | LC_ALL=C sort >"$T_DIR/ref"
	assert_eq "random $type: postmap -s lists 1000 keys" 1000 \
		"$(wc -l <"$T_DIR/ref" | tr -d ' ')"
	if grep -q "${TAB}duplicate/\$" "$T_DIR/ref"; then
		fail "random $type: a later duplicate won in postmap's table"
	else
		pass "random $type: no later duplicate won"
	fi
	for tool in pm vm; do
		for f in "$RV" "$RP"; do
			if [ $tool = pm ]; then
				"$POSTMAP" -c "$PF" -s "$type:$f"
			else
				"$VMAP" -s "$type:$f"
			fi 2>/dev/null | LC_ALL=C sort >"$T_DIR/lst"
			assert_files_equal "random $type: $tool -s ${f#$T_DIR/}" \
				"$T_DIR/ref" "$T_DIR/lst"
		done
	done
	db_pairs "$RV.db" | LC_ALL=C sort >"$T_DIR/pairs.v"
	db_pairs "$RP.db" | LC_ALL=C sort >"$T_DIR/pairs.p"
	assert_files_equal "random $type: db_dump -p pairs, vmap = postmap" \
		"$T_DIR/pairs.p" "$T_DIR/pairs.v"
	assert_eq "random $type: every pair NUL-terminated" 1000 \
		"$(grep -c '\\00	.*\\00$' "$T_DIR/pairs.v")"
	"$POSTMAP" -c "$PF" -q - "$type:$RV" <"$T_DIR/rkeys" >"$T_DIR/qv" 2>&1
	"$POSTMAP" -c "$PF" -q - "$type:$RP" <"$T_DIR/rkeys" >"$T_DIR/qp" 2>&1
	assert_eq "random $type: postmap -q - finds all 1000 keys in vmap's" \
		1000 "$(wc -l <"$T_DIR/qv" | tr -d ' ')"
	assert_files_equal "random $type: postmap -q -, vmap's = postmap's" \
		"$T_DIR/qp" "$T_DIR/qv"
	# vdeliver resolves all 1000 recipients (mixed case, as written)
	# through postmap's table to base/ + postmap's value.
	vd_conf_r "$type:$RP"
	run_vd -c "$T_DIR/vd-r.conf" -n "$@" </dev/null
	assert_eq "random $type: vdeliver -n, 1000 recipients: exit" 0 "$RC"
	printf '%s\n' "$OUT" | awk -v base="$T_DIR/base/" '
		/^key=/ { k = substr($0, 5) }
		/^path=/ { print k "\t" substr($0, length(base) + 6) }' |
		LC_ALL=C sort >"$T_DIR/vdpaths"
	assert_files_equal "random $type: vdeliver's key and path = postmap -s" \
		"$T_DIR/ref" "$T_DIR/vdpaths"
done

# --- regexp: the same engine answers as Postfix's ---------------------------
cat >"$T_DIR/rx" <<'EOF'
# regexp_table(5) forms; line numbers matter (warnings are checked).
/^(postmaster|abuse)@example\.(com|org)$/	roles/$1-$2
/^Case@/i	case-sensitive
!/@example\.(com|net|org)$/	foreign
/^a\/b@/	slash
|^pipe\|x@|	pipe-delimiter
/^basic(+)@/x	basic-syntax
/^neg@/!/^neg@example\.org$/	neg-but-not-org
/^brace-(.*)@/	${1}-and-$(1)-and-$$
IF /@example\.com$/
/^list-(.*)-request@/	lists/$1
if !/^x/
/^y/	y-in-com
endif
/^x/	x-in-com
endif
/^bad[/	never
/^flag@/q	unknown-flag
/^toomany(a)@/	$2
!/^(neg)x@/	$1
/^nodelim@	never
/^cont@/	first
	second
/^trail@/	trail   
/^m@/m	multi
endif
if /^zz/
/zz1/	z1
EOF
aged "$T_DIR/rx"
EXPECT_RX='postmaster@example.com -> 0 roles/postmaster-com
abuse@example.org -> 0 roles/abuse-org
Case@example.com -> 0 case-sensitive
case@example.com -> 1 
x@other.net -> 0 foreign
a/b@example.com -> 0 slash
pipe|x@example.com -> 0 pipe-delimiter
basic+@example.com -> 1 
basic(+)@example.com -> 0 basic-syntax
neg@example.com -> 0 neg-but-not-org
neg@example.org -> 1 
brace-q@example.com -> 0 q-and-q-and-$
list-foo-request@example.com -> 0 lists/foo
y@example.com -> 0 y-in-com
xx@example.com -> 0 x-in-com
bad[@example.com -> 1 
flag@example.com -> 1 
toomany@example.com -> 1 
negx@example.com -> 1 
nodelim@example.com -> 1 
cont@example.com -> 0 first	second
trail@example.com -> 0 trail
m@example.com -> 0 multi
zz1@example.com -> 0 z1
zz2@example.com -> 1 
none@example.com -> 1 '
printf '%s\n' "$EXPECT_RX" | sed 's/ -> [01] .*$//' >"$T_DIR/rxkeys"
got=$(transcript pm "" "regexp:$T_DIR/rx" <"$T_DIR/rxkeys")
assert_eq "regexp: postmap -q: every key" "$EXPECT_RX" "$got"
got=$(transcript vm -f "regexp:$T_DIR/rx" <"$T_DIR/rxkeys")
assert_eq "regexp: vmap -f -q answers as postmap -q" "$EXPECT_RX" "$got"
# Malformed rules: each tool warns on the same lines and skips the rule.
run_pm -q none regexp:"$T_DIR/rx"
pm_warn=$(printf '%s\n' "$ERR" | grep -v 'IF has no matching ENDIF' |
	sed -n 's/.*regexp map .*, line \([0-9]*\): .*/\1/p')
assert_match "regexp: postmap warns about the unclosed IF" \
	"line 27: IF has no matching ENDIF" "$ERR"
run_vm -q none regexp:"$T_DIR/rx"
vm_warn=$(printf '%s\n' "$ERR" | grep -v 'more IFs than ENDIFs' |
	sed -n 's/.*regexp map .*, line \([0-9]*\): .*/\1/p')
assert_match "regexp: vmap warns about the unclosed IF" \
	"more IFs than ENDIFs" "$ERR"
assert_eq "regexp: postmap's warnings: regex, flag, \$2, !\$1, delimiter, ENDIF" \
	"17 18 19 20 21 26" "$(echo $pm_warn)"
assert_eq "regexp: vmap warns on the same lines" "$(echo $pm_warn)" \
	"$(echo $vm_warn)"
assert_match "regexp: vmap names the bad pattern" \
	'line 17: bad regexp "\^bad\[".*skipping this rule' "$ERR"
# vmap -q folds the key (what vdeliver would look up); postmap -q does not.
run_vm -q Case@example.com regexp:"$T_DIR/rx"
assert_eq "regexp: vmap -q folds the key: the case-sensitive rule misses" \
	"1 " "$RC $OUT"
run_pm -f -q Case@example.com regexp:"$T_DIR/rx"
assert_eq "regexp: postmap -q matches the key as given (-f or not)" \
	"0 case-sensitive" "$RC $OUT"

# $n substitution: vmap -q and postmap -q substitute; vdeliver skips such
# rules with a warning (a mailbox path must not come from the address).
cat >"$T_DIR/rxd" <<'EOF'
/^(.*)@subst\.example$/	subst/$1/
/^plain@subst\.example$/	subst/plain/
EOF
aged "$T_DIR/rxd"
for tool in pm vm; do
	run_$tool -q alice@subst.example regexp:"$T_DIR/rxd"
	assert_eq "regexp \$1: $tool -q substitutes" "0 subst/alice/" "$RC $OUT"
	run_$tool -q plain@subst.example regexp:"$T_DIR/rxd"
	assert_eq "regexp \$1: $tool -q: the \$1 rule wins" "0 subst/plain/" \
		"$RC $OUT"
done
cat >"$T_DIR/vd-rx.conf" <<EOF
virtual_mailbox_base = $T_DIR/base
virtual_mailbox_maps = regexp:$T_DIR/rxd
virtual_uid_maps = static:$MB_U
virtual_gid_maps = static:$MB_G
maillog_file = $T_DIR/maillog.rx
EOF
run_vd -c "$T_DIR/vd-rx.conf" -n -r alice@subst.example </dev/null
expect_status "regexp \$1: vdeliver skips the rule: unknown user" 67 5.1.1
assert_match "regexp \$1: vdeliver logs why the rule was skipped" \
	"regexp map $T_DIR/rxd, line 1: regular expression substitution \
is not allowed: skipping this rule" \
	"$(cat "$T_DIR/maillog.rx" 2>/dev/null)"
run_vd -c "$T_DIR/vd-rx.conf" -n -r plain@subst.example </dev/null
assert_match "regexp \$1: vdeliver uses the next rule" \
	"path=$T_DIR/base/subst/plain/" "$OUT"

# --- the shipped examples load cleanly and answer as postmap ------------------
cp "$TOP/conf/virtual_regexp" "$T_DIR/virtual_regexp"
aged "$T_DIR/virtual_regexp"
printf '%s\n' postmaster@example.com HOSTMASTER@example.org \
	abuse@example.net x-request@example.com x-request@example.org \
	alice@example.com >"$T_DIR/cfkeys"
got_pm=$(transcript pm "" "regexp:$T_DIR/virtual_regexp" <"$T_DIR/cfkeys")
got_vm=$(transcript vm "" "regexp:$T_DIR/virtual_regexp" <"$T_DIR/cfkeys")
assert_eq "conf/virtual_regexp: vmap -q = postmap -q" "$got_pm" "$got_vm"
assert_eq "conf/virtual_regexp: what the example promises" \
	"postmaster@example.com -> 0 example.com/postmaster/
HOSTMASTER@example.org -> 0 example.com/postmaster/
abuse@example.net -> 1 
x-request@example.com -> 0 example.com/lists/
x-request@example.org -> 1 
alice@example.com -> 1 " "$got_vm"
run_vm -q postmaster@example.com regexp:"$T_DIR/virtual_regexp"
assert_eq "conf/virtual_regexp: no warning from vmap" "" "$ERR"
run_pm -q postmaster@example.com regexp:"$T_DIR/virtual_regexp"
assert_eq "conf/virtual_regexp: no warning from postmap" "" "$ERR"
for m in virtual_mailbox virtual_uids; do
	mkdir -p "$T_DIR/cv" "$T_DIR/cp"
	cp "$TOP/conf/$m" "$T_DIR/cv/$m"
	cp "$TOP/conf/$m" "$T_DIR/cp/$m"
	aged "$T_DIR/cv/$m" "$T_DIR/cp/$m"
	run_vm hash:"$T_DIR/cv/$m"
	assert_eq "conf/$m: vmap builds it without a warning" "0 " "$RC $ERR"
	run_pm hash:"$T_DIR/cp/$m"
	assert_eq "conf/$m: postmap builds it without a warning" "0 " "$RC $ERR"
	assert_eq "conf/$m: db_dump -p pairs, vmap = postmap" \
		"$(db_pairs "$T_DIR/cp/$m.db" | LC_ALL=C sort)" \
		"$(db_pairs "$T_DIR/cv/$m.db" | LC_ALL=C sort)"
done

# --- 8-bit keys ------------------------------------------------------------
printf '%b\n' '\0303\0204rger@Example.COM\tumlaut/' \
	'\0377\0376@example.com\tbinary/' 'val@example.com\t\0351t\0351/' \
	>"$T_DIR/v/eight"
cp "$T_DIR/v/eight" "$T_DIR/p/eight"
aged "$T_DIR/v/eight" "$T_DIR/p/eight"
"$VMAP" hash:"$T_DIR/v/eight" 2>/dev/null
"$POSTMAP" -c "$PF8" hash:"$T_DIR/p/eight" 2>/dev/null
v8=$(db_pairs "$T_DIR/v/eight.db" | LC_ALL=C sort)
assert_eq "8-bit, smtputf8_enable = no: db_dump -p pairs, vmap = postmap" \
	"$(db_pairs "$T_DIR/p/eight.db" | LC_ALL=C sort)" "$v8"
assert_match "8-bit: vmap folds ASCII only, keeps the bytes" \
	'^\\c3\\84rger@example\.com\\00' "$v8"
# Documented difference: under Postfix 3.7's default smtputf8_enable = yes,
# postmap folds UTF-8 upper case and skips lines that are not UTF-8.
"$POSTMAP" -c "$PF" hash:"$T_DIR/p/eight" 2>/dev/null
p8=$(db_pairs "$T_DIR/p/eight.db" | LC_ALL=C sort)
assert_eq "8-bit, smtputf8_enable = yes: postmap folds UTF-8, drops the rest" \
	'\c3\a4rger@example.com\00	umlaut/\00' "$p8"

# --- rebuilding each other's files; modes and owners -------------------------
"$VMAP" hash:"$V" 2>/dev/null
sed 's|example.com/info|example.com/info2/|' "$V" >"$V.new" && mv "$V.new" "$V"
aged "$V"
run_pm hash:"$V"
assert_eq "postmap rebuilds vmap's .db: exit" 0 "$RC"
run_vm -q info@example.com hash:"$V"
assert_eq "vmap reads postmap's rebuild" "0 example.com/info2/" "$RC $OUT"
sed 's|com/info2/|com/info3/|' "$V" >"$V.new" && mv "$V.new" "$V"
aged "$V"
run_vm hash:"$V"
run_pm -q info@example.com hash:"$V"
assert_eq "postmap reads vmap's rebuild of its .db" "0 example.com/info3/" \
	"$RC $OUT"
if is_root; then
	# Run as root, both give the .db the source's owner (postmap by
	# running as that owner, vmap by chown) and the same mode.
	mkdir "$T_DIR/own"
	chown "$VD_U1:$VD_U1" "$T_DIR/own"
	cp "$T_DIR/ids" "$T_DIR/own/m"
	chown "$VD_U1:$VD_U1" "$T_DIR/own/m"
	for mode in 600 640 644 666; do
		chmod "$mode" "$T_DIR/own/m"
		rm -f "$T_DIR/own/m.db"
		"$POSTMAP" -c "$PF" hash:"$T_DIR/own/m" 2>/dev/null
		pm_st=$(stat -c '%a %u:%g' "$T_DIR/own/m.db" 2>&1)
		rm -f "$T_DIR/own/m.db"
		"$VMAP" hash:"$T_DIR/own/m" 2>/dev/null
		vm_st=$(stat -c '%a %u:%g' "$T_DIR/own/m.db" 2>&1)
		assert_eq "source $mode owned by $VD_U1: .db mode and owner" \
			"$pm_st" "$vm_st"
	done
	assert_eq "source 666: both give 644 $VD_U1:$VD_U1" \
		"644 $VD_U1:$VD_U1" "$vm_st"
else
	skip "modes and owners of root builds (needs root)"
fi

t_end
