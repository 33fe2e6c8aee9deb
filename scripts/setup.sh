#!/usr/bin/env bash
# One-time set-up on a fresh machine: system packages the tool and its tests need, then the Python package.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)                       # browser tests
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)      # Japanese glyphs in PDFs/screenshots
fc-list 2>/dev/null | grep -qi "Noto Color Emoji" || need+=(fonts-noto-color-emoji)  # category icons
ldconfig -p 2>/dev/null | grep -q "libpango-1.0" || need+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)  # WeasyPrint
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)                  # PDF pages → PNG for review
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)                      # decoding QR codes in tests
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! python3 -c "import gis, geopandas, playwright, weasyprint" >/dev/null 2>&1 \
   || [ pyproject.toml -nt .takara/setup-done ]; then
  echo "setup: installing Python packages (pip install -e '.[test,bench]')"
  python3 -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
  mkdir -p .takara && touch .takara/setup-done
fi
