"""Cells and blocks: the value types every layout is made of (A1 addresses, sheet prefixes)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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

    @property
    def count(self) -> int:
        """How many cells the block holds."""
        return self.nrows * self.ncols

    def present(self) -> np.ndarray:
        """(nrows, ncols) booleans: True where the block holds a cell (everywhere, for a plain block)."""
        return np.ones((self.nrows, self.ncols), dtype=bool)


@dataclass(frozen=True)
class Tiles(Block):
    """Equal tiles in a grid, with blank rows and columns between them: a convolution's images and maps, one tile
    per sample (down) and filter (across). Element (i, j) of the rectangle is a cell only inside a tile; the blanks
    count as 0 in a SUM or SUMPRODUCT over several tiles, which is what lets one formula sum over the batch."""

    tile_rows: int = 1
    tile_cols: int = 1
    pitch_rows: int = 1  # rows from one tile's top to the next one's
    pitch_cols: int = 1

    def present(self) -> np.ndarray:
        rows = np.arange(self.nrows) % self.pitch_rows < self.tile_rows
        cols = np.arange(self.ncols) % self.pitch_cols < self.tile_cols
        return rows[:, None] & cols[None, :]

    @property
    def count(self) -> int:
        return int(self.present().sum())

    def cells(self):
        for i in range(self.nrows):
            if i % self.pitch_rows >= self.tile_rows:
                continue
            for j in range(self.ncols):
                if j % self.pitch_cols < self.tile_cols:
                    yield i, j, self.row + i, self.col + j

    def tile(self, down: int, across: int, i: int = 0, j: int = 0) -> tuple[int, int]:
        """(i, j) in the rectangle of element (i, j) of tile (down, across)."""
        return down * self.pitch_rows + i, across * self.pitch_cols + j
