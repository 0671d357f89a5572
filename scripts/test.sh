#!/usr/bin/env bash
# Builds and runs every test target. Test support (a throwaway PostgreSQL cluster for the ingest
# tests) is started here and stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

# The docs first (seconds, no build): every relative link in README.md and docs/ resolves.
scripts/docs-check.sh

cleanup() { if [ -x scripts/pg.sh ]; then scripts/pg.sh stop >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT
if [ -x scripts/pg.sh ]; then
  scripts/pg.sh start
  scripts/pg.sh clean
  # shellcheck disable=SC1091
  source .pgdata/env
fi

swift build --build-tests
# ServerOutageTests stop and restart the shared PostgreSQL server (that is what they test), so
# they run alone, after everything else that uses the database.
swift test --skip-build --skip ServerOutageTests 2>&1 | tee .build/test.log
swift test --skip-build --filter ServerOutageTests 2>&1 | tee -a .build/test.log

# The deployment recipes (deploy/): systemd units verified, manifests checked against the
# configuration they mount, nginx in front, JSON logs from the real binary.
scripts/deploy-check.sh

# End to end: requests through the proxy become rows, and the dashboard in headless Chromium shows them.
scripts/dashboard-check.sh

# The analytics API against its OpenAPI document: validated, then schemathesis with an admin and
# a user token against a live service.
scripts/api-contract-check.sh

# End to end: the analytics service killed with kill -9 while requests go through a sidecar (every
# request answered, every row stored), then the sidecar killed while analysts read.
scripts/isolation-check.sh

# End to end: kill -9 while PostgreSQL is stuck loses nothing older than one spool sync interval.
scripts/crash-check.sh

# Every fuzz target (built with libFuzzer and AddressSanitizer) runs once over its seed corpus and
# every input that once crashed it: found bugs stay fixed.
scripts/fuzz.sh replay

# The release tarball (`make dist`: the one release build `make test` makes, ~5-8 minutes),
# unpacked and run as on a machine without Swift.
tarball=$(scripts/dist.sh)
scripts/dist-check.sh "$tarball"
