"""The check's promises, pinned: the smallest wrong formula fails, and no tolerance is looser than it says.

Each tolerance has a test that fails if it is loosened tenfold: a perturbation of three times the
tolerance must fail the check, one of a third must pass.
"""

from __future__ import annotations

import numpy as np
import pytest

from sheetnet import api, reference
from sheetnet.evaluate.values import ERROR_CODES, OK
from sheetnet.layout import Layout
from sheetnet.sheets.workbook import write_workbook
from sheetnet.verify import readback
from sheetnet.verify.tolerance import ATOL, FINITE_DIFFERENCE_TOLERANCE, RTOL, SUM_TOLERANCE, agreement

from .conftest import build, problem_of, tamper

RICH = {
    "softmax-ce-adam-batches-dropout-l2": dict(
        network={"sizes": [2, 3, 3], "output": "softmax", "loss": "cross_entropy", "activation": "leaky_relu"},
        training={"steps": 2, "optimizer": "adam", "batch_size": 4, "dropout": 0.3, "l2": 0.01,
                  "learning_rate": 0.5},
        # inputs of size ~10 make Adam's second moment (1 - beta2) * g^2 large enough to see 1e-8 of it
        data={"inputs": [[10, 0], [0, 10], [-10, 0], [0, -10], [7, 7], [-7, 7], [7, -7], [-7, -7]],
              "targets": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]]}),
    "features-test-set-l1-l2-dropout": dict(
        network={"sizes": [4, 3, 1], "output": "sigmoid", "loss": "bce"},
        training={"steps": 2, "dropout": 0.2, "l1": 0.01, "l2": 0.01},
        data={"builtin": "circles", "n": 12, "test_fraction": 0.3, "features": ["x1", "x2", "x1^2", "x1*x2"]}),
    "sigmoid-mse-momentum": dict(
        network={"sizes": [2, 3, 2, 1], "activation": ["tanh", "sigmoid"], "output": "sigmoid"},
        training={"steps": 2, "optimizer": "momentum"}),
    "elu-softplus-bce-sgd-linear": dict(
        network={"sizes": [2, 3, 2, 1], "activation": ["elu", "softplus"], "output": "sigmoid", "loss": "bce"},
        training={"steps": 2}),
    "relu-mse-linear": dict(network={"sizes": [2, 3, 1]}, training={"steps": 2}),
}
# Cells whose value is itself a rounding-level quantity: a relative change of it is not a formula error.
UNSTABLE = {("gc_result", 4)}  # the gradient check's relative difference, ~1e-10


def _largest_cell(layout, trace, keys):
    """(key, i, j) of the largest |value| among the first few blocks of a kind (rows the check can see)."""
    best = None
    for key in keys[:4]:
        values = np.abs(np.asarray(trace[key], dtype=float))
        for (i, j), value in np.ndenumerate(values):
            if (key[0], i) in UNSTABLE or not np.isfinite(value):
                continue
            if best is None or value > best[0]:
                best = (value, key, i, j)
    return best


@pytest.mark.slow
@pytest.mark.parametrize("name", RICH)
def test_a_relative_change_of_1e_8_in_any_kind_of_formula_fails_and_names_the_cell(tmp_path, name):
    clean = build(tmp_path, "clean.xlsx", **RICH[name])
    assert api.check(clean).ok  # the clean workbook passes: a failure below is the change's doing
    problem = readback.read_problem(clean)
    layout = Layout(problem.structure)
    trace = reference.run(problem)
    by_kind: dict = {}
    for key in layout.derived_keys():
        by_kind.setdefault((key[0], key[1] == problem.structure.n_layers), []).append(key)
    assert len(by_kind) > 20
    for keys in by_kind.values():
        value, key, i, j = _largest_cell(layout, trace, keys)
        block = layout.block(*key)
        if value == 0:  # a block of zeros (a selector not chosen): change it by 1e-8 of 1
            broken = tamper(clean, block.sheet, block.cell(i, j), lambda f: f"{f}+1e-8")
        else:
            # large enough that 1e-8 of it is well beyond the tolerance there
            assert 1e-8 * value > 2 * (ATOL + RTOL * value), (key, value)
            broken = tamper(clean, block.sheet, block.cell(i, j), lambda f: f"({f})*(1+1e-8)")
        report = api.check(broken, limit=1_000_000)
        named = {f"{m.sheet}!{m.cell}" for m in report.mismatches}
        assert f"{block.sheet}!{block.cell(i, j)}" in named, (key, i, j)


XOR_SECTIONS = dict(training={"steps": 2}, init={"seed": 1})


def _check_after(tmp_path, sections, key, i, j, change) -> bool:
    path = tmp_path / "net.xlsx"
    if not path.exists():
        path = build(tmp_path, "net.xlsx", **sections)
    block = Layout(readback.read_problem(path).structure).block(*key)
    return api.check(tamper(path, block.sheet, block.cell(i, j), change)).ok


def test_the_tolerances_are_the_documented_numbers():
    """The tests below perturb by multiples of these; here they are pinned to the numbers the README states."""
    assert (RTOL, ATOL, SUM_TOLERANCE, FINITE_DIFFERENCE_TOLERANCE) == (1e-9, 1e-12, 1e-12, 1e-14)


def test_relative_tolerance_is_1e_9(tmp_path):
    """On the loss cell, which no other formula reads (a changed z would move every cell after it)."""
    value = reference.run(problem_of(**XOR_SECTIONS))[("loss", 0, 1)][0, 0]
    assert abs(value) > 0.1
    assert not _check_after(tmp_path, XOR_SECTIONS, ("loss", 0, 1), 0, 0, lambda f: f"({f})*(1+{3 * RTOL})")
    assert _check_after(tmp_path, XOR_SECTIONS, ("loss", 0, 1), 0, 0, lambda f: f"({f})*(1+{RTOL / 3})")


def test_absolute_tolerance_is_1e_12(tmp_path):
    """A ReLU output that is exactly 0: only the absolute floor allows anything there."""
    trace = reference.run(problem_of(**XOR_SECTIONS))
    zeros = np.argwhere(trace[("a", 1, 1)] == 0)
    assert len(zeros)
    i, j = (int(v) for v in zeros[0])
    assert not _check_after(tmp_path, XOR_SECTIONS, ("a", 1, 1), i, j, lambda f: f"{f}+{3 * ATOL}")
    assert _check_after(tmp_path, XOR_SECTIONS, ("a", 1, 1), i, j, lambda f: f"{f}+{ATOL / 3}")


CANCELLING = dict(network={"sizes": [2, 1, 1]}, training={"steps": 1},
                  init={"weights": [[[700.0, -700.0]], [[1.0]]], "biases": [[0.0], [0.0]]},
                  data={"inputs": [[1.0, 1.0000001]], "targets": [[0.0]]})


def test_sums_of_products_may_differ_by_1e_12_of_their_terms(tmp_path):
    """z = 700 - 700.00007: its rounding is that of its terms (1400), not of its small value."""
    trace = reference.run(problem_of(**CANCELLING))
    allowance = SUM_TOLERANCE * 1400.0
    assert abs(trace[("z", 1, 0)][0, 0]) < 1e-4 and RTOL * 1e-4 < allowance / 100
    assert not _check_after(tmp_path, CANCELLING, ("z", 1, 0), 0, 0, lambda f: f"{f}+{3 * allowance}")
    assert _check_after(tmp_path, CANCELLING, ("z", 1, 0), 0, 0, lambda f: f"{f}+{allowance / 3}")


def _gradcheck_workbook(tmp_path, epsilon: float):
    problem = problem_of(network={"sizes": [2, 3, 1]}, training={"steps": 1}, init={"seed": 2})
    problem.choices["gc_epsilon"] = epsilon
    path = tmp_path / "gc.xlsx"
    write_workbook(problem, path)
    return path, problem


@pytest.mark.parametrize("row", [2, 4])
def test_finite_difference_allowance_is_1e_14_of_the_loss_over_epsilon(tmp_path, row):
    """At epsilon 1e-7 the subtraction L+ - L- allows ~1e-7 in the finite difference (and that over
    the gradient in the relative difference), far more than 1e-9 of their values."""
    path, problem = _gradcheck_workbook(tmp_path, 1e-7)
    assert api.check(path).ok
    result = reference.run(problem)[("gc_result", 0, 0)][:, 0]
    allowance = FINITE_DIFFERENCE_TOLERANCE * max(abs(result[0]), abs(result[1]), 1.0) / 1e-7
    if row == 4:
        allowance /= max(abs(result[2]), abs(result[3]))
    assert allowance > 100 * RTOL * abs(result[row])
    block = Layout(problem.structure).block("gc_result", 0, 0)
    cell = block.cell(row, 0)
    assert not api.check(tamper(path, block.sheet, cell, lambda f: f"{f}+{3 * allowance}")).ok
    assert api.check(tamper(path, block.sheet, cell, lambda f: f"{f}+{allowance / 3}")).ok


def test_an_error_value_where_the_reference_is_finite_fails(tmp_path):
    path = build(tmp_path, **XOR_SECTIONS)
    block = Layout(readback.read_problem(path).structure).block("dW", 1, 0)
    report = api.check(tamper(path, block.sheet, block.cell(0, 1), lambda f: "1/0"))
    assert not report.ok
    assert report.mismatches[0].cell == block.cell(0, 1) and report.mismatches[0].got == "#DIV/0!"


def test_agreement_on_errors_and_overflow():
    num = ERROR_CODES["#NUM!"]
    expected = np.array([1.0, 1.0, np.inf, np.inf, np.inf])
    got = np.array([1.0, 0.0, 0.0, 1e301, 5.0])
    codes = np.array([OK, num, num, OK, OK], dtype=np.int8)
    agree, _, _ = agreement(expected, got, codes)
    # a right number; an error where a number belongs; an error where the reference overflows;
    # an overflowed number there; an ordinary number where the reference overflows
    assert agree.tolist() == [True, False, True, True, False]
    # an error where the reference says 0 (its value is stored as 0: the code alone must fail it)
    assert not agreement(np.array([0.0]), np.array([0.0]), np.array([num], dtype=np.int8))[0][0]


def test_each_step_is_checked_from_the_parameters_the_spreadsheet_holds(tmp_path):
    """A wrong weight at step 1 is named alone: every later cell is checked from the spreadsheet's own
    (wrong) weight, so the cells computed from it agree, and chaos between two correct engines cannot
    build up over the steps either."""
    path = build(tmp_path, **XOR_SECTIONS)
    block = Layout(readback.read_problem(path).structure).block("W", 1, 1)
    report = api.check(tamper(path, block.sheet, block.cell(1, 0), lambda f: f"({f})*1.001"), limit=1000)
    assert [f"{m.sheet}!{m.cell}" for m in report.mismatches] == [f"{block.sheet}!{block.cell(1, 0)}"]
