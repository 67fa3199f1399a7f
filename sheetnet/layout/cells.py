"""Cells and blocks: the value types every layout is made of (A1 addresses, sheet prefixes)."""

from __future__ import annotations

from dataclasses import dataclass

from sheetnet.cellref import column_letters as get_column_letter

_LETTERS: list[str] = []  # column number -> letters, filled as far as asked: Block.cell runs once per cell


def _letters(number: int) -> str:
    if number >= len(_LETTERS):
        _LETTERS.extend(get_column_letter(k) for k in range(len(_LETTERS), number + 1))
    return _LETTERS[number]


def layer_sheet(layer: int) -> str:
    return f"Layer {layer}"


def quote_sheet(sheet: str) -> str:
    """A sheet name as a formula prefix: quoted only when it needs to be."""
    return sheet if sheet.isalnum() else "'" + sheet.replace("'", "''") + "'"


@dataclass(frozen=True)
class Block:
    """A rectangle of cells holding one quantity: element (i, j) is at (row + i, col + j)."""

    sheet: str
    row: int
    col: int
    nrows: int
    ncols: int

    def cell(self, i: int = 0, j: int = 0) -> str:
        col = self.col + j
        return f"{_LETTERS[col] if col < len(_LETTERS) else _letters(col)}{self.row + i}"

    @property
    def cells_shape(self) -> tuple[int, int]:
        """(rows, columns), as numpy's shape of the block's values."""
        return self.nrows, self.ncols

    def area(self, i0: int = 0, j0: int = 0, i1: int | None = None, j1: int | None = None) -> str:
        """A1 range from element (i0, j0) to (i1, j1), both included (default: the whole block)."""
        i1 = self.nrows - 1 if i1 is None else i1
        j1 = self.ncols - 1 if j1 is None else j1
        first, last = self.cell(i0, j0), self.cell(i1, j1)
        return first if first == last else f"{first}:{last}"

    def row_area(self, i: int) -> str:
        return self.area(i, 0, i, self.ncols - 1)

    def col_area(self, j: int) -> str:
        return self.area(0, j, self.nrows - 1, j)

    def absolute(self) -> str:
        """The whole block as an absolute reference with its sheet, for defined names."""
        first = f"${get_column_letter(self.col)}${self.row}"
        last = f"${get_column_letter(self.col + self.ncols - 1)}${self.row + self.nrows - 1}"
        ref = first if (self.nrows, self.ncols) == (1, 1) else f"{first}:{last}"
        return f"{quote_sheet(self.sheet)}!{ref}"

    def cells(self):
        """Every (i, j, row, col) of the block, row by row."""
        for i in range(self.nrows):
            for j in range(self.ncols):
                yield i, j, self.row + i, self.col + j
