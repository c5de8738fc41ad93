#!/usr/bin/env bash
# Fast loop: run the addon's tests with pytest-odoo on an installed database,
# without reinstalling. `make pytest ARGS="-k grant"` runs selected tests in
# seconds. The database is created (addon installed, no tests) the first time
# and updated (-u) only when the addon's code or data changed since.
# `make test` (Odoo's --test-enable run, at_install and post_install) stays the
# reference that CI trusts.
# Env: AG_PYTEST_DB (access_governance_pytest), AG_TEST_HTTP_PORT (8169),
#      AG_MODULE, AG_ADDONS_PATH, AG_DB_HOST...; ARGS go to pytest.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

DB="${AG_PYTEST_DB:-access_governance_pytest}"
HTTP_PORT="${AG_TEST_HTTP_PORT:-8169}"
CONF="$AG_LOCAL/pytest-odoo.conf"
STAMP="$AG_LOCAL/pytest-db.stamp"

"$AG_ROOT/scripts/ensure_odoo.sh" --all
if ! (cd / && "$AG_PYTHON" -c "import pytest_odoo") >/dev/null 2>&1; then
  ag_log "installing pytest-odoo (test-requirements.txt)"
  "$AG_PYTHON" -m pip install -r "$AG_ROOT/test-requirements.txt" >&2
fi
ag_db_start
mkdir -p "$AG_LOCAL"

# pytest-odoo reads Odoo's options from a configuration file.
{
  echo "[options]"
  echo "addons_path = $AG_ADDONS_PATH"
  echo "db_host = $AG_DB_HOST"
  echo "db_port = $AG_DB_PORT"
  echo "db_user = $AG_DB_USER"
  if [ -n "${AG_DB_PASSWORD:-}" ]; then echo "db_password = $AG_DB_PASSWORD"; fi
  echo "data_dir = $AG_LOCAL/pytest-data"
  echo "http_interface = 127.0.0.1"
  echo "http_port = $HTTP_PORT"
  echo "max_cron_threads = 0"
} >"$CONF"

# The addon's code and data (tests aside): a change means an update.
stamp="$(cd "$AG_ROOT" && find "$AG_MODULE" -type f ! -path '*/tests/*' ! -name '*.pyc' -print0 |
  sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
action=""
if ! ag_db_exists "$DB"; then
  action="-i"
elif [ "$(cat "$STAMP" 2>/dev/null)" != "$DB:$stamp" ]; then
  action="-u"
fi
if [ -n "$action" ]; then
  ag_log "$([ "$action" = -i ] && echo installing || echo updating) $AG_MODULE on $DB (no tests)"
  (cd "$AG_ROOT" && "$AG_PYTHON" -m odoo -c "$CONF" -d "$DB" "$action" "$AG_MODULE" \
    --stop-after-init --no-http --log-level=warn) >&2
  echo "$DB:$stamp" >"$STAMP"
fi

cd "$AG_ROOT"
read -r -a extra <<<"${ARGS:-}"
exec "$AG_PYTHON" -m pytest -p no:cacheprovider \
  --odoo-config="$CONF" --odoo-database="$DB" --odoo-http \
  "$AG_MODULE/tests" "${extra[@]}"
