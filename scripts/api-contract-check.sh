#!/usr/bin/env bash
# The analytics API keeps its contract, docs/openapi.yaml:
#   1. the document is valid OpenAPI 3.1 (openapi-spec-validator);
#   2. schemathesis sends EXAMPLES generated requests per operation (default 200) to a live
#      `trackingproxy analytics serve`, once with an admin token and once with a user token, on a
#      database of its own (`api_contract`) holding rows of several users, types, times and
#      addresses; checks: no server error, every status code, content type, header and response
#      body as documented. Any failure fails the check.
#
#   scripts/api-contract-check.sh [EXAMPLES]
# Installs schemathesis and openapi-spec-validator with pip when missing (scripts/install-deps.sh test).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
examples="${1:-200}"
die() { echo "api-contract-check: $*" >&2; exit 1; }
. "$repo/scripts/e2e-common.sh"
command -v st >/dev/null && command -v openapi-spec-validator >/dev/null || "$repo/scripts/install-deps.sh" test
openapi-spec-validator "$repo/docs/openapi.yaml"

e2e_begin_with_database api-contract api_contract
url="host=$PGHOST port=$PGPORT user=${PGUSER:-postgres} dbname=api_contract"
"$bin" db migrate --database-url "$url" >"$out/migrate.log" 2>&1 || die "migration failed (see $out/migrate.log)"
# 400 rows over the last 20 days: three users and anonymous ones, four types, IPv4 and IPv6.
"$psql_bin" -X -q -d api_contract -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
INSERT INTO activity (id, occurred_at, user_id, activity_type, description, method, path, status, ip_address,
                      user_agent, metadata, ip_verified, rule_id)
SELECT gen_random_uuid(), now() - (n * interval '71 minutes'),
       (ARRAY['alice', 'bob', 'carol', NULL])[n % 4 + 1],
       (ARRAY['report_view', 'report_generate', 'report_download', 'login'])[n % 4 + 1],
       'Report ' || n, 'GET', '/api/v1/reports/' || n || '/', 200,
       (ARRAY['203.0.113.7', '2001:db8::1', '198.51.100.20'])[n % 3 + 1]::inet,
       'contract-check/1.0', jsonb_build_object('report_id', n), true, 'contract'
FROM generate_series(1, 400) AS n
WHERE now() - (n * interval '71 minutes') >= date_trunc('month', now());
-- Ten minutes of one sidecar's system metrics, so system-health's traffic and error_rate are numbers.
INSERT INTO system_metrics (minute, instance_id, requests_2xx, requests_5xx, upstream_errors, latency_p50_ms, latency_p95_ms,
                            latency_p99_ms, requests_excluded)
SELECT date_trunc('minute', now()) - n * interval '1 minute', 'contract-sidecar', 100, n % 3, n % 2, 5, 20, 50, n
FROM generate_series(0, 9) AS n;
SQL

read -r analytics_port < <(e2e_free_ports 1)
admin=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
alice=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
# No rate limit here: every generated request should reach the handlers (a 429 is documented,
# but would hide what the example tests).
cat >"$out/config.yaml" <<YAML
ingest: {database: {url: "$url"}}
analytics:
  listen: 127.0.0.1:$analytics_port
  rate_limit: {requests_per_second: 0, burst: 1}
  tokens:
    - {token: "$admin", role: admin}
    - {token: "$alice", role: user, user_id: alice}
YAML
"$bin" analytics serve --config "$out/config.yaml" >"$out/analytics.log" 2>&1 &
pids+=($!)
e2e_wait_healthz "$analytics_port" "the analytics service" "$out/analytics.log"
curl -fsS -o "$out/served.json" "http://127.0.0.1:$analytics_port/openapi.json" || die "/openapi.json is not served (see $out/analytics.log)"

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
for who in admin alice; do
    token=${!who}
    echo "api-contract-check: schemathesis, $examples examples per operation, as $who"
    st run "$repo/docs/openapi.yaml" --url "http://127.0.0.1:$analytics_port" -H "Authorization: Bearer $token" \
        --checks "$checks" --max-examples "$examples" --phases examples,coverage,fuzzing --seed 20261202 --no-color \
        --report junit --report-dir "$out/report-$who" >"$out/schemathesis-$who.log" 2>&1 ||
        { tail -60 "$out/schemathesis-$who.log" >&2; die "schemathesis found failures as $who (see $out/schemathesis-$who.log)"; }
    tail -5 "$out/schemathesis-$who.log"
done
echo "api-contract-check: ok"
