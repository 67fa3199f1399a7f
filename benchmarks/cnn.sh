#!/usr/bin/env bash
# Benchmark of the convolution example: `sheetnet new` and `sheetnet check` (fast engine, LibreOffice) on
# digits-cnn.xlsx, and the fast engine's time per cell against the perceptron's digits.xlsx. Every figure comes from
# farm-bench (this machine's timing tool: whole processes, warm-up, medians, A/B pair by pair); the output goes to
# benchmarks/cnn.md. Nothing here is a test.
#
#     bash benchmarks/cnn.sh
set -euo pipefail
cd "$(dirname "$0")/.."
S=.venv/bin/sheetnet
OUT=benchmarks/cnn.md
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
{
  echo "# Benchmark: the convolutional example (digits-cnn.xlsx)"
  echo
  echo "Run on $(date -u +%Y-%m-%d) by \`bash benchmarks/cnn.sh\`, $(nproc) cores; each block is farm-bench's own output"
  echo "(min, median, max over the counted runs after one warm-up; wall and CPU seconds, peak memory)."
  echo
  echo "## sheetnet new (981,911 formula cells) vs new digits.xlsx (660,039)"
  echo '```'
  farm-bench -n 3 --timeout 600 --vs "$S new --config sheetnet/example_configs/digits.toml -o $TMP/d.xlsx --force" \
    -- $S new --config sheetnet/example_configs/digits-cnn.toml -o "$TMP/c.xlsx" --force
  echo '```'
  echo
  echo "## sheetnet check (fast engine): digits-cnn.xlsx vs digits.xlsx"
  echo '```'
  farm-bench -n 3 --timeout 600 --vs "$S check workbooks/digits.xlsx" -- $S check workbooks/digits-cnn.xlsx
  echo '```'
  echo
  echo "## sheetnet check --engine libreoffice (load, recalculate, save, compare): digits-cnn.xlsx"
  echo '```'
  farm-bench -n 3 --timeout 900 -- $S check --engine libreoffice workbooks/digits-cnn.xlsx
  echo '```'
} > "$OUT"
echo "wrote $OUT"
