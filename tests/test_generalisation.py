"""A held-out test set, input features and L1: live in the workbook, and what they promise."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sheetnet import api, reference
from sheetnet.cli import main
from sheetnet.evaluate import xlsx
from sheetnet.evaluate.fast.evaluate import evaluate_package
from sheetnet.layout import Layout
from sheetnet.verify import readback

from .conftest import build, problem_of

SPLIT = dict(network={"output": "sigmoid", "loss": "bce"}, training={"steps": 4, "l1": 0.01},
             data={"builtin": "moons", "n": 10, "test_fraction": 0.3})
FEATURES = dict(network={"sizes": [5, 3, 1]}, training={"steps": 2},
                data={"builtin": "circles", "n": 8, "features": ["x1", "x2", "x1^2", "x2^2", "sin(x1)"]})


def _values(path, block):
    values = evaluate_package(xlsx.read_package(path))
    return np.array([[values.get(block.sheet, block.row + i, block.col + j) for j in range(block.ncols)]
                     for i in range(block.nrows)])


def test_the_split_is_seeded_and_keeps_one_of_each():
    one = problem_of(**SPLIT)
    again = problem_of(**SPLIT)
    other = problem_of(**{**SPLIT, "init": {"seed": 9}})
    assert (one.structure.n_samples, one.structure.n_test) == (7, 3)
    assert (one.inputs == again.inputs).all() and not (one.inputs == other.inputs).all()
    tiny = problem_of(data={"inputs": [[0, 0], [1, 1]], "targets": [[0], [1]], "test_fraction": 0.1})
    assert (tiny.structure.n_samples, tiny.structure.n_test) == (1, 1)


def test_test_rows_are_marked_named_and_measured_every_step(tmp_path):
    path = build(tmp_path, **SPLIT)
    wb = load_workbook(path)
    sets = [wb["Data"].cell(5 + i, 2).value for i in range(10)]
    assert sets == ["train"] * 7 + ["test"] * 3
    names = wb.defined_names
    for name, rows in (("test_inputs", 3), ("test_targets", 3), ("test_loss_history", 5),
                       ("test_accuracy_history", 5)):
        ((sheet, ref),) = list(names[name].destinations)
        cells = wb[sheet][ref.replace("$", "")]
        assert len(cells) == rows, name
    assert api.check(path).ok


def test_a_test_target_never_reaches_a_gradient(tmp_path):
    """Changing a held-out sample's target moves the test loss and nothing the training computes."""
    path = build(tmp_path, **SPLIT)
    layout = Layout(readback.read_problem(path).structure)
    wb = load_workbook(path)
    target = layout.targets_block(test=True)
    wb[target.sheet][target.cell(0, 0)] = 1 - wb[target.sheet][target.cell(0, 0)].value
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    for key in (("dW", 1, 3), ("W", 2, 4), ("loss", 0, 4)):
        np.testing.assert_array_equal(_values(path, layout.block(*key)), _values(edited, layout.block(*key)))
    assert (_values(path, layout.block("test_loss", 0, 4)) != _values(edited, layout.block("test_loss", 0, 4))).all()
    assert api.check(edited).ok


def test_the_test_loss_uses_the_steps_parameters_without_dropout_or_penalty():
    problem = problem_of(network={"sizes": [2, 6, 1]}, training={"steps": 3, "dropout": 0.5, "l2": 0.1},
                         data={"builtin": "gauss", "n": 12, "test_fraction": 0.25})
    trace = reference.run(problem)
    s = problem.structure
    x, y = problem.inputs[list(s.test_samples)], problem.targets[list(s.test_samples)]
    hidden = np.maximum(x @ trace[("W", 1, 3)].T + trace[("b", 1, 3)][:, 0], 0)
    output = hidden @ trace[("W", 2, 3)].T + trace[("b", 2, 3)][:, 0]
    assert trace[("test_loss", 0, 3)][0, 0] == pytest.approx(((output - y) ** 2).mean(), rel=1e-12)


def test_features_are_live_formulas_of_the_raw_inputs(tmp_path):
    path = build(tmp_path, **FEATURES)
    layout = Layout(readback.read_problem(path).structure)
    features = layout.block("features", 0, 0)
    wb = load_workbook(path)
    assert [wb["Data"].cell(features.row, features.col + j).value for j in range(5)] == [
        "=B5", "=C5", "=B5^2", "=C5^2", "=SIN(B5)"]
    wb["Data"]["B5"] = 0.5
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    np.testing.assert_allclose(_values(edited, features)[0], [0.5, wb["Data"]["C5"].value, 0.25,
                                                               wb["Data"]["C5"].value ** 2, np.sin(0.5)])
    assert api.check(edited).ok


def test_predict_and_the_pictures_take_the_raw_inputs(tmp_path):
    path = build(tmp_path, **FEATURES)
    result = CliRunner().invoke(main, ["predict", str(path), "0.3", "-0.2"])
    assert result.exit_code == 0, result.output
    problem = readback.read_problem(path)
    assert Layout(problem.structure).boundary is not None


def test_l1_gradient_is_the_sign_and_zero_at_zero():
    problem = problem_of(network={"sizes": [2, 2, 1]}, training={"steps": 1, "l1": 0.5},
                         init={"weights": [[[0.0, 0.3], [-0.2, 0.0]], [[0.4, -0.1]]]},
                         data={"inputs": [[0, 0]], "targets": [[0]]})
    # inputs of 0: layer 1's data gradient is 0, so dL/dW1 is the penalty's alone: l1 * sign(W), 0 at 0
    np.testing.assert_array_equal(reference.run(problem)[("dW", 1, 0)], [[0.0, 0.5], [-0.5, 0.0]])


def test_regenerate_keeps_the_split_the_features_and_the_penalties(tmp_path):
    sections = {**FEATURES, "training": {"steps": 2, "l1": 0.01, "l2": 0.02},
                "data": {**FEATURES["data"], "test_fraction": 0.25}}
    path = build(tmp_path, **sections)
    (tmp_path / "again").mkdir()
    out = tmp_path / "again" / path.name
    assert CliRunner().invoke(main, ["regenerate", str(path), "-o", str(out)]).exit_code == 0
    with zipfile.ZipFile(path) as first, zipfile.ZipFile(out) as second:
        assert {n: first.read(n) for n in first.namelist()} == {n: second.read(n) for n in second.namelist()}


def test_regenerate_keeps_schedule_clipping_batch_norm_and_comparison(tmp_path):
    path = build(tmp_path, network={"sizes": [2, 3, 1], "batch_norm": True, "bn_momentum": 0.2},
                 training={"steps": 2, "optimizer": "rmsprop", "alpha": 0.9, "schedule": "step", "step_size": 1,
                           "gamma": 0.7, "clip_norm": 0.3},
                 workbook={"compare_optimizers": True})
    wb = load_workbook(path)
    gamma = Layout(readback.read_problem(path).structure).block("gamma", 1, 0)
    wb[gamma.sheet][gamma.cell()].value = 1.25  # a learner's edit of a starting gamma
    wb.save(path)
    (tmp_path / "again").mkdir()
    out = tmp_path / "again" / path.name
    result = CliRunner().invoke(main, ["regenerate", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "batch-norm" in result.output
    old, new = readback.read_problem(path), readback.read_problem(out)
    assert new.structure.batch_norm and new.structure.schedule == "step" and new.structure.compare_optimizers
    assert new.hyper == old.hyper and new.hyper["clip_norm"] == 0.3 and new.hyper["bn_momentum"] == 0.2
    assert new.norms[("gamma", 1)][0, 0] == 1.25
    (tmp_path / "twice").mkdir()  # the first file went through openpyxl: compare two of sheetnet's own
    twice = tmp_path / "twice" / path.name
    assert CliRunner().invoke(main, ["regenerate", str(out), "-o", str(twice)]).exit_code == 0
    with zipfile.ZipFile(out) as first, zipfile.ZipFile(twice) as second:
        assert {n: first.read(n) for n in first.namelist()} == {n: second.read(n) for n in second.namelist()}


def test_features_need_two_inputs(tmp_path):
    csv = tmp_path / "three.csv"
    csv.write_text("a,b,c,y\n1,2,3,0\n2,3,4,1\n")
    result = CliRunner().invoke(main, ["new", "--data", str(csv), "--features", "x1,x1^2", "-o",
                                       str(tmp_path / "o.xlsx")])
    assert result.exit_code == 2 and "computed from 2 inputs" in result.output


def test_regenerate_keeps_adamws_decay_and_drops_it_for_another_optimizer(tmp_path):
    """An AdamW workbook regenerates with its weight_decay; --optimizer adam drops the decay (a setting only AdamW
    has, which would be refused in a config that names adam) and keeps beta1, beta2 and epsilon; --optimizer sgd
    drops them all."""
    path = build(tmp_path, training={"steps": 2, "optimizer": "adamw", "weight_decay": 0.3, "beta1": 0.8})
    for option, kept in ((None, {"beta_1": 0.8, "weight_decay": 0.3}), ("adam", {"beta_1": 0.8}), ("sgd", {})):
        out = tmp_path / f"again-{option}.xlsx"
        args = ["regenerate", str(path), "-o", str(out)] + (["--optimizer", option] if option else [])
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        hyper = readback.read_problem(out).hyper
        assert {name: hyper[name] for name in kept} == kept
        assert set(hyper) - {"learning_rate"} <= {"beta_1", "beta_2", "epsilon", "weight_decay"}
        assert ("weight_decay" in hyper) == (option is None) and ("beta_1" in hyper) == (option != "sgd")
        assert api.check(out).ok
