#!/usr/bin/env bash
# Start the database and run scripts/bench.py with the connection settings
# (as --db-host/--db-port/--db-user/--addons-path and PGHOST/PGPORT/PGUSER).
# Extra arguments (make bench ARGS="...") are passed to bench.py.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

if [ ! -f "$AG_ROOT/scripts/bench.py" ]; then
  echo "scripts/bench.py does not exist yet: nothing to benchmark." >&2
  exit 1
fi
"$AG_ROOT/scripts/ensure_odoo.sh"
ag_db_start
cd "$AG_ROOT"
args=(--db-host="$AG_DB_HOST" --db-port="$AG_DB_PORT" --db-user="$AG_DB_USER" --addons-path="$AG_ADDONS_PATH")
if [ -n "$AG_DB_PASSWORD" ]; then args+=(--db-password="$AG_DB_PASSWORD"); fi
# The engine benchmark keeps its database for the feature benchmarks
# (mover, grant cron, audits, review campaign), which reuse it read-only,
# and for the concurrency benchmark, which works on a copy.
"$AG_PYTHON" "$AG_ROOT/scripts/bench.py" "${args[@]}" --keep "$@"
db=access_governance_bench
for arg in "$@"; do case "$arg" in --db=*) db="${arg#--db=}" ;; esac; done
"$AG_PYTHON" "$AG_ROOT/scripts/bench_features.py" "${args[@]}" --db="$db"
# Parallel workers approving grants on a copy of that database.
"$AG_PYTHON" "$AG_ROOT/scripts/bench_concurrency.py" "${args[@]}" --db="$db"
