# SPDX-License-Identifier: BSD-2-Clause
# mysql_harness.sh - private MariaDB servers for the black-box suites
# (sourced, POSIX sh; after lib.sh when used with it).
#
#   mysql_usable || mysql_skip_suite NAME N   root + mariadb-server present?
#   mysql_trap                  stop every server on exit, even on failure
#   mysql_start NAME            start (first time: create) instance NAME
#   mysql_sock NAME             its UNIX socket path
#   mysql_sql NAME SQL          run SQL as the server's root on db vmail
#   mysql_halt NAME             stop the server, keep its data (restartable)
#   mysql_stop NAME             stop the server and remove its data
#   mysql_stop_all
#
# Each instance lives in its own /tmp/vdmysql.NAME.XXXXXX directory
# (datadir, socket, pid, log), listens on its UNIX socket only
# (--skip-networking) and reads no option file (--no-defaults), so it
# never touches a system server.  Grant tables are on: the suite can test
# refused logins.  Every instance gets database vmail with the schema of
# conf/mysql-schema.sql and a SELECT-only user
# $MYSQL_USER@localhost identified by $MYSQL_PASSWORD.  A watcher stops
# the server if the shell that started it dies without running its traps.

MYSQL_USER=vdeliver
# A '$' and a '#' prove that .cf values are used raw (no expansion).
MYSQL_PASSWORD='s3cr$t#pw'
MYSQL_INSTANCES=""
MYSQL_WAIT=30		# seconds a server may take to answer
: "${TOP:=$(cd "$(dirname "$0")/.." && pwd)}"

mysql_usable() {
	[ "$(id -u)" = 0 ] || return 1
	command -v mariadbd >/dev/null 2>&1 ||
	    [ -x /usr/sbin/mariadbd ] || return 1
	command -v mariadb-install-db >/dev/null 2>&1 || return 1
	command -v mariadb >/dev/null 2>&1 || return 1
}

# mysql_skip_suite NAME N: the closing line for a suite that cannot run.
mysql_skip_suite() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP $1: needs root (a private mariadbd runs as root)"
	else
		echo "SKIP $1: mariadb-server / mariadb-client not installed" \
		    "(make deps)"
	fi
	echo "$1: 0 passed, 0 failed, $2 skipped"
	exit 0
}

_mysql_var() {	# _mysql_var NAME -> shell variable holding its directory
	case $1 in
	*[!A-Za-z0-9_]* | '') echo "mysql_harness: bad name [$1]" >&2
		return 1 ;;
	esac
	echo "_mysql_dir_$1"
}

mysql_dir() {
	_v=$(_mysql_var "$1") || return 1
	eval "echo \"\${$_v:-}\""
}

mysql_sock() { echo "$(mysql_dir "$1")/sock"; }

_mysqld() {
	if command -v mariadbd >/dev/null 2>&1; then echo mariadbd
	else echo /usr/sbin/mariadbd; fi
}

# Options shared by install and server: small InnoDB files, so a fresh
# instance costs ~80 MB and a second or so.
_mysql_opts() {
	echo "--datadir=$1/data --innodb-log-file-size=4M" \
	    "--innodb-buffer-pool-size=8M" \
	    "--innodb-data-file-path=ibdata1:2M:autoextend"
}

_mysql_client() {	# _mysql_client DIR [args] : root over the socket
	_d=$1; shift
	mariadb --no-defaults --socket="$_d/sock" -uroot "$@"
}

_mysql_wait() {		# until the socket answers, the server dies, or timeout
	_d=$1 _pid=$2 _n=0
	while [ $_n -lt $((MYSQL_WAIT * 10)) ]; do
		_mysql_client "$_d" -e 'SELECT 1' >/dev/null 2>&1 && return 0
		kill -0 "$_pid" 2>/dev/null || break
		sleep 0.1
		_n=$((_n + 1))
	done
	echo "mysql_harness: server in $_d did not come up:" >&2
	tail -n 15 "$_d/error.log" >&2
	return 1
}

_mysql_schema() {
	_d=$1
	{
		cat "$TOP/conf/mysql-schema.sql"
		echo "CREATE USER '$MYSQL_USER'@'localhost'" \
		    "IDENTIFIED BY '$MYSQL_PASSWORD';"
		echo "GRANT SELECT ON vmail.* TO '$MYSQL_USER'@'localhost';"
		echo "FLUSH PRIVILEGES;"
	} | _mysql_client "$_d"
}

mysql_start() {
	_name=$1
	_v=$(_mysql_var "$_name") || return 1
	_d=$(mysql_dir "$_name")
	_new=0
	if [ -z "$_d" ]; then
		_d=$(mktemp -d "/tmp/vdmysql.$_name.XXXXXX") || return 1
		chmod 0755 "$_d"
		eval "$_v=\$_d"
		MYSQL_INSTANCES="$MYSQL_INSTANCES $_name"
		# shellcheck disable=SC2046
		mariadb-install-db --no-defaults $(_mysql_opts "$_d") \
		    --user=root --auth-root-authentication-method=normal \
		    --skip-test-db --skip-name-resolve \
		    >"$_d/install.log" 2>&1 || {
			echo "mysql_harness: mariadb-install-db failed:" >&2
			tail -n 15 "$_d/install.log" >&2
			return 1
		}
		_new=1
	fi
	# shellcheck disable=SC2046
	"$(_mysqld)" --no-defaults $(_mysql_opts "$_d") --user=root \
	    --socket="$_d/sock" --pid-file="$_d/pid" --skip-networking \
	    --skip-log-bin --log-error="$_d/error.log" \
	    </dev/null >/dev/null 2>&1 &
	_pid=$!
	echo "$_pid" >"$_d/server.pid"
	_mysql_watch "$_pid" $$ "$_d" &
	_mysql_wait "$_d" "$_pid" || return 1
	[ $_new = 0 ] || _mysql_schema "$_d"
}

# _mysql_watch SERVER_PID SHELL_PID DIR: if the test shell dies without
# running its traps (kill -9), kill the server and remove its directory.
_mysql_watch() {
	exec </dev/null >/dev/null 2>&1
	while kill -0 "$1" 2>/dev/null; do
		if ! kill -0 "$2" 2>/dev/null; then
			kill -KILL "$1"
			while kill -0 "$1" 2>/dev/null; do sleep 0.1; done
			rm -rf "$3"
			exit 0
		fi
		sleep 1
	done
}

mysql_sql() {
	_d=$(mysql_dir "$1")
	shift
	_mysql_client "$_d" -N -B vmail -e "$*"
}

mysql_halt() {
	_d=$(mysql_dir "$1")
	[ -n "$_d" ] && [ -f "$_d/server.pid" ] || return 0
	_pid=$(cat "$_d/server.pid")
	rm -f "$_d/server.pid"
	kill -TERM "$_pid" 2>/dev/null || return 0
	_n=0
	while kill -0 "$_pid" 2>/dev/null; do
		_n=$((_n + 1))
		[ $_n -lt 150 ] || { kill -KILL "$_pid" 2>/dev/null; break; }
		sleep 0.1
	done
	rm -f "$_d/sock"
}

mysql_stop() {
	_d=$(mysql_dir "$1")
	[ -n "$_d" ] || return 0
	mysql_halt "$1"
	rm -rf "$_d"
	_v=$(_mysql_var "$1") && eval "$_v="
}

mysql_stop_all() {
	for _i in $MYSQL_INSTANCES; do
		mysql_stop "$_i"
	done
	MYSQL_INSTANCES=""
}

# Replace lib.sh's EXIT trap with one that also stops the servers; a
# signal exits through it too.
mysql_trap() {
	trap '_rc=$?; mysql_stop_all; command -v t_cleanup >/dev/null &&
	    t_cleanup; exit $_rc' EXIT
	trap 'exit 130' INT TERM HUP
}
