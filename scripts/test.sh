#!/usr/bin/env bash
# Run the whole test suite on SQLite, then on PostgreSQL.
#   PostgreSQL: PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/kompetens_test),
#   a throwaway database created here.  Without CI=true a missing PostgreSQL is skipped
#   with a note; under CI it is started if needed and its absence fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_DB=${PG_DB:-kompetens_test}
PG_URL=${PG_URL:-postgresql+psycopg://postgres@$PG_HOST:$PG_PORT/$PG_DB}

echo "== tests on SQLite"
TEST_DATABASE_URL= $PY -m pytest -q "$@"

pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; }
if ! pg_up && [ "${CI:-}" = "true" ] && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if ! pg_up; then
    if [ "${CI:-}" = "true" ]; then
        echo "PostgreSQL at $PG_HOST:$PG_PORT cannot be reached: failing (CI runs the suite on both databases)" >&2
        exit 1
    fi
    echo "== PostgreSQL not reachable at $PG_HOST:$PG_PORT: skipped the PostgreSQL run"
    exit 0
fi
psql -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $PG_DB" \
    -c "CREATE DATABASE $PG_DB" >/dev/null
echo "== tests on PostgreSQL ($PG_DB)"
TEST_DATABASE_URL=$PG_URL $PY -m pytest -q "$@"
