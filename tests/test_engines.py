"""Every example computes the same in two more engines: formualizer and IronCalc (Rust engines, from PyPI).

Each formula cell of each example is compared with the fast engine (which the check compares with the
reference) to the check's relative tolerance. Listed with their reason, the cells that no two engines can be
expected to share: the chaotic example's later steps (see test_fast_engine.CHAOTIC).
"""

from __future__ import annotations

import math
import os

import pytest

from sheetnet.api.examples import example_configs
from sheetnet.check import readback
from sheetnet.evaluate import xlsx
from sheetnet.evaluate.fast.evaluate import evaluate_package
from sheetnet.layout import Layout

from .conftest import REPO
from .test_fast_engine import CHAOTIC

formualizer = pytest.importorskip("formualizer") if not os.environ.get("CI") else __import__("formualizer")
ironcalc = pytest.importorskip("ironcalc") if not os.environ.get("CI") else __import__("ironcalc")


def _formualizer(path):
    workbook = formualizer.load_workbook(str(path), strategy="eager_all")
    workbook.evaluate_all()
    return lambda sheet, index, row, col: workbook.get_value(sheet, row, col)


def _ironcalc(path):
    model = ironcalc.load_from_xlsx(str(path), "en", "UTC")  # it prints a line per empty cell it skips
    model.evaluate()
    return lambda sheet, index, row, col: model.get_cell_value(index, row, col)


ENGINES = {"formualizer": _formualizer, "ironcalc": _ironcalc}


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", list(example_configs()))
def test_every_example_computes_the_same_in_another_engine(name, engine):
    path = REPO / "workbooks" / f"{name}.xlsx"
    package = xlsx.read_package(path)
    fast = evaluate_package(package)
    other = ENGINES[engine](path)
    layout = Layout(readback.problem_from_package(package).structure)
    compared, differ = 0, []
    for index, sheet in enumerate(package.sheet_order):
        if name in CHAOTIC and not sheet.startswith("Layer "):
            continue
        cells = package.sheet(sheet)
        for row, col in zip(cells.formula_rows.tolist(), cells.formula_cols.tolist(), strict=True):
            if name in CHAOTIC and row >= layout.layers.block_top(CHAOTIC[name]):
                continue
            compared += 1
            a, b = fast.get(sheet, row, col), other(sheet, index, row, col)
            if not _same(a, b):
                differ.append((sheet, row, col, a, b))
    assert compared > 1000
    assert not differ, (len(differ), differ[:5])


def test_the_comparison_sees_a_difference(tmp_path):
    """The test above can fail: a workbook whose cached formula text was changed behind the fast engine's back
    differs in both engines at that cell."""
    import zipfile

    source = REPO / "workbooks" / "exam-example.xlsx"
    package = xlsx.read_package(source)
    fast = evaluate_package(package)
    layout = Layout(readback.problem_from_package(package).structure)
    z = layout.block("z", 1, 0)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet3.xml":  # Layer 1
                text = data.decode()
                cell = f'<c r="{z.cell()}"'
                start = text.index(cell)
                formula, end = text.index("<f>", start) + 3, text.index("</f>", start)
                data = (text[:formula] + "2*(" + text[formula:end] + ")" + text[end:]).encode()
            copy.writestr(item, data)
    expected = fast.get(z.sheet, z.row, z.col)
    for engine in ENGINES.values():
        got = engine(broken)(z.sheet, package.sheet_order.index(z.sheet), z.row, z.col)
        assert not _same(expected, got) and _same(2 * expected, got)
