"""The digits: real data shipped in the package, trained in formulas, read back from a drawing."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from sheetnet import api, reference
from sheetnet.cli import main
from sheetnet.evaluate import xlsx
from sheetnet.evaluate.fast.evaluate import evaluate_package
from sheetnet.layout import Layout
from sheetnet.model import config, datasets
from sheetnet.verify import readback

from .conftest import REPO, build

SMALL = dict(network={"sizes": [64, 4, 10]}, training={"steps": 3, "batch_size": 10},
             data={"builtin": "digits", "n": 40, "held_out": 10})


def test_the_shipped_file_is_sklearns_copy_of_the_uci_digits():
    raw = datasets.DIGITS_FILE.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
    table = np.loadtxt(gzip.open(datasets.DIGITS_FILE, "rt"), delimiter=",")
    assert table.shape == (1797, 65) and table[:, :64].min() == 0 and table[:, :64].max() == 16
    assert np.bincount(table[:, 64].astype(int)).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    notice = (datasets.DIGITS_FILE.parent / "README.md").read_text()
    assert "CC BY 4.0" in notice and "Alpaydin" in notice and "scikit-learn" in notice
    assert "CC BY 4.0" in (REPO / "README.md").read_text()


def test_a_seeded_subset_scaled_to_0_1_with_one_hot_targets():
    first, again, other = datasets.digits(50, 0), datasets.digits(50, 0), datasets.digits(50, 1)
    assert first.inputs.shape == (50, 64) and first.targets.shape == (50, 10)
    np.testing.assert_array_equal(first.inputs, again.inputs)
    assert not np.array_equal(first.inputs, other.inputs)
    assert set(np.unique(first.inputs * 16)) <= set(range(17)) and (first.targets.sum(axis=1) == 1).all()
    assert first.input_names[:2] == ("p11", "p12") and first.input_names[-1] == "p88"


def test_the_datasets_command_lists_it():
    result = CliRunner().invoke(main, ["datasets"])
    assert result.exit_code == 0 and "digits" in result.output and "CC BY 4.0" in result.output


def test_digits_bring_their_own_defaults_and_the_users_keys_win():
    cfg = config.from_dict({"data": {"builtin": "digits"}})
    assert (cfg.network.output, cfg.network.loss, cfg.network.sizes) == ("softmax", "cross_entropy", (64, 16, 10))
    assert (cfg.training.optimizer, cfg.training.batch_size, cfg.training.shuffle) == ("adam", 32, False)
    assert (cfg.data.n, cfg.data.held_out) == (1100, 100)
    mine = config.from_dict({"data": {"builtin": "digits", "test_fraction": 0.2, "n": 200},
                             "training": {"optimizer": "sgd"}, "network": {"sizes": [64, 8, 10]}})
    assert (mine.data.n, mine.data.held_out, mine.data.test_fraction) == (200, 0, 0.2)
    assert (mine.training.optimizer, mine.network.sizes) == ("sgd", (64, 8, 10))
    assert config.from_dict({"data": {"builtin": "xor"}}).network.output == "linear"  # others keep theirs
    assert config.from_dict({"data": {"builtin": "digits", "n": 60}}).data.held_out == 5  # 100 of 1100, scaled


def test_n_beyond_the_data_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(main, ["new", "digits", "--n", "5000", "-o", str(tmp_path / "d.xlsx")])
    assert result.exit_code == 2 and "1 to 1797" in result.output


def test_consecutive_batches_are_read_where_they_stand(tmp_path):
    """No copy of a batch's inputs: layer 1's z of batch k refers to its own rows of the Data sheet."""
    path = build(tmp_path, **SMALL)
    problem = readback.read_problem(path)
    s = problem.structure
    assert s.batches == (tuple(range(10)), tuple(range(10, 20)), tuple(range(20, 30)))
    assert not s.copies_batches and not Layout(s).has("x", 1, 0)
    layout = Layout(s)
    z = layout.block("z", 1, 1)
    wb = load_workbook(path)
    raw = layout.data.raw()
    first, last = get_column_letter(raw.col), get_column_letter(raw.col + 63)
    row = raw.row + 10  # step 1 trains on samples 10..19: its first sample is row 10 of the Data block
    assert f"Data!${first}${row}:${last}${row}" in wb[z.sheet].cell(z.row, z.col).value
    report = api.check(path)
    assert report.ok, report.details()


def _draw_a_one(path, column: int = 4):
    wb = load_workbook(path)
    problem = readback.read_problem(path)
    grid = Layout(problem.structure).block("dr_x", 0, 0)
    ws = wb[grid.sheet]
    for i in range(8):
        for j in range(8):
            ws.cell(grid.row + i, grid.col + j).value = 16 if j == column else 0
    wb.save(path)


def test_a_drawing_is_read_by_the_trained_network(tmp_path):
    path = build(tmp_path, **SMALL)
    _draw_a_one(path)
    problem = readback.read_problem(path)
    assert problem.drawing[:, 4].tolist() == [16.0] * 8 and problem.drawing.sum() == 128
    report = api.check(path)
    assert report.ok, report.details()
    layout = Layout(problem.structure)
    values = evaluate_package(xlsx.read_package(path))
    probabilities = layout.block("dr_prob", 0, 0)
    got = [values.get(probabilities.sheet, probabilities.row + c, probabilities.col) for c in range(10)]
    expected = reference.run(problem)
    np.testing.assert_allclose(got, expected[("dr_prob", 0, 0)][:, 0], rtol=1e-12)
    assert sum(got) == pytest.approx(1.0)
    read = layout.block("dr_pred", 0, 0)
    assert values.get(read.sheet, read.row, read.col) == float(np.argmax(got))
    names = layout.defined_names()
    assert (names["draw_input"].nrows, names["draw_input"].ncols) == (8, 8)
    assert (names["draw_probabilities"].nrows, names["draw_probabilities"].ncols) == (10, 1)


def test_the_gallery_and_the_weight_pictures_are_the_workbooks_own_numbers(tmp_path):
    path = build(tmp_path, **SMALL)
    problem = readback.read_problem(path)
    trace = reference.run(problem)
    layout = Layout(problem.structure)
    values = evaluate_package(xlsx.read_package(path))
    for t, sample in enumerate(problem.structure.test_samples):
        true = layout.block("gl_true", t, 0)
        assert values.get(true.sheet, true.row, true.col) == float(np.argmax(problem.targets[sample]))
    picture = layout.block("wp_img", 2, 0)  # neuron 3's initial weights, row by row as the pixels
    got = [[values.get(picture.sheet, picture.row + i, picture.col + j) for j in range(8)] for i in range(8)]
    np.testing.assert_array_equal(np.array(got).ravel(), problem.weights[0][2])
    misread = sum(trace[("gl_true", t, 0)][0, 0] != trace[("gl_pred", t, 0)][0, 0] for t in range(10))
    accuracy = trace[("test_accuracy", 0, problem.structure.steps)][0, 0]
    assert misread == round(10 * (1 - accuracy))


def test_regenerate_keeps_the_drawing_and_the_digit_sheets(tmp_path):
    path = build(tmp_path, **SMALL)
    _draw_a_one(path, column=2)
    (tmp_path / "again").mkdir()
    out = tmp_path / "again" / "net.xlsx"
    result = CliRunner().invoke(main, ["regenerate", str(path), "-o", str(out), "--steps", "4"])
    assert result.exit_code == 0, result.output
    new = readback.read_problem(out)
    assert new.structure.image_side == 8 and new.structure.steps == 4 and not new.structure.shuffle
    assert new.drawing[:, 2].tolist() == [16.0] * 8
    assert "Draw" in load_workbook(out, read_only=True).sheetnames
    assert api.check(out).ok


def test_the_example_reads_most_held_out_digits():
    """workbooks/digits.xlsx: a million cells at most, and at least 85% of the held-out digits read right at its
    last step (the number its About sheet states)."""
    path = REPO / "workbooks" / "digits.xlsx"
    problem = readback.read_problem(path)
    s = problem.structure
    assert Layout(s).formula_count() <= 1_000_000
    trace = reference.run(problem)
    accuracy = trace[("test_accuracy", 0, s.steps)][0, 0]
    assert accuracy >= 0.85 and s.n_test == 100
    about = [row[1] for row in load_workbook(path, read_only=True)["About"].iter_rows(values_only=True) if row[1]]
    assert any(f"{accuracy:.0%} are classified right at step {s.steps}" in str(text) for text in about)
