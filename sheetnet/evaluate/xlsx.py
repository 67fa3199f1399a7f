"""A fast, safe reader for the parts of an .xlsx that checking needs: cells, formulas, names.

Sheet XML is scanned with regular expressions rather than a DOM: a million cells in a few
seconds, and no XML entity is ever expanded (a part that declares a DOCTYPE or ENTITY is refused,
which stops "billion laughs" files). The small parts (workbook, relationships) go through
defusedxml. Sizes are capped before anything is decompressed, which stops zip bombs.
"""

from __future__ import annotations

import contextlib
import functools
import io
import posixpath
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import ElementTree as SafeET

from sheetnet.cellref import column_number
from sheetnet.errors import SheetnetError
from sheetnet.evaluate.formula_scan import SEPARATOR, FormulaScan, scan_formulas
from sheetnet.evaluate.screen import screen_part
from sheetnet.evaluate.sheetcells import MAX_COLS, MAX_ROWS, SheetCells, cell_value, parse_general
from sheetnet.evaluate.xmltext import text_runs, unescape
from sheetnet.files import check_regular, read_upto

MAX_PART_BYTES = 1 << 30  # 1 GiB uncompressed for one sheet
MAX_TOTAL_BYTES = 2 << 30
MAX_FILE_BYTES = 1 << 30  # the .xlsx itself
MAX_RATIO = 200  # uncompressed / compressed above this (and above 10 MB) looks like a zip bomb
MAX_CELLS = 10_000_000  # more cells than this is not a workbook a learner opens; refuse before evaluating

NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"



@dataclass
class Package:
    """The readable content of a workbook."""

    path: Path
    sheets: dict[str, SheetCells]
    sheet_order: list[str]
    hidden: set[str]
    defined_names: dict[str, str]  # workbook-scoped name -> reference text
    has_macros: bool = False
    content: bytes = field(default=b"", repr=False)  # the file's bytes as screened

    @contextlib.contextmanager
    def private_copy(self):
        """The screened bytes in a private folder, for an engine that opens a file by name (`formulas`,
        LibreOffice): the file cannot be swapped after screening, and nothing lies beside it."""
        with tempfile.TemporaryDirectory(prefix="sheetnet-copy-") as folder:
            copy = Path(folder) / (self.path.stem[:100] + ".xlsx")
            copy.write_bytes(self.content)
            yield copy

    def sheet(self, name: str) -> SheetCells:
        for candidate, cells in self.sheets.items():
            if candidate.upper() == name.upper():
                return cells
        raise KeyError(name)


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
    try:
        return SafeET.fromstring(data)
    except Exception as exc:  # defusedxml raises its own types for forbidden constructs
        raise SheetnetError(f"{path}: {part} is not valid XML ({type(exc).__name__})") from None


def _shared_strings(data: bytes) -> list[str]:
    """Each <si>'s text, found within its own stretch of the part (one pass, whatever is left unclosed)."""
    strings = []
    for chunk in data.split(b"<si>")[1:]:
        end = chunk.find(b"</si>")
        strings.append(unescape(text_runs(chunk if end < 0 else chunk[:end]).decode("utf-8")))
    return strings


# The layout every writer we know uses (openpyxl, Excel, LibreOffice): `r` first, then a plain formula
# (found by formula_scan) or a value or an inline string (found here). Anything else (shared or array
# formulas, other attribute orders) fails the count check below and takes the general path.
_OTHER_CELL = re.compile(
    r'<c r="([A-Z]+)([0-9]+)"([^>]*?)(?:/>|>(?:<v>([^<]*)</v>|<v\s*/>)?(?:<is>((?:(?!</c>).)*?)</is>)?</c>)', re.S
)
_TYPE = re.compile(r't="([^"]*)"')


def _formula_texts(scan: FormulaScan, name: str, path: Path) -> str:
    """The joined formula texts, unescaped once for the whole sheet."""
    joined = scan.joined.decode("utf-8", errors="replace")
    if "&" not in joined:
        return joined
    if "&#" not in joined:
        return unescape(joined)
    texts = [unescape(text) for text in joined.split(SEPARATOR)]  # a character reference could spell SEPARATOR
    if any(SEPARATOR in text for text in texts):
        raise SheetnetError(f"{path}: sheet '{name}' has a formula holding a control character")
    return SEPARATOR.join(texts)


def _parse_sheet(name: str, data: bytes, strings: list[str], path: Path,
                 scan: FormulaScan | None = None) -> SheetCells:
    scan = scan or scan_formulas(data)
    if scan is None:
        return parse_general(name, data, strings, path)
    text = data.decode("utf-8", errors="replace")
    other_cells = _OTHER_CELL.findall(text)
    if len(scan.rows) + len(other_cells) != data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/"):
        return parse_general(name, data, strings, path)
    cells = SheetCells(name)
    columns: dict[str, int] = {}
    max_row = max_col = 0
    if len(scan.rows):
        cells.formula_rows, cells.formula_cols = scan.rows, scan.cols
        cells.joined = _formula_texts(scan, name, path)
        max_row, max_col = int(scan.rows.max()), int(scan.cols.max())
    for letters, row_text, attrs, value, inline in other_cells:
        col = columns.get(letters) or columns.setdefault(letters, column_number(letters))
        row = int(row_text)
        max_row, max_col = max(max_row, row), max(max_col, col)
        kind = "n"
        if 't="' in attrs:
            typed = _TYPE.search(attrs)
            if typed is None:  # a cell type with no closing quote: malformed, the XML parser says where
                return parse_general(name, data, strings, path)
            kind = typed.group(1)
        if kind == "inlineStr":
            cells.constants[(row, col)] = unescape(text_runs(inline.encode("utf-8")).decode("utf-8"))
        elif value:
            cells.constants[(row, col)] = cell_value(kind.encode(), value.encode(), b"", strings)
    if max_row > MAX_ROWS or max_col > MAX_COLS:
        raise SheetnetError(f"{path}: sheet '{name}' has a cell beyond the spreadsheet limits")
    cells.max_row, cells.max_col = max_row, max_col
    cells.strings = strings
    return cells


def _not_a_zip(path: Path, content: bytes) -> SheetnetError:
    head = content[:1 << 20]
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # an OLE compound file
        if "EncryptedPackage".encode("utf-16-le") in head:
            return SheetnetError(f"{path}: the workbook is password-protected; save it without a password")
        return SheetnetError(f"{path}: not an .xlsx workbook (it looks like an old .xls file: save it as .xlsx)")
    return SheetnetError(f"{path}: not an .xlsx workbook (not a zip file, or a truncated one)")


def _parts(archive: zipfile.ZipFile, path: Path) -> tuple[dict[str, bytes], dict[str, FormulaScan]]:
    """Every part, size-capped and screened (entities, links outside the file) before anything parses it;
    and the plain formulas the screen found in a part, for the reader to reuse."""
    parts, scans = {}, {}
    for info in archive.infolist():
        data = _read_part(archive, info.filename, path)
        if data.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")[:1] in (b"<", b"\x00") or info.filename.endswith(
                (".xml", ".rels", ".vml")) or data[:2] == b"\x4c\x6f":  # EBCDIC "<?", any name: screened, refused
            scan = screen_part(info.filename, data, path)
            if scan is not None:
                scans[info.filename] = scan
        parts[info.filename] = data
    return parts, scans


def read_package(path: str | Path) -> Package:
    """Read every sheet's cells and the workbook's defined names, safely."""
    path = Path(path)
    check_regular(path, MAX_FILE_BYTES, "a workbook file")
    with open(path, "rb") as handle:  # read once: what is screened is what every engine gets
        content = read_upto(handle, MAX_FILE_BYTES)
    if len(content) > MAX_FILE_BYTES:
        raise SheetnetError(f"{path}: refused: more than {MAX_FILE_BYTES:,} bytes")
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise _not_a_zip(path, content)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, NotImplementedError, ValueError) as exc:  # a future zip version, ...
        raise SheetnetError(f"{path}: damaged workbook ({exc})") from None
    with archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            if "content.xml" in names:
                raise SheetnetError(f"{path}: this is an OpenDocument (.ods) file; save it as .xlsx")
            raise SheetnetError(f"{path}: not an .xlsx workbook (no xl/workbook.xml)")
        for info in archive.infolist():  # what zipfile cannot read is refused by name, before any part is read
            if info.flag_bits & 0x1:
                raise SheetnetError(f"{path}: {info.filename} is encrypted; sheetnet reads workbooks saved without "
                                    f"a password")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise SheetnetError(f"{path}: {info.filename} is compressed with method {info.compress_type} "
                                    f"(spreadsheets write 0, stored, or 8, deflate): damaged workbook")
            if info.extract_version > zipfile.MAX_EXTRACT_VERSION:
                raise SheetnetError(f"{path}: {info.filename} needs zip version {info.extract_version / 10:.1f} to "
                                    f"unpack: damaged workbook")
        total = sum(info.file_size for info in archive.infolist())
        if total > MAX_TOTAL_BYTES:
            raise SheetnetError(f"{path}: refused: it would unpack to {total:,} bytes (more than {MAX_TOTAL_BYTES:,})")
        try:
            package = _read(*_parts(archive, path), path, content)
            package.content = content
            return package
        except (zipfile.BadZipFile, EOFError, OSError, KeyError, UnicodeDecodeError, ValueError,
                zlib.error, IndexError, RecursionError, NotImplementedError, RuntimeError) as exc:
            raise SheetnetError(f"{path}: damaged workbook ({type(exc).__name__}: {str(exc)[:120]})") from None


def _reread(content: bytes, part: str, path: Path) -> bytes:
    """One part of the screened file, decompressed again (with the same caps) when it is needed again."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return _read_part(archive, part, path)


def _read(parts: dict[str, bytes], scans: dict[str, FormulaScan], path: Path, content: bytes) -> Package:
    workbook = _parse_small_xml(parts["xl/workbook.xml"], "xl/workbook.xml", path)
    rels = _parse_small_xml(parts["xl/_rels/workbook.xml.rels"], "workbook rels", path)
    targets = {}
    for rel in rels.iter(f"{NS_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[rel.get("Id")] = target
    strings = _shared_strings(parts["xl/sharedStrings.xml"]) if "xl/sharedStrings.xml" in parts else []
    sheets, order, hidden = {}, [], set()
    for element in workbook.iter(f"{NS_MAIN}sheet"):
        name = element.get("name")
        target = targets.get(element.get(f"{NS_REL}id"))
        if target is None or target not in parts:
            raise SheetnetError(f"{path}: sheet '{name}' is listed but its part is missing")
        if element.get("state") in ("hidden", "veryHidden"):
            hidden.add(name)
        sheets[name] = _parse_sheet(name, parts[target], strings, path, scans.get(target))
        if sheets[name].saved is None:  # not kept: a million cells' XML is needed again only by `saved`
            sheets[name].load_xml = functools.partial(_reread, content, target, path)
        order.append(name)
        cells = sum(len(s.formula_rows) + len(s.constants) for s in sheets.values())
        if cells > MAX_CELLS:
            raise SheetnetError(f"{path}: refused: more than {MAX_CELLS:,} cells")
    defined = {}
    for element in workbook.iter(f"{NS_MAIN}definedName"):
        if element.get("localSheetId") is None and element.text:
            defined[element.get("name")] = unescape(element.text)
    return Package(path=path, sheets=sheets, sheet_order=order, hidden=hidden, defined_names=defined,
                   has_macros=any(name.lower().endswith("vbaproject.bin") for name in parts))
