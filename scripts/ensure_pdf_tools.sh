#!/usr/bin/env bash
# PDF reports need wkhtmltopdf (Odoo renders QWeb reports with it) and the
# tests read the PDFs back with pdftotext (poppler-utils). Installs Debian's
# packages when missing and we are root; elsewhere says what to install.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

missing=()
command -v wkhtmltopdf >/dev/null 2>&1 || missing+=(wkhtmltopdf)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
if [ "${#missing[@]}" = 0 ]; then
  exit 0
fi
if ag_is_root && command -v apt-get >/dev/null 2>&1; then
  ag_log "missing PDF tools: apt-get install -y ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Other jobs of the machine may hold the dpkg lock: wait for it.
  apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 &&
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
      "${missing[@]}" >&2 ||
    ag_die "could not install ${missing[*]} with apt-get"
  command -v wkhtmltopdf >/dev/null 2>&1 || ag_die "wkhtmltopdf installed but not on PATH"
  command -v pdftotext >/dev/null 2>&1 || ag_die "pdftotext installed but not on PATH"
else
  ag_die "missing ${missing[*]}: install wkhtmltopdf (0.12.5+) and poppler-utils (pdftotext); PDF reports and their tests need them"
fi
