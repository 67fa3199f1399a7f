"""workbooks/ holds exactly what `sheetnet examples` regenerates, and the examples train."""

import numpy as np
import pytest
from click.testing import CliRunner

from sheetnet import readback, reference
from sheetnet.cli import main
from sheetnet.examples import example_configs

from .conftest import REPO


def test_committed_workbooks_match_regeneration(tmp_path):
    result = CliRunner().invoke(main, ["examples", "--dir", str(tmp_path), "--no-check"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (REPO / "workbooks").glob("*.xlsx"))
    assert names == sorted(f"{name}.xlsx" for name in example_configs())
    for name in names:
        assert (tmp_path / name).read_bytes() == (REPO / "workbooks" / name).read_bytes(), (
            f"workbooks/{name} is stale: run `sheetnet examples`"
        )


def test_xor_example_is_the_issue_command_and_trains():
    """xor.xlsx: hidden 4, 200 steps, lr 0.1, seed 0; loss falls >= 10x, all four points right."""
    problem = readback.read_problem(REPO / "workbooks" / "xor.xlsx")
    s = problem.structure
    assert (s.sizes, s.steps, problem.hyper["learning_rate"], s.seed) == ((2, 4, 1), 200, 0.1, 0)
    trace = reference.run(problem)
    assert trace[("loss", 0, 0)][0, 0] / trace[("loss", 0, 200)][0, 0] >= 10
    assert ((trace[("a", 2, 200)] > 0.5) == (problem.targets > 0.5)).all()


@pytest.mark.libreoffice
def test_xor_example_trains_in_libreoffice(soffice):
    """The same, read from the values LibreOffice computes for the committed workbook."""
    from sheetnet import libreoffice
    from sheetnet.layout import Layout

    path = REPO / "workbooks" / "xor.xlsx"
    values = libreoffice.evaluate(path)
    layout = Layout(readback.read_problem(path).structure)
    history = layout.loss_history_block()
    losses = np.array([values.get(history.sheet, history.row + k, history.col) for k in range(201)])
    assert losses[0] / losses[-1] >= 10
    out = layout.block("a", 2, 200)
    predictions = [values.get(out.sheet, out.row + i, out.col) for i in range(4)]
    assert [p > 0.5 for p in predictions] == [False, True, True, False]
