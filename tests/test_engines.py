"""Every example computes the same in three more engines: formualizer and IronCalc (Rust engines, from PyPI)
and HyperFormula (JavaScript, from npm, run by Node.js).

Each formula cell of each example is compared with the fast engine (which the check compares with the
reference) to the check's relative tolerance; the cells no two engines can be expected to share are listed
with their reason in tests/engines_agree.py (the chaotic example's later steps).
"""

from __future__ import annotations

import pytest

from sheetnet.api.examples import example_configs
from sheetnet.evaluate import xlsx
from sheetnet.evaluate.fast.evaluate import evaluate_package
from sheetnet.layout import Layout
from sheetnet.verify import readback

from .conftest import REPO
from .engines_agree import ENGINES, EngineMissing, compare, on_ci, same

PEERS = ("formualizer", "ironcalc")  # the engines `sheetnet check --engine` offers besides its own


def _reader(engine, path):
    try:
        return ENGINES[engine](path)
    except EngineMissing as missing:
        if on_ci():
            raise AssertionError(f"{missing} (CI must have every engine)") from None
        pytest.skip(str(missing))


def _double_formula(source, broken, sheet_index, cell):
    """A copy of `source` in which one cell's formula is doubled, edited in the XML (no other byte changes:
    IronCalc 0.9 cannot read the absolute relationship targets that openpyxl writes when it saves)."""
    import zipfile

    with zipfile.ZipFile(source) as original, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == f"xl/worksheets/sheet{sheet_index + 1}.xml":
                text = data.decode()
                start = text.index(f'<c r="{cell}"')
                formula, end = text.index("<f>", start) + 3, text.index("</f>", start)
                data = (text[:formula] + "2*(" + text[formula:end] + ")" + text[end:]).encode()
            copy.writestr(item, data)
    return broken


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", list(example_configs()))
def test_every_example_computes_the_same_in_another_engine(name, engine):
    path = REPO / "workbooks" / f"{name}.xlsx"
    agreement = compare(path, _reader(engine, path))
    assert agreement.compared > 1000
    assert not agreement.differ, (len(agreement.differ), agreement.differ[:5])


def test_the_comparison_sees_a_difference(tmp_path):
    """The test above can fail: a workbook whose cached formula text was changed behind the fast engine's back
    differs in both engines at that cell."""
    source = REPO / "workbooks" / "exam-example.xlsx"
    package = xlsx.read_package(source)
    fast = evaluate_package(package)
    layout = Layout(readback.problem_from_package(package).structure)
    z = layout.block("z", 1, 0)
    broken = _double_formula(source, tmp_path / "broken.xlsx", package.sheet_order.index(z.sheet), z.cell())
    expected = fast.get(z.sheet, z.row, z.col)
    for engine in ENGINES:
        got = _reader(engine, broken)(z.sheet, package.sheet_order.index(z.sheet), z.row, z.col)
        assert not same(expected, got) and same(2 * expected, got), engine
    differ = compare(source, _reader("formualizer", broken)).differ  # the original against the changed file
    assert (z.sheet, z.row, z.col) in [cell[:3] for cell in differ]


@pytest.mark.parametrize("engine", PEERS)
def test_check_with_a_peer_engine_passes_then_names_a_tampered_cell(tmp_path, engine):
    """`sheetnet check --engine formualizer|ironcalc` is a real check: a doubled bias gradient is named."""
    from click.testing import CliRunner

    from sheetnet.cli import main

    from .conftest import build, problem_of

    sections = dict(network={"sizes": [2, 3, 1]}, training={"steps": 2})
    path = build(tmp_path, **sections)
    passed = CliRunner().invoke(main, ["check", str(path), "--engine", engine])
    assert passed.exit_code == 0, passed.output
    assert passed.output.startswith("OK") and f"engine {engine}" in passed.output
    layout = Layout(problem_of(**sections).structure)
    db = layout.block("db", 2, 0)
    order = xlsx.read_package(path).sheet_order
    broken = _double_formula(path, tmp_path / "broken.xlsx", order.index(db.sheet), db.cell())
    failed = CliRunner().invoke(main, ["check", str(broken), "--engine", engine])
    assert failed.exit_code == 1, failed.output
    assert failed.output.splitlines()[1].strip().startswith(f"'{db.sheet}'!{db.cell()}:"), failed.output


@pytest.mark.parametrize("engine", PEERS)
def test_a_missing_peer_engine_is_one_clear_line(tmp_path, engine, monkeypatch):
    import sys

    from click.testing import CliRunner

    from sheetnet.cli import main

    monkeypatch.setitem(sys.modules, engine, None)  # import then raises ImportError, as when not installed
    result = CliRunner().invoke(main, ["check", str(REPO / "workbooks" / "xor.xlsx"), "--engine", engine])
    assert result.exit_code == 2
    expected = (f"sheetnet: error: the {engine} engine is not installed; install it with: "
                "pip install 'sheetnet[engines]'")
    assert result.output.strip() == expected
