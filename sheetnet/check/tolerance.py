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
from sheetnet.model.problem import Problem
from sheetnet.reference.training import network_inputs

RTOL = 1e-9
ATOL = 1e-12
SUM_TOLERANCE = 1e-12  # of the sum of the absolute terms of a sum of products
FINITE_DIFFERENCE_TOLERANCE = 1e-14  # of the loss, divided by epsilon: the rounding of L+ - L-
OVERFLOW = 1e300  # a spreadsheet number this large stands for the reference's inf


def _layer_input(problem: Problem, trace, prefix: str, layer: int, index: int) -> np.ndarray:
    """What a pass's layer multiplies by its weights: its first inputs, or the previous layer's output."""
    s = problem.structure
    if layer > 1:
        previous = trace.get((prefix + "ad", layer - 1, index))
        return previous if previous is not None else trace[(prefix + "a", layer - 1, index)]
    if prefix == "bd_":
        return trace.get(("bd_feat", 0, 0), trace[("bd_px", 0, 0)])
    inputs = network_inputs(problem)
    if prefix == "te_":
        return inputs[list(s.test_samples)]
    return inputs[list(s.samples_at(index if prefix == "" else 0))]


def _pass_parameters(problem: Problem, trace, prefix: str, layer: int, index: int):
    """(W, b) a pass multiplies by: the step's, the boundary's initial or final, or the nudged ones."""
    s = problem.structure
    if prefix == "gc_":
        return trace[("gc_W", layer, index)], trace[("gc_b", layer, index)][:, 0]
    step = index if prefix in ("", "te_") else (0 if index == 0 else s.steps)
    return trace[("W", layer, step)], trace[("b", layer, step if s.train_biases else 0)][:, 0]


def _term_scale(problem: Problem, trace, key) -> np.ndarray | None:
    """For a cell that sums products (z = W a + b, dL/dW, dL/da), the sum of the terms' sizes."""
    kind, layer, index = key
    s = problem.structure
    prefix = kind[:3] if kind.startswith(("bd_", "gc_", "te_")) else ""
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
