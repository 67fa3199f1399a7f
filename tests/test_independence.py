"""What the writer, the reference and torch all take from one `plan` (mini-batches, dropout masks),
checked against its definition from the workbook's own cells, by code that shares nothing with them."""

from __future__ import annotations

import numpy as np
import pytest
from openpyxl import load_workbook

from sheetnet import api
from sheetnet.evaluate import xlsx
from sheetnet.evaluate.fast.evaluate import evaluate_package
from sheetnet.layout import Layout
from sheetnet.verify import readback

from .conftest import build


def _grid(path, block, values):
    return np.array([[values.get(block.sheet, block.row + i, block.col + j) for j in range(block.ncols)]
                     for i in range(block.nrows)])


def _batches_read_from_the_workbook(path):
    """Each step's samples, found by matching the values in its x block with the rows of the Data sheet."""
    package = xlsx.read_package(path)
    problem = readback.problem_from_package(package)
    values = evaluate_package(package)
    layout = Layout(problem.structure)
    steps = []
    for step in range(problem.structure.steps + 1):
        rows = _grid(path, layout.block("x", 1, step), values)
        steps.append([int(np.flatnonzero((problem.inputs == row).all(axis=1))[0]) for row in rows])
    return steps


@pytest.mark.parametrize("seed", [0, 5])
def test_mini_batches_partition_the_samples_once_per_epoch(tmp_path, seed):
    path = build(tmp_path, training={"steps": 9, "batch_size": 3}, init={"seed": seed},
                 data={"builtin": "moons", "n": 10}, workbook={"boundary_grid": 0})
    steps = _batches_read_from_the_workbook(path)
    assert [len(batch) for batch in steps[:4]] == [3, 3, 3, 1]  # the last batch of an epoch is smaller
    for epoch in (steps[0:4], steps[4:8]):
        assert sorted(sum(epoch, [])) == list(range(10))  # every sample exactly once
    assert steps[4:8] == steps[0:4] and steps[8] == steps[0]  # step k uses batch k mod 4
    order = sum(steps[0:4], [])
    assert order != sorted(order)  # shuffled, not the Data sheet's order


def test_the_batch_order_follows_the_seed(tmp_path):
    def order(seed, name):
        path = build(tmp_path, name, training={"steps": 3, "batch_size": 3}, init={"seed": seed},
                     data={"inputs": [[i, i % 3] for i in range(10)], "targets": [[i % 2] for i in range(10)]},
                     workbook={"boundary_grid": 0})
        return sum(_batches_read_from_the_workbook(path), [])

    assert order(1, "a.xlsx") == order(1, "b.xlsx")
    assert order(1, "c.xlsx") != order(2, "d.xlsx")


def test_dropout_masks_keep_neurons_at_the_rate_and_scale_the_survivors(tmp_path):
    rate = 0.3
    path = build(tmp_path, network={"sizes": [2, 20, 20, 1]}, training={"steps": 6, "dropout": rate},
                 data={"builtin": "circles", "n": 20}, workbook={"boundary_grid": 0})
    wb = load_workbook(path)
    package = xlsx.read_package(path)
    layout = Layout(readback.problem_from_package(package).structure)
    values = evaluate_package(package)
    masks, a_cells, ad_cells = [], [], []
    for step in range(7):
        for layer in (1, 2):
            block = layout.block("mask", layer, step)
            masks.append(np.array([[wb[block.sheet].cell(r, c).value for c in range(block.col, block.col + block.ncols)]
                                   for r in range(block.row, block.row + block.nrows)], dtype=float))
            a_cells.append(_grid(path, layout.block("a", layer, step), values))
            ad_cells.append(_grid(path, layout.block("ad", layer, step), values))
    mask, a, ad = (np.concatenate([m.ravel() for m in group]) for group in (masks, a_cells, ad_cells))
    assert set(np.unique(mask)) == {0.0, 1.0}
    n = mask.size  # 5,600 cells: the kept share is within 4 standard deviations of 1 - rate
    assert abs(mask.mean() - (1 - rate)) < 4 * np.sqrt(rate * (1 - rate) / n)
    assert (ad[mask == 0] == 0).all()
    alive = (mask == 1) & (a != 0)
    np.testing.assert_allclose(ad[alive] / a[alive], 1 / (1 - rate), rtol=1e-12)


@pytest.mark.parametrize("engine", ["fast", "formulas"])
def test_a_target_of_one_half_is_a_learners_edit_the_check_follows(tmp_path, engine):
    """Accuracy calls an output right when output > 0.5 agrees with target > 0.5: a target of exactly
    0.5 is class 0, in the formulas and in the reference alike."""
    path = build(tmp_path, network={"activation": "sigmoid", "output": "sigmoid", "loss": "bce"},
                 training={"steps": 1})
    wb = load_workbook(path)
    layout = Layout(readback.read_problem(path).structure)
    target = layout.targets_block()
    wb[target.sheet][target.cell(1, 0)] = 0.5
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    report = api.check(edited, engine)
    assert report.ok, report.details()
    package = xlsx.read_package(edited)
    values = evaluate_package(package)
    output = values.get("Layer 2", layout.block("a", 2, 0).row + 1, layout.block("a", 2, 0).col)
    correct = layout.block("correct", 2, 0)
    assert values.get(correct.sheet, correct.row + 1, correct.col) == float(output <= 0.5)
