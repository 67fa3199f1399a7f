#!/usr/bin/env bash
# Set up (scripts/setup.sh), then regenerate every example workbook in workbooks/ and check each one.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/sheetnet examples --force "$@"
