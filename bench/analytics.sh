#!/usr/bin/env bash
# Analytics benchmark: 10 million synthetic activity rows over 90 days and 5,000 users, loaded with
# COPY; then times `activity list` for one user over 30 days and `activity summary --group-by day`
# over 30 days (target: under 200 ms each), and prints EXPLAIN (ANALYZE) of the same SQL as
# evidence of partition pruning and index use.
#
#   bench/analytics.sh [--rows N] [--users N] [--days N] [--reload] [--runs N]
#
# Uses the cluster named by the PG* variables (or .pgdata/env from scripts/pg.sh start) and a
# database `analytics_bench`, kept between runs: the load is skipped when it already holds the rows.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows=10000000 users=5000 days=90 runs=7 reload=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) rows="$2"; shift 2 ;;
        --users) users="$2"; shift 2 ;;
        --days) days="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --reload) reload=1; shift ;;
        *) echo "usage: bench/analytics.sh [--rows N] [--users N] [--days N] [--runs N] [--reload]" >&2; exit 64 ;;
    esac
done
if [ -z "${PGPORT:-}" ] && [ -f "$repo/.pgdata/env" ]; then . "$repo/.pgdata/env"; fi
[ -n "${PGPORT:-}" ] || { echo "analytics.sh: no database: run scripts/pg.sh start" >&2; exit 1; }
export PGDATABASE=analytics_bench
columns="id, occurred_at, user_id, activity_type, description, method, path, status, ip_address, user_agent, metadata, request_id, duration_ms, peer_address, forwarded_chain, ip_verified, rule_id"
ms() { echo $(( $(date +%s%N) / 1000000 )); }

"$repo/scripts/release-build.sh" trackingproxy >/dev/null 2>&1 || { echo "analytics.sh: the release build failed: run scripts/release-build.sh" >&2; exit 1; }
cli="$repo/.build-release/release/trackingproxy"
psql -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'analytics_bench'" | grep -q 1 || psql -d postgres -qc "CREATE DATABASE analytics_bench"
"$cli" db migrate >/dev/null 2>&1
psql -q -v days="$days" -f "$repo/bench/partitions.sql" >/dev/null 2>&1

existing="$(psql -Atc "SELECT count(*) FROM activity")"
if [ "$reload" -eq 1 ] || [ "$existing" -lt "$rows" ]; then
    echo "== loading $rows rows over $days days for $users users (COPY, in chunks of 1,000,000)"
    psql -qc "TRUNCATE activity"
    start="$(ms)"
    left="$rows"
    while [ "$left" -gt 0 ]; do
        chunk=$(( left < 1000000 ? left : 1000000 ))
        psql -q -v rows="$chunk" -v days="$days" -v users="$users" -f "$repo/bench/synthetic-rows.sql" \
            | psql -qc "COPY activity ($columns) FROM STDIN"
        left=$(( left - chunk ))
        echo "   loaded $(( rows - left )) rows, $(( ($(ms) - start) / 1000 )) s"
    done
    load_ms=$(( $(ms) - start ))
    echo "   load: $rows rows in $(( load_ms / 1000 )) s ($(( rows * 1000 / (load_ms + 1) )) rows/s)"
    start="$(ms)"
    psql -qc "VACUUM (ANALYZE) activity"
    echo "   vacuum analyze: $(( ($(ms) - start) / 1000 )) s"
else
    echo "== reusing $existing rows in analytics_bench (--reload to load again)"
fi
echo "== database size: $(psql -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))")"

user="user-$(( users / 2 ))"
median_ms() {  # median wall time of a command over $runs runs (after one warm-up), in ms
    "$@" >/dev/null
    local times=()
    for _ in $(seq 1 "$runs"); do
        local start; start="$(ms)"
        "$@" >/dev/null
        times+=( $(( $(ms) - start )) )
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%d ms (min %d, max %d, %d runs)", a[int((NR + 1) / 2)], a[1], a[NR], NR }'
}
echo "== timings (whole command: process start, connect, query, output; release build)"
echo "   activity list --user $user --from 30d:               $(median_ms "$cli" activity list --user "$user" --from 30d --format json)"
echo "   activity summary --group-by day --from 30d:          $(median_ms "$cli" activity summary --group-by day --from 30d --format csv)"
echo "   activity summary --group-by type --from 30d:         $(median_ms "$cli" activity summary --group-by type --from 30d --format csv)"
echo "   activity list (all users) --from 30d:                $(median_ms "$cli" activity list --from 30d --format json)"

# The plans of the very queries the commands ran: auto_explain, loaded into the commands' sessions
# through PGOPTIONS, writes EXPLAIN (ANALYZE, BUFFERS) of each statement to the server log.
log="${TRACKINGPROXY_TEST_PGDATA:+$(dirname "$TRACKINGPROXY_TEST_PGDATA")/postgres.log}"
explain() {
    local title="$1"; shift
    echo "-- $title"
    if [ -z "$log" ] || [ ! -r "$log" ]; then echo "   (no server log to read: run against scripts/pg.sh's cluster)"; return; fi
    local before; before="$(wc -c <"$log")"
    PGOPTIONS="-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 -c auto_explain.log_analyze=on -c auto_explain.log_buffers=on" \
        "$@" >/dev/null
    sleep 0.2
    tail -c +"$((before + 1))" "$log" | grep -v -E "pg_advisory|to_regclass|BEGIN|COMMIT" | sed -n '/plan:/,$p' | sed 's/^/   /'
}
echo "== query plans (auto_explain of the statements the commands ran)"
explain "activity list --user $user --from 30d" "$cli" activity list --user "$user" --from 30d --format json
explain "activity summary --group-by day --from 30d" "$cli" activity summary --group-by day --from 30d --format csv
