#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for development and tests.
#   scripts/pg.sh start|stop|status|url|env|dir
# Data in .local/pg (git-ignored), superuser "odoo" with trust auth, unix socket
# inside the cluster folder, TCP on 127.0.0.1:$PGPORT_AG (default 54329) only.
# When run as root, the cluster runs as the unprivileged OS user $AG_PG_OSUSER
# (default "postgres", created when missing): PostgreSQL refuses to run as root.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

if [ -n "${AG_DB_HOST:-}" ]; then
  case "${1:-}" in
    url) echo "postgresql://${AG_DB_USER:-odoo}@$AG_DB_HOST:${AG_DB_PORT:-5432}/" ;;
    *) ag_log "AG_DB_HOST is set ($AG_DB_HOST): external server, nothing to do for '${1:-}'" ;;
  esac
  exit 0
fi

for tool in initdb pg_ctl; do
  command -v "$tool" >/dev/null || ag_die "'$tool' not found: install the PostgreSQL server binaries (e.g. apt-get install postgresql) and put them on PATH"
done

ensure_os_user() {
  ag_is_root || return 0
  if ! id -u "$AG_PG_OSUSER" >/dev/null 2>&1; then
    ag_log "creating unprivileged system user '$AG_PG_OSUSER' to run PostgreSQL"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin "$AG_PG_OSUSER"
  fi
}

# Run a command as the cluster owner.
as_owner() {
  if ag_is_root; then
    (cd / && runuser -u "$AG_PG_OSUSER" -- "$@")
  else
    "$@"
  fi
}

ensure_os_user
PGDIR="$(ag_pg_dir)"
DATA="$PGDIR/data"
RUN="$PGDIR/run"
LOG="$PGDIR/postgresql.log"

is_running() { [ -f "$DATA/PG_VERSION" ] && as_owner pg_ctl -D "$DATA" status >/dev/null 2>&1; }

cmd_start() {
  if [ "$PGDIR" != "$AG_LOCAL/pg" ]; then
    ag_log "the checkout is not reachable by OS user '$AG_PG_OSUSER' (or its path is too long for a socket): using $PGDIR instead of $AG_LOCAL/pg"
  fi
  mkdir -p "$PGDIR"
  if ag_is_root; then chown "$AG_PG_OSUSER:" "$PGDIR"; fi
  chmod 700 "$PGDIR"
  as_owner mkdir -p "$RUN"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    ag_log "initdb $DATA"
    as_owner initdb -D "$DATA" -U "$AG_PG_SUPERUSER" --auth=trust -E UTF8 --no-locale >"$PGDIR/initdb.log" 2>&1 ||
      {
        cat "$PGDIR/initdb.log" >&2
        ag_die "initdb failed"
      }
  fi
  if is_running; then
    ag_log "PostgreSQL already running ($PGDIR, port $PGPORT_AG)"
    return 0
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$PGPORT_AG") 2>/dev/null; then
    ag_die "port $PGPORT_AG on 127.0.0.1 is already in use (another checkout's cluster?): stop it or set PGPORT_AG"
  fi
  # Throwaway data: durability is traded for speed.
  local opts="-c listen_addresses=127.0.0.1 -c port=$PGPORT_AG -c unix_socket_directories=$RUN"
  opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
  if ! as_owner pg_ctl -D "$DATA" -l "$LOG" -w -t 60 -o "$opts" start >/dev/null; then
    tail -n 30 "$LOG" >&2 || true
    ag_die "PostgreSQL did not start (log: $LOG)"
  fi
  ag_log "PostgreSQL started: socket $RUN, 127.0.0.1:$PGPORT_AG, superuser $AG_PG_SUPERUSER (log: $LOG)"
}

cmd_stop() {
  if is_running; then
    as_owner pg_ctl -D "$DATA" -m fast -w stop >/dev/null
    ag_log "PostgreSQL stopped ($PGDIR)"
  else
    ag_log "PostgreSQL not running ($PGDIR)"
  fi
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status)
    if is_running; then
      echo "running: $PGDIR (socket $RUN, 127.0.0.1:$PGPORT_AG)"
    else
      echo "stopped: $PGDIR"
      exit 3
    fi
    ;;
  url) echo "postgresql://$AG_PG_SUPERUSER@127.0.0.1:$PGPORT_AG/" ;;
  env) printf 'export PGHOST=%q PGPORT=%q PGUSER=%q\n' "$RUN" "$PGPORT_AG" "$AG_PG_SUPERUSER" ;;
  dir) echo "$PGDIR" ;;
  *)
    echo "usage: $0 start|stop|status|url|env|dir" >&2
    exit 2
    ;;
esac
