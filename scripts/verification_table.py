"""Write the README's "where it is verified" table by running every engine on every example workbook.

    .venv/bin/python scripts/verification_table.py [--write]

Rows: the fast engine's check against the numpy reference, then each other engine compared cell by cell
with the fast engine (LibreOffice headless, formualizer, IronCalc, HyperFormula), the same comparison the
tests make (tests/engines_agree.py). Prints the table; `--write` also replaces it in README.md between its
markers. Takes about ten minutes (LibreOffice and HyperFormula on digits.xlsx are most of it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sheetnet import api  # noqa: E402
from sheetnet.api.examples import example_configs  # noqa: E402
from sheetnet.evaluate import libreoffice, peers  # noqa: E402
from tests import engines_agree  # noqa: E402

START, END = "<!-- verification table: scripts/verification_table.py -->", "<!-- end of verification table -->"


def _fast_row(paths: list[Path]) -> list[str]:
    compared, worst, failed = 0, 0.0, []
    for path in paths:
        report = api.check(path)
        compared += report.compared
        worst = max(worst, report.max_share)
        if not report.ok:
            failed.append(path.name)
    result = "all pass" if not failed else "FAIL: " + ", ".join(failed)
    return ["sheetnet fast engine, checked against the numpy reference", _version("sheetnet"), f"{compared:,}",
            f"{result}; the largest difference is {100 * worst:.2g}% of its cell's tolerance"]


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def _compared_row(engine: str, version: str, paths: list[Path], read_for) -> list[str]:
    compared, left_out, differ = 0, 0, 0
    for path in paths:
        agreement = read_for(path)
        compared, left_out = compared + agreement.compared, left_out + agreement.left_out
        differ += len(agreement.differ)
    result = "all agree with the fast engine to 1e-9" if not differ else f"{differ:,} cells differ"
    return [engine, version, f"{compared:,}", f"{result} ({left_out:,} left out, see below)"]


def rows(names: list[str]) -> list[list[str]]:
    paths = [REPO / "workbooks" / f"{name}.xlsx" for name in names]
    table = [_fast_row(paths)]

    def in_libreoffice(path: Path):
        with tempfile.TemporaryDirectory() as folder:
            copy = libreoffice.recalculate(path, Path(folder) / path.name)
            return engines_agree.compare(path, engines_agree.libreoffice_values(copy), conditioned=True,
                                         equal=_same_or_both_errors)

    table.append(_compared_row("LibreOffice (headless)", libreoffice.version(), paths, in_libreoffice))
    for engine, label, version in (("formualizer", "formualizer (Rust, PyPI)", peers.version("formualizer")),
                                   ("ironcalc", "IronCalc (Rust, PyPI)", peers.version("ironcalc")),
                                   ("hyperformula", "HyperFormula (JavaScript, npm)",
                                    engines_agree.hyperformula_version())):
        table.append(_compared_row(label, version, paths,
                                   lambda path, e=engine: engines_agree.compare(path, engines_agree.ENGINES[e](path))))
    return table


def _same_or_both_errors(a, b) -> bool:
    """LibreOffice names some errors differently (Err:502 for #NUM!): an error is compared as an error."""
    if isinstance(a, str) and isinstance(b, str) and a.startswith("#") and b.startswith("#"):
        return True
    return engines_agree.same(a, b)


def markdown(table: list[list[str]], names: list[str]) -> str:
    lines = [START, "", "| engine | version | formula cells compared | result |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in table]
    chaotic = ", ".join(f"`{name}.xlsx` after step {steps}" for name, steps in engines_agree.CHAOTIC.items())
    lines += ["", f"Over the {len(names)} example workbooks in `workbooks/`. Left out of the engine-to-engine "
              f"comparisons: {chaotic} (chaotic training: rounding differences of two correct engines grow step "
              "after step; the check, which restarts each step from the engine's own parameters, passes in each), "
              "and for LibreOffice the gradient check's two cells that subtract nearly equal losses.", "", END]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the table in README.md")
    args = parser.parse_args()
    names = list(example_configs())
    started = time.perf_counter()
    text = markdown(rows(names), names)
    print(text)
    print(f"[{time.perf_counter() - started:.0f} s]", file=sys.stderr)
    if args.write:
        readme = REPO / "README.md"
        content = readme.read_text()
        before, rest = content.split(START, 1)
        _, after = rest.split(END, 1)
        readme.write_text(before + text + after)


if __name__ == "__main__":
    main()
