"""Cell values as numpy grids, one per sheet: a float grid and an error-code grid.

Every engine's result ends up here, so the checker compares whole blocks at once.
"""

from __future__ import annotations

import numpy as np

from sheetnet.errors import SheetnetError

OK, EMPTY, TEXT = 0, 1, 2
ERROR_CODES = {"#NULL!": 3, "#DIV/0!": 4, "#VALUE!": 5, "#REF!": 6, "#NAME?": 7, "#NUM!": 8, "#N/A": 9}
ERROR_TEXT = {code: text for text, code in ERROR_CODES.items()}
FIRST_ERROR = 3
# Cells of all sheets' rectangles together, per file (~10 bytes each: value, code, logical flag): the largest
# example spans ~3 million; a hostile cell such as ALL390000 would ask for gigabytes before anything is computed.
MAX_FILE_CELLS = 60_000_000


class GridTooLarge(SheetnetError):
    """A file whose sheets would span more than MAX_FILE_CELLS cells (the caller names the file)."""


def describe(value: float, code: int):
    """What a cell holds, for reports: a float, an error text such as '#NUM!', 'text' or None."""
    if code == OK:
        return float(value)
    if code == EMPTY:
        return None
    if code == TEXT:
        return "text"
    return ERROR_TEXT.get(int(code), "#ERROR")


class GridValues:
    """Values of every cell of every sheet; sheet names compare case-insensitively."""

    def __init__(self, engine: str):
        self.engine = engine
        self.values: dict[str, np.ndarray] = {}
        self.codes: dict[str, np.ndarray] = {}
        self.logical: dict[str, np.ndarray] = {}  # sheets with TRUE/FALSE cells: where they are
        self.cells = 0  # grid cells allocated so far, over every sheet

    def mark_logical(self, group, cells, flags, sheet_names) -> None:
        """Remember which computed cells hold TRUE/FALSE (Excel orders them above every number)."""
        sheets = group.sheets[cells]
        for sheet in np.unique(sheets):
            name = sheet_names[int(sheet)].upper()
            grid = self.logical.setdefault(name, np.zeros(self.values[name].shape, dtype=bool))
            mask = sheets == sheet
            grid[group.rows[cells][mask], group.cols[cells][mask]] = flags[mask]

    def add_sheet(self, name: str, rows: int, cols: int) -> None:
        """A sheet's rectangle up to (rows, cols), refused before it is allocated when the file's sheets together
        would span more than MAX_FILE_CELLS cells."""
        self.cells += (rows + 1) * (cols + 1)
        if self.cells > MAX_FILE_CELLS:
            raise GridTooLarge(f"the workbook's sheets span {self.cells:,} cells up to sheet '{name}' ({rows:,} rows "
                                f"x {cols:,} columns there): more than {MAX_FILE_CELLS:,}, far beyond any sheetnet "
                                f"workbook (a cell placed far from the others?)")
        self.values[name.upper()] = np.zeros((rows + 1, cols + 1))
        self.codes[name.upper()] = np.full((rows + 1, cols + 1), EMPTY, dtype=np.int8)

    def block(self, sheet: str, row: int, col: int, nrows: int, ncols: int) -> tuple[np.ndarray, np.ndarray]:
        """(values, codes) of a rectangle; cells beyond the sheet's extent are empty."""
        values, codes = self.values.get(sheet.upper()), self.codes.get(sheet.upper())
        out_values = np.zeros((nrows, ncols))
        out_codes = np.full((nrows, ncols), EMPTY, dtype=np.int8)
        if values is None:
            return out_values, out_codes
        r2, c2 = min(row + nrows, values.shape[0]), min(col + ncols, values.shape[1])
        if r2 > row and c2 > col:
            out_values[: r2 - row, : c2 - col] = values[row:r2, col:c2]
            out_codes[: r2 - row, : c2 - col] = codes[row:r2, col:c2]
        return out_values, out_codes

    def get(self, sheet: str, row: int, col: int):
        values, codes = self.block(sheet, row, col, 1, 1)
        return describe(values[0, 0], codes[0, 0])

    def set_all(self, sheet: str, cells: dict[tuple[int, int], object]) -> None:
        """Store many values: plain numbers and texts in bulk (a large sheet holds a hundred thousand labels),
        anything else (TRUE/FALSE, error texts, numpy numbers) one by one."""
        numbers, texts, others = [], [], []
        for position, value in cells.items():
            kind = type(value)
            if kind is float or kind is int:
                numbers.append((*position, value))
            elif kind is str and value not in ERROR_CODES:
                texts.append(position)
            else:
                others.append((position, value))
        values, codes = self.values[sheet.upper()], self.codes[sheet.upper()]
        if numbers:
            table = np.array(numbers, dtype=float)
            rows, cols = table[:, 0].astype(np.int64), table[:, 1].astype(np.int64)
            values[rows, cols], codes[rows, cols] = table[:, 2], OK
        if texts:
            where = np.array(texts, dtype=np.int64)
            codes[where[:, 0], where[:, 1]] = TEXT
        for (row, col), value in others:
            self.set(sheet, row, col, value)

    def set(self, sheet: str, row: int, col: int, value) -> None:
        """Store one value as found in a file or returned by another engine."""
        values, codes = self.values[sheet.upper()], self.codes[sheet.upper()]
        if value is None:
            return
        if isinstance(value, bool):
            values[row, col], codes[row, col] = float(value), OK
            self.logical.setdefault(sheet.upper(), np.zeros(values.shape, dtype=bool))[row, col] = True
        elif isinstance(value, (int, float, np.integer, np.floating)):
            values[row, col], codes[row, col] = float(value), OK
        else:
            text = str(value)
            codes[row, col] = ERROR_CODES.get(text, TEXT)


def from_cells(cells: dict[str, dict[tuple[int, int], object]], engine: str) -> GridValues:
    """Grids from {sheet: {(row, col): value}}."""
    grid = GridValues(engine)
    for sheet, entries in cells.items():
        rows = max((r for r, _ in entries), default=0)
        cols = max((c for _, c in entries), default=0)
        grid.add_sheet(sheet, rows, cols)
        grid.set_all(sheet, entries)
    return grid
