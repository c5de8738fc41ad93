# shellcheck shell=bash
# Shared settings for the harness scripts. Source it; do not run it.
# Every value can be overridden from the environment.

AG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export AG_ROOT

# Python interpreter that has (or gets) Odoo 18.0.
AG_PYTHON="${AG_PYTHON:-python3}"
# Addon under test/served, and the addons path that contains it.
# Odoo appends its own odoo/addons directory to the addons path by itself.
AG_MODULE="${AG_MODULE:-access_governance}"
# Odoo installed from a git checkout of its source (Odoo's documented layout)
# keeps the stock apps (web, mail, hr, sale...) in addons/ beside the odoo/
# package, not inside odoo/addons: add that folder when it exists.
ag_stock_addons() {
  (cd / && "$AG_PYTHON" - 2>/dev/null <<'PY'
import os

import odoo

root = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
path = os.path.join(root, "addons")
if os.path.isfile(os.path.join(path, "web", "__manifest__.py")):
    print(path)
PY
  ) || true
}
if [ -z "${AG_ADDONS_PATH:-}" ]; then
  AG_ADDONS_PATH="$AG_ROOT"
  _ag_stock="$(ag_stock_addons)"
  if [ -n "$_ag_stock" ]; then
    AG_ADDONS_PATH="$AG_ROOT,$_ag_stock"
  fi
  unset _ag_stock
fi
AG_LOCAL="${AG_LOCAL:-$AG_ROOT/.local}"

# Throwaway PostgreSQL cluster (scripts/pg.sh). Ignored when AG_DB_HOST is set.
PGPORT_AG="${PGPORT_AG:-54329}"
AG_PG_SUPERUSER=odoo # Odoo refuses to connect as "postgres"
AG_PG_OSUSER="${AG_PG_OSUSER:-postgres}" # unprivileged OS user when we are root

ag_log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
ag_die() {
  ag_log "ERROR: $*"
  exit 1
}
ag_is_root() { [ "$(id -u)" = 0 ]; }

# The cluster folder: .local/pg in the checkout unless the unprivileged
# postgres OS user could not reach it (e.g. a checkout under /root); then a
# folder under /tmp named after a hash of the checkout path.
ag_pg_dir() {
  if [ -n "${AG_PG_DIR:-}" ]; then
    printf '%s\n' "$AG_PG_DIR"
    return
  fi
  local fallback
  fallback="/tmp/ag-pg-$(printf '%s' "$AG_ROOT" | sha256sum | cut -c1-12)"
  # A unix socket path must stay below ~107 bytes.
  if [ "${#AG_LOCAL}" -gt 70 ]; then
    printf '%s\n' "$fallback"
    return
  fi
  if ag_is_root && id -u "$AG_PG_OSUSER" >/dev/null 2>&1; then
    mkdir -p "$AG_LOCAL"
    chmod 755 "$AG_LOCAL" 2>/dev/null || true
    if ! runuser -u "$AG_PG_OSUSER" -- test -x "$AG_LOCAL"; then
      printf '%s\n' "$fallback"
      return
    fi
  fi
  printf '%s\n' "$AG_LOCAL/pg"
}

# Fill AG_DB_ARGS (Odoo CLI connection options) and libpq env for psql & co.
# External server: AG_DB_HOST [AG_DB_PORT AG_DB_USER AG_DB_PASSWORD].
ag_db_setup() {
  if [ -n "${AG_DB_HOST:-}" ]; then
    AG_DB_PORT="${AG_DB_PORT:-5432}"
    AG_DB_USER="${AG_DB_USER:-odoo}"
    AG_DB_PASSWORD="${AG_DB_PASSWORD:-}"
  else
    AG_DB_HOST="$(ag_pg_dir)/run" # unix socket directory of the local cluster
    AG_DB_PORT="$PGPORT_AG"
    AG_DB_USER="$AG_PG_SUPERUSER"
    AG_DB_PASSWORD=""
  fi
  AG_DB_ARGS=(--db_host="$AG_DB_HOST" --db_port="$AG_DB_PORT" --db_user="$AG_DB_USER")
  if [ -n "$AG_DB_PASSWORD" ]; then
    AG_DB_ARGS+=(--db_password="$AG_DB_PASSWORD")
  fi
  export PGHOST="$AG_DB_HOST" PGPORT="$AG_DB_PORT" PGUSER="$AG_DB_USER"
  if [ -n "$AG_DB_PASSWORD" ]; then export PGPASSWORD="$AG_DB_PASSWORD"; fi
}

# Start the local cluster unless an external server is configured.
ag_db_start() {
  if [ -n "${AG_DB_HOST:-}" ]; then
    ag_log "using external PostgreSQL at $AG_DB_HOST:${AG_DB_PORT:-5432}"
  else
    "$AG_ROOT/scripts/pg.sh" start
  fi
  ag_db_setup
}

ag_db_exists() {
  [ "$(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]
}
