"""Compare an engine's values with the numpy reference, cell by cell, through the layout.

The reference runs from the workbook's own inputs (and, step by step, from the parameters the
spreadsheet holds: see `reference.training._resync`); every formula cell of the layout is then
compared with the tolerance of `check.tolerance`, and the report names each cell that differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sheetnet import reference
from sheetnet.evaluate.values import EMPTY, OK, GridValues, describe
from sheetnet.evaluate.xlsx import Package
from sheetnet.layout import Layout, quote_sheet
from sheetnet.model.options import COLUMN_NAMES, NORM_START, TRAINED, state_of
from sheetnet.model.problem import Problem
from sheetnet.verify.report import Mismatch, Report
from sheetnet.verify.scales import Scales
from sheetnet.verify.tolerance import agreement, conditioning

DIVERGED_LOSS = 1e100


def first_divergence(problem: Problem, trace) -> int | None:
    """The first step whose loss, in the reference, is not finite or beyond 1e100: training diverged."""
    for step in range(problem.structure.steps + 1):
        loss = trace[("loss", 0, step)]
        if not np.isfinite(loss).all() or (np.abs(loss) > DIVERGED_LOSS).any():
            return step
    return None


def _formula_mask(package: Package, sheet: str, shape: tuple[int, int]) -> np.ndarray:
    """True where the file holds a formula, as a grid of the given shape."""
    mask = np.zeros(shape, dtype=bool)
    try:
        cells = package.sheet(sheet)
    except KeyError:
        return mask
    rows, cols = cells.formula_rows, cells.formula_cols
    inside = (rows < shape[0]) & (cols < shape[1])
    mask[rows[inside], cols[inside]] = True
    return mask


@dataclass
class Expected:
    """Every derived cell as flat arrays: where it is, which block owns it, its value and extra tolerance."""

    keys: list
    blocks: list
    rows: np.ndarray
    cols: np.ndarray
    owner: np.ndarray
    values: np.ndarray
    extra: np.ndarray

    def cell(self, k: int) -> tuple[tuple, str, int, int]:
        """(key, sheet, i, j) of flat cell k."""
        block = self.blocks[self.owner[k]]
        return self.keys[self.owner[k]], block.sheet, int(self.rows[k] - block.row), int(self.cols[k] - block.col)


def made_by_an_update(kind: str) -> bool:
    """A parameter (W, b, gamma, beta), a running statistic, an optimizer's state of a parameter or one of its
    per-step columns: what an update makes from the finite numbers of the step before it."""
    return kind in TRAINED or kind in NORM_START or state_of(kind) is not None or kind in COLUMN_NAMES


def compared_keys(layout: Layout, diverged_at: int | None) -> list:
    """Every formula block, or after a divergence the steps before it and the parameters it made: past that
    point numbers overflow, and how each engine shows an overflow (#NUM!, 0, inf, nan) is not the formula's
    doing. Pictures of the final parameters go too; the first step's pictures and the gradient check stay."""
    keys = layout.derived_keys()
    if diverged_at is None:
        return keys

    def kept(key) -> bool:
        kind, _, index = key
        if kind.startswith(("bd_", "nr_")):
            return not (index == 1 or kind == "nr_grid")
        if kind.startswith(("dr_", "gl_", "wp_", "fl_")):  # the final parameters' pictures; the initial ones stay
            return (kind == "wp_img" and index == 0) or (kind == "fl_kernel" and index == 0) or kind == "fl_img"
        if kind.startswith("gc_") or kind == "features":
            return True
        return index < diverged_at or (index == diverged_at and made_by_an_update(kind))

    return [key for key in keys if kept(key)]


def _tiled(block, maps: np.ndarray) -> np.ndarray:
    """The block's rectangle with tile (down, across) holding maps[down, across]; NaN in the blanks."""
    grid = np.full((block.nrows, block.ncols), np.nan)
    down, across, rows, cols = maps.shape
    for n in range(down):
        for f in range(across):
            i, j = block.tile(n, f)
            grid[i:i + rows, j:j + cols] = maps[n, f]
    return grid


def _expected(problem: Problem, layout: Layout, trace, diverged_at: int | None = None) -> Expected:
    keys = compared_keys(layout, diverged_at)
    blocks = [layout.block(*key) for key in keys]
    scales = Scales(problem, trace)
    rows, cols, owner, values, extra = [], [], [], [], []
    for index, (key, block) in enumerate(zip(keys, blocks, strict=True)):
        i, j = np.indices((block.nrows, block.ncols))
        present = block.present()  # a tiled block's blanks hold nothing to compare
        rows.append((block.row + i)[present])
        cols.append((block.col + j)[present])
        owner.append(np.full(int(present.sum()), index))
        here = np.asarray(trace[key], dtype=float)
        allowance = conditioning(problem, key, here, trace, scales)
        if here.ndim == 4:  # maps (samples, filters, rows, columns), placed in the block's tiles
            here, allowance = _tiled(block, here), _tiled(block, allowance)
        values.append(here[present])
        extra.append(allowance[present])
    return Expected(keys, blocks, np.concatenate(rows), np.concatenate(cols), np.concatenate(owner),
                    np.concatenate(values), np.concatenate(extra))


def _observed(values: GridValues, package: Package | None, cells: Expected):
    """The engine's value and code of every expected cell, and whether the file holds a formula there."""
    sheet_of = np.array([block.sheet for block in cells.blocks], dtype=object)[cells.owner]
    got = np.zeros(len(cells.rows))
    codes = np.full(len(cells.rows), EMPTY, dtype=np.int8)
    live = np.ones(len(cells.rows), dtype=bool)
    for sheet in sorted({block.sheet for block in cells.blocks}):
        here = sheet_of == sheet
        r, c = cells.rows[here], cells.cols[here]
        height, width = int(r.max()) + 1, int(c.max()) + 1
        sheet_values, sheet_codes = values.block(sheet, 0, 0, height, width)
        got[here], codes[here] = sheet_values[r, c], sheet_codes[r, c]
        if package is not None:
            live[here] = _formula_mask(package, sheet, (height, width))[r, c]
    return got, codes, live


def _reference(problem: Problem, layout: Layout, values: GridValues):
    """The reference trace, each step started from the parameters the spreadsheet holds."""

    def observed(kind: str, layer: int, step: int):
        block = layout.block(kind, layer, step)
        got, codes = values.block(block.sheet, block.row, block.col, block.nrows, block.ncols)
        return got if (codes == OK).all() and np.isfinite(got).all() else None

    with np.errstate(all="ignore"):
        return reference.run(problem, observed)


def compare(problem: Problem, values: GridValues, path: str | Path, package: Package | None = None,
            limit: int = 10) -> Report:
    """Check every derived cell of the layout against the reference trace, all blocks at once."""
    layout = Layout(problem.structure)
    trace = _reference(problem, layout, values)
    report = Report(str(path), values.engine, limit=limit)
    report.diverged_at = first_divergence(problem, trace)
    cells = _expected(problem, layout, trace, report.diverged_at)
    got, codes, live = _observed(values, package, cells)
    for k in np.flatnonzero(~live)[: report.limit]:
        _, sheet, i, j = cells.cell(k)
        report.not_formulas.append(f"{quote_sheet(sheet)}!{cells.blocks[cells.owner[k]].cell(i, j)}")
    report.not_formula_count = int((~live).sum())
    empty = codes == EMPTY
    report.missing = int(empty.sum())
    present = ~empty if values.engine == "saved" else np.ones_like(empty)
    report.compared = int(present.sum())
    agree, error, share = agreement(cells.values, got, codes, cells.extra)
    report.max_abs_error = float(error.max(initial=0.0))
    report.max_share = float(share.max(initial=0.0))
    wrong = present & ~agree
    report.mismatch_count = int(wrong.sum())
    for k in np.flatnonzero(wrong)[: report.limit]:
        key, sheet, i, j = cells.cell(k)
        block = cells.blocks[cells.owner[k]]
        report.mismatches.append(Mismatch(sheet, block.cell(i, j), layout.describe(key, i, j),
                                          float(cells.values[k]), describe(got[k], codes[k])))
    if values.engine == "saved" and report.missing and report.compared:
        report.mismatch_count += report.missing  # partly saved: some formula cells carry no value
    return report
