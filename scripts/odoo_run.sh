#!/usr/bin/env bash
# Serve the addon with demo data on http://localhost:8069.
# Creates database access_governance_demo (installing $AG_MODULE with demo data)
# when it is missing or the module is not installed in it.
# Env: AG_MODULE, AG_ADDONS_PATH, AG_RUN_DB, AG_HTTP_PORT (8069), AG_DB_HOST...
# Extra arguments are passed to Odoo.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

DB="${AG_RUN_DB:-access_governance_demo}"
HTTP_PORT="${AG_HTTP_PORT:-8069}"

"$AG_ROOT/scripts/ensure_odoo.sh"
"$AG_ROOT/scripts/ensure_pdf_tools.sh" || ag_log "PDF reports need wkhtmltopdf: see README"
ag_db_start
cd "$AG_ROOT"

odoo=("$AG_PYTHON" -m odoo --addons-path="$AG_ADDONS_PATH" --data-dir="$AG_LOCAL/data"
  "${AG_DB_ARGS[@]}"
  -d "$DB" --db-filter="^${DB}\$")

module_state() {
  psql -d "$DB" -tAc "SELECT state FROM ir_module_module WHERE name = '$AG_MODULE'" 2>/dev/null || true
}

if ag_db_exists "$DB" && [ "$(module_state)" != installed ]; then
  ag_log "database $DB exists but $AG_MODULE is not installed in it (earlier failed install?): recreating it"
  dropdb "$DB"
fi
if ! ag_db_exists "$DB"; then
  ag_log "creating database $DB: installing $AG_MODULE with demo data"
  "${odoo[@]}" -i "$AG_MODULE" --stop-after-init --http-port="$HTTP_PORT" ||
    ag_die "installing $AG_MODULE into $DB failed (see the log above)"
fi

cat <<MSG

  Odoo 18.0 with $AG_MODULE (demo data): http://localhost:$HTTP_PORT
  Log in as admin / admin (Settings administrator; governance administrator).
  Demo users (login / password, persona):
    demo / demo                              Marc Demo, employee (requests access)
    hugo.director@example.com / hugo         HR director, job-mapped role, approver of his team
    olivia.officer@example.com / olivia      HR officer, job-mapped role
    carla.contacts@example.com / carla       account manager, job-mapped role
    stan.stale@example.com / stan            stale account with unused HR access (findings)
    sharon.shared@example.com / sharon       shared account, out-of-band group (findings)
  Database: $DB. Stop with Ctrl-C; 'make stop' stops PostgreSQL.

MSG
exec "${odoo[@]}" --http-interface=localhost --http-port="$HTTP_PORT" "$@"
