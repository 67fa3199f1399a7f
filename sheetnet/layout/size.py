"""How big a workbook will be, and whether a spreadsheet application can open it.

Limits, and why:
- 1,048,576 rows and 16,384 columns per sheet: Excel's and LibreOffice's hard sheet limits.
- more than 1,000,000 formula cells: a warning. Measured here, LibreOffice headless needs ~29 s
  and ~1 GB to load and recalculate 1.07M cells of this layout; Excel on a laptop is similar.
- more than 5,000,000 formula cells: refused. That is ~5 GB and minutes in LibreOffice, past
  anything a learner can open and play with.
"""

from __future__ import annotations

from dataclasses import dataclass

from sheetnet.errors import SheetnetError
from sheetnet.layout import Layout

MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384
WARN_FORMULA_CELLS = 1_000_000
MAX_FORMULA_CELLS = 5_000_000


@dataclass(frozen=True)
class Size:
    sheets: list[str]
    formula_cells: int
    rows: int
    columns: int

    def summary(self) -> str:
        visible = [s for s in self.sheets if s not in ("sheetnet", "Grid passes")]
        return (f"{len(visible)} sheets ({', '.join(visible)}), {self.formula_cells:,} formula cells, "
                f"{self.rows:,} rows")


def measure(layout: Layout) -> Size:
    s = layout.structure
    convolution = ["Conv", *(["Conv test"] if s.n_test else [])] if s.conv else []
    sheets = ["About", "Data", *convolution, *[f"Layer {i}" for i in range(1, s.n_layers + 1)], "Training"]
    rows = layout.last_row()
    if layout.boundary is not None:
        sheets += ["Boundary", "Neurons"]
        points = layout.boundary.block("bd_px", 0, 0)
        rows = max(rows, points.row + points.nrows)
    if layout.gradcheck is not None:
        sheets.append("Gradient check")
    if layout.digits is not None:
        sheets += ["Draw", *(["Test digits"] if layout.digits.shown else []), "Filters" if s.conv else "Weights"]
    hidden = ["Grid passes"] if layout.boundary is not None else []
    return Size(sheets + hidden + ["sheetnet"], layout.formula_count(), rows, layout.last_column())


def check(size: Size) -> list[str]:
    """Warnings for a large workbook; an error for one no spreadsheet application can hold."""
    if size.rows > MAX_ROWS:
        raise SheetnetError(
            f"the workbook would need {size.rows:,} rows, more than a spreadsheet holds ({MAX_ROWS:,}); "
            f"use fewer --steps, fewer samples (--n) or mini-batches (--batch-size)"
        )
    if size.columns > MAX_COLUMNS:
        raise SheetnetError(f"the workbook would need {size.columns:,} columns, more than {MAX_COLUMNS:,}")
    if size.formula_cells > MAX_FORMULA_CELLS:
        raise SheetnetError(
            f"the workbook would hold {size.formula_cells:,} formula cells, more than {MAX_FORMULA_CELLS:,}: "
            f"too large for Excel or LibreOffice to open usefully; use fewer --steps, fewer samples (--n), "
            f"mini-batches (--batch-size) or fewer neurons (--hidden)"
        )
    if size.formula_cells > WARN_FORMULA_CELLS:
        return [f"{size.formula_cells:,} formula cells: Excel and LibreOffice will take tens of seconds "
                f"and about a gigabyte to open it (LibreOffice: ~29 s for 1.07M cells here); to shrink it, "
                f"use fewer --steps, fewer samples (--n) or mini-batches (--batch-size)"]
    return []
