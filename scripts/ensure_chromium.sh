#!/usr/bin/env bash
# Odoo's browser tests (HttpCase tours) need Chrome or Chromium on PATH under one
# of the names Odoo looks for; without it Odoo skips them. Installs Debian's
# chromium when missing and we are root.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

for bin in google-chrome chromium chromium-browser google-chrome-stable; do
  if command -v "$bin" >/dev/null 2>&1; then
    exit 0
  fi
done
if ag_is_root && command -v apt-get >/dev/null 2>&1; then
  ag_log "no Chrome/Chromium found: apt-get install -y chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq chromium >&2 ||
    ag_die "could not install chromium with apt-get"
  command -v chromium >/dev/null 2>&1 || ag_die "chromium installed but not on PATH"
else
  ag_die "no Chrome/Chromium on PATH (google-chrome, chromium, chromium-browser): install one, browser tests need it"
fi
