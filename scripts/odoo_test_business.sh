#!/usr/bin/env bash
# Run the tests tagged `access_governance_business` on a database with the
# business apps companies run (Sales, CRM, Accounting, Inventory, Purchase,
# Project, Time Off, Attendances); pytest-like summary, non-zero exit on
# failure.
#
# Speed: the heavy apps are installed once into a template database, keyed on
# the Odoo version and the app list, and reused by every later run (copied with
# its filestore in seconds). Each run then installs, in ONE Odoo run, this
# addon together with the apps of AG_BUSINESS_AFTER, which Odoo loads after it
# (same dependency depth, alphabetical order): the templates, shipped rules and
# group classification must follow modules installed after the addon.
# Env: AG_BUSINESS_APPS (template apps), AG_BUSINESS_AFTER (installed with the
#      addon), AG_BUSINESS_REBUILD=1 (rebuild the template), TEST_TAGS
#      (default access_governance_business/$AG_MODULE), AG_TEST_HTTP_PORT,
#      AG_TEST_TIMEOUT, AG_DB_HOST...
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

APPS="${AG_BUSINESS_APPS:-sale_management,crm,account,stock,purchase,project}"
AFTER="${AG_BUSINESS_AFTER:-hr_holidays,hr_attendance}"
DB="${AG_BUSINESS_DB:-access_governance_business}"
TEST_TAGS="${TEST_TAGS:-access_governance_business/$AG_MODULE}"
HTTP_PORT="${AG_TEST_HTTP_PORT:-8169}"
TIMEOUT="${AG_TEST_TIMEOUT:-3600}"
DATA_DIR="$AG_LOCAL/business-data"

"$AG_ROOT/scripts/ensure_odoo.sh"
ag_db_start
mkdir -p "$AG_LOCAL" "$DATA_DIR/filestore"

odoo_id="$(cd / && "$AG_PYTHON" -c 'import odoo, odoo.release as r; print(r.serie, r.version, odoo.__file__)')"
key="$(printf '%s|%s|%s' "$odoo_id" "$APPS" "$AG_ADDONS_PATH" | sha256sum | cut -c1-10)"
TEMPLATE="ag_business_tpl_$key"

base_cmd=("$AG_PYTHON" -m odoo
  --addons-path="$AG_ADDONS_PATH"
  "${AG_DB_ARGS[@]}"
  --data-dir="$DATA_DIR"
  --http-interface=127.0.0.1 --http-port="$HTTP_PORT"
  --max-cron-threads=0
  --stop-after-init)

t0=$SECONDS
if [ "${AG_BUSINESS_REBUILD:-0}" = 1 ] || ! ag_db_exists "$TEMPLATE"; then
  ag_log "building template $TEMPLATE: $APPS (once; reused by later runs)"
  dropdb --if-exists "$TEMPLATE"
  rm -rf "${DATA_DIR:?}/filestore/$TEMPLATE"
  # Stale templates of other keys.
  for old in $(psql -d postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'ag\_business\_tpl\_%' AND datname <> '$TEMPLATE'"); do
    dropdb --if-exists "$old"
    rm -rf "${DATA_DIR:?}/filestore/$old"
  done
  if ! (cd "$AG_ROOT" && timeout --kill-after=30 "$TIMEOUT" "${base_cmd[@]}" \
    -d "${TEMPLATE}_build" --db-filter="^${TEMPLATE}_build\$" \
    -i "$APPS" --without-demo=all --log-level=warn \
    >"$AG_LOCAL/business-template.log" 2>&1); then
    tail -n 40 "$AG_LOCAL/business-template.log" >&2
    dropdb --if-exists "${TEMPLATE}_build"
    ag_die "template build failed, see $AG_LOCAL/business-template.log"
  fi
  # Renamed only once complete: an interrupted build is never reused.
  psql -d postgres -qc "ALTER DATABASE \"${TEMPLATE}_build\" RENAME TO \"$TEMPLATE\""
  if [ -d "$DATA_DIR/filestore/${TEMPLATE}_build" ]; then
    mv "$DATA_DIR/filestore/${TEMPLATE}_build" "$DATA_DIR/filestore/$TEMPLATE"
  fi
  ag_log "template built in $((SECONDS - t0))s"
else
  ag_log "reusing template $TEMPLATE ($APPS)"
fi

ag_log "copying $TEMPLATE to $DB"
dropdb --if-exists "$DB"
rm -rf "${DATA_DIR:?}/filestore/$DB"
createdb -T "$TEMPLATE" "$DB"
if [ -d "$DATA_DIR/filestore/$TEMPLATE" ]; then
  cp -a "$DATA_DIR/filestore/$TEMPLATE" "$DATA_DIR/filestore/$DB"
fi

cmd=("${base_cmd[@]}"
  -d "$DB" --db-filter="^${DB}\$"
  -i "$AG_MODULE${AFTER:+,$AFTER}"
  --test-enable --test-tags "$TEST_TAGS"
  --log-level=test)
ag_log "running: ${cmd[*]//--db_password=*/--db_password=***}"
cd "$AG_ROOT"
set +e
{
  timeout --kill-after=30 "$TIMEOUT" "${cmd[@]}"
  echo "AG_ODOO_EXIT_CODE=$?"
} 2>&1 | "$AG_PYTHON" "$AG_ROOT/scripts/summarize_tests.py" --log "$AG_LOCAL/test-business.log"
rc=${PIPESTATUS[1]}
set -e
ag_log "wall time $((SECONDS - t0))s; full log: $AG_LOCAL/test-business.log"
exit "$rc"
