"""`sheetnet continue`: two chained workbooks compute what one workbook with the steps of both computes."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from sheetnet import api, reference
from sheetnet.cli import main
from sheetnet.layout import Layout
from sheetnet.verify import readback

from .conftest import build

CHAINS = {
    "adam-step-schedule-minibatches": dict(
        network={"sizes": [2, 4, 3], "output": "softmax", "loss": "cross_entropy"},
        training={"optimizer": "adam", "batch_size": 5, "schedule": "step",
                                                "step_size": 2, "gamma": 0.7, "learning_rate": 0.05},
        data={"builtin": "spiral", "n": 12, "test_fraction": 0.25}),
    "momentum-dropout-clip": dict(
        network={"sizes": [2, 5, 1]}, training={"optimizer": "momentum", "dropout": 0.3, "clip_norm": 0.5}),
    "rmsprop-batch-norm-exponential": dict(
        network={"sizes": [2, 4, 1], "batch_norm": True, "activation": "tanh"},
        training={"optimizer": "rmsprop", "schedule": "exponential", "train_biases": False, "learning_rate": 0.05}),
    "adagrad-digits": dict(
        network={"sizes": [64, 3, 10]}, training={"optimizer": "adagrad", "batch_size": 6, "learning_rate": 0.1},
        data={"builtin": "digits", "n": 20, "held_out": 4}),
}


def _history(problem, kind: str) -> list[float]:
    trace = reference.run(problem)
    return [float(trace[(kind, 0, k)][0, 0]) for k in range(problem.structure.steps + 1)]


@pytest.mark.parametrize("name", CHAINS)
def test_two_chained_workbooks_equal_one_with_the_steps_of_both(tmp_path, name):
    sections = {k: dict(v) for k, v in CHAINS[name].items()}
    long = build(tmp_path, "long.xlsx", **{**sections, "training": {**sections["training"], "steps": 7}})
    first = build(tmp_path, "first.xlsx", **{**sections, "training": {**sections["training"], "steps": 3}})
    second = tmp_path / "second.xlsx"
    result = CliRunner().invoke(main, ["continue", str(first), "-o", str(second), "--steps", "4"])
    assert result.exit_code == 0, result.output
    assert "starts at step 3" in result.output
    whole, chained = readback.read_problem(long), readback.read_problem(second)
    assert chained.structure.first_step == 3 and chained.structure.steps == 4
    trace_whole, trace_chained = reference.run(whole), reference.run(chained)
    s = whole.structure
    for k in range(5):  # the chained workbook's step k is the long one's step 3 + k
        np.testing.assert_allclose(trace_chained[("loss", 0, k)], trace_whole[("loss", 0, 3 + k)], rtol=1e-9)
        for layer in range(1, s.n_layers + 1):
            np.testing.assert_allclose(trace_chained[("W", layer, k)], trace_whole[("W", layer, 3 + k)],
                                       rtol=1e-9, atol=1e-12, err_msg=f"W{layer} at {3 + k}")
        if s.n_test:
            np.testing.assert_allclose(trace_chained[("test_loss", 0, k)], trace_whole[("test_loss", 0, 3 + k)],
                                       rtol=1e-9)
    report = api.check(second)  # and the continued workbook's formulas compute it
    assert report.ok, report.details()


def test_the_continued_workbook_shows_the_state_it_starts_from(tmp_path):
    first = build(tmp_path, "first.xlsx", training={"optimizer": "adam", "steps": 2})
    second = tmp_path / "second.xlsx"
    assert CliRunner().invoke(main, ["continue", str(first), "-o", str(second)]).exit_code == 0
    problem = readback.read_problem(second)
    layout = Layout(problem.structure)
    assert problem.structure.carries_state and layout.has("m_W", 1, 0)
    np.testing.assert_allclose(problem.states[("m_W", 1)], reference.run(readback.read_problem(first))[
        ("m_W", 1, 2)], rtol=1e-15)
    from openpyxl import load_workbook

    training = load_workbook(second)["Training"]
    step_cell = layout.block("loss", 0, 0)
    assert training.cell(step_cell.row, 1).value == 2  # the step numbers go on from the first workbook's


def test_a_cosine_schedule_goes_on_along_the_first_workbooks_curve(tmp_path):
    """The cosine's T_max is the first workbook's steps: the next one continues that curve (as torch's
    CosineAnnealingLR does when stepped on), it does not start a new one."""
    first = build(tmp_path, "first.xlsx", training={"schedule": "cosine", "steps": 4, "learning_rate": 0.1})
    second = tmp_path / "second.xlsx"
    assert CliRunner().invoke(main, ["continue", str(first), "-o", str(second), "--steps", "3"]).exit_code == 0
    problem = readback.read_problem(second)
    trace = reference.run(problem)
    rates = [trace[("lr", 0, k)][0, 0] for k in range(3)]
    np.testing.assert_allclose(rates, [0.1 * (1 + np.cos(np.pi * (4 + k) / 4)) / 2 for k in range(3)], rtol=1e-12)
    assert api.check(second).ok


def test_nothing_to_continue_is_one_clear_line(tmp_path):
    zero = build(tmp_path, "zero.xlsx", training={"steps": 0})
    result = CliRunner().invoke(main, ["continue", str(zero), "-o", str(tmp_path / "next.xlsx")])
    assert result.exit_code == 2 and "nothing to continue" in result.output
    taken = build(tmp_path, "taken.xlsx", training={"steps": 1})
    result = CliRunner().invoke(main, ["continue", str(taken), "-o", str(taken)])
    assert result.exit_code == 2 and "--force" in result.output


def test_regenerate_keeps_a_continued_workbook_continued(tmp_path):
    first = build(tmp_path, "first.xlsx", training={"optimizer": "adam", "steps": 3, "batch_size": 2},
                  data={"builtin": "moons", "n": 6})
    second = tmp_path / "second.xlsx"
    assert CliRunner().invoke(main, ["continue", str(first), "-o", str(second)]).exit_code == 0
    again = tmp_path / "again.xlsx"
    result = CliRunner().invoke(main, ["regenerate", str(second), "-o", str(again)])
    assert result.exit_code == 0, result.output
    old, new = readback.read_problem(second), readback.read_problem(again)
    assert new.structure.first_step == 3 and new.structure.batches == old.structure.batches
    assert new.states.keys() == old.states.keys()
    np.testing.assert_array_equal(new.states[("v_W", 2)], old.states[("v_W", 2)])
    np.testing.assert_allclose(_history(new, "loss"), _history(old, "loss"), rtol=1e-12)
