#!/usr/bin/env bash
# Static checks: ruff (lint + format check) on the addon and scripts/, then the
# OCA-style mandatory pylint-odoo checks on the addon. Needs no Odoo.
# Env: AG_MODULE (access_governance), AG_LINT_PATHS, PYLINT_RC, PYLINT_ARGS.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

"$AG_ROOT/scripts/ensure_odoo.sh" --tools
cd "$AG_ROOT"

addon_dir="${AG_LINT_ADDON:-$AG_MODULE}"
read -r -a paths <<<"${AG_LINT_PATHS:-$addon_dir scripts}"
existing=()
for p in "${paths[@]}"; do
  if [ -e "$p" ]; then
    existing+=("$p")
  else
    ag_log "skipping missing path: $p"
  fi
done
[ "${#existing[@]}" -gt 0 ] || ag_die "nothing to lint (none of: ${paths[*]})"

ruff() { if command -v ruff >/dev/null 2>&1; then command ruff "$@"; else "$AG_PYTHON" -m ruff "$@"; fi; }

rc=0
ag_log "ruff check ${existing[*]}"
ruff check "${existing[@]}" || rc=1
ag_log "ruff format --check ${existing[*]}"
ruff format --check "${existing[@]}" || rc=1

if [ -d "$addon_dir" ]; then
  ag_log "pylint (pylint-odoo mandatory checks) $addon_dir"
  read -r -a extra <<<"${PYLINT_ARGS:-}"
  "$AG_PYTHON" -m pylint --rcfile="${PYLINT_RC:-$AG_ROOT/.pylintrc-mandatory}" "${extra[@]}" "$addon_dir" || rc=1
else
  ag_log "no addon directory $addon_dir yet: pylint skipped"
fi

if [ "$rc" = 0 ]; then
  ag_log "lint passed"
else
  ag_log "lint FAILED"
fi
exit "$rc"
