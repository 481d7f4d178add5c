#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_config.sh - main.cf syntax and $expansion as the delivery agent sees
# it, -o overrides, and configuration errors: 4.3.5 / 75 with the file,
# the parameter and the line (SPEC section 4).
. "$(dirname "$0")/lib.sh"
t_begin config
need_root

B=$T_DIR/base
vd_init
vd_user user@example.com example.com/user/ 5001
vd_user mb@example.com example.com/mb 5001
printf 'Subject: x\n\nbody\n' >"$T_DIR/msg"
C=$T_DIR/main.cf

# --- a Postfix main.cf with unknown parameters, comments, continuation
# lines, last-wins and expansions
mkdir -p "$T_DIR/b#1" "$T_DIR/b#1/d\$x"
chown 5001:5001 "$T_DIR/b#1" "$T_DIR/b#1/d\$x"
cat >"$C" <<EOF
# a Postfix main.cf
myhostname = mail.example.com
smtpd_banner = \$myhostname ESMTP \$mail_name
virtual_mailbox_domains = example.com
   # an indented comment line
mydir = $T_DIR
virtual_mailbox_base = /nonexistent/first
virtual_mailbox_base = \${mydir}/b#1
virtual_mailbox_maps =
    texthash:\$(mydir)/vmailbox,
    texthash:\$mydir/nosuchmap_is_never_reached
virtual_uid_maps = \${undefined_param:texthash:$T_DIR/uids}
virtual_gid_maps = \${mydir?{texthash:$T_DIR/gids}:{static:1}}
maillog_file = $T_DIR/maillog
EOF
chmod 644 "$C"
run_vd -c "$C" -f s@x -r mb@example.com <"$T_DIR/msg"
expect_status "main.cf syntax" 0 2.0.0
assert_eq "main.cf: last definition, mid-line # literal, \${name}" yes \
    "$([ -f "$T_DIR/b#1/example.com/mb" ] && echo yes || echo no)"
# -o wins over the file and expands too; $$ is a literal $
run_vd -c "$C" -o 'virtual_mailbox_base=${mydir}/b#1/d$$x' -f s@x -r mb@example.com <"$T_DIR/msg"
expect_status "-o with \$\$" 0 2.0.0
assert_eq "-o: \$\$ gives \$" yes "$([ -f "$T_DIR/b#1/d\$x/example.com/mb" ] && echo yes || echo no)"
run_vd -c "$C" -o 'mydir=/nonexistent' -f s@x -r mb@example.com <"$T_DIR/msg"
expect_status "-o changes a parameter used by expansion" 75 4.3.5
run_vd -c "$C" -o "virtual_uid_maps=static:5001" -o "virtual_uid_maps=static:99" \
    -f s@x -r mb@example.com <"$T_DIR/msg"
expect_status "last -o wins" 75 4.3.5

# time units and sizes
for v in "deliver_lock_delay = 500ms" "deliver_lock_delay = 2s" \
    "stale_lock_time = 1m" "stale_lock_time = 1h" "stale_lock_time = 1d" \
    "stale_lock_time = 1w" "stale_lock_time = 30" "virtual_mailbox_limit = 0" \
    "virtual_mailbox_lock = flock" "virtual_mailbox_lock = dotlock, fcntl, flock" \
    "strict_mailbox_ownership = no" "vdeliver_loop_check = yes" \
    "vdeliver_trusted_users = root, 5001 5002" "syslog_facility = local0" \
    "recipient_delimiter = +-"; do
	vd_conf "$v"
	vd -f s@x -r mb@example.com <"$T_DIR/msg"
	expect_status "valid: $v" 0 2.0.0
done

# the base itself may be a symbolic link (the administrator's), and may
# be written with a trailing slash
ln -s "$B" "$T_DIR/baselink"
vd_conf "virtual_mailbox_base = $T_DIR/baselink/"
n=$(count_files "$B/example.com/user/new")
vd -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "base is a symlink, trailing slash" 0 2.0.0
assert_eq "base is a symlink: delivered" $((n + 1)) "$(count_files "$B/example.com/user/new")"
# a missing base defers
vd_conf "virtual_mailbox_base = $T_DIR/nobase"
vd -f s@x -r user@example.com <"$T_DIR/msg"
assert_eq "missing base: exit 75" 75 "$RC"
assert_match "missing base: a 4.x.x line" '^4\.[0-9]+\.[0-9]+ ' "$ERR1"

# --- configuration errors: 4.3.5, exit 75, file + parameter (+ line)
cfgerr() {	# cfgerr WHAT PARAM LINE [lines...]: LINE "" = no line number
	_w=$1 _p=$2 _ln=$3; shift 3
	tree_sig "$B" >"$T_DIR/sig.before"
	vd -f s@x -r mb@example.com <"$T_DIR/msg"
	expect_status "config: $_w" 75 4.3.5
	case "$ERR1" in
	*"$T_DIR/vd.conf"*) pass "config: $_w: names the file" ;;
	*) fail "config: $_w: [$ERR1] does not name $T_DIR/vd.conf" ;;
	esac
	case "$ERR1" in
	*"$_p"*) pass "config: $_w: names $_p" ;;
	*) fail "config: $_w: [$ERR1] does not name $_p" ;;
	esac
	if [ -n "$_ln" ]; then
		assert_match "config: $_w: names line $_ln" "(^|[^0-9])$_ln([^0-9]|\$)" \
		    "${ERR1#*$T_DIR/vd.conf}"
	fi
	tree_sig "$B" >"$T_DIR/sig.after"
	assert_files_equal "config: $_w: nothing written" "$T_DIR/sig.before" "$T_DIR/sig.after"
}
for p in virtual_mailbox_base virtual_mailbox_maps virtual_uid_maps virtual_gid_maps; do
	vd_conf
	sed -i "/^$p =/d" "$T_DIR/vd.conf"
	cfgerr "missing $p" $p ""
done
vd_conf
sed -i "s|^virtual_mailbox_maps = .*|virtual_mailbox_maps =|" "$T_DIR/vd.conf"
cfgerr "empty virtual_mailbox_maps" virtual_mailbox_maps ""
# the standard file has 5 lines: an added setting is on line 6
vd_conf "virtual_mailbox_base = relative/base"
cfgerr "relative base" virtual_mailbox_base 6
vd_conf "virtual_mailbox_maps = nosuchtype:$T_DIR/vmailbox"
cfgerr "unknown map type" virtual_mailbox_maps 6
vd_conf "virtual_uid_maps = texthash:$T_DIR/uids, bogus:x"
cfgerr "unknown map type in a list" virtual_uid_maps 6
vd_conf "virtual_gid_maps = nocolon"
cfgerr "map without type" virtual_gid_maps 6
for v in "virtual_minimum_uid = abc" \
    "virtual_mailbox_limit = 10x" "virtual_mailbox_limit = -5" \
    "deliver_lock_attempts = many" \
    "deliver_lock_delay = 5 parsecs" "deliver_lock_delay = 1y" \
    "stale_lock_time = soon" "strict_mailbox_ownership = maybe" \
    "enable_original_recipient = perhaps" "vdeliver_loop_check = 2" \
    "virtual_mailbox_lock = nfs"; do
	vd_conf "$v"
	cfgerr "unparsable: $v" "${v%% =*}" 6
done
vd_conf "virtual_mailbox_base = \${nope"
cfgerr "bad expansion syntax" virtual_mailbox_base 6
vd_conf "virtual_mailbox_base = \$loop_a" "loop_a = \$loop_b" "loop_b = \$loop_a"
cfgerr "recursive expansion" virtual_mailbox_base ""

# a garbage line
vd_conf "this line has no equals sign"
vd -f s@x -r mb@example.com <"$T_DIR/msg"
case "$RC" in
0|75) pass "a line without '=': exit $RC" ;;
*) fail "a line without '=': exit $RC ($ERR1)" ;;
esac

# -o errors
vd_conf
vd -o virtual_minimum_uid=abc -f s@x -r mb@example.com <"$T_DIR/msg"
expect_status "-o unparsable value" 75 4.3.5
assert_match "-o unparsable value: names the parameter" virtual_minimum_uid "$ERR1"
vd -o noequals -f s@x -r mb@example.com <"$T_DIR/msg"
case "$RC" in
64) expect_status "-o without =" 64 5.3.0 ;;
*) expect_status "-o without =" 75 4.3.5 ;;
esac

# missing or unreadable configuration file
run_vd -c "$T_DIR/nonexistent.cf" -f s@x -r mb@example.com <"$T_DIR/msg"
expect_status "missing config file" 75 4.3.5
assert_match "missing config file: named" "$(re_quote "$T_DIR/nonexistent.cf")" "$ERR1"
run_vd -c "$T_DIR" -f s@x -r mb@example.com <"$T_DIR/msg"
expect_status "config file is a directory" 75 4.3.5
cp "$T_DIR/vd.conf" "$T_DIR/secret.conf"; chmod 000 "$T_DIR/secret.conf"
run_vd_as 5001 -c "$T_DIR/secret.conf" -f s@x -r mb@example.com <"$T_DIR/msg"
expect_status "unreadable config file (non-root)" 75 4.3.5
# the compiled-in default path
if [ ! -e /etc/vdeliver/vdeliver.conf ]; then
	run_vd -f s@x -r mb@example.com <"$T_DIR/msg"
	expect_status "default config file missing" 75 4.3.5
	assert_match "default config file: named" /etc/vdeliver/vdeliver.conf "$ERR1"
else
	skip "/etc/vdeliver/vdeliver.conf exists; default-path test skipped"
fi

t_end
