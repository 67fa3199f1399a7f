"""Write a Problem as a workbook of live formulas: Data, one sheet per layer, Training.

The layout says where each quantity goes, `formulas` says which formula it gets, `styles` and `notes`
make it readable. Inputs are plain numbers styled as editable; everything else is a formula.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName

from sheetnet.files import normalize_xlsx, write_atomic
from sheetnet.layout import (
    META_SHEET,
    Block,
    Layout,
)
from sheetnet.layout.cells import Tiles
from sheetnet.model.problem import Problem
from sheetnet.model.text import printable
from sheetnet.sheets.about import write_about
from sheetnet.sheets.conv_sheet import write_conv, write_conv_test
from sheetnet.sheets.digits import write_digit_sheets
from sheetnet.sheets.formulas import formula_for
from sheetnet.sheets.gradcheck import write_gradient_check
from sheetnet.sheets.literal import literal_cell
from sheetnet.sheets.measured import Measured
from sheetnet.sheets.network_sheets import write_data, write_layer, write_training
from sheetnet.sheets.notes import note_for
from sheetnet.sheets.pictures import add_boundary_chart, write_boundary, write_neurons, write_passes
from sheetnet.sheets.rawrows import RAW_FROM_STEP, RawRows
from sheetnet.sheets.styles import (
    SUBTITLE_FONT,
    TITLE_FONT,
    named_styles,
    role_of,
    style_name,
)
from sheetnet.sheets.xmlbackend import standard_library_xml


class Writer:
    def __init__(self, problem: Problem, progress=None, measured: Measured | None = None,
                 file_name: str = "FILE.xlsx"):
        self.progress = progress or (lambda done: None)
        self.measured = measured or Measured()  # by the caller: the writer never runs the reference
        self.file_name = printable(file_name)  # the About sheet names it: a cell cannot hold control characters
        self.problem = problem
        self.structure = problem.structure
        self.layout = Layout(problem.structure)
        self.wb = Workbook()
        for style in named_styles():
            self.wb.add_named_style(style)
        self.noted: set[str] = set()
        self.formula_count = 0
        self.raw = RawRows()
        self._raw = False  # True while writing a step that bypasses openpyxl (rows_of_step)

    # --- helpers ------------------------------------------------------------------------
    @contextmanager
    def rows_of_step(self, step: int):
        """Write one training step's rows: from RAW_FROM_STEP on they bypass openpyxl (RawRows), which only the
        steps' repeated blocks need; the mode ends with the block, whatever happens inside it."""
        self._raw = step >= RAW_FROM_STEP
        try:
            yield
        finally:
            self._raw = False

    def put(self, ws, row: int, col: int, value, role: str):
        if self._raw:
            self.raw.add(ws.title, row, col, value, role)
            return None
        cell = ws.cell(row=row, column=col, value=value)
        cell.style = style_name(role)
        self.raw.remember_style(role, cell)
        return cell

    def titled_sheet(self, name: str, title: str, subtitle: str):
        """A new sheet with its title and the line under it: the first thing a student reads there."""
        ws = self.wb.create_sheet(name)
        self.text(ws, 1, 1, title, TITLE_FONT)
        self.text(ws, 2, 1, subtitle, SUBTITLE_FONT)
        return ws

    def text(self, ws, row: int, col: int, value, font=None, style: str | None = None):
        """A label, title or name: written as what it is, a number or a string, never as a formula (a column
        name such as "=WEBSERVICE(...)" from a CSV file stays text)."""
        if self._raw:
            self.raw.add(ws.title, row, col, value, style, literal=True)
            return None
        cell = literal_cell(ws, row, col, value)
        if style:
            cell.style = style_name(style)
            self.raw.remember_style(style, cell)
        if font is not None:
            cell.font = font
        return cell

    def link(self, ws, row: int, col: int, location: str) -> None:
        """A cell hyperlink to a place in the workbook (a real link, not the HYPERLINK function)."""
        self.raw.add_link(ws.title, row, col, location)

    def note(self, cell, key: str, text: str) -> None:
        if key in self.noted:
            return
        self.noted.add(key)
        comment = Comment(text, "sheetnet")
        comment.width, comment.height = 320, 140
        cell.comment = comment

    def put_formulas(self, ws, block: Block, formula, role: str, number_format: str | None = None) -> None:
        """Every cell of a block from a formula writer (the pictures' and the digits' sheets), counted."""
        self.formula_count += block.nrows * block.ncols
        for i, j, row, col in block.cells():
            cell = self.put(ws, row, col, formula(i, j), role)
            if number_format is not None:
                cell.number_format = number_format

    def write_block(self, ws, key, block: Block) -> None:
        formula = formula_for(self.layout, key)
        role = role_of(key[0])
        self.formula_count += block.count
        self.progress(self.formula_count)
        if self._raw and isinstance(block, Tiles):  # blanks between the tiles: cell by cell, no row template
            for i, j, row, col in block.cells():
                self.raw.add(ws.title, row, col, formula(i, j), role)
            return
        if self._raw:
            self.raw.add_block(ws.title, block, formula, role)
            return
        for i, j, row, col in block.cells():
            self.put(ws, row, col, formula(i, j), role)
        note = note_for(self.structure, key[0], key[1])
        if note:
            self.note(ws.cell(row=block.row, column=block.col), *note)

    def meta_sheet(self) -> None:
        ws = self.wb.create_sheet(META_SHEET)
        ws["A1"] = "sheetnet structure (do not edit)"
        ws["A2"] = self.structure.to_json()
        ws.sheet_state = "hidden"

    def print_setup(self) -> None:
        """Landscape, one page wide: printing or a PDF export shows each sheet whole across."""
        for ws in self.wb.worksheets:
            ws.page_setup.orientation = "landscape"
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True

    def names(self) -> None:
        for name, block in self.layout.defined_names().items():
            self.wb.defined_names[name] = DefinedName(name, attr_text=block.absolute())

    def build(self) -> Workbook:
        self.formula_total = self.layout.formula_count()
        write_data(self)
        if self.layout.conv is not None:
            write_conv(self)
            if self.structure.n_test:
                write_conv_test(self)
        for layer in range(1, self.structure.n_layers + 1):
            write_layer(self, layer)
        write_training(self)
        extra = []
        if self.layout.boundary is not None:
            write_boundary(self)
            write_neurons(self)
            extra += ["Boundary", "Neurons"]
        if self.layout.gradcheck is not None:
            write_gradient_check(self)
            extra.append("Gradient check")
        if self.layout.boundary is not None:
            write_passes(self)
            add_boundary_chart(self)
        if self.layout.digits is not None:
            extra += write_digit_sheets(self)
        write_about(self, extra)
        self.meta_sheet()
        self.print_setup()
        self.names()
        self.wb.active = 0
        return self.wb


def workbook_bytes(problem: Problem, progress=None, measured: Measured | None = None,
                   file_name: str = "FILE.xlsx") -> tuple[bytes, int]:
    """The .xlsx file for a problem, and its number of formula cells."""
    writer = Writer(problem, progress, measured, file_name)
    buffer = io.BytesIO()
    with standard_library_xml():  # the same bytes whether openpyxl runs on lxml or not
        wb = writer.build()
        wb.save(buffer)
    sheet_parts = {ws.title: f"xl/worksheets/sheet{i}.xml" for i, ws in enumerate(wb.worksheets, start=1)}
    return normalize_xlsx(buffer.getvalue(), writer.raw.splice(sheet_parts)), writer.formula_count


def write_workbook(problem: Problem, path: str | Path, force: bool = False, progress=None,
                   measured: Measured | None = None) -> int:
    """Write the workbook atomically; returns the number of formula cells."""
    data, count = workbook_bytes(problem, progress, measured, Path(path).name)
    write_atomic(Path(path), data, force=force)
    return count


__all__ = ["write_workbook", "workbook_bytes"]
