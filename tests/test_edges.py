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

from .conftest import build, rewrite_parts


def _with_formula(source, target, formula: str) -> None:
    """A copy of the workbook whose first formula on Layer 1 is `formula`."""
    rewrite_parts(source, target, {"xl/worksheets/sheet3.xml":  # Layer 1
                                   lambda data: re.sub(rb"<f>[^<]*</f>", b"<f>" + formula.encode() + b"</f>", data,
                                                       count=1)})


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


def _with_far_cells(source, target, sheets: dict[str, str]) -> None:
    """A copy of the workbook with one number added at a far address on each named sheet part."""
    def far_cell(address: str):
        row = re.match(r"[A-Z]+([0-9]+)", address).group(1)
        return lambda data: data.replace(b"</sheetData>", f'<row r="{row}"><c r="{address}"><v>1</v></c></row>'
                                         f"</sheetData>".encode(), 1)

    rewrite_parts(source, target, {part: far_cell(address) for part, address in sheets.items()})


@pytest.mark.parametrize("far", [{"xl/worksheets/sheet1.xml": "ALL390000"},
                                 {f"xl/worksheets/sheet{i}.xml": "ZZ30000" for i in range(1, 6)}])
def test_one_far_cell_cannot_make_the_check_allocate_gigabytes(tmp_path, far):
    """A cell at ALL390000 on one sheet, or far cells spread over every sheet, would ask for GBs of grid: the cap
    is per file, checked before anything is allocated (issue 25, class 5)."""
    source = build(tmp_path, training={"steps": 2})
    far_file = tmp_path / "far.xlsx"
    _with_far_cells(source, far_file, far)
    for engine in ("fast", "saved"):
        result = CliRunner().invoke(main, ["check", str(far_file), "--engine", engine])
        assert result.exit_code == 2, result.output
        assert "cells" in result.output and str(far_file) in result.output


def _patched_entries(source, target, change) -> None:
    """A copy whose central directory and local headers are changed by `change(header bytes) -> bytes`."""
    data = bytearray(source.read_bytes())
    for signature, (flag_at, method_at, version_at) in ((b"PK\x03\x04", (6, 8, 4)), (b"PK\x01\x02", (8, 10, 6))):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            change(data, start, flag_at, method_at, version_at)
            start += 4
    target.write_bytes(bytes(data))


@pytest.mark.parametrize("kind, words", [("encrypted", "is encrypted"), ("deflate64", "compressed with method 9"),
                                         ("unknown", "compressed with method 77"), ("future", "zip file version 9.0")])
def test_zip_entries_nobody_writes_are_refused_in_one_line(tmp_path, kind, words):
    """The encrypted flag, deflate64, an unknown method or a future zip version used to end in exit 3 (issue 25,
    class 8)."""
    import struct

    source = build(tmp_path, training={"steps": 1})

    def change(data, start, flag_at, method_at, version_at):
        if kind == "encrypted":
            data[start + flag_at] |= 0x1
        elif kind in ("deflate64", "unknown"):
            data[start + method_at:start + method_at + 2] = struct.pack("<H", 9 if kind == "deflate64" else 77)
        else:
            data[start + version_at:start + version_at + 2] = struct.pack("<H", 90)

    odd = tmp_path / "odd.xlsx"
    _patched_entries(source, odd, change)
    result = CliRunner().invoke(main, ["check", str(odd)])
    assert result.exit_code == 2, result.output
    assert words in result.output and len(result.output.strip().splitlines()) == 1


def test_a_csv_of_more_inputs_than_a_layer_may_have_is_refused_before_writing(tmp_path):
    """101 input columns used to be written, then called damaged by sheetnet's own check (issue 25, class 8)."""
    header = ",".join(f"x{i}" for i in range(101)) + ",y\n"
    (tmp_path / "wide.csv").write_text(header + "\n".join(",".join(str((r + c) % 3) for c in range(102))
                                                          for r in range(4)) + "\n")
    out = tmp_path / "wide.xlsx"
    result = CliRunner().invoke(main, ["new", str(tmp_path / "wide.csv"), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "101 input columns" in result.output and not out.exists()


@pytest.mark.parametrize("network, training", [
    ({}, {"optimizer": "momentum"}),
    ({"batch_norm": True}, {"optimizer": "adam", "schedule": "step", "step_size": 2, "gamma": 0.7}),
    ({}, {"optimizer": "adam", "clip_norm": 0.5, "l2": 0.01, "dropout": 0.2}),
    ({}, {"optimizer": "adagrad", "schedule": "exponential", "gamma": 0.9}),
])
def test_a_chain_of_four_links_computes_what_one_workbook_computes(tmp_path, network, training):
    """Three `continue`s after a 3-step workbook against one 12-step workbook: every weight and the test loss at
    the end agree to 1e-9, and every link checks clean (a drift over several links would show here)."""
    import numpy as np

    from sheetnet import reference
    from sheetnet.verify import readback

    sections = dict(data={"builtin": "moons", "n": 24, "test_fraction": 0.25},
                    network={"sizes": [2, 5, 3, 1], "output": "sigmoid", "loss": "bce", **network},
                    training={"steps": 12, "batch_size": 6, "learning_rate": 0.05, **training})
    one = reference.run(readback.read_problem(build(tmp_path, "one.xlsx", **sections)))
    link = build(tmp_path, "link1.xlsx", **{**sections, "training": {**sections["training"], "steps": 3}})
    for k in range(2, 5):
        following = tmp_path / f"link{k}.xlsx"
        result = CliRunner().invoke(main, ["continue", str(link), "-o", str(following)])
        assert result.exit_code == 0, result.output
        assert CliRunner().invoke(main, ["check", str(following)]).exit_code == 0
        link = following
    chain = reference.run(readback.read_problem(link))
    for layer in (1, 2, 3):
        np.testing.assert_allclose(chain[("W", layer, 3)], one[("W", layer, 12)], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(chain[("test_loss", 0, 3)], one[("test_loss", 0, 12)], rtol=1e-9)


def test_an_orphan_formula_after_a_self_closed_cell_is_not_that_cells(tmp_path):
    """`<c r="C37" s="7"/><f>...</f>`: the formula belongs to no cell (issue 25, class 10); the check names C37 as
    a cell that should hold a formula and holds none."""
    source = build(tmp_path, training={"steps": 3})
    orphaned = tmp_path / "orphan.xlsx"
    with zipfile.ZipFile(source) as archive:
        layer_1 = archive.read("xl/worksheets/sheet3.xml")
    cell = re.search(rb'<c r="(C[0-9]+)"([^>]*)><f>([^<]*)</f></c>', layer_1.split(b"<row r=\"30\"")[1])
    orphan = b'<c r="' + cell.group(1) + b'"' + cell.group(2) + b"/><f>" + cell.group(3) + b"</f>"
    rewrite_parts(source, orphaned, {"xl/worksheets/sheet3.xml": lambda data: data.replace(cell.group(0), orphan, 1)})
    name = cell.group(1).decode()
    result = CliRunner().invoke(main, ["check", str(orphaned)])
    assert result.exit_code == 1, result.output
    assert f"not formulas: 'Layer 1'!{name}" in result.output


@pytest.mark.parametrize("ref", ["A1:XFD1048576", "A1:A1048576", "nonsense"])
def test_a_whole_sheet_array_formula_is_refused_before_any_engine(tmp_path, ref):
    """An array formula over a whole sheet (or column) made the formulas engine take minutes and gigabytes (issue
    25, class 5): its size is read from its ref and refused before any engine starts."""
    source = build(tmp_path, training={"steps": 1})
    big = tmp_path / "big.xlsx"
    _with_formula(source, big, "")
    rewrite_parts(big, big, {"xl/worksheets/sheet3.xml": lambda data: data.replace(
        b"<f></f>", f'<f t="array" ref="{ref}">1</f>'.encode(), 1)})
    for engine in ("fast", "formulas"):
        result = CliRunner().invoke(main, ["check", str(big), "--engine", engine])
        assert result.exit_code == 2, result.output
        assert "array formula over" in result.output
