"""Ways to get the values of a workbook's formula cells.

- `formulas`: the `formulas` package, a Python re-implementation of Excel's calculation.
- `saved`: the values a spreadsheet application stored in the file when it last saved it.
- `libreoffice`: LibreOffice headless recalculates and saves a copy; we read that copy.
"""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from pathlib import Path

import numpy as np

from .errors import SheetnetError
from .readback import open_workbook


class Values:
    """Cell values by (sheet, row, column); sheet names compare case-insensitively."""

    def __init__(self, cells: dict[tuple[str, int, int], object], engine: str):
        self.cells = cells
        self.engine = engine

    def get(self, sheet: str, row: int, col: int):
        return self.cells.get((sheet.upper(), row, col))


def to_number(value) -> float | str | None:
    """A float, an Excel error text such as '#NUM!', or None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return str(value)


_KEY = re.compile(r"^'?\[[^\]]*\](?P<sheet>.*?)'?!(?P<col>[A-Z]+)(?P<row>\d+)$")


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


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


def evaluate_formulas(path: str | Path) -> Values:
    """Every cell's value as computed by the `formulas` package."""
    with _quiet_formulas() as formulas:
        try:
            model = formulas.ExcelModel().loads(str(path)).finish()
            solution = model.calculate()
        except Exception as exc:  # formulas raises many kinds on unusual workbooks
            raise SheetnetError(f"{path}: the formulas engine could not evaluate it ({exc})") from None
    cells = {}
    for key, ranges in solution.items():
        match = _KEY.match(str(key))
        if not match:
            continue  # ranges and defined names
        value = getattr(ranges, "value", ranges)
        value = value[0][0] if hasattr(value, "__getitem__") and not isinstance(value, str) else value
        cells[(match["sheet"].upper(), int(match["row"]), _column_number(match["col"]))] = to_number(value)
    return Values(cells, "formulas")


def read_saved(path: str | Path, engine: str = "saved") -> Values:
    """The values stored in the file (None for a formula cell never calculated by an application)."""
    wb = open_workbook(path, data_only=True)
    cells = {}
    try:
        for ws in wb.worksheets:
            sheet = ws.title.upper()
            for row in ws.iter_rows():
                for cell in row:
                    if getattr(cell, "value", None) is not None:
                        cells[(sheet, cell.row, cell.column)] = to_number(cell.value)
    finally:
        wb.close()
    return Values(cells, engine)


ENGINES = ("formulas", "libreoffice", "saved")
