#!/usr/bin/env bash
# Set up sheetnet on a fresh machine: a virtual environment in .venv with sheetnet and its test
# tools, LibreOffice headless (the real spreadsheet engine) and Node.js with HyperFormula (a third engine
# for the tests) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
  echo "setup: installing LibreOffice (headless Calc) and poppler-utils (pdftotext, pdftoppm)" >&2
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  # The same packages (with their recommends) the tests were developed against.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libreoffice-calc-nogui poppler-utils >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"

# HyperFormula (npm), the JavaScript engine tests/test_engines.py compares every example with, run by Node.js.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing Node.js and npm (for HyperFormula in the tests)" >&2
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -d tests/hyperformula/node_modules/hyperformula ]; then
  npm ci --prefix tests/hyperformula --no-audit --no-fund --loglevel=error
fi
