"""Ways to get the values of a workbook's formula cells, all returned as GridValues.

- `fast`: sheetnet's own evaluator (default): each formula shape parsed once, numpy per level.
- `formulas`: the `formulas` package, a Python re-implementation of Excel's calculation.
- `saved`: the values a spreadsheet application stored in the file when it last saved it.
- `libreoffice`: LibreOffice headless recalculates and saves a copy; we read that copy.
- `formualizer`, `ironcalc`: two spreadsheet engines written in Rust (optional, from PyPI); see peers.py.
"""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from pathlib import Path

import numpy as np

from sheetnet.errors import SheetnetError
from sheetnet.evaluate.saved import saved_values
from sheetnet.evaluate.values import GridTooLarge, GridValues, from_cells
from sheetnet.evaluate.xlsx import Package, column_number, read_package

ENGINES = ("fast", "formulas", "libreoffice", "saved", "formualizer", "ironcalc")

_KEY = re.compile(r"^'?\[[^\]]*\](?P<sheet>.*?)'?!(?P<col>[A-Z]+)(?P<row>\d+)$")


@contextlib.contextmanager
def _quiet_formulas():
    """formulas draws tqdm bars and numpy warns on EXP overflow (which Excel reports as #NUM!)."""
    import formulas

    module_globals = formulas.ExcelModel.complete.__globals__
    original = module_globals["tqdm"].tqdm
    module_globals["tqdm"].tqdm = functools.partial(original, disable=True)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield formulas
    finally:
        module_globals["tqdm"].tqdm = original


def evaluate_formulas(path: str | Path, package: Package | None = None) -> GridValues:
    """Every cell's value as computed by the `formulas` package."""
    package = package or read_package(path)
    with _quiet_formulas() as formulas:
        try:
            model = formulas.ExcelModel().loads(str(path)).finish()
            solution = model.calculate()
        except Exception as exc:  # formulas raises many kinds on unusual workbooks
            raise SheetnetError(f"{package.path}: the formulas engine could not evaluate it ({exc})") from None
    names = {name.upper(): name for name in package.sheet_order}
    cells: dict[str, dict] = {name: {} for name in package.sheet_order}
    for key, ranges in solution.items():
        match = _KEY.match(str(key))
        if not match or match["sheet"].upper() not in names:
            continue  # ranges and defined names
        value = getattr(ranges, "value", ranges)
        value = value[0][0] if hasattr(value, "__getitem__") and not isinstance(value, str) else value
        if isinstance(value, (np.floating, np.integer, np.bool_)):
            value = float(value)
        elif isinstance(value, complex):
            # formulas 1.3.4 returns a complex number for a negative base to a fractional power,
            # where Excel (and LibreOffice) show #NUM!.
            value = float(value.real) if value.imag == 0 else "#NUM!"
        elif not isinstance(value, (int, float, bool)) and value is not None:
            value = str(value)
        cells[names[match["sheet"].upper()]][(int(match["row"]), column_number(match["col"]))] = value
    return from_cells(cells, "formulas")


def evaluate(path: str | Path, engine: str, package: Package | None = None, progress=None) -> GridValues:
    """Every cell's value in `engine`; a grid too large for memory is refused naming the file."""
    package = package or read_package(path)
    try:
        return _evaluate(path, engine, package, progress)
    except GridTooLarge as exc:
        raise SheetnetError(f"{package.path}: {exc}") from None


def _evaluate(path: str | Path, engine: str, package: Package, progress=None) -> GridValues:
    if engine == "fast":
        from sheetnet.evaluate.fast.evaluate import evaluate_package

        try:
            return evaluate_package(package, progress)
        except RecursionError:  # a formula hundreds of parentheses or IFs deep, or a sum of thousands of terms
            raise SheetnetError(f"{path}: a formula is nested too deeply for the fast engine (hundreds of levels, "
                                f"or a sum of thousands of terms); no sheetnet formula is") from None
    if engine == "formulas":
        with package.private_copy() as copy:
            return evaluate_formulas(copy, package)
    if engine == "saved":
        return saved_values(package)
    if engine == "libreoffice":
        from sheetnet.evaluate import libreoffice

        with package.private_copy() as copy:
            return libreoffice.evaluate(copy, shown=package.path)
    if engine in ("formualizer", "ironcalc"):
        from sheetnet.evaluate import peers

        with package.private_copy() as copy:
            return peers.evaluate_peer(engine, copy, package)
    raise SheetnetError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
