"""Text from users stays text (issue 25, classes 3 and 8): a CSV column name, a lesson or a name carried over by
regenerate and continue that starts with "=" is written as a string, never a live formula; a control character a
cell cannot hold is refused with one line and exit 2, never an internal error."""

from __future__ import annotations

import zipfile

import pytest
from click.testing import CliRunner

from sheetnet.cli import main

from .conftest import build, rewrite_parts

INJECTED = '=_xlfn.WEBSERVICE("http://example.invalid/x")'


def _formulas(path) -> list[str]:
    """Every formula text of every sheet of the file."""
    import re

    with zipfile.ZipFile(path) as archive:
        return [formula for name in archive.namelist() if name.startswith("xl/worksheets/")
                for formula in re.findall(r"<f>([^<]*)</f>", archive.read(name).decode())]


def _csv(path, first_name: str) -> None:
    path.write_text(f'"{first_name.replace(chr(34), chr(34) * 2)}",x2,y\n' + "\n".join(
        f"{i % 3},{(i * 7) % 5},{i % 2}" for i in range(8)) + "\n")


def test_a_csv_column_name_that_looks_like_a_formula_stays_text(tmp_path):
    _csv(tmp_path / "data.csv", INJECTED)
    out = tmp_path / "x.xlsx"
    result = CliRunner().invoke(main, ["new", str(tmp_path / "data.csv"), "-o", str(out), "--steps", "3"])
    assert result.exit_code == 0, result.output
    assert not any("WEBSERVICE" in formula for formula in _formulas(out))
    assert "WEBSERVICE" in zipfile.ZipFile(out).read("xl/worksheets/sheet2.xml").decode()  # as text, on Data
    for command in (["regenerate", str(out), "-o", str(tmp_path / "r.xlsx")],
                    ["continue", str(out), "-o", str(tmp_path / "c.xlsx")]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 0, result.output
        assert not any("WEBSERVICE" in formula for formula in _formulas(command[3]))
    assert CliRunner().invoke(main, ["check", str(out)]).exit_code == 0


def test_a_lesson_that_looks_like_a_formula_stays_text(tmp_path):
    (tmp_path / "c.toml").write_text(f"[workbook]\nlesson = '{INJECTED}'\n[training]\nsteps = 2\n")
    out = tmp_path / "x.xlsx"
    result = CliRunner().invoke(main, ["new", "--config", str(tmp_path / "c.toml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert not any("WEBSERVICE" in formula for formula in _formulas(out))


@pytest.mark.parametrize("where", ["lesson", "why", "csv"])
def test_a_control_character_is_refused_in_one_line(tmp_path, where):
    bell = "ring\a"
    if where == "csv":
        _csv(tmp_path / "data.csv", bell)
        args = ["new", str(tmp_path / "data.csv")]
    else:
        text = (f'[workbook]\nlesson = "{bell}"\n' if where == "lesson" else
                f'[[workbook.tries]]\nchange = "learning_rate"\nto = 0.5\nwhy = "{bell}"\n')
        (tmp_path / "c.toml").write_text(text.replace("\a", "\\u0007"))
        args = ["new", "--config", str(tmp_path / "c.toml")]
    result = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2, result.output
    assert "control character (U+0007)" in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "x.xlsx").exists()


def _replace_in_part(path, part: str, old: bytes, new: bytes) -> None:
    rewrite_parts(path, path, {part: lambda data: data.replace(old, new, 1)})


@pytest.mark.parametrize("spelling", ["0_0", "0.12_57", "inf", " 1"])
def test_only_spreadsheet_number_syntax_is_a_number(tmp_path, spelling):
    """A Data value spelt as Python's float() takes it but no spreadsheet writes a number (issue 25, class 6):
    the check refuses the input cell in one line instead of reading a number and saying OK."""
    path = build(tmp_path, training={"steps": 2})
    with zipfile.ZipFile(path) as archive:
        data = archive.read("xl/worksheets/sheet2.xml")
    import re

    first = re.search(rb'<c r="B5"[^>]*><v>([^<]*)</v>', data)
    assert first is not None
    _replace_in_part(path, "xl/worksheets/sheet2.xml", first.group(0),
                     first.group(0).replace(b"<v>" + first.group(1), b"<v>" + spelling.encode()))
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2, result.output
    assert "Data!B5 (input) should hold a number" in result.output


def test_predict_on_a_batch_normalised_workbook_uses_the_running_statistics(tmp_path):
    """`predict` used to end in a TypeError on any batch-norm workbook (issue 25, class 6): now a held-out sample's
    outputs are the workbook's own test pass at the last step (evaluation mode, the running statistics)."""
    import numpy as np

    from sheetnet import reference
    from sheetnet.api import use
    from sheetnet.verify import readback

    path = build(tmp_path, network={"sizes": [2, 4, 3, 1], "batch_norm": True},
                 data={"builtin": "moons", "n": 20, "test_fraction": 0.25}, training={"steps": 4, "batch_size": 5})
    problem, weights, biases = use.final_parameters(path)
    s = problem.structure
    trace = reference.run(readback.read_problem(path))
    sample = s.test_samples[1]
    outputs = use.predict(problem, weights, biases, problem.inputs[sample])[0]
    np.testing.assert_allclose(outputs, trace[("te_a", s.n_layers, s.steps)][1], rtol=1e-12)
    result = CliRunner().invoke(main, ["predict", str(path), "0.5", "0.25"])
    assert result.exit_code == 0, result.output


def test_continue_goes_on_from_a_final_weight_the_user_typed(tmp_path):
    """A number typed over a final weight is what `predict` and `export` use; `continue` used to drop it for the
    formula's value (issue 25, class 7). Now the next workbook starts from it."""
    from openpyxl import load_workbook

    from sheetnet.layout import Layout
    from sheetnet.verify import readback

    path = build(tmp_path, training={"steps": 3})
    block = Layout(readback.read_problem(path).structure).block("W", 2, 3)
    wb = load_workbook(path)
    wb[block.sheet][block.cell(0, 1)] = 0.123
    wb.save(path)
    out = tmp_path / "next.xlsx"
    result = CliRunner().invoke(main, ["continue", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert readback.read_problem(out).weights[1][0, 1] == 0.123
