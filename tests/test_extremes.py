"""No false alarms at the extremes: correct workbooks with huge numbers pass in every engine, and a broken
formula among those huge numbers is still named.

Rounding is relative to the operands, so where a result is far smaller than what it was computed from
(softmax gradients under weights of 1e5, cross-entropy at logits of 1e10, w - lr dw) the tolerance follows
the operands (`sheetnet.verify.scales`); where the reference overflows, the spreadsheet shows #NUM! or a
number beyond 1e300 and the check reports the divergence once.
"""

from __future__ import annotations

import numpy as np
import pytest

from sheetnet import api, reference
from sheetnet.layout import Layout

from .conftest import build, problem_of, tamper

SOFTMAX_1E5 = {
    "data": {"builtin": "gauss", "n": 6},
    "network": {"sizes": [2, 3, 3], "activation": "relu", "output": "softmax", "loss": "cross_entropy"},
    "init": {"weights": [[[1e5, -2e5], [3e5, 1e5], [-1e5, 2e5]],
                         [[1e5, -1e5, 2e5], [-2e5, 1e5, 1e5], [1e5, 2e5, -3e5]]]},
    "training": {"steps": 3, "learning_rate": 0.1},
}
BCE_LARGE_LOGITS = {
    "data": {"builtin": "exam", "n": 6},
    "network": {"sizes": [2, 2, 1], "activation": "tanh", "output": "sigmoid", "loss": "bce"},
    "init": {"weights": [[[1.0, -1.0], [0.5, 2.0]], [[4e8, -3e8]]]},
    "training": {"steps": 3, "learning_rate": 0.01},
}
HUGE_INPUTS = {
    "data": {"inputs": [[1e300, 1.0], [-1e300, 2.0], [3.0, 1e300], [0.5, 0.5]],
             "targets": [[1.0], [0.0], [1.0], [0.0]]},
    "training": {"steps": 3},
}
HUGE_LEARNING_RATE = {"training": {"steps": 5, "learning_rate": 1e308}}
CASES = {"softmax, weights 1e5": (SOFTMAX_1E5, None), "bce, logits 1e9": (BCE_LARGE_LOGITS, None),
         "inputs 1e300": (HUGE_INPUTS, 0), "learning rate 1e308": (HUGE_LEARNING_RATE, 1)}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("engine", ["fast", "formulas"])
def test_correct_extreme_workbooks_pass(tmp_path, name, engine):
    sections, diverged_at = CASES[name]
    report = api.check(build(tmp_path, **sections), engine=engine)
    assert report.ok, report.details()
    assert report.diverged_at == diverged_at


@pytest.mark.parametrize("name", CASES)
def test_correct_extreme_workbooks_pass_in_libreoffice(soffice, tmp_path, name):
    sections, diverged_at = CASES[name]
    report = api.check(build(tmp_path, **sections), engine="libreoffice")
    assert report.ok, report.details()
    assert report.diverged_at == diverged_at


@pytest.mark.parametrize("name", ["softmax, weights 1e5", "bce, logits 1e9"])
@pytest.mark.parametrize("kind, layer, step", [("z", 1, 1), ("z", 2, 2), ("dz", 2, 1), ("loss_terms", 2, 0),
                                               ("W", 2, 2), ("dW", 2, 0), ("db", 2, 1), ("loss", 0, 1)])
def test_a_broken_formula_among_huge_numbers_is_still_named(tmp_path, name, kind, layer, step):
    """The tolerances that follow the operands do not hide a wrong formula: the block's largest cell scaled by
    0.999 is named. (Cells whose true value is below the rounding of their operands, like dL/da of the hidden
    layer behind weights of 1e5 and softmax gradients of 1e-12, are noise in every engine: no check can see a
    0.1% change there, and this one does not pretend to.)"""
    sections, _ = CASES[name]
    path = build(tmp_path, **sections)
    problem = problem_of(**sections)
    block = Layout(problem.structure).block(kind, layer, step)
    values = np.abs(reference.run(problem)[(kind, layer, step)])
    cell = block.cell(*np.unravel_index(values.argmax(), values.shape))
    broken = tamper(path, block.sheet, cell, lambda text: f"0.999*({text})")
    report = api.check(broken)
    sheet = f"'{block.sheet}'" if " " in block.sheet else block.sheet
    assert not report.ok and f"{sheet}!{cell}:" in "\n".join(report.details()), report.details()



NEAR_BOUNDARY_1E5 = {  # sample 1 lies 1e-7 from hidden neuron 1's boundary: its z is -0.01 from terms of 1e5
    "data": {"inputs": [[1.0, 1.0000001], [0.5, -0.25], [-0.75, 0.5], [0.25, 1.0]],
             "targets": [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]},
    "network": {"sizes": [2, 3, 2], "activation": "tanh", "output": "softmax", "loss": "cross_entropy"},
    "init": {"weights": [[[1e5, -1e5], [2.0, 1.0], [-1.0, 3.0]], [[1e-4, 2.0, -1.0], [-2e-4, 1.0, 0.5]]]},
    "training": {"steps": 2, "learning_rate": 0.1},
}


def test_an_activation_carries_the_rounding_of_its_weighted_sum():
    """An engine's z may differ from numpy's by rounding of the size of z's operands (here 1e-15 of them: a few
    units in the last place of 1e5), which the z cells allow. The activation computed from that z moves by up to
    its slope times as much, which is far more than 1e-9 of a small activation: tanh(-0.01) moves by ~2e-10,
    2e-8 of itself. Every activation (tanh, softmax and its max, exp and sum) of every pass is accepted with such
    a z; without the activations' own allowance the same engine is reported wrong."""
    from sheetnet.evaluate.values import OK
    from sheetnet.reference.maths import activate
    from sheetnet.verify.scales import Scales
    from sheetnet.verify.tolerance import agreement, conditioning

    problem = problem_of(**NEAR_BOUNDARY_1E5)
    s = problem.structure
    trace = reference.run(problem)
    scales = Scales(problem, trace)
    rng = np.random.default_rng(0)
    checked = refused_without = 0
    for (kind, layer, index), z in list(trace.items()):
        prefix = kind[:3] if kind.startswith(("bd_", "te_", "dr_")) else ""
        if kind != prefix + "z" or not 1 <= layer <= s.n_layers:
            continue
        rounding = 1e-15 * scales.z(prefix, layer, index) * rng.choice([-1.0, 1.0], size=z.shape)
        engine_z = z + rounding
        name = s.activation(layer)
        engine = {prefix + "a": activate(name, engine_z)}
        if name == "softmax":
            top = engine_z.max(axis=1, keepdims=True)
            engine[prefix + "max"], engine[prefix + "exp"] = top, np.exp(engine_z - top)
            engine[prefix + "sum"] = engine[prefix + "exp"].sum(axis=1, keepdims=True)
        for name_of, got in engine.items():
            key = (name_of, layer, index)
            expected = np.asarray(trace[key], dtype=float)
            codes = np.full(expected.shape, OK)
            agree, _, _ = agreement(expected, got, codes, conditioning(problem, key, expected, trace, scales))
            assert agree.all(), (key, expected[~agree], got[~agree])
            refused_without += int(not agreement(expected, got, codes)[0].all())
            checked += 1
    assert checked >= 20 and refused_without >= 1, (checked, refused_without)


def test_a_boundary_point_whose_two_top_logits_tie_accepts_either_class():
    """The boundary picture shows the predicted class; where two logits are within their rounding of each other
    an engine may pick either, and the check accepts either there and only there."""
    from sheetnet.evaluate.values import OK
    from sheetnet.verify.scales import Scales
    from sheetnet.verify.tolerance import agreement, conditioning

    problem = problem_of(**SOFTMAX_1E5)
    trace = reference.run(problem)
    last = problem.structure.n_layers
    z = trace[("bd_z", last, 1)]
    z[0] = [5.0, 5.0, -3.0]  # a tie at the first grid point
    z[1] = [5.0, 4.0, -3.0]  # a clear winner at the second
    key = ("bd_grid", 0, 1)
    expected = np.asarray(trace[key], dtype=float).copy()
    expected.flat[0], expected.flat[1] = 0.0, 0.0
    extra = conditioning(problem, key, expected, trace, Scales(problem, trace))
    got = expected.copy()
    got.flat[0] = got.flat[1] = 1.0  # the other class at both points
    agree, _, _ = agreement(expected, got, np.full(expected.shape, OK), extra)
    assert agree.flat[0] and not agree.flat[1]
    assert (extra.flat[1:] < 1e-3).all()
