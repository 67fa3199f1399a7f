"""Cell references inside formula text: find them, replace them by placeholders, shift them.

A formula's *shape* is its text with every reference replaced by a placeholder; the unrolled
network repeats a few dozen shapes thousands of times, so each shape is parsed once and the
references become per-cell coordinate arrays.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from sheetnet.cellref import column_letters, column_number

PLACEHOLDER = "\u00a4"  # each ¤ stands for the formula's next reference, left to right

TOKEN = re.compile(
    r"""(?P<string>"(?:[^"]|"")*")
    |(?P<ref>(?<![A-Za-z0-9_.$\\])
        (?:(?P<sheet>'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_.]*)!)?
        (?P<c1>\$?[A-Za-z]{1,3})(?P<r1>\$?[0-9]+)
        (?::(?P<c2>\$?[A-Za-z]{1,3})(?P<r2>\$?[0-9]+))?
        (?![A-Za-z0-9_(.!]))
    |(?P<name>(?<![A-Za-z0-9_.$\\])[A-Za-z_\\][A-Za-z0-9_.]*(?![A-Za-z0-9_.(!]))
    """,
    re.X,
)

MAX_ROW, MAX_COL = 1_048_576, 16_384


class Ref(NamedTuple):
    """A rectangle of cells on a sheet (None: the formula's own sheet), 1-based, corners included."""

    sheet: str | None
    row1: int
    col1: int
    row2: int
    col2: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.row2 - self.row1 + 1, self.col2 - self.col1 + 1


def _unquote(sheet: str | None) -> str | None:
    if sheet is None:
        return None
    if sheet.startswith("'"):
        return sheet[1:-1].replace("''", "'")
    return sheet


def _ref_from_match(match: re.Match) -> Ref | None:
    c1, r1 = column_number(match["c1"].lstrip("$")), int(match["r1"].lstrip("$"))
    if match["c2"]:
        c2, r2 = column_number(match["c2"].lstrip("$")), int(match["r2"].lstrip("$"))
    else:
        c2, r2 = c1, r1
    if not (1 <= r1 <= MAX_ROW and 1 <= r2 <= MAX_ROW and 1 <= c1 <= MAX_COL and 1 <= c2 <= MAX_COL):
        return None  # e.g. a name such as LOG10 that looks like a cell past the last column
    return Ref(_unquote(match["sheet"]), min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))


def split_formula(text: str, names: dict[str, Ref] | None = None) -> tuple[str, list[Ref]]:
    """(shape, references): the formula with ¤ in place of each reference, in order.

    Defined names (`names`, upper-case keys) become references too; other names stay as text.
    """
    refs: list[Ref] = []

    def replace(match: re.Match) -> str:
        if match["string"]:
            return match["string"]
        if match["ref"]:
            ref = _ref_from_match(match)
            if ref is None:
                return match["ref"]
        else:
            ref = (names or {}).get(match["name"].upper())
            if ref is None:
                return match["name"]
        refs.append(ref)
        return PLACEHOLDER

    return TOKEN.sub(replace, text), refs


DIGITS = re.compile(r"[0-9]{1,15}")  # runs of at most 15 digits fit an int64


def row_runs(text: str, names: dict[str, Ref]) -> tuple:
    """Which digit runs of a formula are row numbers: (row-1 run index or -1, row-2 run index or -1) per reference,
    the indexes of the other runs, and how many runs there are.

    Formulas that differ only in their row numbers share a *skeleton* (digits replaced by #): the fast engine
    learns the roles from a skeleton's first formula and reads every other one from its digits alone. Column
    letters, sheet names and literal numbers are part of the key, so only rows vary within a skeleton.
    """
    run_starts = {m.start(): i for i, m in enumerate(DIGITS.finditer(text))}
    slots = []
    for match in TOKEN.finditer(text):
        if match["ref"] and _ref_from_match(match) is not None:
            pair = []
            for group in ("r1", "r2"):
                if match[group]:
                    start = match.start(group) + (1 if match[group].startswith("$") else 0)
                    pair.append(run_starts[start])
                else:
                    pair.append(-1)
            slots.append(tuple(pair))
        elif match["name"] and match["name"].upper() in names:
            slots.append((-1, -1))
    used = {i for pair in slots for i in pair}
    others = tuple(i for i in range(len(run_starts)) if i not in used)
    return tuple(slots), others, len(run_starts)


def shift_formula(text: str, rows: int, cols: int) -> str:
    """The formula as it reads when copied `rows` down and `cols` right (for shared formulas)."""

    def shift_part(col: str, row: str) -> str:
        if not col.startswith("$"):
            col = column_letters(column_number(col) + cols)
        if not row.startswith("$"):
            row = str(int(row) + rows)
        return col + row

    def replace(match: re.Match) -> str:
        if not match["ref"]:
            return match.group(0)
        prefix = f"{match['sheet']}!" if match["sheet"] else ""
        text = prefix + shift_part(match["c1"], match["r1"])
        if match["c2"]:
            text += ":" + shift_part(match["c2"], match["r2"])
        return text

    return TOKEN.sub(replace, text)


def parse_reference(text: str) -> Ref | None:
    """A defined name's target such as `'Layer 1'!$C$5:$D$8`; None when it is not one rectangle."""
    shape, refs = split_formula(text.strip())
    return refs[0] if len(refs) == 1 and shape.strip() == PLACEHOLDER else None
