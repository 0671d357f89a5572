#!/usr/bin/env bash
# Renders /dashboard in headless Chromium and checks that the chart and the tables are there.
#
#   scripts/dashboard-check.sh [BASE_URL] [TOKEN]
#
# Without arguments it starts its own server (`analytics-cli serve`) on the database named by the
# PG* variables (or .pgdata/env), with a throwaway admin token, and stops it afterwards.
# Writes .build/dashboard-check/{dashboard.png,dashboard.html}. Installs chromium with apt if missing.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$repo/.build/dashboard-check"
mkdir -p "$out"
die() { echo "dashboard-check: $*" >&2; exit 1; }

chromium_bin="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$chromium_bin" ]; then
    command -v apt-get >/dev/null || die "chromium is missing and apt-get is not available"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "dashboard-check: installing chromium with apt-get" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
    chromium_bin="$(command -v chromium)" || die "chromium did not install"
fi

base="${1:-}"
token="${2:-}"
server_pid=""
cleanup() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT
if [ -z "$base" ]; then
    if [ -z "${PGPORT:-}" ] && [ -f "$repo/.pgdata/env" ]; then . "$repo/.pgdata/env"; fi
    [ -n "${PGPORT:-}" ] || die "no database: run scripts/pg.sh start, or pass BASE_URL TOKEN of a running server"
    (cd "$repo" && swift build --product analytics-cli >/dev/null)
    token="check-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
    "$repo/.build/debug/analytics-cli" serve --port 0 --admin-token "$token" >"$out/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        base="$(sed -n 's/^listening on //p' "$out/server.log" | head -n 1)"
        [ -n "$base" ] && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$out/server.log" >&2; die "the server did not start"; }
        sleep 0.1
    done
    [ -n "$base" ] || die "the server did not say where it listens"
fi
[ -n "$token" ] || die "give the admin TOKEN with BASE_URL"

# The token goes in the URL's user info: Chromium sends it as Basic credentials on the top-level page.
url="${base/:\/\//://analyst:$token@}/dashboard?from=30d"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions --virtual-time-budget=3000)
"$chromium_bin" "${flags[@]}" --dump-dom "$url" >"$out/dashboard.html" 2>"$out/chromium.log" || die "chromium --dump-dom failed (see $out/chromium.log)"
"$chromium_bin" "${flags[@]}" --window-size=1280,1400 --screenshot="$out/dashboard.png" "$url" >>"$out/chromium.log" 2>&1 || die "chromium --screenshot failed (see $out/chromium.log)"

failures=0
check() {
    if grep -q -- "$2" "$out/dashboard.html"; then echo "ok   $1"; else echo "FAIL $1 (no '$2' in the rendered DOM)"; failures=$((failures + 1)); fi
}
check "page title" "<title>Activity dashboard</title>"
check "chart" '<svg id="activity-chart"'
check "chart bars" '<rect class="bar"'
check "top types" 'id="top-types"'
check "top users" 'id="top-users"'
check "recent-activity table" '<table id="recent-activity">'
check "table rows" '<td class="desc">'
check "filter form" '<form method="get" action="/dashboard">'
if grep -qE '<script|<link |src="http' "$out/dashboard.html"; then echo "FAIL page loads external or scripted content"; failures=$((failures + 1)); else echo "ok   self-contained (no script, no external resources)"; fi
[ -s "$out/dashboard.png" ] && echo "ok   screenshot $out/dashboard.png ($(stat -c %s "$out/dashboard.png") bytes)" || { echo "FAIL no screenshot"; failures=$((failures + 1)); }
[ "$failures" -eq 0 ] || die "$failures check(s) failed"
echo "dashboard-check: all checks passed"
