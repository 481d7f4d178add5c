#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_log.sh - maillog_file: one line per recipient, Postfix-shaped
# (SPEC section 8).
. "$(dirname "$0")/lib.sh"
t_begin log
need_root

B=$T_DIR/base
vd_init
cat >"$T_DIR/vmailbox" <<EOF
user@example.com    example.com/user/
mb@example.com      example.com/mb
baduid@example.com  example.com/bad
EOF
cat >"$T_DIR/uids" <<EOF
baduid@example.com 99
@example.com 5001
EOF
echo "@example.com 5001" >"$T_DIR/gids"
printf 'Subject: x\n\nbody\n' >"$T_DIR/msg"
LOG=$T_DIR/maillog
PFX='^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [^ ]+ vdeliver\[[0-9]+\]: '
# lines of the log that are not warnings
loglines() { grep -v ': warning: ' "$LOG" 2>/dev/null; }

rm -f "$LOG"
vd -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "maildir" 0 2.0.0
assert_eq "log file created 0600" 600 "$(file_mode "$LOG" 2>/dev/null)"
assert_eq "log file owned by the caller (opened before the uid switch)" 0:0 \
    "$(file_owner "$LOG" 2>/dev/null)"
assert_eq "maildir: one line" 1 "$(loglines | wc -l | tr -d ' ')"
assert_match "maildir: line" \
    "${PFX}to=<user@example\.com>, relay=vdeliver, delay=[0-9.]+, dsn=2\.0\.0, status=sent \(delivered to maildir\)\$" \
    "$(loglines)"

: >"$LOG"
vd -f s@x -r MB@Example.com <"$T_DIR/msg"
expect_status "mbox" 0 2.0.0
assert_match "mbox: line, recipient case kept" \
    "${PFX}to=<MB@Example\.com>, relay=vdeliver, delay=[0-9.]+, dsn=2\.0\.0, status=sent \(delivered to mailbox\)\$" \
    "$(loglines)"

: >"$LOG"
vd -f s@x -a alias@example.com -r mb@example.com <"$T_DIR/msg"
expect_status "orig_to" 0 2.0.0
assert_match "orig_to: present when it differs" \
    "${PFX}to=<mb@example\.com>, orig_to=<alias@example\.com>, relay=vdeliver, delay=[0-9.]+, dsn=2\.0\.0, status=sent " \
    "$(loglines)"
: >"$LOG"
vd -f s@x -a mb@example.com -r mb@example.com <"$T_DIR/msg"
expect_status "orig_to same" 0 2.0.0
assert_match "orig_to: absent when equal" "${PFX}to=<mb@example\.com>, relay=vdeliver, " \
    "$(loglines)"

: >"$LOG"
vd -f s@x -r baduid@example.com <"$T_DIR/msg"
expect_status "deferred" 75 4.3.5
assert_match "deferred: line" \
    "${PFX}to=<baduid@example\.com>, relay=vdeliver, delay=[0-9.]+, dsn=4\.3\.5, status=deferred \(.+\)\$" \
    "$(loglines)"

: >"$LOG"
vd -f s@x -r nobody@example.com <"$T_DIR/msg"
expect_status "bounced" 67 5.1.1
assert_match "bounced: line" \
    "${PFX}to=<nobody@example\.com>, relay=vdeliver, delay=[0-9.]+, dsn=5\.1\.1, status=bounced \(.+\)\$" \
    "$(loglines)"

: >"$LOG"
vd -f s@x -r user@example.com -r nobody@example.com -r baduid@example.com <"$T_DIR/msg"
expect_status "three recipients" 75 4.3.5
assert_eq "three recipients: three lines" 3 "$(loglines | wc -l | tr -d ' ')"
assert_match "three recipients: sent" "to=<user@example\.com>, .*status=sent" "$(loglines)"
assert_match "three recipients: bounced" "to=<nobody@example\.com>, .*status=bounced" "$(loglines)"
assert_match "three recipients: deferred" "to=<baduid@example\.com>, .*status=deferred" "$(loglines)"

: >"$LOG"
vd -o syslog_name=postfix/vdeliver -f s@x -r user@example.com <"$T_DIR/msg"
expect_status "syslog_name" 0 2.0.0
assert_match "syslog_name: used as the ident" ' postfix/vdeliver\[[0-9]+\]: to=<user@example\.com>' \
    "$(loglines)"

# the log line text after the DSN agrees with stderr on failure
: >"$LOG"
vd -f s@x -r nobody@example.com <"$T_DIR/msg"
reason=${ERR1#5.1.1 }
case "$(loglines)" in
*"status=bounced ($reason)") pass "bounce reason in the log equals stderr's" ;;
*) fail "bounce reason: log [$(loglines)] vs stderr [$ERR1]" ;;
esac

# an unwritable maillog_file location is a configuration problem, not a crash
vd -o maillog_file=/nonexistent/dir/log -f s@x -r user@example.com <"$T_DIR/msg"
case "$RC" in
0|75) pass "maillog_file in a missing directory: exit $RC" ;;
*) fail "maillog_file in a missing directory: exit $RC ($ERR1)" ;;
esac

t_end
