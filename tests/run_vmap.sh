#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_vmap.sh - black-box suite for vmap: build, query, dump, -f, the
# duplicate warning, atomic rebuilds, permissions, exit codes and the
# byte layout of the .db files (NUL-terminated keys and values, as
# Postfix's postmap writes them).
. "$(dirname "$0")/lib.sh"
t_begin vmap

# run_vmap ARGS... : sets RC, OUT, ERR
run_vmap() {
	"$VMAP" "$@" >"$T_DIR/.out" 2>"$T_DIR/.err"
	RC=$?
	OUT=$(cat "$T_DIR/.out")
	ERR=$(cat "$T_DIR/.err")
}

M="$T_DIR/mailbox"
cat >"$M" <<'EOF'
# virtual mailboxes
User@Example.COM	example.com/user/
info@example.com	example.com/info
@example.org	example.org/catchall/
long@example.com	first
  second
EOF

# --- build and query --------------------------------------------------------
run_vmap hash:"$M"
assert_eq "build hash: exit" 0 "$RC"
assert_eq "build hash: quiet" "" "$ERR"
if [ -f "$M.db" ]; then pass "build hash: $M.db exists"; else
	fail "build hash: no $M.db"; fi
run_vmap -q user@example.com hash:"$M"
assert_eq "query: exit" 0 "$RC"
assert_eq "query: value" "example.com/user/" "$OUT"
run_vmap -q USER@EXAMPLE.COM hash:"$M"
assert_eq "query folds the key: value" "example.com/user/" "$OUT"
run_vmap -q long@example.com "$M"
assert_eq "bare path is hash:, continuation kept" "first  second" "$OUT"
run_vmap -q nobody@example.com hash:"$M"
assert_eq "not found: exit" 1 "$RC"
assert_eq "not found: no output" "" "$OUT"
assert_eq "not found: no message" "" "$ERR"
run_vmap -q nobody@example.com hash:"$M" static:fallback
assert_eq "second map answers" "0 fallback" "$RC $OUT"

run_vmap btree:"$M"
assert_eq "build btree: exit" 0 "$RC"
run_vmap -q @example.org btree:"$M"
assert_eq "btree query" "example.org/catchall/" "$OUT"
run_vmap -q info@example.com hash:"$M"
assert_eq "hash query of a btree file: exit" 75 "$RC"
assert_match "hash query of a btree file: names the file" "$M.db" "$ERR"

run_vmap -q info@example.com texthash:"$M"
assert_eq "texthash query" "0 example.com/info" "$RC $OUT"
run_vmap -q anything static:'{ a b }'
assert_eq "static query" "0 a b" "$RC $OUT"

# --- -f keeps the case of keys ------------------------------------------------
run_vmap -f hash:"$M"
assert_eq "build -f: exit" 0 "$RC"
run_vmap -f -q User@Example.COM hash:"$M"
assert_eq "-f: mixed-case key found" "0 example.com/user/" "$RC $OUT"
run_vmap -f -q user@example.com hash:"$M"
assert_eq "-f: lower-case key not found" 1 "$RC"
run_vmap -q User@Example.COM hash:"$M"
assert_eq "-f table, folded query: not found" 1 "$RC"

# --- duplicates: the first one wins, the warning names both lines -------------
D="$T_DIR/dups"
printf 'a@d first\nb@d x\nA@D second\n' >"$D"
run_vmap hash:"$D"
assert_eq "duplicates: exit" 0 "$RC"
assert_match "duplicates: warning names file and both lines" \
	"$D, line 3: duplicate entry \"a@d\" ignored: the first one, on line 1, wins" \
	"$ERR"
run_vmap -q a@d hash:"$D"
assert_eq "duplicates: first value wins" "first" "$OUT"
printf 'ok@d v\nnovalue\n' >"$D"
run_vmap hash:"$D"
assert_eq "missing value: skipped, exit 0" 0 "$RC"
assert_match "missing value: warning names file and line" \
	"$D, line 2: expected format: key whitespace value" "$ERR"

# --- -s dump ----------------------------------------------------------------
run_vmap btree:"$M"
run_vmap -s btree:"$M"
assert_eq "dump btree: exit" 0 "$RC"
TAB=$(printf '\t')
assert_eq "dump btree: sorted pairs, no NULs" "@example.org${TAB}example.org/catchall/
info@example.com${TAB}example.com/info
long@example.com${TAB}first  second
user@example.com${TAB}example.com/user/" "$OUT"
run_vmap hash:"$M"
run_vmap -s hash:"$M"
assert_eq "dump hash: same pairs" "@example.org${TAB}example.org/catchall/
info@example.com${TAB}example.com/info
long@example.com${TAB}first  second
user@example.com${TAB}example.com/user/" "$(printf '%s\n' "$OUT" | sort)"
run_vmap -s texthash:"$M"
assert_eq "dump texthash: file order" "user@example.com${TAB}example.com/user/
info@example.com${TAB}example.com/info
@example.org${TAB}example.org/catchall/
long@example.com${TAB}first  second" "$OUT"
run_vmap -s static:x
assert_eq "dump static: exit" 75 "$RC"
assert_match "dump static: message" "cannot be listed" "$ERR"
if [ -w /dev/full ]; then
	"$VMAP" -s hash:"$M" >/dev/full 2>"$T_DIR/.err"
	assert_eq "dump to a full disk: exit" 75 "$?"
fi

# --- byte layout: NUL-terminated keys and values, as postmap -----------------
DBDUMP=$(command -v db_dump || command -v db5.3_dump)
if [ -n "$DBDUMP" ]; then
	for type in hash btree; do
		"$VMAP" "$type:$M"
		dump=$("$DBDUMP" -p "$M.db")
		assert_match "$type: db_dump type" "^type=$type" "$dump"
		assert_match "$type: NUL-terminated key" \
			'^ user@example\.com\\00$' "$dump"
		assert_match "$type: NUL-terminated value" \
			'^ example\.com/user/\\00$' "$dump"
		n=$(printf '%s\n' "$dump" | grep -c '^ .*\\00$')
		assert_eq "$type: every key and value ends in NUL" 8 "$n"
	done
	# A table loaded by db_load without NULs (as some tools write) works.
	printf 'nonul@d\nd/nonul/\n' | db_load -T -t hash "$T_DIR/nonul.db" \
		2>/dev/null || printf 'nonul@d\nd/nonul/\n' |
		db5.3_load -T -t hash "$T_DIR/nonul.db"
	run_vmap -q nonul@d hash:"$T_DIR/nonul"
	assert_eq "table without NULs" "0 d/nonul/" "$RC $OUT"
else
	skip "db_dump not installed"
fi

# --- atomic rebuild ---------------------------------------------------------
"$VMAP" hash:"$M"
ino1=$(stat -c %i "$M.db")
sed 's|example.com/info|example.com/info2/|' "$M" >"$M.new" && mv "$M.new" "$M"
run_vmap hash:"$M"
ino2=$(stat -c %i "$M.db")
if [ "$ino1" != "$ino2" ]; then pass "rebuild: new inode (renamed over)"
else fail "rebuild: same inode $ino1"; fi
run_vmap -q info@example.com hash:"$M"
assert_eq "rebuild: new value" "example.com/info2/" "$OUT"
left=$(for f in "$M".*; do [ "$f" = "$M.db" ] || echo "$f"; done)
assert_eq "rebuild: no temporary file left" "" "$left"

# Readers during rebuilds of a big table never see a broken one.
B="$T_DIR/big"
awk 'BEGIN { for (i = 0; i < 20000; i++) print "user" i "@d maildir/" i "/" }' \
	>"$B"
"$VMAP" hash:"$B"
(
	bad=0 n=0
	while [ ! -e "$T_DIR/stop" ]; do
		v=$("$VMAP" -q user19999@d hash:"$B" 2>&1) || bad=$((bad + 1))
		[ "$v" = "maildir/19999/" ] || bad=$((bad + 1))
		n=$((n + 1))
	done
	echo "$n $bad" >"$T_DIR/readers"
) &
i=0
while [ $i -lt 5 ]; do "$VMAP" hash:"$B" || fail "rebuild $i"; i=$((i + 1)); done
touch "$T_DIR/stop"
wait
read -r n bad <"$T_DIR/readers"
assert_eq "concurrent readers: no failed lookup ($n lookups)" 0 "$bad"

# A failed build leaves the old table alone.
ino1=$(stat -c %i "$M.db")
mv "$M" "$M.away"
run_vmap hash:"$M"
assert_eq "missing source: exit" 75 "$RC"
assert_match "missing source: names the file" "$M: No such file" "$ERR"
assert_eq "missing source: old table kept" "$ino1" "$(stat -c %i "$M.db")"
mv "$M.away" "$M"
if is_root && command -v setpriv >/dev/null; then
	chmod 0755 "$T_DIR"
	chmod 0644 "$M"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$VMAP" hash:"$M" >"$T_DIR/.out" 2>"$T_DIR/.err"
	assert_eq "unwritable directory: exit" 75 "$?"
	assert_match "unwritable directory: names the file" \
		"create temporary file $M.db.vmap" "$(cat "$T_DIR/.err")"
	assert_eq "unwritable directory: old table kept" "$ino1" \
		"$(stat -c %i "$M.db")"
else
	skip "unwritable directory (needs root and setpriv)"
fi

# --- permissions: postmap's, from the source ---------------------------------
for mode in 600 640 644 666; do
	chmod "$mode" "$M"
	"$VMAP" hash:"$M"
	want=$(case $mode in 600) echo 600 ;; 640) echo 640 ;; *) echo 644 ;; esac)
	assert_eq "source mode $mode: .db mode" "$want" "$(file_mode "$M.db")"
done
if is_root; then
	chown 1234:2345 "$M"
	"$VMAP" hash:"$M"
	assert_eq "root build: .db owned like the source" "1234:2345" \
		"$(file_owner "$M.db")"
	chown 0:0 "$M"
fi

# --- the source changed after the build --------------------------------------
"$VMAP" hash:"$M"
touch -d '-1000 seconds' "$M.db"
touch -d '-500 seconds' "$M"
run_vmap -q info@example.com hash:"$M"
assert_eq "stale table: still answers" "0 example.com/info2/" "$RC $OUT"
assert_match "stale table: warning" \
	"database $M.db is older than source file $M" "$ERR"

# --- exit codes -------------------------------------------------------------
run_vmap
assert_eq "no operand: exit" 64 "$RC"
assert_match "no operand: usage" "^usage: vmap" "$ERR"
run_vmap -x hash:"$M"
assert_eq "bad option: exit" 64 "$RC"
run_vmap -q a -s hash:"$M"
assert_eq "-q with -s: exit" 64 "$RC"
run_vmap -q a
assert_eq "-q without a table: exit" 64 "$RC"
run_vmap texthash:"$M"
assert_eq "building texthash: exit" 75 "$RC"
run_vmap -q a@d hash:"$T_DIR/none"
assert_eq "query, missing .db: exit" 75 "$RC"
assert_match "query, missing .db: names the file" \
	"open database $T_DIR/none.db: No such file" "$ERR"
run_vmap -q a@d nosuch:"$M"
assert_eq "unknown type: exit" 75 "$RC"
assert_match "unknown type: message" "unsupported dictionary type: nosuch" "$ERR"
run_vmap -c /dev/null -q info@example.com hash:"$M"
assert_eq "-c accepted" 0 "$RC"

# --- Berkeley DB is loaded when needed ---------------------------------------
# libdb-5.3.so is loaded with dlopen() by the first hash:/btree: map.  A file
# of that name that is not a library, put first with LD_LIBRARY_PATH: the
# query and the build fail with exit 75 and say why; other maps never load it.
mkdir -p "$T_DIR/badlib"
echo 'not a shared object' >"$T_DIR/badlib/libdb-5.3.so"
export LD_LIBRARY_PATH="$T_DIR/badlib"
run_vmap -q info@example.com hash:"$M"
assert_eq "unloadable libdb: query exit" 75 "$RC"
assert_match "unloadable libdb: message" \
	"cannot load the Berkeley DB library \(libdb-5\.3\.so\)" "$ERR"
run_vmap hash:"$M"
assert_eq "unloadable libdb: build exit" 75 "$RC"
assert_match "unloadable libdb: build message" "Berkeley DB library" "$ERR"
run_vmap -q info@example.com texthash:"$M"
assert_eq "unloadable libdb: texthash still answers" 0 "$RC"
unset LD_LIBRARY_PATH
run_vmap -q info@example.com hash:"$M"
assert_eq "libdb back: query answers" 0 "$RC"

t_end
