#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for `make run` and `make test`, inside the repository.
#
#   scripts/pg.sh start          initdb if needed, start on a free port, write .pgdata/env
#   scripts/pg.sh stop [--purge] stop the server; --purge also deletes .pgdata
#   scripts/pg.sh status         say whether it runs, and where
#   scripts/pg.sh clean          drop every database but postgres, the templates and the default
#                                one (`make test` does it first: the tests make a database each and
#                                leave it for inspection; hundreds of them made a crashed cluster's
#                                recovery fsync for over 18 minutes here)
#
# Tests read the cluster through the standard PG* variables: `. .pgdata/env` after `start`.
# The cluster listens on 127.0.0.1 only, with trust authentication: it is for local tests only.
# `initdb` refuses to run as root, so as root everything runs as the `postgres` user.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="$repo/.pgdata"
data="$base/cluster"
socket_dir="$base/socket"
log_file="$base/postgres.log"
env_file="$base/env"
database="trackingproxy"

die() { echo "pg.sh: $*" >&2; exit 1; }

find_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
    done
    return 1
}

install_postgres() {
    command -v apt-get >/dev/null || die "PostgreSQL is missing and apt-get is not available; install PostgreSQL's server binaries"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "pg.sh: installing postgresql with apt-get" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql libpq-dev zlib1g-dev pkg-config >/dev/null
}

# Runs a command as the cluster's owner: `postgres` when we are root, ourselves otherwise.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        if command -v runuser >/dev/null; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

# The postgres user must be able to reach the data directory through every parent folder.
grant_traverse() {
    [ "$(id -u)" -eq 0 ] || return 0
    id postgres >/dev/null 2>&1 || die "there is no postgres user; reinstall the postgresql package"
    local dir="$base"
    while [ "$dir" != "/" ]; do
        dir="$(dirname "$dir")"
        if ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then chmod o+x "$dir"; fi
    done
    chown postgres: "$base"
}

free_port() {
    python3 - <<'EOF' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

is_running() { [ -d "$data" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

current_port() { sed -n "s/^port = \([0-9]*\).*/\1/p" "$data/postgresql.auto.conf" 2>/dev/null | tail -n 1; }

write_env() {
    local port
    port="$(current_port)"
    cat >"$env_file" <<EOF
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=$database TRACKINGPROXY_TEST_PGDATA=$data TRACKINGPROXY_TEST_PGBIN=$bin
EOF
    chmod 644 "$env_file"
}

start() {
    bin="$(find_bin)" || { install_postgres; bin="$(find_bin)" || die "initdb not found under /usr/lib/postgresql/*/bin after installing postgresql"; }
    mkdir -p "$base"
    grant_traverse
    if [ ! -f "$data/PG_VERSION" ]; then
        as_owner mkdir -p "$data" "$socket_dir"
        as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    as_owner mkdir -p "$socket_dir"
    if is_running; then
        write_env
        echo "pg.sh: already running on 127.0.0.1:$(current_port)"
        return 0
    fi
    local port
    port="$(free_port)"
    # postgresql.auto.conf is read last: our settings win over postgresql.conf, and pg_ctl in the
    # tests can restart the server with no options.
    as_owner sh -c "cat > '$data/postgresql.auto.conf'" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$socket_dir'
fsync = on
max_connections = 200
EOF
    as_owner "$bin/pg_ctl" -D "$data" -l "$log_file" -w -t 60 start >/dev/null || { tail -n 20 "$log_file" >&2 || true; die "the server did not start; see $log_file"; }
    if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
        as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$database"
    fi
    write_env
    echo "pg.sh: running on 127.0.0.1:$port; run '. $env_file' to use it"
}

stop() {
    bin="$(find_bin)" || die "PostgreSQL is not installed"
    if is_running; then as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi
    if [ "${1:-}" = "--purge" ]; then rm -rf "$base"; echo "pg.sh: stopped and purged"; else echo "pg.sh: stopped"; fi
}

clean() {
    bin="$(find_bin)" || die "PostgreSQL is not installed"
    is_running || die "the server is not running: scripts/pg.sh start"
    local port name dropped=0
    port="$(current_port)"
    while read -r name; do
        [ -n "$name" ] || continue
        as_owner "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
            -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null
        dropped=$((dropped + 1))
    done < <(as_owner "$bin/psql" -X -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atqc \
        "SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1', '$database')")
    echo "pg.sh: dropped $dropped database(s) left by earlier runs"
}

status() {
    bin="$(find_bin)" || { echo "pg.sh: PostgreSQL is not installed"; exit 3; }
    if is_running; then echo "pg.sh: running on 127.0.0.1:$(current_port) (data $data)"; else echo "pg.sh: not running"; exit 3; fi
}

case "${1:-}" in
    start) start ;;
    stop) shift; stop "${1:-}" ;;
    status) status ;;
    clean) clean ;;
    *) echo "usage: scripts/pg.sh start | stop [--purge] | status | clean" >&2; exit 2 ;;
esac
