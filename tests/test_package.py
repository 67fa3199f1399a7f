"""sheetnet as users install it: the wheel in a fresh virtual environment, the Python API, examples by name, an
import that changes nothing.

The wheel test builds the wheel from this checkout, installs it into a new venv in a temporary folder and runs
every command it touches from outside the checkout: a file the code reads but the wheel lacks fails here.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetnet.api.examples import example_configs
from sheetnet.cli import main
from sheetnet.model.config import BUILTIN_DATASETS

from .conftest import REPO


def _python(code: str, cwd: Path, env: dict | None = None, executable: str = sys.executable):
    return subprocess.run([executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


# --- the Python API --------------------------------------------------------------------------------------
def _readme_api_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_python_example_runs_as_written(tmp_path):
    done = _python(_readme_api_example(), tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"[\d,]+ formula cells", lines[0])
    assert "cells agree; the largest difference is" in lines[1]
    assert {"xor-40.xlsx", "xor-80.xlsx", "moons.xlsx"} <= {p.name for p in tmp_path.iterdir()}
    assert eval(lines[-1]) == sorted(example_configs())  # noqa: S307 - our own printed list


def test_the_public_names_are_all_there_and_typed():
    import sheetnet

    for name in sheetnet.__all__:
        assert getattr(sheetnet, name) is not None, name
    assert (REPO / "sheetnet" / "py.typed").exists()
    assert sheetnet.check.__annotations__["return"] in ("Report", sheetnet.Report)
    with pytest.raises(AttributeError):
        sheetnet.not_a_name  # noqa: B018


def test_api_errors_are_sheetnet_errors(tmp_path):
    import sheetnet

    with pytest.raises(sheetnet.SheetnetError, match="unknown example 'nope'"):
        sheetnet.example_config("nope")
    with pytest.raises(sheetnet.SheetnetError, match="learning_rate"):
        sheetnet.build({"training": {"learning_rate": 0}}, tmp_path / "x.xlsx")
    with pytest.raises(sheetnet.SheetnetError, match="must be an .xlsx"):
        sheetnet.build({}, tmp_path / "x.csv")
    with pytest.raises(sheetnet.SheetnetError, match="a config is a dict or the path"):
        sheetnet.build(42, tmp_path / "x.xlsx")
    built = tmp_path / "xor.xlsx"
    sheetnet.build({"training": {"steps": 3}}, built)
    with pytest.raises(sheetnet.SheetnetError, match="already exists"):
        sheetnet.build({"training": {"steps": 3}}, built)
    with pytest.raises(sheetnet.SheetnetError, match=r"steps to continue \(--steps\) must be 1 to"):
        sheetnet.continue_training(built, tmp_path / "next.xlsx", steps=0)
    config = {"data": {"builtin": "xor"}}
    sheetnet.build(config, tmp_path / "again.xlsx")
    assert config == {"data": {"builtin": "xor"}}  # the caller's dict is not changed


def test_predict_and_export_agree_with_the_commands(tmp_path):
    import sheetnet

    path = tmp_path / "xor.xlsx"
    sheetnet.build({"training": {"steps": 5}}, path)
    outputs = sheetnet.predict(path, [[1, 0], [0, 1]])
    shown = CliRunner().invoke(main, ["predict", str(path), "1", "0"]).output
    assert f"{outputs[0, 0]:.6g}" in shown
    exported = sheetnet.export(path)
    assert exported["format"] == "sheetnet-weights/1" and len(exported["layers"]) == 2


# --- no side effects on import or on the user's openpyxl -----------------------------------------------
def test_import_changes_no_environment_variable_and_loads_nothing(tmp_path):
    code = ("import os, sys; before = dict(os.environ); import sheetnet; "
            "print(dict(os.environ) == before, sorted(m for m in sys.modules if m.split('.')[0] in "
            "('numpy', 'openpyxl', 'click', 'formulas')))")
    done = _python(code, tmp_path, env={"OPENPYXL_LXML": ""})
    assert done.stdout.split() == ["True", "[]"], done.stderr


_WRITE = """
import hashlib, sys
{first}
import sheetnet
from sheetnet.api.examples import example_config
from sheetnet.model import config, plan
from sheetnet.sheets.workbook import workbook_bytes
problem = plan.build_problem(config.load(example_config("moons-optimizers")))
data, _ = workbook_bytes(problem, file_name="moons-optimizers.xlsx")
print(hashlib.sha256(data).hexdigest())
{after}
"""


def test_a_workbook_is_the_same_bytes_whatever_was_imported_first(tmp_path):
    """openpyxl picks lxml or xml.etree when imported; sheetnet chooses at write time, and gives the user's
    openpyxl back as it found it."""
    pytest.importorskip("lxml")
    clean = _python(_WRITE.format(first="", after=""), tmp_path, env={"OPENPYXL_LXML": "False"})
    lxml_first = _python(_WRITE.format(
        first="import openpyxl; assert openpyxl.LXML",
        after="import lxml.etree, openpyxl.xml.functions as f; print(openpyxl.LXML, f.Element is lxml.etree.Element)"),
        tmp_path, env={"OPENPYXL_LXML": "True"})
    assert clean.returncode == 0 and lxml_first.returncode == 0, clean.stderr + lxml_first.stderr
    digest = clean.stdout.split()[0]
    assert lxml_first.stdout.split() == [digest, "True", "True"]


# --- examples by name, help that lists the datasets ----------------------------------------------------
def test_examples_list_names_every_example_with_a_line():
    result = CliRunner().invoke(main, ["examples", "--list"])
    assert result.exit_code == 0
    rows = result.output.splitlines()
    assert [row.split()[0] for row in rows] == list(example_configs())
    assert all(len(row.split(None, 1)[1]) > 20 for row in rows)


def test_new_with_an_example_writes_the_example(tmp_path):
    out = tmp_path / "xor.xlsx"
    result = CliRunner().invoke(main, ["new", "--example", "xor", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (REPO / "workbooks" / "xor.xlsx").read_bytes()
    shorter = CliRunner().invoke(main, ["new", "--example", "xor", "--steps", "5", "-o", str(tmp_path / "s.xlsx")])
    assert shorter.exit_code == 0 and "wrote" in shorter.output


@pytest.mark.parametrize("args, message", [
    (["--example", "nope"], "unknown example 'nope'; choose one of circles-features,"),
    (["--example", "xor", "--config", "x.toml"], "give either --example or --config, not both"),
])
def test_new_with_a_bad_example_is_one_line(tmp_path, args, message):
    result = CliRunner().invoke(main, ["new", *args, "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2 and message in result.output and len(result.output.splitlines()) == 1


def test_help_lists_every_dataset():
    shown = " ".join(CliRunner().invoke(main, ["new", "--help"]).output.split())
    assert all(name in shown for name in BUILTIN_DATASETS) and "digits" in shown


# --- the wheel, installed where no checkout is -----------------------------------------------------------
@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the fresh venv's bin folder, a working folder outside the checkout) with the wheel of this checkout."""
    root = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"),
                            str(REPO)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    wheel = next((root / "dist").glob("sheetnet-*.whl"))
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(root / "venv")], check=True, timeout=600)
    bin_folder = root / "venv" / "bin"
    done = subprocess.run([str(bin_folder / "pip"), "install", "-q", str(wheel)], capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stderr
    work = root / "work"
    work.mkdir()
    return bin_folder, work


@pytest.mark.slow
@pytest.mark.xdist_group("wheel")
def test_the_wheel_carries_what_the_code_reads(installed):
    bin_folder, work = installed
    wheel = next(work.parent.glob("dist/sheetnet-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"sheetnet/py.typed", "sheetnet/model/data/digits.csv.gz", "sheetnet/model/data/README.md"} <= names
    assert {f"sheetnet/example_configs/{name}.toml" for name in example_configs()} <= names
    assert any(name.endswith("licenses/LICENSE") for name in names)
    metadata = next(zipfile.ZipFile(wheel).read(n) for n in names if n.endswith("METADATA")).decode()
    assert "License-Expression: MIT" in metadata and "Requires-Python: >=3.11" in metadata
    assert "## Python API" in metadata  # the README is the long description
    where = _python("import sheetnet; print(sheetnet.__file__)", work, executable=str(bin_folder / "python"))
    assert str(REPO) not in where.stdout and "site-packages" in where.stdout, where.stdout + where.stderr


@pytest.mark.slow
@pytest.mark.xdist_group("wheel")
def test_every_example_is_made_from_the_wheel_as_in_the_repository(installed):
    """`sheetnet new --example NAME` for every example, from outside the checkout: byte for byte the workbook the
    repository holds; then `sheetnet check` on one and the README's Python example, all from the wheel."""
    bin_folder, work = installed
    sheetnet = str(bin_folder / "sheetnet")
    listed = subprocess.run([sheetnet, "examples", "--list"], cwd=work, capture_output=True, text=True, timeout=60)
    assert [row.split()[0] for row in listed.stdout.splitlines()] == list(example_configs())
    for name in example_configs():
        done = subprocess.run([sheetnet, "new", "--example", name, "-o", f"{name}.xlsx"], cwd=work,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        made = hashlib.sha256((work / f"{name}.xlsx").read_bytes()).hexdigest()
        assert made == hashlib.sha256((REPO / "workbooks" / f"{name}.xlsx").read_bytes()).hexdigest(), name
    checked = subprocess.run([sheetnet, "check", "digits-filters.xlsx"], cwd=work, capture_output=True, text=True,
                             timeout=600)
    assert checked.returncode == 0 and checked.stdout.startswith("OK digits-filters.xlsx"), checked.stderr
    example = _python(_readme_api_example(), work, executable=str(bin_folder / "python"))
    assert example.returncode == 0, example.stderr


@pytest.mark.slow
def test_the_sdist_holds_the_tests_and_what_they_read(tmp_path):
    import tarfile

    made = subprocess.run([sys.executable, "-c", f"from setuptools import build_meta; "
                           f"print(build_meta.build_sdist({str(tmp_path)!r}))"], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    assert made.returncode == 0, made.stderr
    with tarfile.open(next(tmp_path.glob("sheetnet-*.tar.gz"))) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    tests = {f"tests/{path.name}" for path in (REPO / "tests").glob("*.py")}
    assert tests <= names and "tests/conftest.py" in names
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "sheetnet/py.typed", ".ci/run",
            "scripts/test.sh", "sheetnet/model/data/README.md", "workbooks/xor.xlsx"} <= names
    assert not [name for name in names if "node_modules" in name or "__pycache__" in name]
