"""Ways to get the values of a workbook's formula cells, all returned as GridValues.

- `fast`: sheetnet's own evaluator (default): each formula shape parsed once, numpy per level.
- `formulas`: the `formulas` package, a Python re-implementation of Excel's calculation (formulas_engine.py).
- `saved`: the values a spreadsheet application stored in the file when it last saved it.
- `libreoffice`: LibreOffice headless recalculates and saves a copy; we read that copy.
- `formualizer`, `ironcalc`: two spreadsheet engines written in Rust (optional, from PyPI); see peers.py.

The engines of other projects (formulas, formualizer, IronCalc, LibreOffice) run in child processes that are
killed at a deadline or a signal (child.py).
"""

from __future__ import annotations

from pathlib import Path

from sheetnet.errors import SheetnetError
from sheetnet.evaluate.formulas_engine import formulas_cells
from sheetnet.evaluate.saved import saved_values
from sheetnet.evaluate.values import GridTooLarge, GridValues, from_cells
from sheetnet.evaluate.xlsx import Package, read_package

ENGINES = ("fast", "formulas", "libreoffice", "saved", "formualizer", "ironcalc")


def evaluate_formulas(path: str | Path, package: Package | None = None) -> GridValues:
    """Every cell's value as computed by the `formulas` package, in this process (tests compare engines with it;
    `evaluate` runs it in a child process that can be stopped)."""
    package = package or read_package(path)
    return from_cells(formulas_cells(path, package.path, package.sheet_order), "formulas")


def _positions(package: Package) -> dict[str, tuple[list, list]]:
    """Each sheet's formula cells as (rows, cols), in sheet order: what a child engine is asked for."""
    return {name: (package.sheet(name).formula_rows.tolist(), package.sheet(name).formula_cols.tolist())
            for name in package.sheet_order}


def _in_child(engine: str, package: Package) -> GridValues:
    """`engine` evaluates the screened private copy in a child process (child.py); constants come from the file."""
    from sheetnet.evaluate.child import computed_cells

    if engine != "formulas":
        from sheetnet.evaluate.peers import require

        require(engine)
    with package.private_copy() as copy:
        computed = computed_cells(engine, copy, package.path, _positions(package))
    if engine == "formulas":
        return from_cells(computed, engine)
    cells = {name: {**package.sheet(name).constants, **computed[name]} for name in package.sheet_order}
    return from_cells(cells, engine)


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
    if engine in ("formulas", "formualizer", "ironcalc"):
        return _in_child(engine, package)
    if engine == "saved":
        return saved_values(package)
    if engine == "libreoffice":
        from sheetnet.evaluate import libreoffice

        with package.private_copy() as copy:
            return libreoffice.evaluate(copy, shown=package.path)
    raise SheetnetError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
