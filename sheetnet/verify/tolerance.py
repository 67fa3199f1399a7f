"""When does an engine's value agree with the reference? The tolerances, and why each is what it is.

|got - expected| <= RTOL * max(|got|, |expected|) + ATOL + conditioning. RTOL = 1e-9 is the
product's promise; ATOL = 1e-12 covers quantities that are differences of nearly equal numbers (a
gradient 2(a - y)/n when a is close to y), whose rounding error is absolute, about 1e-16 times the
numbers subtracted, not relative to the small result. LibreOffice saves 15 significant digits
(relative rounding <= 5e-16), far inside both. `conditioning` adds what a cell's own arithmetic
needs beyond that (sums of products that cancel, the gradient check's finite difference).
"""

from __future__ import annotations

import numpy as np

from sheetnet.evaluate.values import FIRST_ERROR, OK
from sheetnet.model.options import TRAINED, state_of
from sheetnet.model.problem import Problem
from sheetnet.verify.scales import Scales, conv_scale, layer_input

RTOL = 1e-9
ATOL = 1e-12
SUM_TOLERANCE = 1e-12  # of the sum of the absolute terms of a sum of products
FINITE_DIFFERENCE_TOLERANCE = 1e-14  # of the loss, divided by epsilon: the rounding of L+ - L-
OVERFLOW = 1e300  # a spreadsheet number this large stands for the reference's inf


def _operand_scale(problem: Problem, trace, key, scales: Scales) -> np.ndarray | None:
    """The sum of the sizes of what a cell was computed from, where rounding may exceed 1e-9 of its value."""
    kind, layer, index = key
    prefix = kind[:3] if kind.startswith(("bd_", "gc_", "te_", "dr_")) else ""
    base = kind[len(prefix):]
    if base == "z":
        return scales.z(prefix, layer, index)
    if base in ("a", "ad", "max", "exp", "sum"):
        return scales.activation(base, prefix, layer, index)
    if kind in ("bd_grid", "nr_grid"):
        return _picture_scale(problem, scales, kind, layer, index)
    if base == "loss_terms":
        return scales.loss_terms(prefix, index)
    if kind in ("loss", "test_loss"):
        return np.array([[scales.loss("" if kind == "loss" else "te_", index)]])
    if base in ("zc", "zhat", "zbn"):
        return scales.forward_norm(base, prefix, layer, index)
    if base in ("mu", "var", "rmean", "rvar"):
        return scales.statistic(base, prefix, layer, index)
    if kind == "dz":
        return scales.dz(layer, index)
    if kind in ("dzbn", "dgamma", "dbeta"):
        return getattr(scales, kind)(layer, index)
    if kind == "dA":
        return scales.dA(layer, index)
    if kind == "dW":
        return scales.dW(layer, index, layer_input(problem, trace, "", layer, index))
    if kind == "db":
        return scales.db(layer, index)
    if kind in ("gnorm", "gplot"):  # |norm(g + e) - norm(g)| <= norm(e)
        sizes = [scales.dW(layer_number, index, layer_input(problem, trace, "", layer_number, index))
                 for layer_number in range(1, problem.structure.n_layers + 1)]
        if any(size is None for size in sizes):
            return None
        return np.array([[float(np.sqrt((size * size).sum())) for size in sizes]])
    if kind in ("dx", "cz", "dK", "dkb"):
        return conv_scale(problem, trace, kind, index)
    if kind in TRAINED or (state_of(kind) and not prefix):
        return scales.update(kind, layer, index)
    return None


def _picture_scale(problem: Problem, scales: Scales, kind: str, layer: int, index: int) -> np.ndarray | None:
    """The boundary picture (the output, or the predicted class) and the hidden neurons' pictures are a grid pass's
    activations laid out as a grid: they carry those activations' tolerance. Where a grid point's two largest logits
    are closer than their own tolerance, either class is a right answer."""
    s = problem.structure
    side = s.boundary_grid
    if kind == "nr_grid":  # neuron `index` of hidden layer `layer`, final parameters
        scale = scales.activation("a", "bd_", layer, 1)
        return None if scale is None else scale[:, index].reshape(side, side)
    last = s.n_layers
    if s.activation(last) != "softmax":
        scale = scales.activation("a", "bd_", last, index)
        return None if scale is None else scale[:, 0].reshape(side, side)
    z = scales.trace[("bd_z", last, index)]
    error = 2.0 * SUM_TOLERANCE * scales.z("bd_", last, index).max(axis=1)
    top_two = np.sort(z, axis=1)[:, -2:]
    tied = (top_two[:, 1] - top_two[:, 0]) <= error if z.shape[1] > 1 else np.zeros(len(z), dtype=bool)
    return (tied * (s.sizes[-1] / SUM_TOLERANCE)).reshape(side, side)


def conditioning(problem: Problem, key, expected: np.ndarray, trace=None, scales: Scales | None = None) -> np.ndarray:
    """Extra absolute tolerance for cells whose rounding is not relative to their own value.

    A cell computed from numbers much larger than itself (a sum of products that nearly cancels, z = 700 a1 -
    700 a2 with a1 close to a2; p - y with p close to y; a loss term log(sum exp z) - z_y at large logits)
    carries the rounding of those numbers, ~1e-16 of their size, not of the small result: such cells may
    differ by 1e-12 of the sum of the sizes of their operands (`Scales`). A formula error moves a cell by
    the size of a term, so this cannot hide one.

    The gradient check's finite difference (L+ - L-) / (2 epsilon) subtracts two nearly equal
    losses: rounding of ~1e-15 * |L| in each becomes ~1e-15 * |L| / epsilon in the result, and the
    relative difference divides that again by the gradient.
    """
    extra = np.zeros_like(expected, dtype=float)
    if trace is not None:
        scales = scales or Scales(problem, trace)
        with np.errstate(all="ignore"):  # a diverged step's sizes overflow: no tolerance is added there
            scale = _operand_scale(problem, trace, key, scales)
            if scale is not None and np.shape(scale) == expected.shape:
                extra = SUM_TOLERANCE * np.where(np.isfinite(scale), scale, 0.0)
    if key == ("gc_result", 0, 0):
        epsilon = abs(problem.choices.get("gc_epsilon", 1.0)) or 1.0
        term_scales = [scales.loss("gc_", variant) if trace is not None else 0.0 for variant in (0, 1)]
        extra[0, 0], extra[1, 0] = (SUM_TOLERANCE * size for size in term_scales)
        loss_scale = max(abs(expected[0, 0]), abs(expected[1, 0]), *term_scales, 1.0)
        finite_error = FINITE_DIFFERENCE_TOLERANCE * loss_scale / epsilon
        extra[2, 0] = finite_error
        extra[4, 0] = finite_error / max(abs(expected[2, 0]), abs(expected[3, 0]), 1e-12)
    return extra


def agreement(expected: np.ndarray, got: np.ndarray, codes: np.ndarray, extra: np.ndarray | None = None):
    """Per cell: (agrees, absolute error, the error as a share of the cell's tolerance), over a block."""
    numeric = codes == OK
    finite = np.isfinite(expected)
    with np.errstate(all="ignore"):
        error = np.abs(got - expected)
        allowed = RTOL * np.maximum(np.abs(got), np.abs(expected)) + ATOL + (0.0 if extra is None else extra)
        share = error / allowed
    close = numeric & finite & (error <= allowed)
    # Where the reference overflows, the spreadsheet must show an error or an overflowed number.
    overflowed = ~finite & ((codes >= FIRST_ERROR) | (numeric & (np.abs(got) > OVERFLOW)))
    agree = close | overflowed
    return agree, np.where(close, error, 0.0), np.where(close, share, 0.0)
