"""Cell references as formula text, seen from the sheet being written, and the per-cell view units read.

Relative references (`C5`) let a block repeat one formula shape down the steps; absolute ones
(`$C$5`) point at data that stays put (the Data sheet's rows, the final parameters).
"""

from __future__ import annotations

from collections.abc import Callable

from sheetnet.cellref import column_letters
from sheetnet.layout import Block, Layout, quote_sheet
from sheetnet.units.features import FEATURE_FORMULAS

Formula = Callable[[int, int], str]  # (i, j) of a block -> the cell's formula, with its leading "="


class Refs:
    """Cell references as seen from the sheet being written."""

    def __init__(self, layout: Layout, sheet: str):
        self.layout = layout
        self.sheet = sheet
        self._prefixes = {sheet: ""}

    def _prefix(self, block: Block) -> str:
        prefix = self._prefixes.get(block.sheet)
        if prefix is None:
            prefix = self._prefixes[block.sheet] = quote_sheet(block.sheet) + "!"
        return prefix

    def cell(self, block: Block, i: int = 0, j: int = 0) -> str:
        return self._prefix(block) + block.cell(i, j)

    def fixed(self, block: Block, i: int = 0, j: int = 0, i1: int | None = None, j1: int | None = None) -> str:
        """An absolute reference ($B$5 or $B$5:$C$5): data that does not move from step to step."""
        first = f"${column_letters(block.col + j)}${block.row + i}"
        if i1 is None and j1 is None:
            return self._prefix(block) + first
        last = f"${column_letters(block.col + j1)}${block.row + i1}"
        return self._prefix(block) + f"{first}:{last}"

    def row(self, block: Block, i: int) -> str:
        return self._prefix(block) + block.row_area(i)

    def fixed_row(self, block: Block, i: int) -> str:
        return self.fixed(block, i, 0, i, block.ncols - 1)

    def col(self, block: Block, j: int) -> str:
        return self._prefix(block) + block.col_area(j)

    def area_of(self, block: Block, i0: int, j0: int, i1: int, j1: int) -> str:
        return self._prefix(block) + block.area(i0, j0, i1, j1)

    def whole(self, block: Block) -> str:
        return self._prefix(block) + block.area()

    def block(self, kind: str, layer: int, step: int) -> Block:
        return self.layout.block(kind, layer, step)


class CellView:
    """The references one unit formula may read, for element (i, j) of a block, computed on demand.

    `resolve(name, i, j)` gives the text of `z`, `a`, `y`, `z_row`, ...; a unit writes `c.z` and
    never needs to know where the cell is.
    """

    __slots__ = ("_resolve", "i", "j")

    def __init__(self, resolve: Callable[[str, int, int], str], i: int, j: int):
        self._resolve = resolve
        self.i, self.j = i, j

    def __getattr__(self, name: str) -> str:
        return self._resolve(name, self.i, self.j)


class Samples:
    """Rows of input values (one sample each) and their targets on the Data sheet, by absolute reference."""

    def __init__(self, refs: Refs, samples: tuple[int, ...]):
        self.refs = refs
        self.samples = samples
        self.inputs = refs.layout.inputs_block()
        self.targets = refs.layout.targets_block()

    def row(self, i: int) -> str:
        return self.refs.fixed_row(self.inputs, self.samples[i])

    def col(self, j: int) -> str:
        """Input j over the samples, which are consecutive rows (all of them, or a batch that is not copied)."""
        first = self.samples[0]
        return self.refs.fixed(self.inputs, first, j, first + len(self.samples) - 1, j)

    def target(self, i: int, j: int) -> str:
        return self.refs.fixed(self.targets, self.samples[i], j)

    def target_row(self, i: int) -> str:
        return self.refs.fixed_row(self.targets, self.samples[i])


def features_formula(refs: Refs, raw: Block, names: tuple[str, ...]) -> Formula:
    """Feature j of row i, from the raw inputs x1 and x2 in the same row of `raw`."""
    return lambda i, j: "=" + FEATURE_FORMULAS[names[j]](refs.cell(raw, i, 0), refs.cell(raw, i, 1))
