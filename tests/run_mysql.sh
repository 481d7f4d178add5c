#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_mysql.sh - mysql: maps against private MariaDB servers (no mocks):
# lookups and every %-expansion through vmap -q, SQL injection attempts,
# multiple rows (vmap joins, vdeliver defers), expansion_limit, domain,
# wrong password, failover between two servers, a server that stops and
# comes back, and end-to-end deliveries with uid/gid from MySQL using the
# example .cf files of conf/.  Needs root (mariadbd runs as root here).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mysql_harness.sh"

mysql_usable || mysql_skip_suite mysql 1
t_begin mysql
mysql_trap

if ! mysql_start a; then
	fail "start private server a"
	t_end
	exit 1
fi
SA=$(mysql_sock a)
B=$T_DIR/base

mysql_sql a "
INSERT INTO domains (name) VALUES ('example.org'), ('catch.example');
INSERT INTO users (email, maildir, uid, gid, active) VALUES
 ('alice@example.org', 'alice/Maildir/', 5001, 5001, 1),
 ('bob@example.org', 'bob/mbox', 5002, 5012, 1),
 ('@catch.example', 'catchall/', 5003, 5003, 1),
 ('gone@example.org', 'gone/', 5001, 5001, 0),
 ('victim@example.org', 'victim/', 5001, 5001, 1),
 ('o''brien@example.org', 'obrien/', 5001, 5001, 1),
 ('back\\\\slash@example.org', 'backslash/', 5001, 5001, 1),
 ('dq\"x@example.org', 'dq/', 5001, 5001, 1),
 ('empty@example.org', '', 5001, 5001, 1);
CREATE TABLE multi (email VARCHAR(255), val VARCHAR(255));
INSERT INTO multi VALUES ('dup@example.org', 'dup/a/'),
 ('dup@example.org', 'dup/b/'), ('one@example.org', 'one/'),
 ('nul@example.org', NULL);
CREATE TABLE kv (k VARCHAR(255) PRIMARY KEY, v VARCHAR(255));
INSERT INTO kv VALUES ('alice', 'by-localpart'), ('example.org', 'by-domain'),
 ('org', 'by-label1'), ('example', 'by-label2'), ('%alice', 'by-percent'),
 ('alice@example.org', 'someone@value.example'), ('plain', 'novalue-at');
" || fail "load test data"

# mkcf FILE QUERY ["name = value"]... : a .cf for server a in $T_DIR;
# later lines win, so extra lines may replace hosts or password.
mkcf() {
	_f=$T_DIR/$1; shift
	{
		echo "hosts = unix:$SA"
		echo "user = $MYSQL_USER"
		echo "password = $MYSQL_PASSWORD"
		echo "dbname = vmail"
		echo "query = $1"
		shift
		for _l in "$@"; do echo "$_l"; done
	} >"$_f"
	chmod 0600 "$_f"
}

# q KEY CF : vmap -q; sets RC, OUT, ERR.
q() {
	"$VMAP" -q "$1" "mysql:$T_DIR/$2" >"$T_DIR/.out" 2>"$T_DIR/.err"
	RC=$?
	OUT=$(cat "$T_DIR/.out")
	ERR=$(cat "$T_DIR/.err")
}

# expect_q WHAT KEY CF RC [VALUE]
expect_q() {
	q "$2" "$3"
	if [ "$RC" = "$4" ] && [ "$OUT" = "${5:-}" ]; then
		pass "$1"
	else
		fail "$1: key [$2]: exit $RC output [$OUT], expected exit $4" \
		    "[${5:-}] (stderr: $ERR)"
	fi
}

USERS="SELECT maildir FROM users WHERE email = '%s' AND active = 1"
mkcf users.cf "$USERS"

echo "-- lookups (vmap -q)"
expect_q "full address; raw password with \$ and #" \
    alice@example.org users.cf 0 alice/Maildir/
expect_q "unknown address: not found" nobody@example.org users.cf 1
expect_q "@domain catch-all row" @catch.example users.cf 0 catchall/
expect_q "inactive row: not found" gone@example.org users.cf 1
expect_q "upper case key is folded by vmap" ALICE@Example.ORG users.cf 0 \
    alice/Maildir/

echo "-- % expansion in query"
mkcf u.cf "SELECT v FROM kv WHERE k = '%u'"
mkcf d.cf "SELECT v FROM kv WHERE k = '%d'"
mkcf l1.cf "SELECT v FROM kv WHERE k = '%1'"
mkcf l2.cf "SELECT v FROM kv WHERE k = '%2'"
mkcf pct.cf "SELECT v FROM kv WHERE k = CONCAT('%%', '%u')"
mkcf up.cf "SELECT v FROM kv WHERE k = '%U' AND '%D' = 'example.org'"
expect_q "%u is the localpart" alice@example.org u.cf 0 by-localpart
expect_q "%u of a key without @ is the whole key" alice u.cf 0 by-localpart
expect_q "%d is the domain" someone@example.org d.cf 0 by-domain
expect_q "%1 is the rightmost label" x@example.org l1.cf 0 by-label1
expect_q "%2 is the next label" x@example.org l2.cf 0 by-label2
expect_q "%% is a literal %" alice@example.org pct.cf 0 by-percent
expect_q "%U %D in a query are %u %d" alice@example.org up.cf 0 by-localpart
# A query that would fail if it were sent proves that none is sent.
mkcf badu.cf "SELECT v FROM no_such_table WHERE k = '%u'"
mkcf badd.cf "SELECT v FROM no_such_table WHERE k = '%d'"
mkcf bad3.cf "SELECT v FROM no_such_table WHERE k = '%3'"
expect_q "@domain key with %u: no query, not found" @example.org badu.cf 1
expect_q "key without @ with %d: no query, not found" alice badd.cf 1
expect_q "too few labels for %3: no query, not found" a@example.org \
    bad3.cf 1
q a@b.example.org bad3.cf
assert_eq "the same query is sent when the key has the parts" 75 "$RC"
assert_match "a failed query names server and error" \
    "unix:$SA.*no_such_table" "$ERR"
mkcf badfmt.cf "SELECT v FROM kv WHERE k = '%x'"
q alice@example.org badfmt.cf
assert_eq "unknown %x: error at open" 75 "$RC"
assert_match "unknown %x names the parameter" "query" "$ERR"

echo "-- result_format"
mkcf rf.cf "SELECT v FROM kv WHERE k = '%s'" \
    "result_format = %u|%d|%s|%S|%U|%D|%1|%%"
want="someone|value.example|someone@value.example"
want="$want|alice@example.org|alice|example.org|org|%"
expect_q "result_format %u %d %s %S %U %D %1 %%" alice@example.org rf.cf 0 \
    "$want"
mkcf rfd.cf "SELECT v FROM kv WHERE k = '%u'" "result_format = %d"
expect_q "%d of a value without @: value skipped, not found" plain@x.y \
    rfd.cf 1
mkcf rfm.cf "SELECT maildir FROM users WHERE email = '%s'" \
    "result_format = /srv/mail/%s"
expect_q "result_format prefix" alice@example.org rfm.cf 0 \
    /srv/mail/alice/Maildir/

echo "-- SQL injection: every attempt is a plain not-found"
for k in "' OR '1'='1" "x' OR '1'='1@example.org" \
    "victim@example.org' -- " "victim@example.org';--" \
    "x'; DROP TABLE users; --@example.org" "victim%@example.org" \
    "%@example.org" "_ictim@example.org" "victim@example.org\\" \
    "\\' OR 1=1 -- @example.org" "\" OR \"\"=\"@example.org" \
    "x' UNION SELECT maildir FROM users WHERE email<>'@example.org" \
    "$(printf 'victim@example.org\nx')" "$(printf 'a\tb\rc\032d@example.org')" \
    "$(printf 'victim@example.org\047 OR 1=1 \043')"; do
	expect_q "injection [$(printf %s "$k" | tr '\n\r\t\032' '????')]" \
	    "$k" users.cf 1
done
mkcf uu.cf "SELECT maildir FROM users WHERE email = CONCAT('%u', '@', '%d')"
expect_q "injection through %u" "x' OR '1'='1@example.org" uu.cf 1
expect_q "injection through %d" "victim@example.org' OR '1'='1" uu.cf 1
expect_q "quote in an address is escaped, not broken" \
    "o'brien@example.org" users.cf 0 obrien/
expect_q "backslash in an address is escaped" 'back\slash@example.org' \
    users.cf 0 backslash/
expect_q "double quote in an address is escaped" 'dq"x@example.org' \
    users.cf 0 dq/
assert_eq "the users table is intact" 10 \
    "$(mysql_sql a 'SELECT COUNT(*) FROM users')"

echo "-- several rows, NULL, empty, limits"
MULTI="SELECT val FROM multi WHERE email = '%s'"
mkcf multi.cf "$MULTI"
expect_q "two rows: vmap -q joins them as Postfix" dup@example.org \
    multi.cf 0 "dup/a/,dup/b/"
expect_q "NULL value: not found" nul@example.org multi.cf 1
mkcf lim1.cf "$MULTI" "expansion_limit = 1"
q dup@example.org lim1.cf
assert_eq "expansion_limit = 1 with two rows: error" 75 "$RC"
assert_match "expansion_limit error text" "expansion_limit" "$ERR"
expect_q "expansion_limit = 1 with one row" one@example.org lim1.cf 0 one/
mkcf lim2.cf "$MULTI" "expansion_limit = 2"
expect_q "expansion_limit = 2 with two rows" dup@example.org lim2.cf 0 \
    "dup/a/,dup/b/"
mkcf nul.cf "SELECT CONCAT('a', CHAR(0), 'b') FROM DUAL WHERE '%s' <> ''"
q x@example.org nul.cf
assert_eq "a value with a NUL byte is an error" 75 "$RC"
mkcf norows.cf "DO '%s'"
q x@example.org norows.cf
assert_eq "no result set: error (require_result_set)" 75 "$RC"
mkcf norows2.cf "DO '%s'" "require_result_set = no"
expect_q "no result set, require_result_set = no" x@example.org norows2.cf 1
mkcf two.cf "SELECT '%s'; SELECT 'b'"
q x@example.org two.cf
assert_eq "two statements in one query: refused" 75 "$RC"

echo "-- domain restriction"
mkcf dom.cf "SELECT v FROM no_such_table WHERE k = '%s'" \
    "domain = example.com, Example.NET"
expect_q "domain: other domain, no query" u@example.org dom.cf 1
expect_q "domain: @domain key, no query" @example.com dom.cf 1
expect_q "domain: key without @, no query" example.com dom.cf 1
q u@example.com dom.cf
assert_eq "domain: listed domain is queried" 75 "$RC"
q u@example.net dom.cf
assert_eq "domain: listed domain, any case" 75 "$RC"
mkcf dom2.cf "$USERS" "domain = example.org"
expect_q "domain: found in a listed domain" alice@example.org dom2.cf 0 \
    alice/Maildir/
printf 'example.org yes\n' >"$T_DIR/domains.map"
printf '# local domains\nexample.com\n  example.org, catch.example\n' \
    >"$T_DIR/domains.list"
mkcf dom3.cf "$USERS" "domain = texthash:$T_DIR/domains.map"
expect_q "domain = texthash:map: listed" alice@example.org dom3.cf 0 \
    alice/Maildir/
expect_q "domain = texthash:map: not listed" x@catch.example dom3.cf 1
mkcf dom4.cf "$USERS" "domain = $T_DIR/domains.list"
expect_q "domain = /file: listed" alice@example.org dom4.cf 0 \
    alice/Maildir/
expect_q "domain = /file: @domain key is never queried" @catch.example \
    dom4.cf 1

echo "-- connection failures"
mkcf badpw.cf "$USERS" "password = wrong"
q alice@example.org badpw.cf
assert_eq "wrong password: error" 75 "$RC"
assert_match "wrong password: access denied" "Access denied" "$ERR"
mkcf nodb.cf "$USERS" "dbname ="
q alice@example.org nodb.cf
assert_eq "no dbname: error" 75 "$RC"
assert_match "no dbname: names it" "dbname" "$ERR"
mkcf dead.cf "$USERS" "hosts = unix:$T_DIR/dead.sock"
q alice@example.org dead.cf
assert_eq "dead server: error" 75 "$RC"
assert_match "dead server: named" "unix:$T_DIR/dead.sock" "$ERR"

# elapsed CMD... : run, set RC, and SECS to the whole seconds it took.
elapsed() {
	_t0=$(date +%s)
	"$@"
	SECS=$(($(date +%s) - _t0))
}
mkcf slow.cf "SELECT SLEEP(20) FROM DUAL WHERE '%s' <> ''" \
    "query_timeout = 2s"
elapsed q x@example.org slow.cf
assert_eq "hung query: error" 75 "$RC"
[ "$SECS" -le 8 ] && pass "hung query: query_timeout (${SECS}s)" ||
    fail "hung query took ${SECS}s"
# Unroutable: either refused at once or cut by connect_timeout.
mkcf tcp.cf "$USERS" "hosts = inet:10.255.255.1:3306" "connect_timeout = 2s"
elapsed q x@example.org tcp.cf
assert_eq "unreachable TCP host: error" 75 "$RC"
[ "$SECS" -le 6 ] && pass "unreachable TCP host: connect_timeout (${SECS}s)" ||
    fail "unreachable TCP host took ${SECS}s"

echo "-- failover between two servers"
if mysql_start b; then
	SB=$(mysql_sock b)
	mysql_sql b "INSERT INTO users (email, maildir, uid, gid) VALUES
	    ('alice@example.org', 'from-b/', 5001, 5001)"
	mkcf fo.cf "$USERS" "hosts = unix:$T_DIR/dead.sock unix:$SB"
	expect_q "first host dead: the second answers" alice@example.org \
	    fo.cf 0 from-b/
	mkcf fo2.cf "$USERS" "hosts = unix:$SA, unix:$SB"
	expect_q "first host alive: it answers" alice@example.org fo2.cf 0 \
	    alice/Maildir/
	mkcf fo3.cf "$USERS" "hosts = /nonexistent/sock, unix:$SB"
	expect_q "bare /path is a socket" alice@example.org fo3.cf 0 from-b/
	mysql_halt b
	mkcf fo4.cf "$USERS" "hosts = unix:$SB unix:$T_DIR/dead.sock"
	q alice@example.org fo4.cf
	assert_eq "both dead: error" 75 "$RC"
	assert_match "both dead: both named" \
	    "unix:$SB: .*unix:$T_DIR/dead.sock: " "$ERR"
	mysql_stop b
else
	fail "start private server b"
fi

echo "-- vdeliver with the example .cf files of conf/"
for m in mailbox uid gid; do
	sed -e "s|^hosts = .*|hosts = unix:$SA|" \
	    -e "s|^password = .*|password = $MYSQL_PASSWORD|" \
	    "$TOP/conf/mysql-virtual-$m.cf" >"$T_DIR/$m.cf"
	chmod 0600 "$T_DIR/$m.cf"
done
mkdir -p "$B/alice" "$B/bob" "$B/catchall" "$B/dup"
chown 5001:5001 "$B/alice"
chown 5002:5012 "$B/bob"
chown 5003:5003 "$B/catchall"
chmod 0755 "$B" "$B/alice" "$B/bob" "$B/catchall"
vdconf() {
	{
		echo "virtual_mailbox_base = $B"
		echo "virtual_mailbox_maps = mysql:$T_DIR/${1:-mailbox}.cf"
		echo "virtual_uid_maps = mysql:$T_DIR/uid.cf"
		echo "virtual_gid_maps = mysql:$T_DIR/gid.cf"
		echo "recipient_delimiter = +"
		echo "maillog_file = $T_DIR/maillog"
	} >"$T_DIR/vd.conf"
}
vdconf
printf 'From: a@b\nSubject: t\n\nhello\n' >"$T_DIR/msg"
vd() { run_vd -c "$T_DIR/vd.conf" "$@" <"$T_DIR/msg"; }

vd -r alice@example.org
expect_status "maildir user" 0
f=$(ls "$B/alice/Maildir/new/" 2>/dev/null | head -n 1)
if [ -n "$f" ]; then
	assert_eq "maildir file owner from MySQL" 5001:5001 \
	    "$(file_owner "$B/alice/Maildir/new/$f")"
	assert_match "message delivered" "^hello$" \
	    "$(cat "$B/alice/Maildir/new/$f")"
else
	fail "maildir file missing"
fi
vd -r bob@example.org
expect_status "mbox user" 0
assert_eq "mbox owner uid/gid from MySQL" 5002:5012 \
    "$(file_owner "$B/bob/mbox" 2>/dev/null)"
vd -r alice+list@example.org
expect_status "extension stripped (recipient_delimiter)" 0
assert_eq "extension: same maildir" 2 "$(ls "$B/alice/Maildir/new" | wc -l)"
vd -r anyone@catch.example
expect_status "catch-all row" 0
assert_eq "catch-all maildir owner" 5003:5003 \
    "$(file_owner "$B/catchall/new" 2>/dev/null)"
vd -r nobody@example.org
expect_status "unknown user bounces" 67 5.1.1
vd -r "x' OR '1'='1@example.org"
expect_status "injection attempt: unknown user" 67 5.1.1
vd -r empty@example.org
expect_status "empty maildir value: defer" 75 4.3.5

echo "-- vdeliver: several rows defer"
vdconf multi
sed -e "s|^query = .*|query = $MULTI|" "$T_DIR/mailbox.cf" >"$T_DIR/multi.cf"
vd -r dup@example.org
expect_status "two rows: defer" 75 4.3.5
assert_match "two rows: said so" "rows" "$ERR1"
[ -z "$(ls -A "$B/dup")" ] && pass "two rows: nothing written" ||
    fail "two rows: something written in $B/dup"
run_vd -c "$T_DIR/vd.conf" -n -r dup@example.org </dev/null
assert_match "vdeliver -n: status=defer" "status=defer" "$OUT"
assert_match "vdeliver -n: dsn=4.3.5" "dsn=4\.3\.5" "$OUT"
vdconf

echo "-- vdeliver: wrong password and a server that stops"
cp "$T_DIR/uid.cf" "$T_DIR/uid.cf.good"
sed -e "s|^password = .*|password = wrong|" "$T_DIR/uid.cf.good" \
    >"$T_DIR/uid.cf"
vd -r alice@example.org
expect_status "wrong password in uid map: defer" 75 4.3.5
assert_match "wrong password: access denied" "Access denied" "$ERR"
cp "$T_DIR/uid.cf.good" "$T_DIR/uid.cf"
n0=$(ls "$B/alice/Maildir/new" | wc -l)
mysql_halt a
vd -r alice@example.org
expect_status "server stopped: defer, never bounce" 75 4.3.5
vd -r nobody@example.org
expect_status "server stopped, unknown user: still defer" 75 4.3.5
assert_eq "server stopped: nothing delivered" "$n0" \
    "$(ls "$B/alice/Maildir/new" | wc -l)"
if mysql_start a; then
	vd -r alice@example.org
	expect_status "server back: delivered" 0
	assert_eq "server back: one more message" $((n0 + 1)) \
	    "$(ls "$B/alice/Maildir/new" | wc -l)"
else
	fail "restart server a"
fi

echo "-- the client library cannot be loaded"
# libmariadb.so.3 is loaded with dlopen() when a mysql: map is opened.
# LD_LIBRARY_PATH puts another file of that name first: one that is not
# a library at all (dlopen fails), and a library that lacks the client
# functions (dlsym fails).  Either way mail defers, never bounces.
mkdir -p "$T_DIR/lib-broken" "$T_DIR/lib-stub"
echo 'not a shared object' >"$T_DIR/lib-broken/libmariadb.so.3"
echo 'int vdeliver_test_stub;' >"$T_DIR/stub.c"
${CC:-cc} -shared -fPIC -Wl,-soname,libmariadb.so.3 \
    -o "$T_DIR/lib-stub/libmariadb.so.3" "$T_DIR/stub.c" ||
    fail "build the stub library"
{
	echo "virtual_mailbox_base = $B"
	echo "virtual_mailbox_maps = static:alice/Maildir/"
	echo "virtual_uid_maps = static:5001"
	echo "virtual_gid_maps = static:5001"
	echo "maillog_file = $T_DIR/maillog"
} >"$T_DIR/vd-static.conf"
for l in broken stub; do
	n0=$(ls "$B/alice/Maildir/new" | wc -l)
	export LD_LIBRARY_PATH="$T_DIR/lib-$l"
	vd -r alice@example.org
	expect_status "$l client library: defer" 75 4.3.5
	assert_match "$l client library: said so" \
	    "cannot load the MySQL client library \(libmariadb\.so\.3\)" \
	    "$ERR1"
	assert_eq "$l client library: one stderr line" 1 \
	    "$(wc -l <"$T_DIR/.err" | tr -d ' ')"
	assert_eq "$l client library: nothing delivered" "$n0" \
	    "$(ls "$B/alice/Maildir/new" | wc -l)"
	"$VMAP" -q alice@example.org "mysql:$T_DIR/mailbox.cf" \
	    >/dev/null 2>"$T_DIR/vmap.err"
	assert_eq "$l client library: vmap -q exit 75" 75 "$?"
	run_vd -c "$T_DIR/vd-static.conf" -r alice@example.org <"$T_DIR/msg"
	expect_status "$l client library: static maps never load it" 0
	unset LD_LIBRARY_PATH
done

echo "-- unit checks against the live server"
if [ -x "$BUILD_DIR/check_mysql" ]; then
	if VDELIVER_TEST_MYSQL_SOCK=$SA \
	    VDELIVER_TEST_MYSQL_PASSWORD=$MYSQL_PASSWORD CK_FORK=yes \
	    "$BUILD_DIR/check_mysql" >"$T_DIR/check.out" 2>&1; then
		pass "check_mysql with a server (reconnect, idle_interval)"
	else
		fail "check_mysql with a server: $(cat "$T_DIR/check.out")"
	fi
else
	skip "check_mysql not built"
fi

t_end
