"""A block column's formula as a template of its row number, proven by running the formula on a symbol.

Most formulas of a block differ from row to row only by row numbers that move with the row: row i of
`z` reads row i of `a` on the layer before. Calling a block's formula with a symbolic row instead of an int
finds that out exactly: the symbol may only be added to an int (giving another symbol) and printed (giving a
marker that says "this row number plus k"). Anything else a formula might do with the row (index a list of
shuffled samples, compare it, multiply it, format it) raises, and that column is written cell by cell as
before. So a template exists only when the formula text provably is `pieces joined by (offset + i)`, and
writing row i is a join of strings: the same text the formula gives, at a fraction of the cost.
"""

from __future__ import annotations

from collections.abc import Callable

_MARK = "\x00"  # around each row offset in a symbolic formula's text (formula text never holds it)


class NotAffine(BaseException):
    """The formula used its row number in some way other than adding an int and printing the sum. A
    BaseException, so that no `except Exception` on the way can swallow it and write something else."""


class SymbolicRow:
    """A row number plus `offset`, for a formula that is written for every row of a block."""

    __slots__ = ("offset",)

    def __init__(self, offset: int = 0):
        self.offset = offset

    def __add__(self, other):
        if type(other) is not int:
            raise NotAffine(f"row + {type(other).__name__}")
        return SymbolicRow(self.offset + other)

    __radd__ = __add__

    def __sub__(self, other):
        if type(other) is not int:
            raise NotAffine(f"row - {type(other).__name__}")
        return SymbolicRow(self.offset - other)

    def __str__(self) -> str:
        return f"{_MARK}{self.offset}{_MARK}"

    def __format__(self, spec: str) -> str:
        if spec:
            raise NotAffine(f"row formatted as {spec!r}")
        return str(self)

    def _refuse(self, *args, **kwargs):
        raise NotAffine("row used as a number")

    __index__ = __int__ = __float__ = __bool__ = __hash__ = __eq__ = __ne__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __mul__ = __rmul__ = __rsub__ = __mod__ = __floordiv__ = _refuse
    __truediv__ = __neg__ = __repr__ = _refuse


class RowTemplate:
    """Text pieces and row offsets: row i's text is pieces[0] + str(offsets[0] + i) + pieces[1] + ..."""

    def __init__(self, text: str):
        parts = text.split(_MARK)
        self.pieces = parts[0::2]
        self.offsets = [int(part) for part in parts[1::2]]

    def render(self, i: int) -> str:
        out = [self.pieces[0]]
        for offset, piece in zip(self.offsets, self.pieces[1:], strict=True):
            out.append(str(offset + i))
            out.append(piece)
        return "".join(out)


def row_template(formula: Callable[[object, int], str], j: int,
                 escape: Callable[[str], str]) -> RowTemplate | None:
    """Column j of a block as an escaped template, or None when its formula is not provably a template."""
    try:
        text = formula(SymbolicRow(), j)
    except NotAffine:
        return None
    if not isinstance(text, str) or text.count(_MARK) % 2:
        return None
    return RowTemplate(escape(text[1:]))
