#!/usr/bin/env bash
# A local PostgreSQL server for tests/test_store.py (the PostgreSQL cases are skipped without one).
# Run as root (CI is); installs Debian's postgresql if missing, starts its cluster, creates a role
# and a database for the tests, and prints the two variables the tests read, so that
#   eval "$(bash scripts/pg_test_server.sh)"
# before pytest runs them. Prints nothing (and exits 0) when no server can be had.
set -uo pipefail
{
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  command -v pg_lsclusters >/dev/null 2>&1 || exit 0
  read -r ver name _ < <(pg_lsclusters -h | head -1)
  [[ -n "${ver:-}" ]] || exit 0
  pg_ctlcluster "$ver" "$name" start 2>/dev/null || true
  for _ in $(seq 20); do pg_isready -q -h 127.0.0.1 && break; sleep 0.5; done
  pg_isready -q -h 127.0.0.1 || exit 0
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='coprod'\"" | grep -q 1 \
    || su postgres -c "psql -qc \"CREATE ROLE coprod LOGIN PASSWORD 'coprod'\""
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='coprod_test'\"" | grep -q 1 \
    || su postgres -c "createdb -O coprod coprod_test"
} >&2
echo "export PGPASSWORD=coprod COPROD_TEST_POSTGRES=postgresql://coprod@127.0.0.1/coprod_test"
