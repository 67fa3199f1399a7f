"""One sheet's cells as read from its XML, and the complete (slower) reader for any writer's layout:
attribute orders, shared and array formulas, saved values of every type."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sheetnet.cellref import column_number
from sheetnet.errors import SheetnetError
from sheetnet.evaluate.formula_scan import SEPARATOR
from sheetnet.evaluate.xmltext import text_runs, unescape

MAX_ROWS, MAX_COLS = 1_048_576, 16_384  # Excel's own sheet limits
_CELL_START = re.compile(rb"<c[\s>/]")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_FORMULA = re.compile(rb"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_VALUE = re.compile(rb"<v>(.*?)</v>", re.S)
_REF = re.compile(rb"([A-Z]+)(\d+)")
_TYPE = re.compile(r't="([^"]*)"')
# A plain formula cell as formula_scan finds it: its attributes and its saved value, if any.
_FORMULA_CELL_CACHE = re.compile(r'<c r="[A-Z]+[0-9]+"([^>]*)><f>[^<]*</f>(?:<v>([^<]*)</v>|<v\s*/>)?</c>')


@dataclass
class SheetCells:
    """One sheet's cells: constants by position; formulas as parallel arrays (a million of them
    are read without a Python object per cell); saved values of formulas on demand."""

    name: str
    constants: dict[tuple[int, int], object] = field(default_factory=dict)
    formula_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    formula_cols: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    joined: str = ""  # every formula's text ("=..."), in the order of the arrays, SEPARATOR between
    load_xml: Callable[[], bytes] | None = None  # the sheet's XML again, for saved values only when asked
    strings: list[str] = field(default_factory=list)
    max_row: int = 0
    max_col: int = 0
    saved: dict | None = None  # cached values, when the general parser already decoded them
    _formulas: dict | None = None
    _texts: list[str] | None = None

    @property
    def formula_texts(self) -> list[str]:
        """Each formula's text, in the order of formula_rows and formula_cols."""
        if self._texts is None:
            self._texts = self.joined.split(SEPARATOR) if len(self.formula_rows) else []
        return self._texts

    def set_texts(self, texts: list[str]) -> None:
        self._texts = texts
        self.joined = SEPARATOR.join(texts)

    @property
    def formulas(self) -> dict[tuple[int, int], str]:
        """Formula text by (row, column)."""
        if self._formulas is None:
            self._formulas = dict(zip(zip(self.formula_rows.tolist(), self.formula_cols.tolist(), strict=True),
                                      self.formula_texts, strict=True))
        return self._formulas

    def cached_values(self) -> dict[tuple[int, int], object]:
        """The values a spreadsheet application saved for the formula cells (None when never saved)."""
        if self.saved is not None:
            return self.saved
        xml = self.load_xml() if self.load_xml is not None else b""
        found = _FORMULA_CELL_CACHE.findall(xml.decode("utf-8", errors="replace"))
        attrs, values = (list(column) for column in zip(*found, strict=True)) if found else ([], [])
        result = {}
        positions = zip(self.formula_rows.tolist(), self.formula_cols.tolist(), strict=True)
        for position, attr, value in zip(positions, attrs, values, strict=True):
            if value:
                kind = _TYPE.search(attr).group(1) if 't="' in attr else "n"
                result[position] = cell_value(kind.encode(), value.encode(), b"", self.strings)
        return result


def _cells(data: bytes, name: str, path: Path):
    """(attributes, body) of every <c> element: each looked for only up to the next cell, so a part full of
    unclosed tags costs one pass, and such a cell is refused."""
    starts = [match.start() for match in _CELL_START.finditer(data)]
    for k, start in enumerate(starts):
        chunk = data[start:starts[k + 1] if k + 1 < len(starts) else len(data)]
        close = chunk.find(b">")
        if close < 0:
            raise SheetnetError(f"{path}: sheet '{name}' has a malformed cell (a tag that never ends)")
        if chunk[close - 1:close] == b"/":
            yield chunk[2:close - 1], b""
            continue
        end = chunk.find(b"</c>", close)
        if end < 0:
            raise SheetnetError(f"{path}: sheet '{name}' has a malformed cell (a <c> that is never closed)")
        yield chunk[2:close], chunk[close + 1:end]


MAX_ARRAY_CELLS = 100_000
_RANGE = re.compile(rb"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})(?::\$?([A-Za-z]{1,3})\$?([0-9]{1,7}))?")


def _area(ref: bytes) -> int:
    """Cells of an array formula's ref (A1:C3 -> 9); an unreadable ref counts as the whole sheet."""
    match = _RANGE.fullmatch(ref.strip())
    if match is None:
        return MAX_ROWS * MAX_COLS
    first_col, first_row = column_number(match.group(1).decode()), int(match.group(2))
    last_col = column_number(match.group(3).decode()) if match.group(3) else first_col
    last_row = int(match.group(4)) if match.group(4) else first_row
    return (abs(last_row - first_row) + 1) * (abs(last_col - first_col) + 1)


def _formula_text(match: re.Match, shared: dict, row: int, col: int, where: str) -> str:
    """A cell's formula text: its own, or its shared formula's shifted to it; `shared` remembers the origins."""
    f_attrs = dict(_ATTR.findall(match.group(1)))
    text = unescape((match.group(2) or b"").decode("utf-8"))
    f_type = f_attrs.get(b"t", b"normal")
    if f_type == b"array" or f_type == b"dataTable":
        area = _area(f_attrs.get(b"ref", b""))
        if area > MAX_ARRAY_CELLS:  # the formulas engine would fill every cell of it: minutes and gigabytes
            raise SheetnetError(f"{where} is an array formula over {area:,} cells (more than {MAX_ARRAY_CELLS:,}); "
                                f"no sheetnet workbook has one")
        text = text or "#N/A"  # evaluated as a plain formula: a range in it then gives #VALUE!
    elif f_type == b"shared":
        index = f_attrs.get(b"si")
        if text:
            shared[index] = (row, col, text)
        elif index in shared:
            from sheetnet.evaluate.fast.references import shift_formula

            origin_row, origin_col, origin_text = shared[index]
            text = shift_formula(origin_text, row - origin_row, col - origin_col)
        else:
            raise SheetnetError(f"{where} uses an unknown shared formula")
    if SEPARATOR in text:  # XML cannot hold it, though a character reference can spell it
        raise SheetnetError(f"{where} has a formula holding a control character")
    return text


def parse_general(name: str, data: bytes, strings: list[str], path: Path) -> SheetCells:
    """Any cell layout, attribute order, shared and array formulas: slower, complete."""
    cells = SheetCells(name)
    formula_rows: list[int] = []
    formula_cols: list[int] = []
    texts: list[str] = []
    cached: dict[tuple[int, int], object] = {}
    shared: dict[bytes, tuple[int, int, str]] = {}
    max_row = max_col = 0
    for raw_attrs, body in _cells(data, name, path):
        attrs = dict(_ATTR.findall(raw_attrs))
        ref = attrs.get(b"r")
        if ref is None:
            raise SheetnetError(f"{path}: sheet '{name}' has a cell without an address (unsupported writer)")
        position = _REF.fullmatch(ref)
        if position is None:
            raise SheetnetError(f"{path}: sheet '{name}' has a malformed cell address {ref.decode(errors='replace')!r}")
        row, col = int(position.group(2)), column_number(position.group(1).decode())
        if row > MAX_ROWS or col > MAX_COLS:
            raise SheetnetError(f"{path}: sheet '{name}' has a cell beyond the spreadsheet limits "
                                f"({ref.decode()})")
        max_row, max_col = max(max_row, row), max(max_col, col)
        if not body:
            continue
        kind = attrs.get(b"t", b"n")
        value_match = _VALUE.search(body)
        raw_value = value_match.group(1) if value_match else None
        value = cell_value(kind, raw_value, body, strings)
        formula_match = _FORMULA.search(body) if b"<f" in body else None
        if formula_match is None:
            if value is not None:
                cells.constants[(row, col)] = value
            continue
        formula_rows.append(row)
        formula_cols.append(col)
        texts.append("=" + _formula_text(formula_match, shared, row, col, f"{path}: sheet '{name}'!{ref.decode()}"))
        if value is not None:
            cached[(row, col)] = value
    cells.formula_rows = np.array(formula_rows, dtype=np.int64)
    cells.formula_cols = np.array(formula_cols, dtype=np.int64)
    cells.set_texts(texts)
    cells.saved = cached
    cells.max_row, cells.max_col = max_row, max_col
    return cells


_NUMBER = re.compile(rb"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def cell_value(kind: bytes, raw: bytes | None, body: bytes, strings: list[str]):
    if kind == b"inlineStr":
        return unescape(text_runs(body).decode("utf-8"))
    if raw is None or raw == b"":
        return None
    if kind == b"s":
        index = int(raw)
        return strings[index] if 0 <= index < len(strings) else ""
    if kind in (b"str", b"e"):
        return unescape(raw.decode("utf-8"))
    if kind == b"b":
        return raw == b"1"
    if _NUMBER.fullmatch(raw):  # only a spreadsheet's number syntax: Python's float() also takes 0_0, inf, " 1"
        return float(raw)
    return unescape(raw.decode("utf-8", errors="replace"))
