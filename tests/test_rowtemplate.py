"""Block columns written from row templates are byte for byte what the formulas give cell by cell."""

from __future__ import annotations

import pytest

from sheetnet.sheets import rawrows
from sheetnet.sheets.rowtemplate import row_template
from sheetnet.sheets.workbook import workbook_bytes

from .conftest import problem_of


def _same(text: str) -> str:
    return text


@pytest.mark.parametrize("formula", [
    lambda i, j: f"=SUM(A{5 + i}:C{5 + i})+B{i + 1}*{j}",
    lambda i, j: f"='Layer 1'!$B$3*D{i - 2 + 10}",
    lambda i, j: "=learning_rate",
])
def test_an_affine_formula_becomes_a_template(formula):
    template = row_template(formula, 2, _same)
    assert template is not None
    assert [template.render(i) for i in range(7)] == [formula(i, 2)[1:] for i in range(7)]


SAMPLES = (4, 1, 3, 0, 2)


@pytest.mark.parametrize("formula", [
    lambda i, j: f"=Data!B{SAMPLES[i] + 5}",  # shuffled samples: indexing with the row
    lambda i, j: f"=A{i * 2}",
    lambda i, j: "=A1" if i == 0 else "=A2",
    lambda i, j: f"=A{i:02d}",
    lambda i, j: f"=A{10 - i}",
    lambda i, j: f"=A{i + 0.5}",
    lambda i, j: f"=A{max(i, 3)}",
])
def test_any_other_use_of_the_row_writes_cell_by_cell(formula):
    assert row_template(formula, 0, _same) is None


def test_a_broad_except_cannot_hide_the_row_being_indexed():
    def formula(i, j):
        try:
            return f"=Data!B{SAMPLES[i]}"
        except Exception:  # noqa: BLE001 - what the test is about
            return "=0"

    assert row_template(formula, 0, _same) is None


@pytest.mark.parametrize("sections", [
    dict(network={"sizes": [2, 4, 3, 1]}, training={"steps": 5}),
    dict(network={"sizes": [2, 5, 1], "activation": "tanh"}, data={"builtin": "moons", "n": 24, "test_fraction": 0.25},
         training={"steps": 6, "batch_size": 6, "optimizer": "adam", "dropout": 0.3, "l1": 0.01}),
    dict(network={"sizes": [2, 4, 4, 3], "output": "softmax", "loss": "cross_entropy", "batch_norm": True},
         data={"builtin": "spiral", "n": 30}, training={"steps": 5, "batch_size": 10,
                                                         "optimizer": "rmsprop", "clip_norm": 1.0}),
])
def test_workbooks_are_the_same_without_templates(monkeypatch, sections):
    problem = problem_of(**sections)
    with_templates, _ = workbook_bytes(problem)
    monkeypatch.setattr(rawrows, "row_template", lambda formula, j, escape: None)
    without, _ = workbook_bytes(problem)
    assert with_templates == without
