"""Compare an engine's values with the numpy reference, cell by cell, through the layout.

Tolerance: |got - expected| <= RTOL * max(|got|, |expected|) + ATOL. RTOL = 1e-9 is the product's
promise; ATOL = 1e-12 covers quantities that are differences of nearly equal numbers (a gradient
2(a - y)/n when a is close to y), whose rounding error is absolute, about 1e-16 times the numbers
subtracted, not relative to the small result. LibreOffice saves 15 significant digits (relative
rounding <= 5e-16), far inside both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sheetnet import reference
from sheetnet.evaluate.values import EMPTY, FIRST_ERROR, OK, GridValues, describe
from sheetnet.evaluate.xlsx import Package
from sheetnet.layout import Layout, quote_sheet
from sheetnet.model.problem import Problem

RTOL = 1e-9
ATOL = 1e-12


@dataclass
class Mismatch:
    sheet: str
    cell: str
    quantity: str
    expected: float
    got: object

    def __str__(self) -> str:
        got = f"{self.got:.12g}" if isinstance(self.got, float) else repr(self.got)
        return f"{quote_sheet(self.sheet)}!{self.cell}: {self.quantity}: expected {self.expected:.12g}, got {got}"


@dataclass
class Report:
    path: str
    engine: str
    compared: int = 0
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    mismatches: list[Mismatch] = field(default_factory=list)
    mismatch_count: int = 0
    not_formulas: list[str] = field(default_factory=list)
    not_formula_count: int = 0
    missing: int = 0
    diverged_at: int | None = None
    limit: int = 10
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.mismatch_count == 0 and not self.not_formula_count and self.compared > 0

    def verdict(self) -> str:
        if self.compared == 0 and self.missing:
            return (f"FAIL {self.path}: no values to compare ({self.missing} formula cells are empty; "
                    f"a file never saved by a spreadsheet application has no saved values)")
        head = "OK" if self.ok else "FAIL"
        text = (f"{head} {self.path}: {self.compared:,} cells compared with the numpy reference "
                f"(engine {self.engine}), largest error {self.max_abs_error:.2e} absolute, "
                f"{self.max_rel_error:.2e} relative")
        if self.mismatch_count:
            text += f"; {self.mismatch_count:,} differ"
        if self.not_formula_count:
            text += f"; {self.not_formula_count:,} cells that should hold formulas hold plain values"
        if self.diverged_at is not None:
            agreement = "reference and engine agree" if self.ok else "see the differences below"
            text += f"; training diverged at step {self.diverged_at} (the learning rate is too large; {agreement})"
        return text

    def details(self) -> list[str]:
        lines = [f"  note: {note}" for note in self.notes]
        lines += [f"  {m}" for m in self.mismatches[: self.limit]]
        if self.mismatch_count > self.limit:
            lines.append(f"  ... and {self.mismatch_count - self.limit:,} more")
        if self.not_formulas:
            shown = ", ".join(self.not_formulas[: self.limit])
            lines.append(f"  not formulas: {shown}" + (" ..." if self.not_formula_count > self.limit else ""))
        return lines


SUM_TOLERANCE = 1e-12  # of the sum of the absolute terms


def _layer_input(problem: Problem, trace, prefix: str, layer: int, index: int) -> np.ndarray:
    """What a pass's layer multiplies by its weights: its first inputs, or the previous layer's output."""
    s = problem.structure
    if layer > 1:
        previous = trace.get((prefix + "ad", layer - 1, index))
        return previous if previous is not None else trace[(prefix + "a", layer - 1, index)]
    if prefix == "bd_":
        return trace[("bd_px", 0, 0)]
    return problem.inputs[list(s.samples_at(index if prefix == "" else 0))]


def _pass_parameters(problem: Problem, trace, prefix: str, layer: int, index: int):
    """(W, b) a pass multiplies by: the step's, the boundary's initial or final, or the nudged ones."""
    s = problem.structure
    if prefix == "gc_":
        return trace[("gc_W", layer, index)], trace[("gc_b", layer, index)][:, 0]
    step = index if prefix == "" else (0 if index == 0 else s.steps)
    return trace[("W", layer, step)], trace[("b", layer, step if s.train_biases else 0)][:, 0]


def _term_scale(problem: Problem, trace, key) -> np.ndarray | None:
    """For a cell that sums products (z = W a + b, dL/dW, dL/da), the sum of the terms' sizes."""
    kind, layer, index = key
    s = problem.structure
    prefix = kind[:3] if kind.startswith(("bd_", "gc_")) else ""
    base = kind[len(prefix):]
    if base == "z":
        weights, bias = _pass_parameters(problem, trace, prefix, layer, index)
        prev = _layer_input(problem, trace, prefix, layer, index)
        return np.abs(prev) @ np.abs(weights).T + np.abs(bias)
    if kind == "dW":
        return np.abs(trace[("dz", layer, index)]).T @ np.abs(_layer_input(problem, trace, "", layer, index))
    if kind == "dA" and layer < s.n_layers:
        return np.abs(trace[("dz", layer + 1, index)]) @ np.abs(trace[("W", layer + 1, index)])
    return None


def conditioning(problem: Problem, key, expected: np.ndarray, trace=None) -> np.ndarray:
    """Extra absolute tolerance for cells whose rounding is not relative to their own value.

    A sum of products that nearly cancels (z = 700 a1 - 700 a2 with a1 close to a2) carries the
    rounding of its terms, ~1e-16 of their size, not of the small result: such cells may differ
    by 1e-12 of the sum of the absolute terms. A formula error moves a cell by the size of a term,
    so this cannot hide one.

    The gradient check's finite difference (L+ - L-) / (2 epsilon) subtracts two nearly equal
    losses: rounding of ~1e-15 * |L| in each becomes ~1e-15 * |L| / epsilon in the result, and the
    relative difference divides that again by the gradient.
    """
    extra = np.zeros_like(expected, dtype=float)
    if trace is not None:
        scale = _term_scale(problem, trace, key)
        if scale is not None and scale.shape == expected.shape:
            extra = SUM_TOLERANCE * scale
    if key == ("gc_result", 0, 0):
        epsilon = abs(problem.choices.get("gc_epsilon", 1.0)) or 1.0
        loss_scale = max(abs(expected[0, 0]), abs(expected[1, 0]), 1.0)
        finite_error = 1e-14 * loss_scale / epsilon
        extra[2, 0] = finite_error
        extra[4, 0] = finite_error / max(abs(expected[2, 0]), abs(expected[3, 0]), 1e-12)
    return extra


def _agreement(expected: np.ndarray, got: np.ndarray, codes: np.ndarray, extra: np.ndarray | None = None):
    """Per cell: (agrees, absolute error, relative error), vectorised over a block."""
    numeric = codes == OK
    finite = np.isfinite(expected)
    with np.errstate(all="ignore"):
        error = np.abs(got - expected)
        scale = np.maximum(np.abs(got), np.abs(expected))
        relative = np.where(scale > 0, error / scale, 0.0)
    close = numeric & finite & (error <= RTOL * scale + ATOL + (0.0 if extra is None else extra))
    # Where the reference overflows, the spreadsheet must show an error or an overflowed number.
    overflowed = ~finite & ((codes >= FIRST_ERROR) | (numeric & (np.abs(got) > 1e300)))
    agree = close | overflowed
    error = np.where(close, error, 0.0)
    relative = np.where(close, relative, 0.0)
    return agree, error, relative


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


def compare(problem: Problem, values: GridValues, path: str | Path, package: Package | None = None,
            limit: int = 10) -> Report:
    """Check every derived cell of the layout against the reference trace, all blocks at once."""
    layout = Layout(problem.structure)

    def observed(kind: str, layer: int, step: int):
        block = layout.block(kind, layer, step)
        got, codes = values.block(block.sheet, block.row, block.col, block.nrows, block.ncols)
        return got if (codes == OK).all() and np.isfinite(got).all() else None

    with np.errstate(all="ignore"):
        trace = reference.run(problem, observed)
    report = Report(str(path), values.engine, limit=limit)
    report.diverged_at = first_divergence(problem, trace)
    keys = layout.derived_keys()
    blocks = [layout.block(*key) for key in keys]
    sheets = sorted({block.sheet for block in blocks})
    sheet_ids = {sheet: i for i, sheet in enumerate(sheets)}
    rows, cols, owner, expected, extra = [], [], [], [], []
    for index, (key, block) in enumerate(zip(keys, blocks, strict=True)):
        i, j = np.indices((block.nrows, block.ncols))
        rows.append((block.row + i).ravel())
        cols.append((block.col + j).ravel())
        owner.append(np.full(block.nrows * block.ncols, index))
        values_here = np.asarray(trace[key], dtype=float)
        expected.append(values_here.ravel())
        extra.append(conditioning(problem, key, values_here, trace).ravel())
    extra = np.concatenate(extra)
    rows, cols, owner = np.concatenate(rows), np.concatenate(cols), np.concatenate(owner)
    expected = np.concatenate(expected)
    sheet_of = np.array([sheet_ids[blocks[k].sheet] for k in range(len(blocks))])[owner]
    got = np.zeros(len(rows))
    codes = np.full(len(rows), EMPTY, dtype=np.int8)
    live = np.ones(len(rows), dtype=bool)
    for sheet, sid in sheet_ids.items():
        here = sheet_of == sid
        r, c = rows[here], cols[here]
        height, width = int(r.max()) + 1, int(c.max()) + 1
        sheet_values, sheet_codes = values.block(sheet, 0, 0, height, width)
        got[here], codes[here] = sheet_values[r, c], sheet_codes[r, c]
        if package is not None:
            live[here] = _formula_mask(package, sheet, (height, width))[r, c]
    for k in np.flatnonzero(~live)[: report.limit]:
        block = blocks[owner[k]]
        cell = block.cell(int(rows[k] - block.row), int(cols[k] - block.col))
        report.not_formulas.append(f"{quote_sheet(block.sheet)}!{cell}")
    empty = codes == EMPTY
    report.missing = int(empty.sum())
    present = ~empty if values.engine == "saved" else np.ones_like(empty)
    agree, error, relative = _agreement(expected, got, codes, extra)
    report.compared = int(present.sum())
    # The largest-error figures cover every cell; the gradient check's conditioned cells aside.
    ordinary = np.ones(len(extra), dtype=bool)
    for index, key in enumerate(keys):
        if key == ("gc_result", 0, 0):
            ordinary &= owner != index
    report.max_abs_error = float(error[ordinary].max(initial=0.0))
    report.max_rel_error = float(relative[ordinary].max(initial=0.0))
    wrong = present & ~agree
    report.mismatch_count = int(wrong.sum())
    for k in np.flatnonzero(wrong)[: report.limit]:
        key, block = keys[owner[k]], blocks[owner[k]]
        i, j = int(rows[k] - block.row), int(cols[k] - block.col)
        report.mismatches.append(Mismatch(block.sheet, block.cell(i, j), layout.describe(key, i, j),
                                          float(expected[k]), describe(got[k], codes[k])))
    report.not_formula_count = int((~live).sum())
    if values.engine == "saved" and report.missing and report.compared:
        report.mismatch_count += report.missing  # partly saved: some formula cells carry no value
    return report
