"""The `saved` engine: the values a spreadsheet application stored in the file when it last saved it."""

from __future__ import annotations

from sheetnet.evaluate.values import GridValues, from_cells
from sheetnet.evaluate.xlsx import Package


def saved_values(package: Package, engine: str = "saved") -> GridValues:
    """The values stored in the file: constants, and formula results as last saved."""
    cells = {name: {**sheet.constants, **sheet.cached_values()} for name, sheet in package.sheets.items()}
    return from_cells(cells, engine)
