"""Read a sheetnet workbook's structure and its input cells back into a Problem.

This is how the checker learns what a (possibly user-edited) workbook now says: the reference is
computed from these numbers, never from the config that first generated the file.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from openpyxl import load_workbook

from .errors import SheetnetError
from .layout import META_SHEET, Block, Layout
from .problem import Problem, Structure


def open_workbook(path: str | Path, *, data_only: bool = False):
    """Load an .xlsx for reading, refusing what is not one with a clear message."""
    path = Path(path)
    if not path.exists():
        raise SheetnetError(f"{path}: file not found")
    if not zipfile.is_zipfile(path):
        raise SheetnetError(f"{path}: not an .xlsx workbook (not a zip file)")
    try:
        return load_workbook(path, read_only=True, data_only=data_only, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for a broken package
        raise SheetnetError(f"{path}: cannot read the workbook ({type(exc).__name__}: {exc})") from None


def read_structure(wb, path: str | Path) -> Structure:
    if META_SHEET not in wb.sheetnames:
        raise SheetnetError(f"{path}: not a sheetnet workbook (no '{META_SHEET}' sheet)")
    ws = wb[META_SHEET]
    cells = {(r, c): v for r, row in enumerate(ws.iter_rows(min_row=1, max_row=2, max_col=1, values_only=True), 1)
             for c, v in enumerate(row, 1)}
    text = cells.get((2, 1))
    try:
        return Structure.from_json(text)
    except (TypeError, ValueError, KeyError) as exc:
        raise SheetnetError(f"{path}: the '{META_SHEET}' sheet is damaged ({exc})") from None


def read_block(wb, block: Block, path: str | Path, what: str) -> np.ndarray:
    """The numbers in a block of input cells; anything else is an error naming the cell."""
    if block.sheet not in wb.sheetnames:
        raise SheetnetError(f"{path}: sheet '{block.sheet}' is missing")
    ws = wb[block.sheet]
    rows = ws.iter_rows(min_row=block.row, max_row=block.row + block.nrows - 1,
                        min_col=block.col, max_col=block.col + block.ncols - 1, values_only=True)
    values = np.zeros((block.nrows, block.ncols))
    for i, row in enumerate(rows):
        row = tuple(row) + (None,) * (block.ncols - len(row))
        for j, value in enumerate(row[: block.ncols]):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise SheetnetError(
                    f"{path}: {block.sheet}!{block.cell(i, j)} ({what}) should hold a number, "
                    f"found {value!r}"
                )
            values[i, j] = value
    return values


def read_problem(path: str | Path, *, data_only: bool = False) -> Problem:
    """Structure and input numbers of a sheetnet workbook."""
    wb = open_workbook(path, data_only=data_only)
    try:
        structure = read_structure(wb, path)
        layout = Layout(structure)
        inputs = read_block(wb, layout.inputs_block(), path, "input")
        targets = read_block(wb, layout.targets_block(), path, "target")
        weights, biases = [], []
        for layer in range(1, structure.n_layers + 1):
            weights.append(read_block(wb, layout.block("W", layer, 0), path, f"initial weight W{layer}"))
            biases.append(read_block(wb, layout.block("b", layer, 0), path, f"initial bias b{layer}")[:, 0])
        hyper = {name: float(read_block(wb, layout.hyper_block(name), path, name)[0, 0])
                 for name in layout.hyper_names}
    finally:
        wb.close()
    return Problem(structure, inputs, targets, weights, biases, hyper)


def formula_cells(path: str | Path) -> set[tuple[str, int, int]]:
    """(SHEET, row, column) of every cell that holds a formula, to prove the workbook is live."""
    wb = open_workbook(path, data_only=False)
    found = set()
    try:
        for ws in wb.worksheets:
            sheet = ws.title.upper()
            for row in ws.iter_rows():
                for cell in row:
                    value = getattr(cell, "value", None)
                    if isinstance(value, str) and value.startswith("="):
                        found.add((sheet, cell.row, cell.column))
    finally:
        wb.close()
    return found
