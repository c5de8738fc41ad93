#!/usr/bin/env bash
# Make sure Odoo 18.0 (and optionally the lint/test tools) can be used by $AG_PYTHON.
#   scripts/ensure_odoo.sh            Odoo 18.0: import it, else pip install -r requirements.txt
#   scripts/ensure_odoo.sh --check    only tell (exit 0/1) whether Odoo 18.0 imports; installs nothing
#   scripts/ensure_odoo.sh --tools    only the tools of test-requirements.txt (ruff, pylint-odoo,
#                                     websocket-client), installed when one is missing
#   scripts/ensure_odoo.sh --all      both
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

odoo_importable() {
  (cd / && "$AG_PYTHON" -c "import odoo, odoo.release; assert odoo.release.version_info[:2] == (18, 0)") >/dev/null 2>&1
}

tools_present() {
  command -v ruff >/dev/null 2>&1 || "$AG_PYTHON" -m ruff --version >/dev/null 2>&1 || return 1
  (cd / && "$AG_PYTHON" -c "import pylint_odoo, websocket") >/dev/null 2>&1
}

ensure_odoo() {
  if odoo_importable; then
    return 0
  fi
  ag_log "Odoo 18.0 is not importable by $AG_PYTHON: pip install -r requirements.txt"
  if PIP_CONSTRAINT="$AG_ROOT/scripts/build-constraints.txt" \
    "$AG_PYTHON" -m pip install -r "$AG_ROOT/requirements.txt" >&2 && odoo_importable; then
    ag_log "Odoo 18.0 installed"
    return 0
  fi
  echo "Odoo 18.0 is not installed and could not be installed from requirements.txt: install Odoo 18.0 from Odoo's official source (see README.md) into this python3 ($AG_PYTHON) and rerun." >&2
  exit 1
}

ensure_tools() {
  if tools_present; then
    return 0
  fi
  ag_log "installing test-requirements.txt (ruff, pylint-odoo, websocket-client)"
  "$AG_PYTHON" -m pip install -r "$AG_ROOT/test-requirements.txt" >&2 ||
    ag_die "could not install test-requirements.txt"
  tools_present || ag_die "test-requirements.txt installed but ruff/pylint_odoo/websocket still missing for $AG_PYTHON"
}

case "${1:-}" in
  --check) odoo_importable ;;
  --tools) ensure_tools ;;
  --all)
    ensure_tools
    ensure_odoo
    ;;
  "") ensure_odoo ;;
  *)
    echo "usage: $0 [--check|--tools|--all]" >&2
    exit 2
    ;;
esac
