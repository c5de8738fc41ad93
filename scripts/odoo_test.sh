#!/usr/bin/env bash
# Run the addon's Odoo tests (at_install, post_install and browser tours) on a
# fresh database and print a pytest-like summary line; non-zero exit on failure.
# Env: TEST_TAGS (default /$AG_MODULE), AG_MODULE, AG_ADDONS_PATH, AG_TEST_DB,
#      AG_TEST_HTTP_PORT (8169), AG_TEST_TIMEOUT (seconds, 3600), AG_DB_HOST...
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

DB="${AG_TEST_DB:-access_governance_test}"
TEST_TAGS="${TEST_TAGS:-/$AG_MODULE}"
HTTP_PORT="${AG_TEST_HTTP_PORT:-8169}"
TIMEOUT="${AG_TEST_TIMEOUT:-3600}"

"$AG_ROOT/scripts/ensure_odoo.sh" --all
"$AG_ROOT/scripts/ensure_chromium.sh"
"$AG_ROOT/scripts/ensure_pdf_tools.sh"
ag_db_start

mkdir -p "$AG_LOCAL"
ag_log "dropping database $DB"
dropdb --if-exists "$DB"
# Each checkout keeps its own filestore: two test runs of one machine never
# collect each other's attachments.
rm -rf "$AG_LOCAL/data/filestore/$DB"

cmd=("$AG_PYTHON" -m odoo
  --addons-path="$AG_ADDONS_PATH"
  --data-dir="$AG_LOCAL/data"
  "${AG_DB_ARGS[@]}"
  -d "$DB" --db-filter="^${DB}\$"
  -i "$AG_MODULE"
  --test-enable --test-tags "$TEST_TAGS"
  --stop-after-init
  --http-interface=127.0.0.1 --http-port="$HTTP_PORT"
  --max-cron-threads=0
  --log-level=test)
ag_log "running: ${cmd[*]//--db_password=*/--db_password=***}"
cd "$AG_ROOT"
set +e
{
  timeout --kill-after=30 "$TIMEOUT" "${cmd[@]}"
  echo "AG_ODOO_EXIT_CODE=$?"
} 2>&1 | "$AG_PYTHON" "$AG_ROOT/scripts/summarize_tests.py" --log "$AG_LOCAL/test.log"
rc=${PIPESTATUS[1]}
set -e
ag_log "full log: $AG_LOCAL/test.log"
exit "$rc"
