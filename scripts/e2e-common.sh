# Shared by the end-to-end checks (api-contract, crash, dashboard, deploy, isolation); source it, do not run it.
# Expects `repo` (the repository root) and `die` (prints and exits) to be defined.

# Loads the PG* variables of scripts/pg.sh's cluster unless they are set already.
e2e_use_database() {
    if [ -z "${PGPORT:-}" ] && [ -f "$repo/.pgdata/env" ]; then . "$repo/.pgdata/env"; fi
    [ -n "${PGPORT:-}" ] || die "no database: run scripts/pg.sh start first"
    export PGHOST="${PGHOST:-127.0.0.1}"
}

# Sets `bin` to the debug trackingproxy, building it when missing.
e2e_debug_binary() {
    bin="$repo/.build/debug/trackingproxy"
    [ -x "$bin" ] || (cd "$repo" && swift build --product trackingproxy >/dev/null)
}

# Prints COUNT (default 3) distinct free TCP ports on 127.0.0.1, all bound at once so that none
# repeats: e.g. the demo app's, the proxy's, the admin listener's (and the analytics service's).
e2e_free_ports() { # [COUNT]
    python3 -c 'import socket, sys
s=[socket.socket() for _ in range(int(sys.argv[1]))]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])' "${1:-3}"
}

# Starts the demo reports app on PORT (log in LOG), adds its pid to `pids`, waits until it answers.
e2e_start_demo_app() { # PORT LOG
    python3 "$repo/demo/reports_app.py" --port "$1" >"$2" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$1/health/" 2>/dev/null && return; sleep 0.1; done
    die "the demo app did not start (see $2)"
}

# Waits until http://127.0.0.1:PORT/healthz answers (10 s at most); dies naming WHAT and LOG if not.
e2e_wait_healthz() { # PORT WHAT LOG
    for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$1/healthz" 2>/dev/null && return; sleep 0.1; done
    die "$2 does not answer /healthz on port $1 (see $3)"
}

# Begins a check that runs processes on a database of its own: sets `out` (.build/NAME, emptied),
# `psql_bin`, `bin` (the debug trackingproxy) and `pids` (killed with SIGKILL on exit), and makes
# a fresh database DATABASE on the cluster.
e2e_begin_with_database() { # NAME DATABASE
    out="$repo/.build/$1"
    rm -rf "$out"
    mkdir -p "$out"
    e2e_use_database
    psql_bin="${TRACKINGPROXY_TEST_PGBIN:+$TRACKINGPROXY_TEST_PGBIN/}psql"
    e2e_debug_binary
    pids=()
    trap e2e_kill_all EXIT
    PGOPTIONS="-c client_min_messages=warning" "$psql_bin" -X -q -d postgres \
        -c "DROP DATABASE IF EXISTS $2 WITH (FORCE)" -c "CREATE DATABASE $2" >/dev/null
}

# Kills every process in `pids` with SIGKILL and reaps it.
e2e_kill_all() {
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}

# Kills PID with SIGKILL, reaps it and forgets it (so that a reused process id is never killed later).
e2e_kill() { # PID
    kill -9 "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    local kept=() pid
    for pid in "${pids[@]}"; do [ "$pid" = "$1" ] || kept+=("$pid"); done
    pids=("${kept[@]}")
}

# Prints the sidecar's `/status` ingest FIELD (the admin listener on `admin_port`).
e2e_status() { # FIELD
    curl -fsS "http://127.0.0.1:$admin_port/status" | python3 -c "import json,sys; print(json.load(sys.stdin)['ingest']['$1'])"
}

# Waits until the sidecar's queue and spool are empty, then until DATABASE holds ROWS rows in
# `activity` (up to 30 s and 60 s): an empty queue and spool can still mean a batch being committed.
e2e_wait_until_stored() { # DATABASE ROWS
    for _ in $(seq 1 300); do
        [ "$(e2e_status queue_depth)" = 0 ] && [ "$(e2e_status spool_records)" = 0 ] && break
        sleep 0.1
    done
    local rows=0
    for _ in $(seq 1 600); do
        rows=$("$psql_bin" -X -qtA -d "$1" -c "SELECT count(*) FROM activity")
        [ "$rows" -ge "$2" ] && return 0
        sleep 0.1
    done
    echo "gave up after 60 s waiting for $2 rows in $1.activity: $rows there" >&2
}
