"""The workbook's contract: live formulas, allowed functions, stable names, determinism, training works."""

import re
import zipfile

import numpy as np
import pytest
from openpyxl import load_workbook
from openpyxl.formula.tokenizer import Tokenizer

from sheetnet import api, reference
from sheetnet.evaluate import engines
from sheetnet.layout import Layout
from sheetnet.sheets.workbook import workbook_bytes

from .conftest import build, problem_of

# Classic functions every target engine (Excel 2010, LibreOffice, formulas) evaluates.
ALLOWED_FUNCTIONS = {
    "SUMPRODUCT", "SUM", "IF", "AND", "OR", "EXP", "LN", "MAX", "MIN", "ABS", "TANH", "SQRT", "SUMSQ",
    "COS", "PI", "INT",  # learning-rate schedules (cosine, step)
    "SIN",  # input features sin(x1), sin(x2)
    "SIGN",  # the L1 penalty's gradient
}

VARIANTS = {
    "relu-mse-sgd": {},
    "deep-mixed": dict(network={"sizes": [2, 3, 3, 1], "activation": ["tanh", "leaky_relu"]}),
    "elu-softplus": dict(network={"sizes": [2, 3, 3, 1], "activation": ["elu", "softplus"]}),
    # inputs up to 30: softplus meets z below 0, between 2 and 20, and beyond its threshold 20
    "softplus-wide-range": dict(network={"sizes": [2, 4, 1], "activation": "softplus"},
                                data={"inputs": [[0, 0], [0, 3], [3, 0], [30, 30]], "targets": [[0], [1], [1], [0]]}),
    "sigmoid-bce-momentum": dict(
        network={"activation": "sigmoid", "output": "sigmoid", "loss": "bce"}, training={"optimizer": "momentum"}),
    "softmax-ce-adam-l2": dict(
        network={"sizes": [2, 3, 2], "output": "softmax", "loss": "cross_entropy"},
        training={"optimizer": "adam", "l2": 0.01, "train_biases": False},
        data={"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [[1, 0], [0, 1], [0, 1], [1, 0]]}),
    "rmsprop-cosine-clip": dict(
        network={"sizes": [2, 3, 1]}, training={"optimizer": "rmsprop", "schedule": "cosine", "clip_norm": 0.05}),
    # a clip_norm far above the gradients' norm: the factor is exactly 1, clipping must not scale them up
    "momentum-clip-never-bites": dict(training={"optimizer": "momentum", "clip_norm": 100.0}),
    "adagrad-batch-norm-step-schedule": dict(
        network={"sizes": [2, 3, 3, 1], "batch_norm": True, "activation": ["tanh", "relu"]},
        training={"optimizer": "adagrad", "schedule": "step", "step_size": 1, "batch_size": 2}),
    "adamw-exponential": dict(
        network={"sizes": [2, 3, 1]}, training={"optimizer": "adamw", "schedule": "exponential", "weight_decay": 0.2}),
    "softmax-mse": dict(
        network={"sizes": [2, 3, 2], "output": "softmax"},
        data={"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [[1, 0], [0, 1], [0, 1], [1, 0]]}),
}


def _with_steps(sections, steps):
    sections = {k: dict(v) for k, v in sections.items()}
    sections.setdefault("training", {})["steps"] = steps
    return sections


def _formulas(path):
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    yield ws.title, cell.coordinate, cell.value


@pytest.mark.parametrize("name", VARIANTS)
def test_only_allowed_functions(tmp_path, name):
    path = build(tmp_path, **_with_steps(VARIANTS[name], 2))
    used = set()
    for _, _, text in _formulas(path):
        assert "_xlfn" not in text and "{" not in text
        for token in Tokenizer(text).items:
            if token.type == "FUNC" and token.subtype == "OPEN":
                used.add(token.value.rstrip("("))
    assert used <= ALLOWED_FUNCTIONS, used - ALLOWED_FUNCTIONS
    assert "SUMPRODUCT" in used


# The fast engine checks every variant in the quick tier; the `formulas` engine, an independent second opinion at
# ~4 ms a cell (test_fast_engine.py compares the two cell by cell), checks each again in the whole suite.
ENGINES = ["fast", pytest.param("formulas", marks=pytest.mark.slow)]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", VARIANTS)
def test_every_variant_checks_clean(tmp_path, name, engine):
    path = build(tmp_path, **_with_steps(VARIANTS[name], 2))
    report = api.check(path, engine)
    assert report.ok, report.details()
    assert report.compared == len(list(_formulas(path)))


def test_every_derived_cell_is_a_formula_and_inputs_are_numbers(tmp_path):
    path = build(tmp_path, training={"steps": 2})
    layout = Layout(problem_of(training={"steps": 2}).structure)
    wb = load_workbook(path)
    for key in layout.derived_keys():
        block = layout.block(*key)
        for i, j, row, col in block.cells():
            assert str(wb[block.sheet].cell(row, col).value).startswith("="), (key, i, j)
    inputs = (layout.inputs_block(), layout.targets_block(), layout.block("W", 1, 0),
              layout.hyper_block("learning_rate"))
    for block in inputs:
        for _, _, row, col in block.cells():
            assert isinstance(wb[block.sheet].cell(row, col).value, (int, float))


def test_formula_text_matches_the_issue(tmp_path):
    path = build(tmp_path, training={"steps": 1})
    wb = load_workbook(path)
    layer1 = wb["Layer 1"]
    layout = Layout(problem_of(training={"steps": 1}).structure)
    z = layout.block("z", 1, 0)
    a = layout.block("a", 1, 0)
    w1 = layout.block("W", 1, 1)
    # The data row is absolute ($): it stays put while the formula repeats in every step's block.
    assert layer1[z.cell(0, 0)].value == "=SUMPRODUCT(Data!$B$5:$C$5,C5:D5)+E5"
    assert layer1[a.cell(0, 0)].value == f"=IF({z.cell(0, 0)}>0,{z.cell(0, 0)},0)"
    dw = layout.block("dW", 1, 0)
    assert layer1[w1.cell(0, 0)].value == f"=C5-learning_rate*{dw.cell(0, 0)}"


def test_defined_names_and_shapes(tmp_path):
    steps = 3
    path = build(tmp_path, network={"sizes": [2, 3, 2, 1]}, training={"steps": steps})
    wb = load_workbook(path)
    expected_shapes = {
        "learning_rate": (1, 1), "inputs": (4, 2), "targets": (4, 1), "loss_history": (steps + 1, 1),
        "outputs_init": (4, 1), "outputs_final": (4, 1),
        "W1_init": (3, 2), "b1_init": (3, 1), "W1_final": (3, 2), "b1_final": (3, 1),
        "W2_init": (2, 3), "b2_init": (2, 1), "W2_final": (2, 3), "b2_final": (2, 1),
        "W3_init": (1, 2), "b3_init": (1, 1), "W3_final": (1, 2), "b3_final": (1, 1),
    }
    for name, shape in expected_shapes.items():
        defined = wb.defined_names[name]
        assert defined.localSheetId is None  # workbook scope
        ((sheet, ref),) = list(defined.destinations)
        cells = wb[sheet][ref]
        rows = cells if isinstance(cells, tuple) else ((cells,),)
        rows = rows if isinstance(rows[0], tuple) else (rows,)
        assert (len(rows), len(rows[0])) == shape, name
    # The names point at the quantities they promise: final weights are the last update's cells.
    values = engines.evaluate(path, "fast")
    problem = problem_of(network={"sizes": [2, 3, 2, 1]}, training={"steps": steps})
    trace = reference.run(problem)
    (sheet, ref), = list(wb.defined_names["W2_final"].destinations)
    first = wb[sheet][ref.replace("$", "").split(":")[0]]
    assert values.get(sheet, first.row, first.column) == pytest.approx(trace[("W", 2, steps)][0, 0], rel=1e-12)
    (sheet, ref), = list(wb.defined_names["loss_history"].destinations)
    col_row = re.match(r"\$([A-Z]+)\$(\d+)", ref)
    last_row = int(col_row[2]) + steps
    assert values.get(sheet, last_row, 2) == pytest.approx(trace[("loss", 0, steps)][0, 0], rel=1e-12)


def test_same_arguments_give_identical_bytes():
    problem = problem_of(training={"steps": 2})
    first, _ = workbook_bytes(problem)
    second, _ = workbook_bytes(problem_of(training={"steps": 2}))
    assert first == second
    names = zipfile.ZipFile(__import__("io").BytesIO(first)).namelist()
    assert "xl/worksheets/sheet1.xml" in names


@pytest.mark.parametrize("engine", ENGINES)
def test_steps_zero_is_a_forward_only_workbook(tmp_path, engine):
    path = build(tmp_path, training={"steps": 0})
    report = api.check(path, engine)
    assert report.ok
    layout = Layout(problem_of(training={"steps": 0}).structure)
    assert not any(kind in ("dW", "dz", "dA") for kind, _, _ in layout.derived_keys())
    assert layout.defined_names()["W1_final"] == layout.defined_names()["W1_init"]


@pytest.mark.slow
def test_xor_trains_in_the_workbook_formulas_engine(tmp_path):
    """The issue's xor network, 100 steps, seed 0, evaluated by formulas: loss falls 10x, all four right."""
    path = build(tmp_path, training={"steps": 100, "learning_rate": 0.1}, init={"seed": 0})
    values = engines.evaluate_formulas(path)
    layout = Layout(problem_of(training={"steps": 100}).structure)
    history = layout.loss_history_block()
    losses = [values.get(history.sheet, history.row + k, history.col) for k in range(101)]
    assert losses[0] / losses[-1] >= 10
    outputs = layout.block("a", 2, 100)
    predictions = [values.get(outputs.sheet, outputs.row + i, outputs.col) for i in range(4)]
    assert [p > 0.5 for p in predictions] == [False, True, True, False]
    np.testing.assert_allclose(losses, reference.loss_history(problem_of(training={"steps": 100})), rtol=1e-9)


@pytest.mark.parametrize("name", VARIANTS)
def test_defined_names_are_not_cell_addresses(name):
    """A name such as `l2` would be read as cell L2 by every engine (a bug the checker caught)."""
    layout = Layout(problem_of(**_with_steps(VARIANTS[name], 1)).structure)
    for defined in layout.defined_names():
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", defined)
        assert not re.fullmatch(r"[A-Za-z]{1,3}[0-9]+", defined), f"{defined} is a cell address"
        assert not re.fullmatch(r"[Rr][0-9]*[Cc][0-9]*", defined), f"{defined} is an R1C1 address"


def test_later_steps_written_as_raw_rows_keep_their_styles(tmp_path):
    """Steps from 2 on bypass openpyxl: every cell must still carry its role's named style."""
    path = build(tmp_path, training={"steps": 4})
    layout = Layout(problem_of(training={"steps": 4}).structure)
    wb = load_workbook(path)
    ws = wb["Layer 1"]
    for step in (1, 3):
        top = layout.layers.block_top(step)
        assert ws.cell(top, 1).style == "sheetnet step"
        assert ws.cell(top + 1, 2).style == "sheetnet label"
        for kind, style in (("z", "sheetnet forward"), ("dz", "sheetnet gradient"), ("W", "sheetnet update")):
            block = layout.block(kind, 1, step)
            assert ws.cell(block.row, block.col).style == style, (kind, step)


def test_relationship_targets_are_relative_as_excel_writes_them(tmp_path):
    """openpyxl writes /xl/... targets; some engines (IronCalc) resolve only relative ones."""
    import posixpath
    import re
    import zipfile

    path = build(tmp_path, training={"steps": 2})
    with zipfile.ZipFile(path) as package:
        targets = [(name, target) for name in package.namelist() if name.endswith(".rels")
                   for target in re.findall(r'Target="([^"]*)"', package.read(name).decode())]
        assert len(targets) > 10
        for name, target in targets:
            assert not target.startswith("/"), (name, target)
            folder = name.rsplit("_rels/", 1)[0]  # the part's own folder: targets are relative to it
            assert posixpath.normpath(folder + target) in package.namelist(), (name, target)


def test_a_workbook_written_with_the_old_adam_names_still_checks_and_regenerates(tmp_path):
    """Before beta_1 and beta_2, the cells were named beta1 and beta2 (an address to some engines): files made
    then are read by position, checked, and regenerated with the new names."""
    import zipfile

    from click.testing import CliRunner

    from sheetnet.cli import main

    new = build(tmp_path, training={"steps": 2, "optimizer": "adam"})
    old = tmp_path / "old.xlsx"
    with zipfile.ZipFile(new) as source, zipfile.ZipFile(old, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith(".xml"):
                data = data.replace(b"beta_1", b"beta1").replace(b"beta_2", b"beta2")
            target.writestr(item, data)
    with zipfile.ZipFile(old) as package:
        assert b'name="beta1"' in package.read("xl/workbook.xml")
    assert api.check(old).ok and api.check(old, "formulas").ok
    again = tmp_path / "again.xlsx"
    assert CliRunner().invoke(main, ["regenerate", str(old), "-o", str(again)]).exit_code == 0
    with zipfile.ZipFile(again) as package:
        names = package.read("xl/workbook.xml")
        assert b'name="beta_1"' in names and b'name="beta1"' not in names


def test_no_defined_name_reads_as_a_cell_address(tmp_path):
    """Letters then digits (beta1, L2, W1) is an address to some engine; every name sheetnet writes has another
    shape."""
    import re

    from openpyxl import load_workbook

    path = build(tmp_path, network={"sizes": [2, 3, 1], "batch_norm": True, "activation": "leaky_relu"},
                 training={"steps": 2, "optimizer": "adam", "l2": 0.01, "l1": 0.01, "dropout": 0.1,
                           "schedule": "step", "clip_norm": 1.0})
    names = list(load_workbook(path).defined_names)
    assert {"beta_1", "beta_2", "l2_penalty", "W1_init"} <= set(names)
    assert not [name for name in names if re.fullmatch(r"[A-Za-z]+[0-9]+", name)]
