# SPDX-License-Identifier: BSD-2-Clause
# postfix_harness.sh - a private Postfix instance for the black-box suites
# (sourced, POSIX sh; after lib.sh).
#
#   pf_usable || pf_skip_suite NAME N   root + postfix + perl present?
#   pf_create DIR               make an instance in DIR (config, queue,
#                               data, log) with an SMTP server on a free
#                               port of 127.0.0.1 ($PF_PORT)
#   pf_conf "name = value"...   set main.cf parameters (postconf -e)
#   pf_service "name/type = line"   add or replace a master.cf service
#   pf_start / pf_stop / pf_reload
#   PF_CLEAN=DIR                what the watcher removes (default: the
#                               instance directory)
#   pf_trap                     stop Postfix (and the private MariaDB
#                               servers of mysql_harness.sh) on exit
#   pf_send SENDER RCPT... < msg   SMTP on 127.0.0.1:$PF_PORT; sets PF_QID
#   pf_sendmail SENDER RCPT... < msg   local submission (sendmail -C);
#                               sets PF_QID
#   pf_wait_empty [SECS]        until the queue is empty (0) or timeout (1)
#   pf_wait_log PATTERN [SECS]  until maillog has a line matching the
#                               grep -E PATTERN (0) or timeout (1)
#   pf_queue                    postqueue -j (one JSON object per message)
#   pf_flush                    postqueue -f
#
# The instance is Postfix's own "postfix -c DIR" multi-instance style: a
# config directory DIR/etc (owned by root, main.cf written from scratch,
# master.cf copied from /etc/postfix and changed with postconf -M/-F), a
# queue directory DIR/spool, a data directory DIR/data (owned by the
# mail_owner), the log in DIR/maillog (maillog_file, through postlogd).
# It listens on 127.0.0.1 only; every service runs without chroot (a
# chroot would need copies of /etc files in the queue directory).  The
# system instance (/etc/postfix, /var/spool/postfix) is never touched.
# A watcher stops the instance and removes DIR (or $PF_CLEAN) if the test
# shell dies without running its traps (kill -9).  Processes are only ever
# signalled by pid: the master's pid comes from its pid file once
# "postfix status" has confirmed that the master holds its lock, and its
# children are remembered with their start times.

PF_DIR=""
PF_PORT=""
PF_MASTER=""
PF_WATCH=""
PF_QID=""
PF_WAIT=20		# default seconds for the pf_wait_* helpers
: "${TOP:=$(cd "$(dirname "$0")/.." && pwd)}"
PF_SMTPC=$TOP/tests/data/postfix/smtpc.pl

pf_usable() {
	[ "$(id -u)" = 0 ] || return 1
	for _c in postfix postconf postmap postqueue sendmail perl; do
		command -v "$_c" >/dev/null 2>&1 || return 1
	done
	getent passwd postfix >/dev/null 2>&1 || return 1
	getent group postdrop >/dev/null 2>&1 || return 1
	[ -e /etc/postfix/master.cf ] ||
	    [ -e /usr/share/postfix/master.cf.dist ] || return 1
}

# pf_skip_suite NAME N : the closing line for a suite that cannot run.
pf_skip_suite() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP $1: needs root (a private Postfix runs as root)"
	else
		echo "SKIP $1: postfix or perl not installed (make deps)"
	fi
	echo "$1: 0 passed, 0 failed, $2 skipped"
	exit 0
}

_pf_pc() { postconf -c "$PF_DIR/etc" "$@"; }

pf_create() {
	PF_DIR=$1
	mkdir -p "$PF_DIR/etc" "$PF_DIR/spool" "$PF_DIR/data" || return 1
	chown root:root "$PF_DIR" "$PF_DIR/etc" "$PF_DIR/spool"
	chmod 0755 "$PF_DIR" "$PF_DIR/etc" "$PF_DIR/spool"
	chown postfix "$PF_DIR/data"
	chmod 0700 "$PF_DIR/data"
	if [ -e /etc/postfix/master.cf ]; then
		cp /etc/postfix/master.cf "$PF_DIR/etc/master.cf"
	else
		cp /usr/share/postfix/master.cf.dist "$PF_DIR/etc/master.cf"
	fi
	: >"$PF_DIR/etc/main.cf"
	: >"$PF_DIR/maillog"
	PF_PORT=$(perl "$PF_SMTPC" port) || return 1
	_pf_pc -e \
	    "compatibility_level = 3.6" \
	    "queue_directory = $PF_DIR/spool" \
	    "data_directory = $PF_DIR/data" \
	    "mail_owner = postfix" \
	    "setgid_group = postdrop" \
	    "maillog_file = $PF_DIR/maillog" \
	    "maillog_file_prefixes = $PF_DIR" \
	    "inet_interfaces = 127.0.0.1" \
	    "inet_protocols = ipv4" \
	    "myhostname = vdtest.example" \
	    "mydestination =" \
	    "mynetworks = 127.0.0.0/8" \
	    "alias_maps =" \
	    "alias_database =" \
	    "local_transport = error:5.1.1 no local delivery in this test" \
	    "default_transport = error:5.7.1 no relaying in this test" \
	    "relay_transport = error:5.7.1 no relaying in this test" \
	    "smtpd_peername_lookup = no" \
	    "biff = no" \
	    "queue_run_delay = 1s" \
	    "minimal_backoff_time = 1s" \
	    "maximal_backoff_time = 2s" || return 1
	# Only the private SMTP server listens: the stock "smtp inet" line
	# (port 25) is commented out, the new one binds 127.0.0.1:$PF_PORT.
	_pf_pc -M# smtp/inet || return 1
	pf_service "127.0.0.1:$PF_PORT/inet = 127.0.0.1:$PF_PORT inet n - n - - smtpd" ||
	    return 1
	_pf_pc -F '*/*/chroot = n' || return 1
	# post-install via "postfix check": creates the queue directories
	# with their owners and modes, and checks the instance.
	postfix -c "$PF_DIR/etc" check >"$PF_DIR/check.log" 2>&1 || {
		echo "postfix_harness: postfix check failed:" >&2
		cat "$PF_DIR/check.log" "$PF_DIR/maillog" >&2
		return 1
	}
}

pf_conf() { _pf_pc -e "$@"; }
pf_service() { _pf_pc -Me "$@"; }

pf_start() {
	_pf_pc -n >"$PF_DIR/main.cf.effective" 2>&1
	if ! postfix -c "$PF_DIR/etc" start >"$PF_DIR/start.log" 2>&1; then
		echo "postfix_harness: postfix start failed:" >&2
		cat "$PF_DIR/start.log" >&2
		tail -n 20 "$PF_DIR/maillog" >&2
		return 1
	fi
	PF_MASTER=$(_pf_master "$PF_DIR")
	if [ -z "$PF_WATCH" ]; then
		_pf_watch $$ "$PF_DIR" "${PF_CLEAN:-$PF_DIR}" &
		PF_WATCH=$!
	fi
	[ -n "$PF_MASTER" ] || { echo "postfix_harness: no master" >&2
		return 1; }
	_n=0	# until smtpd's port answers
	while ! perl "$PF_SMTPC" probe "$PF_PORT" 2>/dev/null; do
		_n=$((_n + 1))
		[ $_n -lt 50 ] || { echo "postfix_harness: port $PF_PORT" \
		    "does not answer" >&2; return 1; }
		sleep 0.1
	done
}

# pf_reload : postfix reload, then wait until every process that ran
# before it has exited: the processes that follow read the new main.cf.
pf_reload() {
	_old=$(ps -o pid= --ppid "$(_pf_master "$PF_DIR")" 2>/dev/null)
	postfix -c "$PF_DIR/etc" reload >>"$PF_DIR/start.log" 2>&1 || return 1
	for _p in $_old; do
		_n=0
		while kill -0 "$_p" 2>/dev/null; do
			_n=$((_n + 1))
			[ $_n -lt $((PF_WAIT * 10)) ] || return 1
			sleep 0.1
		done
	done
}

# _pf_master DIR : the pid of the instance's running master, or nothing.
# "postfix status" asks the master's lock, so a stale master.pid (the file
# outlives the master) never names a process that is not ours.
_pf_master() {
	postfix -c "$1/etc" status >/dev/null 2>&1 || return 0
	sed -n '1s/ //gp' "$1/spool/pid/master.pid" 2>/dev/null
}

# _pf_started PID : the start time of process PID (field 22 of its stat
# file), to tell it from a later process that got the same pid.
_pf_started() {
	sed -n 's/.*) //p' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

# _pf_halt DIR : stop the instance; kill what is left of it.
_pf_halt() {
	_d=$1
	_m=$(_pf_master "$_d")
	[ -n "$_m" ] || return 0
	# The children of the master (pid:start), in case it dies first.
	_kids=""
	for _k in $(ps -o pid= --ppid "$_m" 2>/dev/null); do
		_kids="$_kids $_k:$(_pf_started "$_k")"
	done
	postfix -c "$_d/etc" stop >/dev/null 2>&1 || kill -TERM "$_m" 2>/dev/null
	_n=0
	while kill -0 "$_m" 2>/dev/null; do
		_n=$((_n + 1))
		[ $_n -lt 100 ] || { kill -KILL "$_m" 2>/dev/null; break; }
		sleep 0.1
	done
	for _k in $_kids; do
		[ "$(_pf_started "${_k%%:*}")" = "${_k#*:}" ] &&
		    kill -KILL "${_k%%:*}" 2>/dev/null
	done
	return 0
}

pf_stop() {
	[ -n "$PF_DIR" ] || return 0
	_pf_halt "$PF_DIR"
	PF_MASTER=""
	if [ -n "$PF_WATCH" ]; then
		kill "$PF_WATCH" 2>/dev/null
		wait "$PF_WATCH" 2>/dev/null
		PF_WATCH=""
	fi
}

# _pf_watch SHELL_PID DIR CLEAN : if the test shell dies without running
# its traps, stop the instance in DIR and remove CLEAN ($PF_CLEAN when
# set, e.g. the suite's $T_DIR, else DIR).
_pf_watch() {
	exec </dev/null >/dev/null 2>&1
	trap 'exit 0' TERM
	while kill -0 "$1" 2>/dev/null; do
		sleep 1
	done
	_pf_halt "$2"
	rm -rf "$3"
	exit 0
}

# Replace lib.sh's EXIT trap: stop Postfix, then the MariaDB servers of
# mysql_harness.sh when it is loaded, then remove $T_DIR.
pf_trap() {
	trap '_rc=$?; pf_stop
	    command -v mysql_stop_all >/dev/null && mysql_stop_all
	    command -v t_cleanup >/dev/null && t_cleanup; exit $_rc' EXIT
	trap 'exit 130' INT TERM HUP
	trap 'exit 141' PIPE
}

# pf_send SENDER RCPT... < message : SMTP submission; PF_QID = queue id.
pf_send() {
	PF_QID=$(perl "$PF_SMTPC" send "$PF_PORT" "$@")
}

# pf_sendmail SENDER RCPT... < message : local submission with Postfix's
# sendmail (postdrop, pickup); PF_QID = queue id, read from the log.
pf_sendmail() {
	_pf_sender=$1; shift
	_before=$(grep -c 'postfix/pickup\[' "$PF_DIR/maillog")
	sendmail -C "$PF_DIR/etc" -i -f "$_pf_sender" -- "$@" || return 1
	_n=0
	while :; do
		PF_QID=$(grep 'postfix/pickup\[' "$PF_DIR/maillog" |
		    sed -n "$((_before + 1))s/.*: \([0-9A-F]*\): uid=.*/\1/p")
		[ -z "$PF_QID" ] || return 0
		_n=$((_n + 1))
		[ $_n -lt $((PF_WAIT * 10)) ] || return 1
		sleep 0.1
	done
}

pf_queue() { postqueue -c "$PF_DIR/etc" -j; }
pf_flush() { postqueue -c "$PF_DIR/etc" -f; }

pf_wait_empty() {
	_n=0
	while [ -n "$(pf_queue 2>&1)" ]; do
		_n=$((_n + 1))
		[ $_n -lt $((${1:-$PF_WAIT} * 10)) ] || return 1
		sleep 0.1
	done
}

pf_wait_log() {
	_n=0
	while ! grep -Eq -- "$1" "$PF_DIR/maillog"; do
		_n=$((_n + 1))
		[ $_n -lt $((${2:-$PF_WAIT} * 10)) ] || return 1
		sleep 0.1
	done
}
