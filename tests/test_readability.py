"""What a learner meets first: each sheet's first screen, the messages, the sizes of default workbooks."""

from __future__ import annotations

import re
import zipfile

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sheetnet import api
from sheetnet.api.examples import example_configs
from sheetnet.cli import main
from sheetnet.evaluate import xlsx
from sheetnet.evaluate.fast.evaluate import evaluate_package
from sheetnet.layout import Layout
from sheetnet.model import config
from sheetnet.model.config import BUILTIN_DATASETS
from sheetnet.verify import readback

from .conftest import REPO, build, sheet_parts

SCREEN_WIDTH, SCREEN_ROWS = 1880, 50  # pixels of columns, and rows, a 1920 x 1080 screen shows at 100%


def _pixels(width: float | None) -> float:
    return (width or 8.43) * 7 + 5


def _column_widths(path, sheet: str) -> dict[int, float]:
    """Column number -> width, from the sheet's <cols> (read from the zip: no need to load every cell)."""
    with zipfile.ZipFile(path) as archive:
        part = archive.read(sheet_parts(path)[sheet]).decode()
    widths = {}
    for element in re.findall(r"<col\b[^>]*>", part.split("<sheetData", 1)[0]):
        first, last = (int(re.search(rf'\b{key}="(\d+)"', element).group(1)) for key in ("min", "max"))
        width = re.search(r'\bwidth="([0-9.]+)"', element)
        widths.update({col: float(width.group(1)) for col in range(first, last + 1)} if width else {})
    return widths


OPENPYXL_DEFAULT_WIDTH = 13.0  # what openpyxl reports for a column without a <col>: the stricter measure, kept


def _screen_width(path, sheet: str, columns: int) -> float:
    widths = _column_widths(path, sheet)
    return sum(_pixels(widths.get(col, OPENPYXL_DEFAULT_WIDTH)) for col in range(1, columns + 1))


def test_column_widths_read_from_the_zip_are_openpyxls():
    """Control for the reader above: the widths openpyxl reads from a whole workbook, column by column."""
    path = REPO / "workbooks" / "xor.xlsx"
    ws = load_workbook(path)["Layer 2"]
    assert [_pixels(ws.column_dimensions[ws.cell(1, c).column_letter].width) for c in range(1, 16)] == \
        [_pixels(_column_widths(path, "Layer 2").get(c, OPENPYXL_DEFAULT_WIDTH)) for c in range(1, 16)]


@pytest.mark.parametrize("name", list(example_configs()))
def test_step_0_of_every_layer_sheet_fits_on_the_first_screen(name):
    """Parameters, forward pass and backward pass of step 0, with their labels, on one 1920 x 1080 screen."""
    path = REPO / "workbooks" / f"{name}.xlsx"
    layout = Layout(readback.read_problem(path).structure)
    if layout.structure.conv:  # the kernels and the maps of a drawing, two filters side by side
        filters = layout.digits.filters
        assert _screen_width(path, "Filters", filters.last_column()) <= SCREEN_WIDTH
        gradients_end = sum(layout.conv.parameters["dkb" if "dkb" in layout.conv.parameters else "dK"])
        assert _screen_width(path, "Conv", gradients_end - 1) <= SCREEN_WIDTH  # kernels, biases and gradients
        return
    if layout.structure.image_side:  # 64 pixels make Layer 1 64 weights wide: the Weights sheet draws them instead
        digits = layout.digits
        last = digits.block("wp_img", min(digits.neurons, 4) - 1, 1)
        width = _screen_width(path, "Weights", last.col + last.ncols - 1)
        assert width <= SCREEN_WIDTH, width
        return
    last_row = layout.layers.block_top(1) - 1
    assert last_row <= SCREEN_ROWS, last_row
    for layer in range(1, layout.structure.n_layers + 1):
        width = _screen_width(path, f"Layer {layer}", layout.layers.last_column(layer))
        assert width <= SCREEN_WIDTH, (name, layer, width)


@pytest.mark.parametrize("dataset", BUILTIN_DATASETS)
def test_every_built_in_dataset_makes_a_classroom_sized_workbook(dataset):
    _, size, warnings = api.prepare(config.from_dict({"data": {"builtin": dataset}}))
    # the digits are a real classifier: a million cells at most, which LibreOffice opens in about half a minute
    assert size.formula_cells <= (1_000_000 if dataset == "digits" else 100_000) and not warnings


def test_teachers_flags_set_the_data_and_the_batches(tmp_path):
    out = tmp_path / "moons.xlsx"
    result = CliRunner().invoke(main, ["new", "moons", "-o", str(out), "--n", "30", "--noise", "0.2",
                                       "--batch-size", "10", "--steps", "3"])
    assert result.exit_code == 0, result.output
    problem = readback.read_problem(out)
    assert problem.structure.n_samples == 30 and len(problem.structure.batches) == 3


@pytest.mark.parametrize("text, message", [
    ("[training]\nlr = 0.3\n", "did you mean 'learning_rate'?"),
    ("[init]\ninit = \"xavier\"\n", "did you mean 'scheme'?"),
    ("[network]\nlearning_rate = 0.3\n", "it belongs in [training]"),
    ("[training]\nepochs = 30\n", "did you mean 'steps'?"),
])
def test_a_misnamed_key_gets_the_name_it_meant(tmp_path, text, message):
    path = tmp_path / "net.toml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["new", "--config", str(path), "-o", str(tmp_path / "o.xlsx")])
    assert result.exit_code == 2 and message in result.output


def test_a_softmax_on_one_class_column_names_the_fix(tmp_path):
    csv = tmp_path / "classes.csv"
    csv.write_text("x1,x2,c\n0,0,0\n1,0,1\n0,1,2\n")
    out = str(tmp_path / "o.xlsx")
    result = CliRunner().invoke(main, ["new", "--data", str(csv), "--output", "softmax", "-o", out])
    assert result.exit_code == 2 and "--loss cross_entropy" in result.output


def test_regenerate_says_how_to_write_the_result(tmp_path):
    path = build(tmp_path, training={"steps": 1})
    result = CliRunner().invoke(main, ["regenerate", str(path), "--steps", "3"])
    assert result.exit_code == 2 and "-o NEW.xlsx" in result.output and "--force" in result.output


def test_examples_never_replace_files_without_force(tmp_path):
    (tmp_path / "xor.xlsx").write_bytes(b"mine")
    result = CliRunner().invoke(main, ["examples", "--dir", str(tmp_path), "--no-check"])
    assert result.exit_code == 2 and "--force" in result.output
    assert (tmp_path / "xor.xlsx").read_bytes() == b"mine"


def test_a_passing_check_states_its_largest_difference_against_the_tolerance(tmp_path):
    path = build(tmp_path, training={"steps": 2})
    verdict = api.check(path).verdict()
    assert verdict.startswith("OK") and "of its cell's tolerance" in verdict and "relative" not in verdict


def test_the_gradient_check_refuses_a_parameter_the_network_does_not_have(tmp_path):
    """Layer 3 of a 2-layer network: the status cell says so (1), and the check still agrees."""
    path = build(tmp_path, training={"steps": 2})
    wb = load_workbook(path)
    layout = Layout(readback.read_problem(path).structure)
    wb["Gradient check"][layout.gradcheck.choice_block("gc_layer").cell()] = 3
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    status = layout.gradcheck.block("gc_status", 0, 0)
    values = evaluate_package(xlsx.read_package(edited))
    assert values.get(status.sheet, status.row, status.col) == 1.0
    assert api.check(edited).ok
    assert 'no such layer: pick 1 to 2' in load_workbook(edited)["Gradient check"][status.cell()].number_format


def test_one_sample_is_one_sample(tmp_path):
    path = build(tmp_path, data={"inputs": [[3, 7]], "targets": [[1]]}, training={"steps": 1})
    text = " ".join(str(c.value) for row in load_workbook(path)["About"].iter_rows() for c in row if c.value)
    assert "1 sample " in text and "1 samples" not in text and "1 outputs" not in text
