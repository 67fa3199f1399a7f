"""The `formulas` package as an engine: a Python re-implementation of Excel's calculation.

Runs in the child process of child.py (engines.evaluate_formulas runs it in-process, for tests)."""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from pathlib import Path

import numpy as np

from sheetnet.errors import SheetnetError
from sheetnet.evaluate.xlsx import column_number

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


def formulas_cells(path: str | Path, shown: str | Path, sheet_order: list[str]) -> dict[str, dict]:
    """Every cell's value as computed by the `formulas` package, {sheet: {(row, col): value}}; runs in the child
    process of child.py, or in-process for tests."""
    with _quiet_formulas() as formulas:
        try:
            model = formulas.ExcelModel().loads(str(path)).finish()
            solution = model.calculate()
        except Exception as exc:  # formulas raises many kinds on unusual workbooks
            raise SheetnetError(f"{shown}: the formulas engine could not evaluate it ({exc})") from None
    names = {name.upper(): name for name in sheet_order}
    cells: dict[str, dict] = {name: {} for name in sheet_order}
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
    return cells
