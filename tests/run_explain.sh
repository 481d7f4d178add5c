#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_explain.sh - vdeliver -n: one key=value per line in a fixed order, a
# blank line between recipients, nothing written, the exit status that
# resolution gives (SPEC section 2).
. "$(dirname "$0")/lib.sh"
t_begin explain
need_root

B=$T_DIR/base
vd_init
cat >"$T_DIR/vmailbox" <<EOF
user@example.com    example.com/user/
mb@example.com      example.com/mb
baduid@example.com  example.com/bad
@example.net        example.net/catchall/
EOF
cat >"$T_DIR/vm2" <<EOF
second@example.com  example.com/second
EOF
cat >"$T_DIR/uids" <<EOF
baduid@example.com 99
@example.com 5001
@example.net 5002
EOF
cat >"$T_DIR/gids" <<EOF
@example.com 5001
@example.net 5002
EOF
vd_conf "virtual_mailbox_maps = texthash:$T_DIR/vmailbox texthash:$T_DIR/vm2" \
    "recipient_delimiter = +"
printf 'Subject: x\n\nbody\n' >"$T_DIR/msg"
KEYS="recipient map key path format uid gid dsn status"

# field NAME [BLOCK] : value of NAME= in the BLOCK-th paragraph of $OUT
field() {
	printf '%s\n' "$OUT" | awk -v n="$1" -v b="${2:-1}" '
		/^$/ { p++; next }
		p + 1 == b && index($0, n "=") == 1 { print substr($0, length(n) + 2); exit }'
}
# order_ok BLOCK : the key names of paragraph BLOCK, space-separated
keys_of() {
	printf '%s\n' "$OUT" | awk -v b="${1:-1}" '
		/^$/ { p++; next }
		p + 1 == b { sub(/=.*/, ""); printf "%s%s", sep, $0; sep = " " }'
}

tree_sig "$B" >"$T_DIR/sig.before"
: >"$T_DIR/maillog"

# --- maildir recipient
vd -n -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "-n maildir" 0 2.0.0
assert_eq "-n maildir: keys in order" "$KEYS" "$(keys_of 1)"
assert_eq "-n maildir: recipient" user@example.com "$(field recipient)"
assert_eq "-n maildir: map" "texthash:$T_DIR/vmailbox" "$(field map)"
assert_eq "-n maildir: key" user@example.com "$(field key)"
assert_match "-n maildir: path" "^$(re_quote "$B/example.com/user")/?\$" "$(field path)"
assert_eq "-n maildir: format" maildir "$(field format)"
assert_eq "-n maildir: uid" 5001 "$(field uid)"
assert_eq "-n maildir: gid" 5001 "$(field gid)"
assert_eq "-n maildir: dsn" 2.0.0 "$(field dsn)"
assert_eq "-n maildir: status" deliver "$(field status)"
assert_eq "-n maildir: 9 lines" 9 "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')"

# --- mbox recipient in the second map, upper case, extension
vd -n -f s@x -r Second+Ext@Example.COM <"$T_DIR/msg"
expect_status "-n mbox" 0 2.0.0
assert_eq "-n mbox: recipient as given" Second+Ext@Example.COM "$(field recipient)"
assert_eq "-n mbox: map that answered" "texthash:$T_DIR/vm2" "$(field map)"
assert_eq "-n mbox: key that matched" second@example.com "$(field key)"
assert_eq "-n mbox: path" "$B/example.com/second" "$(field path)"
assert_eq "-n mbox: format" mbox "$(field format)"

# --- catch-all with another uid
vd -n -f s@x -r x@example.net <"$T_DIR/msg"
expect_status "-n catch-all" 0 2.0.0
assert_eq "-n catch-all: key" @example.net "$(field key)"
assert_eq "-n catch-all: uid" 5002 "$(field uid)"
assert_eq "-n catch-all: gid" 5002 "$(field gid)"

# --- unknown user: same exit as a delivery
vd -n -f s@x -r nobody@example.com <"$T_DIR/msg"
expect_status "-n unknown user" 67 5.1.1
assert_eq "-n unknown user: keys in order" "$KEYS" "$(keys_of 1)"
assert_eq "-n unknown user: dsn" 5.1.1 "$(field dsn)"
assert_eq "-n unknown user: status" bounce "$(field status)"

# --- bad uid: defer
vd -n -f s@x -r baduid@example.com <"$T_DIR/msg"
expect_status "-n bad uid" 75 4.3.5
assert_eq "-n bad uid: keys in order" "$KEYS" "$(keys_of 1)"
assert_eq "-n bad uid: dsn" 4.3.5 "$(field dsn)"
assert_eq "-n bad uid: status" defer "$(field status)"

# --- bad path: defer
echo "dots@example.com ../x/" >>"$T_DIR/vmailbox"
vd -n -f s@x -r dots@example.com <"$T_DIR/msg"
expect_status "-n bad path" 75 4.3.5
assert_eq "-n bad path: status" defer "$(field status)"

# --- map error: defer
vd -n -o "virtual_mailbox_maps=hash:$T_DIR/missing" -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "-n map error" 75 4.3.5
assert_eq "-n map error: status" defer "$(field status)"

# --- several recipients: blank line between, overall status as delivery
vd -n -f s@x -r user@example.com -r nobody@example.com -r mb@example.com <"$T_DIR/msg"
expect_status "-n three recipients" 67 5.1.1
assert_eq "-n three: 29 lines" 29 "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')"
assert_eq "-n three: blank lines 10 and 20" "10 20" \
    "$(printf '%s\n' "$OUT" | awk '/^$/ { printf "%s%d", s, NR; s = " " }')"
for b in 1 2 3; do
	assert_eq "-n three: keys of block $b" "$KEYS" "$(keys_of $b)"
done
assert_eq "-n three: block 2 recipient" nobody@example.com "$(field recipient 2)"
assert_eq "-n three: block 3 status" deliver "$(field status 3)"
vd -n -f s@x -r nobody@example.com -r baduid@example.com <"$T_DIR/msg"
expect_status "-n bounce + defer" 75 4.3.5

# --- nothing was written anywhere below the base
tree_sig "$B" >"$T_DIR/sig.after"
assert_files_equal "-n: nothing written below the base" "$T_DIR/sig.before" "$T_DIR/sig.after"
assert_eq "-n: no maildir created" no "$([ -e "$B/example.com" ] && echo yes || echo no)"

t_end
