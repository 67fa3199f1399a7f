"""Compare every formula cell of an example in another engine with sheetnet's fast engine.

Used by tests/test_engines.py, tests/test_fast_engine.py (LibreOffice) and scripts/verification_table.py
(the README's "where it is verified" table), so the table reports exactly what the tests assert.

Cells no two correct engines can be expected to share are left out, each with its reason:
- CHAOTIC examples past their first steps: training amplifies a rounding difference step after step (two
  engines that sum in a different order drift apart: measured 1e-13 at step 0, 1e-8 by step 8 and 1e-4 by
  step 30 in deep-sigmoid-bn, whose batch statistics over 4 samples divide by small spreads). The check, which
  restarts every step from the engine's own parameters, covers those steps in every engine.
- With `conditioned=True`, the gradient check's finite difference and relative difference: they subtract
  nearly equal losses, so engines differ there by ~1e-15/epsilon (the checker allows for it).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sheetnet.evaluate import xlsx
from sheetnet.evaluate.fast.evaluate import evaluate_package
from sheetnet.layout import Layout
from sheetnet.verify import readback

REPO = Path(__file__).resolve().parent.parent
HYPERFORMULA = REPO / "tests" / "hyperformula"
CHAOTIC = {"deep-sigmoid-bn": 3}  # name -> steps compared cell by cell

Reader = Callable[[str, int, int, int], object]  # (sheet, sheet index, row, column) -> value


class EngineMissing(Exception):
    """The engine is not installed here."""


def hyperformula_version() -> str:
    return json.loads((HYPERFORMULA / "node_modules" / "hyperformula" / "package.json").read_text())["version"]


def hyperformula(path: Path) -> Reader:
    """HyperFormula (npm, installed by scripts/setup.sh) run by Node on the file's cells as sheetnet reads them:
    the defined names, the constants and the formula texts, each sheet at its own size; IEEE arithmetic (no
    rounding of results, no snapping of sums to zero), as Excel and LibreOffice compute."""
    node = shutil.which("node")
    if node is None or not (HYPERFORMULA / "node_modules" / "hyperformula").is_dir():
        raise EngineMissing("Node.js or HyperFormula missing: bash scripts/setup.sh installs them")
    package = xlsx.read_package(path)
    sheets = []
    for name in package.sheet_order:
        cells = package.sheet(name)
        sheets.append({"name": name, "rows": int(cells.max_row), "cols": int(cells.max_col),
                       "constants": [[r, c, v] for (r, c), v in cells.constants.items()],
                       "formulas": [[r, c, f] for (r, c), f in cells.formulas.items()]})
    request = json.dumps({"names": list(package.defined_names.items()), "sheets": sheets})
    done = subprocess.run([node, str(HYPERFORMULA / "evaluate.mjs")], input=request.encode(), capture_output=True,
                          check=False, timeout=1200)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode(errors="replace")[-2000:])
    values = {}
    for sheet, computed in zip(sheets, json.loads(done.stdout)["values"], strict=True):
        for (row, col, _), value in zip(sheet["formulas"], computed, strict=True):
            values[(sheet["name"], row, col)] = value["error"] if isinstance(value, dict) else value
    return lambda sheet, index, row, col: values[(sheet, row, col)]


def peer(engine: str) -> Callable[[Path], Reader]:
    """formualizer or IronCalc, as `sheetnet check --engine` runs them."""
    def load(path: Path) -> Reader:
        from sheetnet.errors import SheetnetError
        from sheetnet.evaluate import peers

        try:
            return peers.cell_reader(engine, path)
        except SheetnetError as error:
            if "not installed" in str(error):
                raise EngineMissing(str(error)) from None
            raise
    return load


def libreoffice_values(copy: Path) -> Reader:
    """The values in a copy LibreOffice recalculated and saved."""
    from sheetnet.evaluate.saved import saved_values

    values = saved_values(xlsx.read_package(copy), engine="libreoffice")
    return lambda sheet, index, row, col: values.get(sheet, row, col)


ENGINES: dict[str, Callable[[Path], Reader]] = {
    "formualizer": peer("formualizer"), "ironcalc": peer("ironcalc"), "hyperformula": hyperformula,
}


def same(a, b) -> bool:
    """Equal to the check's relative tolerance; error values equal by kind; TRUE/FALSE and text exactly."""
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@dataclass
class Agreement:
    compared: int = 0
    left_out: int = 0
    differ: list = field(default_factory=list)  # (sheet, row, col, fast, other)


def compare(path: Path, read: Reader, conditioned: bool = False, equal=same) -> Agreement:
    """Every formula cell of `path` in the fast engine against `read`, less the cells named in the docstring."""
    name = path.stem
    package = xlsx.read_package(path)
    fast = evaluate_package(package)
    layout = Layout(readback.problem_from_package(package).structure)
    skipped = set()
    if conditioned and layout.gradcheck is not None:
        result = layout.block("gc_result", 0, 0)
        skipped = {(result.sheet, result.row + 2, result.col), (result.sheet, result.row + 4, result.col)}
    agreement = Agreement()
    for index, sheet in enumerate(package.sheet_order):
        cells = package.sheet(sheet)
        for row, col in zip(cells.formula_rows.tolist(), cells.formula_cols.tolist(), strict=True):
            if (sheet, row, col) in skipped or (name in CHAOTIC and (
                    not sheet.startswith("Layer ") or row >= layout.layers.block_top(CHAOTIC[name]))):
                agreement.left_out += 1
                continue
            agreement.compared += 1
            a, b = fast.get(sheet, row, col), read(sheet, index, row, col)
            if not equal(a, b):
                agreement.differ.append((sheet, row, col, a, b))
    return agreement


def on_ci() -> bool:
    return bool(os.environ.get("CI"))
