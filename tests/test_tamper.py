"""A wrong formula makes `sheetnet check` fail and name the cell: the check can fail."""

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sheetnet.cli import main
from sheetnet.layout import Layout

from .conftest import assert_each_break_is_named, build, problem_of

SECTIONS = dict(network={"sizes": [2, 3, 1]}, training={"steps": 2})


def _tamper(path, kind, layer, step, i, j, new_value):
    layout = Layout(problem_of(**SECTIONS).structure)
    block = layout.block(kind, layer, step)
    wb = load_workbook(path)
    cell = wb[block.sheet][block.cell(i, j)]
    original = cell.value
    cell.value = new_value
    wb.save(path)
    return f"'{block.sheet}'!{block.cell(i, j)}", original


@pytest.mark.parametrize(
    "kind, layer, i, j, replacement",
    [
        ("dW", 1, 0, 1, "=0.5"),  # a gradient replaced by a constant
        ("dz", 1, 2, 0, None),  # ReLU's derivative written as its forward (IF(z>0,z,0))
        ("db", 2, 0, 0, "double"),  # a bias gradient doubled
    ],
)
def test_check_names_the_tampered_cell(tmp_path, kind, layer, i, j, replacement):
    path = build(tmp_path, **SECTIONS)
    assert CliRunner().invoke(main, ["check", str(path)]).exit_code == 0
    layout = Layout(problem_of(**SECTIONS).structure)
    if replacement is None:
        z = layout.block("z", layer, 0).cell(i, j)
        replacement = f"=IF({z}>0,{z},0)"
    elif replacement == "double":
        replacement = f"=SUM({layout.block('dz', layer, 0).col_area(j)})*2"
    name, original = _tamper(path, kind, layer, 0, i, j, replacement)
    assert original != replacement
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("FAIL")
    assert lines[1].strip().startswith(f"{name}:"), result.output  # the first difference is that cell
    assert "step 0" in lines[1]


def test_number_typed_over_a_formula_is_reported_even_when_it_is_right(tmp_path):
    """Pasting the right value over a formula leaves a dead cell: the check must still fail."""
    path = build(tmp_path, **SECTIONS)
    from sheetnet import reference

    expected = reference.run(problem_of(**SECTIONS))[("z", 1, 1)][0, 0]
    name, _ = _tamper(path, "z", 1, 1, 0, 0, float(expected))
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert "plain values" in result.output and name in result.output


RICH = {
    "softmax-ce-adam-batches-dropout-l2": dict(
        network={"sizes": [2, 3, 3], "output": "softmax", "loss": "cross_entropy", "activation": "leaky_relu"},
        training={"steps": 2, "optimizer": "adam", "batch_size": 4, "dropout": 0.3, "l2": 0.01},
        data={"builtin": "spiral", "n": 8}),
    "features-test-set-l1-l2-dropout": dict(
        network={"sizes": [4, 3, 1], "output": "sigmoid", "loss": "bce"},
        training={"steps": 2, "dropout": 0.2, "l1": 0.01, "l2": 0.01},
        data={"builtin": "circles", "n": 12, "test_fraction": 0.3, "features": ["x1", "x2", "x1^2", "x1*x2"]}),
    "rmsprop-cosine-clip": dict(
        network={"sizes": [2, 3, 1]}, training={"steps": 2, "optimizer": "rmsprop", "schedule": "cosine",
                                                "clip_norm": 0.05}),
    "adagrad-step-schedule": dict(
        network={"sizes": [2, 3, 1], "activation": "tanh"},
        training={"steps": 3, "optimizer": "adagrad", "schedule": "step", "step_size": 1}),
    "batch-norm-adagrad-batches-test-set": dict(
        network={"sizes": [2, 3, 2, 1], "batch_norm": True, "activation": ["tanh", "relu"]},
        training={"steps": 2, "optimizer": "adagrad", "batch_size": 4, "clip_norm": 0.5},
        data={"builtin": "moons", "n": 10, "test_fraction": 0.2}),
    "adamw-batch-norm-batches-l1": dict(
        network={"sizes": [2, 3, 3], "output": "softmax", "loss": "cross_entropy", "batch_norm": True},
        training={"steps": 2, "optimizer": "adamw", "weight_decay": 0.1, "batch_size": 4, "l1": 0.01},
        data={"builtin": "spiral", "n": 8}),
    "digits-draw-gallery-weights": dict(
        network={"sizes": [64, 3, 10]}, training={"steps": 2, "batch_size": 8},
        data={"builtin": "digits", "n": 20, "held_out": 4}),
    "sigmoid-mse-momentum": dict(
        network={"sizes": [2, 3, 2, 1], "activation": ["tanh", "sigmoid"], "output": "sigmoid"},
        training={"steps": 2, "optimizer": "momentum"}),
}


@pytest.mark.slow
@pytest.mark.parametrize("config_name", RICH)
def test_every_kind_of_formula_is_checked(tmp_path, config_name):
    """Break one cell of every kind of formula, in turn: the check must name that very cell."""
    from sheetnet import api
    from sheetnet.verify import readback

    clean = build(tmp_path, "clean.xlsx", **RICH[config_name])
    assert api.check(clean).ok  # the clean workbook passes: every failure below is the tampering's
    layout = Layout(readback.read_problem(clean).structure)
    kinds = {}
    for key in layout.derived_keys():
        kinds.setdefault((key[0], key[1] == layout.structure.n_layers), key)
    assert len(kinds) > 25
    assert_each_break_is_named(clean, layout, kinds.values(), tmp_path)
