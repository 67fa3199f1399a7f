"""A fast, safe reader for the parts of an .xlsx that checking needs: cells, formulas, names.

Sheet XML is scanned with regular expressions rather than a DOM: a million cells in a few
seconds, and no XML entity is ever expanded (a part that declares a DOCTYPE or ENTITY is refused,
which stops "billion laughs" files). The small parts (workbook, relationships) go through
defusedxml. Sizes are capped before anything is decompressed, which stops zip bombs.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from defusedxml import ElementTree as SafeET

from sheetnet.cellref import column_number
from sheetnet.errors import SheetnetError

MAX_PART_BYTES = 1 << 30  # 1 GiB uncompressed for one sheet
MAX_TOTAL_BYTES = 2 << 30
MAX_RATIO = 200  # uncompressed / compressed above this (and above 10 MB) looks like a zip bomb
MAX_ROWS, MAX_COLS = 1_048_576, 16_384  # Excel's own sheet limits
MAX_CELLS = 10_000_000  # more cells than this is not a workbook a learner opens; refuse before evaluating

NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"

_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_FORMULA = re.compile(rb"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_VALUE = re.compile(rb"<v>(.*?)</v>", re.S)
_TEXT = re.compile(rb"<t\b[^>]*>(.*?)</t>", re.S)
_SI = re.compile(rb"<si>(.*?)</si>", re.S)
_REF = re.compile(rb"([A-Z]+)(\d+)")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def unescape(text: str) -> str:
    """XML's five predefined entities and character references; nothing else is ever expanded."""
    if "&" not in text:
        return text

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith("#x"):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return _ENTITIES[name]

    return _ENTITY.sub(replace, text)


@dataclass
class SheetCells:
    """One sheet's cells: constants by position; formulas as parallel arrays (a million of them
    are read without a Python object per cell); saved values of formulas on demand."""

    name: str
    constants: dict[tuple[int, int], object] = field(default_factory=dict)
    formula_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    formula_cols: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    formula_texts: list[str] = field(default_factory=list)
    formula_cache: tuple = ((), ())  # (attributes, value text) of each formula cell, as saved
    strings: list[str] = field(default_factory=list)
    max_row: int = 0
    max_col: int = 0
    saved: dict | None = None  # cached values, when the general parser already decoded them
    _formulas: dict | None = None

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
        attrs, values = self.formula_cache
        result = {}
        positions = zip(self.formula_rows.tolist(), self.formula_cols.tolist(), strict=True)
        for position, attr, value in zip(positions, attrs, values, strict=True):
            if value:
                kind = _TYPE.search(attr).group(1) if 't="' in attr else "n"
                result[position] = _cell_value(kind.encode(), value.encode(), b"", self.strings)
        return result


@dataclass
class Package:
    """The readable content of a workbook."""

    path: Path
    sheets: dict[str, SheetCells]
    sheet_order: list[str]
    hidden: set[str]
    defined_names: dict[str, str]  # workbook-scoped name -> reference text
    has_macros: bool = False
    external_links: int = 0

    def sheet(self, name: str) -> SheetCells:
        for candidate, cells in self.sheets.items():
            if candidate.upper() == name.upper():
                return cells
        raise KeyError(name)


def _refuse_doctype(data: bytes, part: str, path: Path) -> None:
    head = data[:4096]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data[:65536]:
        raise SheetnetError(f"{path}: refused: {part} declares a DOCTYPE/ENTITY (possible entity-expansion attack)")


def _read_part(archive: zipfile.ZipFile, name: str, path: Path) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > MAX_PART_BYTES:
        raise SheetnetError(f"{path}: refused: {name} would unpack to {info.file_size:,} bytes "
                            f"(more than {MAX_PART_BYTES:,})")
    if info.file_size > 10_000_000 and info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
        raise SheetnetError(f"{path}: refused: {name} is compressed {info.file_size // info.compress_size}:1 "
                            f"(a zip bomb?)")
    with archive.open(info) as handle:
        data = handle.read(MAX_PART_BYTES + 1)
    if len(data) > MAX_PART_BYTES:
        raise SheetnetError(f"{path}: refused: {name} unpacks to more than {MAX_PART_BYTES:,} bytes")
    return data


def _parse_small_xml(data: bytes, part: str, path: Path):
    _refuse_doctype(data, part, path)
    try:
        return SafeET.fromstring(data)
    except Exception as exc:  # defusedxml raises its own types for forbidden constructs
        raise SheetnetError(f"{path}: {part} is not valid XML ({type(exc).__name__})") from None


def _shared_strings(data: bytes) -> list[str]:
    return [unescape(b"".join(_TEXT.findall(item)).decode("utf-8")) for item in _SI.findall(data)]


# The layout every writer we know uses (openpyxl, Excel, LibreOffice): `r` first, then a plain
# formula and/or a value or an inline string. Anything else (shared or array formulas, other
# attribute orders) fails the count check below and takes the general path.
_FORMULA_CELL = re.compile(r'<c r="([A-Z]+)([0-9]+)"([^>]*)><f>([^<]*)</f>(?:<v>([^<]*)</v>|<v\s*/>)?</c>')
_OTHER_CELL = re.compile(
    r'<c r="([A-Z]+)([0-9]+)"([^>]*?)(?:/>|>(?:<v>([^<]*)</v>|<v\s*/>)?(?:<is>(.*?)</is>)?</c>)', re.S
)
_CELL_TAG = re.compile(rb"<c[ >/]")
_TYPE = re.compile(r't="([^"]*)"')
_TEXT_STR = re.compile(r"<t\b[^>]*>(.*?)</t>", re.S)


def _parse_sheet(name: str, data: bytes, strings: list[str], path: Path) -> SheetCells:
    _refuse_doctype(data, name, path)
    text = data.decode("utf-8", errors="replace")
    formula_cells = _FORMULA_CELL.findall(text)
    other_cells = _OTHER_CELL.findall(text)
    if len(formula_cells) + len(other_cells) != len(_CELL_TAG.findall(data)):
        return _parse_sheet_general(name, data, strings, path)
    cells = SheetCells(name)
    columns: dict[str, int] = {}
    max_row = max_col = 0
    if formula_cells:
        letters, rows, attrs, texts, values = zip(*formula_cells, strict=True)
        for item in set(letters):
            columns[item] = column_number(item)
        cells.formula_rows = np.array(list(map(int, rows)), dtype=np.int64)
        cells.formula_cols = np.array([columns[item] for item in letters], dtype=np.int64)
        cells.formula_texts = ["=" + (unescape(t) if "&" in t else t) for t in texts]
        cells.formula_cache = (attrs, values)
        max_row, max_col = int(cells.formula_rows.max()), int(cells.formula_cols.max())
    for letters, row_text, attrs, value, inline in other_cells:
        col = columns.get(letters) or columns.setdefault(letters, column_number(letters))
        row = int(row_text)
        max_row, max_col = max(max_row, row), max(max_col, col)
        kind = "n"
        if 't="' in attrs:
            kind = _TYPE.search(attrs).group(1)
        if kind == "inlineStr":
            cells.constants[(row, col)] = unescape("".join(_TEXT_STR.findall(inline)))
        elif value:
            cells.constants[(row, col)] = _cell_value(kind.encode(), value.encode(), b"", strings)
    if max_row > MAX_ROWS or max_col > MAX_COLS:
        raise SheetnetError(f"{path}: sheet '{name}' has a cell beyond the spreadsheet limits")
    cells.max_row, cells.max_col = max_row, max_col
    cells.strings = strings
    return cells


def _parse_sheet_general(name: str, data: bytes, strings: list[str], path: Path) -> SheetCells:
    """Any cell layout, attribute order, shared and array formulas: slower, complete."""
    cells = SheetCells(name)
    formula_rows: list[int] = []
    formula_cols: list[int] = []
    cached: dict[tuple[int, int], object] = {}
    shared: dict[bytes, tuple[int, int, str]] = {}
    max_row = max_col = 0
    for match in _CELL.finditer(data):
        attrs = dict(_ATTR.findall(match.group(1)))
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
        body = match.group(2)
        if not body:
            continue
        kind = attrs.get(b"t", b"n")
        value_match = _VALUE.search(body)
        raw_value = value_match.group(1) if value_match else None
        value = _cell_value(kind, raw_value, body, strings)
        formula_match = _FORMULA.search(body) if b"<f" in body else None
        if formula_match is None:
            if value is not None:
                cells.constants[(row, col)] = value
            continue
        f_attrs = dict(_ATTR.findall(formula_match.group(1)))
        text = unescape((formula_match.group(2) or b"").decode("utf-8"))
        f_type = f_attrs.get(b"t", b"normal")
        if f_type == b"array" or f_type == b"dataTable":
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
                raise SheetnetError(f"{path}: sheet '{name}'!{ref.decode()} uses an unknown shared formula")
        formula_rows.append(row)
        formula_cols.append(col)
        cells.formula_texts.append("=" + text)
        if value is not None:
            cached[(row, col)] = value
    cells.formula_rows = np.array(formula_rows, dtype=np.int64)
    cells.formula_cols = np.array(formula_cols, dtype=np.int64)
    cells.saved = cached
    cells.max_row, cells.max_col = max_row, max_col
    return cells


def _cell_value(kind: bytes, raw: bytes | None, body: bytes, strings: list[str]):
    if kind == b"inlineStr":
        return unescape(b"".join(_TEXT.findall(body)).decode("utf-8"))
    if raw is None or raw == b"":
        return None
    if kind == b"s":
        index = int(raw)
        return strings[index] if 0 <= index < len(strings) else ""
    if kind in (b"str", b"e"):
        return unescape(raw.decode("utf-8"))
    if kind == b"b":
        return raw == b"1"
    try:
        return float(raw)
    except ValueError:
        return unescape(raw.decode("utf-8", errors="replace"))


def read_package(path: str | Path) -> Package:
    """Read every sheet's cells and the workbook's defined names, safely."""
    path = Path(path)
    if not path.exists():
        raise SheetnetError(f"{path}: file not found")
    if path.is_dir():
        raise SheetnetError(f"{path}: is a folder, not a workbook")
    if not zipfile.is_zipfile(path):
        hint = ""
        with open(path, "rb") as handle:
            if handle.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
                hint = " (it looks like an old .xls file: save it as .xlsx)"
        raise SheetnetError(f"{path}: not an .xlsx workbook (not a zip file, or a truncated one){hint}")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SheetnetError(f"{path}: damaged workbook ({exc})") from None
    with archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            if "content.xml" in names:
                raise SheetnetError(f"{path}: this is an OpenDocument (.ods) file; save it as .xlsx")
            raise SheetnetError(f"{path}: not an .xlsx workbook (no xl/workbook.xml)")
        total = sum(info.file_size for info in archive.infolist())
        if total > MAX_TOTAL_BYTES:
            raise SheetnetError(f"{path}: refused: it would unpack to {total:,} bytes (more than {MAX_TOTAL_BYTES:,})")
        try:
            return _read(archive, names, path)
        except (zipfile.BadZipFile, EOFError, OSError, KeyError, UnicodeDecodeError, ValueError,
                zlib.error, IndexError) as exc:
            raise SheetnetError(f"{path}: damaged workbook ({type(exc).__name__}: {str(exc)[:120]})") from None


def _read(archive: zipfile.ZipFile, names: set[str], path: Path) -> Package:
    workbook = _parse_small_xml(_read_part(archive, "xl/workbook.xml", path), "xl/workbook.xml", path)
    rels = _parse_small_xml(_read_part(archive, "xl/_rels/workbook.xml.rels", path), "workbook rels", path)
    targets = {}
    for rel in rels.iter(f"{NS_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[rel.get("Id")] = target
    strings = []
    if "xl/sharedStrings.xml" in names:
        data = _read_part(archive, "xl/sharedStrings.xml", path)
        _refuse_doctype(data, "sharedStrings", path)
        strings = _shared_strings(data)
    sheets, order, hidden = {}, [], set()
    sheet_elements = list(workbook.iter(f"{NS_MAIN}sheet"))
    for element in sheet_elements:
        name = element.get("name")
        target = targets.get(element.get(f"{NS_REL}id"))
        if target is None or target not in names:
            raise SheetnetError(f"{path}: sheet '{name}' is listed but its part is missing")
        if element.get("state") in ("hidden", "veryHidden"):
            hidden.add(name)
        sheets[name] = _parse_sheet(name, _read_part(archive, target, path), strings, path)
        order.append(name)
        cells = sum(len(s.formula_texts) + len(s.constants) for s in sheets.values())
        if cells > MAX_CELLS:
            raise SheetnetError(f"{path}: refused: more than {MAX_CELLS:,} cells")
    defined = {}
    for element in workbook.iter(f"{NS_MAIN}definedName"):
        if element.get("localSheetId") is None and element.text:
            defined[element.get("name")] = unescape(element.text)
    return Package(
        path=path, sheets=sheets, sheet_order=order, hidden=hidden, defined_names=defined,
        has_macros="xl/vbaProject.bin" in names,
        external_links=sum(1 for n in names if n.startswith("xl/externalLinks/") and n.endswith(".xml")),
    )
