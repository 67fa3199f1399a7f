"""The sheets a learner reads: About, the decision boundary, the gradient check, and their charts."""

from __future__ import annotations

import re
import zipfile

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sheetnet import api, reference
from sheetnet.cli import main
from sheetnet.evaluate import libreoffice, xlsx
from sheetnet.evaluate.fast.evaluate import evaluate_package
from sheetnet.layout import Layout
from sheetnet.verify import readback

from .conftest import build

CONFIGS = {
    "relu-mse": dict(training={"steps": 3}),
    "sigmoid-bce-dropout": dict(network={"activation": "sigmoid", "output": "sigmoid", "loss": "bce"},
                                training={"steps": 3, "dropout": 0.25, "l2": 0.01}),
    "softmax-ce-batches": dict(network={"sizes": [2, 4, 3], "output": "softmax", "loss": "cross_entropy"},
                               training={"steps": 3, "batch_size": 4, "optimizer": "adam"},
                               data={"builtin": "spiral", "n": 9}),
    "softmax-mse-frozen": dict(network={"sizes": [2, 3, 3], "output": "softmax", "activation": "tanh"},
                               training={"steps": 2, "train_biases": False},
                               data={"builtin": "gauss", "n": 6}),
}


def _result(path):
    package = xlsx.read_package(path)
    problem = readback.problem_from_package(package)
    block = Layout(problem.structure).block("gc_result", 0, 0)
    values = evaluate_package(package)
    return [values.get(block.sheet, block.row + i, block.col) for i in range(5)]


@pytest.mark.parametrize("name", CONFIGS)
def test_gradient_check_sheet_agrees_with_backprop(tmp_path, name):
    path = build(tmp_path, **CONFIGS[name])
    assert api.check(path).ok
    plus, minus, finite, analytic, difference = _result(path)
    assert plus != minus
    assert finite == pytest.approx(analytic, rel=1e-5, abs=1e-9)
    assert difference < 1e-5


def test_gradient_check_follows_the_learners_choice(tmp_path):
    """Pick layer 2, neuron 1, the bias: the analytic cell shows dL/db of that bias."""
    path = build(tmp_path, network={"sizes": [2, 3, 1]}, training={"steps": 2})
    wb = load_workbook(path)
    ws = wb["Gradient check"]
    ws["B4"], ws["B5"], ws["B6"] = 2, 1, 0
    wb.save(path)
    problem = readback.read_problem(path)
    assert problem.choices["gc_layer"] == 2 and problem.choices["gc_input"] == 0
    _, _, finite, analytic, _ = _result(path)
    trace = reference.run(problem)
    assert analytic == pytest.approx(trace[("db", 2, 0)][0, 0], rel=1e-12)
    assert finite == pytest.approx(analytic, rel=1e-6)
    assert api.check(path).ok


def test_boundary_grid_is_checked_and_tampering_is_named(tmp_path):
    path = build(tmp_path, training={"steps": 2})
    layout = Layout(readback.read_problem(path).structure)
    grid = layout.block("bd_grid", 0, 1)
    wb = load_workbook(path)
    wb[grid.sheet][grid.cell(2, 3)] = "=0.5"
    wb.save(path)
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert f"Boundary!{grid.cell(2, 3)}" in result.output.splitlines()[1]


def test_boundary_shows_what_training_changed(tmp_path):
    path = build(tmp_path, training={"steps": 200}, init={"seed": 0}, workbook={"boundary_grid": 25})
    problem = readback.read_problem(path)
    trace = reference.run(problem)
    before, after = trace[("bd_grid", 0, 0)], trace[("bd_grid", 0, 1)]
    # After training, the xor corners are on the right sides of 0.5; before, they were not.
    corners = {(24, 0): 0, (0, 0): 1, (24, 24): 1, (0, 24): 0}  # (row, col): target (row 0 is x2 high)
    assert all((after[r, c] > 0.5) == bool(t) for (r, c), t in corners.items())
    assert not all((before[r, c] > 0.5) == bool(t) for (r, c), t in corners.items())


def test_about_sheet_comes_first_and_names_real_cells(tmp_path):
    path = build(tmp_path, training={"steps": 2})
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "About"
    text = "\n".join(str(c.value) for row in wb["About"].iter_rows() for c in row if c.value is not None)
    assert "Training!B4" in text and "learning_rate" in text
    assert wb["Training"]["B4"].value == 0.1  # the cell the About sheet points at is the learning rate
    for word in ("Data", "Layer 1", "Layer 2", "Training", "Boundary", "Gradient check", "sheetnet check"):
        assert word in text


def _chart_parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.startswith("xl/charts/chart")}


def test_charts_and_colour_scales_survive_a_libreoffice_round_trip(soffice, tmp_path):
    path = build(tmp_path, network={"activation": "sigmoid", "output": "sigmoid", "loss": "bce"},
                 training={"steps": 5})
    before = _chart_parts(path)
    assert len(before) == 4  # loss, accuracy, gradient sizes, data scatter
    saved = libreoffice.recalculate(path, tmp_path / "saved.xlsx")
    after = _chart_parts(saved)
    assert len(after) == len(before)
    # loss, accuracy and gradients plot against the step number: scatter charts with a numeric x axis
    kinds = sorted(re.search(rb"<c:(lineChart|scatterChart)", data).group(1) for data in after.values())
    assert kinds == [b"scatterChart"] * 4
    assert any(b"Loss per step" in data for data in after.values())
    with zipfile.ZipFile(saved) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    colour_scales = sum(data.count(b"<colorScale>") for data in sheets)
    assert colour_scales == 2 + 4  # the initial and the final grid, and the 4 hidden neurons' pictures
    dots = sum(data.count(b'type="expression"') for data in sheets)
    assert dots >= 4  # a rule per class per grid marks the data points
    assert api.check(saved, "saved").ok
