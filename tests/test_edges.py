"""Exit 2 where exit 3 used to be (issue 25, class 8): pathological nesting in a formula or a config, a hidden
structure sheet with booleans for sizes or non-text names. One line each, never a traceback."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sheetnet.cli import main

from .conftest import build


def _with_formula(source, target, formula: str) -> None:
    """A copy of the workbook whose first formula on Layer 1 is `formula`."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet3.xml":  # Layer 1
                data = re.sub(rb"<f>[^<]*</f>", b"<f>" + formula.encode() + b"</f>", data, count=1)
            zout.writestr(item, data)


@pytest.mark.parametrize("formula", ["(" * 300 + "1" + ")" * 300, "+".join(["1"] * 1600),
                                     "IF(1," * 150 + "1" + ")" * 150])
def test_a_formula_nested_hundreds_deep_gets_one_line_and_exit_2(tmp_path, formula):
    source = build(tmp_path, training={"steps": 2})
    deep = tmp_path / "deep.xlsx"
    _with_formula(source, deep, formula)
    result = CliRunner().invoke(main, ["check", str(deep)])
    assert result.exit_code == 2, result.output
    assert "nested too deeply" in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("text", ["a = " + "[" * 600 + "]" * 600 + "\n",
                                  "[init]\nweights = " + "[" * 500 + "1" + "]" * 500 + "\n"])
def test_a_config_nested_hundreds_deep_gets_one_line_and_exit_2(tmp_path, text):
    (tmp_path / "c.toml").write_text(text)
    result = CliRunner().invoke(main, ["new", "--config", str(tmp_path / "c.toml"), "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("field, value", [("sizes", [2, True, 1]), ("sizes", [True, 4, 1]),
                                          ("input_names", [1, 2]), ("target_names", [None]),
                                          ("lesson", "bell\a"), ("steps", True)])
@pytest.mark.parametrize("command", ["check", "regenerate", "continue"])
def test_a_hand_edited_structure_sheet_is_refused_in_one_line(tmp_path, field, value, command):
    path = build(tmp_path, training={"steps": 2})
    wb = load_workbook(path)
    meta = wb["sheetnet"]
    structure = json.loads(meta["A2"].value)
    structure[field] = value
    meta["A2"] = json.dumps(structure)
    wb.save(path)
    args = [command, str(path)] + ([] if command == "check" else ["-o", str(tmp_path / "out.xlsx")])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "damaged or was edited" in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("csv", ["../outside.csv", "{outside}", "link.csv"])
def test_a_config_reads_data_only_from_its_own_folder(tmp_path, csv):
    """[data] csv naming a file outside the config's folder (a relative climb, an absolute path, a link out) is
    refused in one line (issue 25, class 4); the command line may name it."""
    outside = tmp_path / "outside.csv"
    outside.write_text("x1,x2,y\n1,2,1\n2,3,0\n3,1,1\n")
    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "link.csv").symlink_to(outside)
    (folder / "c.toml").write_text(f'[data]\ncsv = "{csv.format(outside=outside)}"\n[training]\nsteps = 2\n')
    out = tmp_path / "x.xlsx"
    result = CliRunner().invoke(main, ["new", "--config", str(folder / "c.toml"), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "outside the config's folder" in result.output and not out.exists()
    result = CliRunner().invoke(main, ["new", "--config", str(folder / "c.toml"), "--data", str(outside), "-o",
                                       str(out)])
    assert result.exit_code == 0, result.output


def test_a_config_reads_data_from_its_folder_and_below(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "points.csv").write_text("x1,x2,y\n1,2,1\n2,3,0\n3,1,1\n")
    (tmp_path / "c.toml").write_text('[data]\ncsv = "data/points.csv"\n[training]\nsteps = 2\n')
    result = CliRunner().invoke(main, ["new", "--config", str(tmp_path / "c.toml"), "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 0, result.output
