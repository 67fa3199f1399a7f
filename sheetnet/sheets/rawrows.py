"""Rows written straight as sheet XML, for the many repeated steps of a large workbook.

openpyxl spends ~40 us per cell; the later training steps are plain rows of styled formulas, so
they are produced here as XML text (~3 us per cell) and spliced into the sheet parts openpyxl
wrote. The first steps still go through openpyxl, which gives them their notes and registers every
style this module refers to by index.
"""

from __future__ import annotations

import re
from collections import defaultdict

from sheetnet.cellref import column_letters
from sheetnet.sheets.rowtemplate import row_template

RAW_FROM_STEP = 2  # steps 0 and 1 are written by openpyxl (notes, style registration)

def _escape(text: str) -> str:
    """XML text: & < > " escaped. Guarded replaces: a tenth of str.translate's time on formula text, where
    most strings hold none of them and the rest one or two."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    return text

_DIMENSION = re.compile(rb'<dimension ref="[^"]*"\s*/>')


class RawRows:
    def __init__(self):
        self.rows: dict[str, dict[int, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
        self.style_ids: dict[str, int] = {}
        self.extent: dict[str, tuple[int, int]] = {}
        self.links: dict[str, list[tuple[str, str]]] = defaultdict(list)

    def add_link(self, sheet: str, row: int, col: int, location: str) -> None:
        """A hyperlink from a cell to a place in the workbook (written into the sheet's <hyperlinks>)."""
        self.links[sheet].append((f"{column_letters(col)}{row}", location))

    def remember_style(self, role: str, cell) -> None:
        """Learn the cellXfs index of a named style from a cell openpyxl has just styled with it."""
        if role not in self.style_ids:
            self.style_ids[role] = cell.style_id

    def _style(self, role: str | None) -> str:
        return "" if role is None else f' s="{self.style_ids[role]}"'

    def _note_extent(self, sheet: str, row: int, col: int) -> None:
        rows, cols = self.extent.get(sheet, (0, 0))
        self.extent[sheet] = (max(rows, row), max(cols, col))

    def add(self, sheet: str, row: int, col: int, value, role: str | None, literal: bool = False) -> None:
        """A cell: a formula when `value` starts with "=" (unless `literal`: a label stays text), else a value."""
        ref = f"{column_letters(col)}{row}"
        style = self._style(role)
        if isinstance(value, str) and value.startswith("=") and not literal:
            xml = f'<c r="{ref}"{style}><f>{_escape(value[1:])}</f></c>'
        elif isinstance(value, str):
            xml = f'<c r="{ref}"{style} t="inlineStr"><is><t>{_escape(value)}</t></is></c>'
        else:
            xml = f'<c r="{ref}"{style} t="n"><v>{value!r}</v></c>'
        self.rows[sheet][row].append((col, xml))
        self._note_extent(sheet, row, col)

    def add_block(self, sheet: str, block, formula, role: str) -> None:
        """Every formula of a block: the hot path of a large workbook."""
        style = self._style(role)
        sheet_rows = self.rows[sheet]
        letters = [column_letters(block.col + j) for j in range(block.ncols)]
        templates = [row_template(formula, j, _escape) if block.nrows > 2 else None for j in range(block.ncols)]
        for i in range(block.nrows):
            row = block.row + i
            cells = sheet_rows[row]
            for j in range(block.ncols):
                template = templates[j]
                text = template.render(i) if template is not None else _escape(formula(i, j)[1:])
                cells.append((block.col + j, f'<c r="{letters[j]}{row}"{style}><f>{text}</f></c>'))
        self._note_extent(sheet, block.row + block.nrows - 1, block.col + block.ncols - 1)

    def splice(self, sheet_parts: dict[str, str]):
        """A rewrite function for normalize_xlsx: appends the raw rows and the hyperlinks to each sheet."""
        by_part = {sheet_parts[sheet]: sheet for sheet in {*self.rows, *self.links}}

        def rewrite(part: str, content: bytes) -> bytes:
            sheet = by_part.get(part)
            if sheet is None:
                return content
            if sheet in self.rows:
                content = self._splice_rows(sheet, content)
            if sheet in self.links:
                content = self._splice_links(sheet, content)
            return content

        return rewrite

    def _splice_rows(self, sheet: str, content: bytes) -> bytes:
        rows = self.rows[sheet]
        xml = "".join(
            f'<row r="{row}">' + "".join(cell for _, cell in sorted(rows[row])) + "</row>"
            for row in sorted(rows)
        ).encode("utf-8")
        if b"</sheetData>" in content:
            content = content.replace(b"</sheetData>", xml + b"</sheetData>", 1)
        else:
            content = content.replace(b"<sheetData />", b"<sheetData>" + xml + b"</sheetData>", 1)
        rows_used, cols_used = self.extent[sheet]
        return _DIMENSION.sub(
            f'<dimension ref="A1:{column_letters(cols_used)}{rows_used}" />'.encode(), content, count=1
        )

    def _splice_links(self, sheet: str, content: bytes) -> bytes:
        """<hyperlinks> goes after the conditional formats and before the print settings (schema order)."""
        links = "".join(f'<hyperlink ref="{ref}" location="{_escape(location)}" display="{ref}" />'
                        for ref, location in self.links[sheet])
        xml = f"<hyperlinks>{links}</hyperlinks>".encode()
        for tag in (b"<printOptions", b"<pageMargins", b"<pageSetup"):
            if tag in content:
                return content.replace(tag, xml + tag, 1)
        return content.replace(b"</worksheet>", xml + b"</worksheet>", 1)
