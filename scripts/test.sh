#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run every test: lint, then the whole pytest suite, one worker per core.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check sheetnet tests scripts
.venv/bin/python -m pytest -n auto "$@"
