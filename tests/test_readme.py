"""Every command the README shows runs as written, and the README links only to files in the repository."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from .conftest import REPO

README = (REPO / "README.md").read_text()


def _commands() -> list[str]:
    """The `sheetnet ...` lines of the README's bash blocks, comments removed."""
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("sheetnet ")]


def test_the_readme_shows_the_commands_a_user_needs():
    commands = " ".join(_commands())
    for verb in ("new", "check", "regenerate", "predict", "export", "datasets", "examples"):
        assert f"sheetnet {verb}" in commands


@pytest.mark.slow
def test_every_readme_command_runs_as_written(soffice, tmp_path):
    """In a fresh folder holding what the README says is there (points.csv): the examples come by name."""
    csv = re.search(r"This is `points.csv`:\n\n```\n(.*?)```", README, re.S).group(1)
    (tmp_path / "points.csv").write_text(csv)
    for command in _commands():
        result = subprocess.run([sys.executable, "-m", "sheetnet", *shlex.split(command)[1:]], cwd=tmp_path,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, (command, result.stdout, result.stderr)


def test_links_point_inside_the_repository():
    for target in re.findall(r"\]\(([^)]+)\)", README):
        if target.startswith(("http://", "https://", "#")):
            continue
        assert not target.startswith(".."), target
        assert (REPO / target.split("#")[0]).exists(), target
    assert "shared" not in README.replace("shared formulas", "")


def test_the_readme_tables_render():
    """A markdown table is one block: no blank line between its rows."""
    for match in re.finditer(r"(?m)^\|.*\|\n\n\|", README):
        raise AssertionError(f"a blank line splits a table near: {match.group(0)!r}")


def test_the_verification_table_is_current(soffice):
    """The table scripts/verification_table.py wrote names the installed engines' versions, and its counts add
    up to the formula cells of today's examples (so a changed example means running the script again)."""
    from importlib.metadata import version

    from sheetnet.api.examples import example_configs
    from sheetnet.evaluate import libreoffice, xlsx

    from .engines_agree import hyperformula_version

    table = README.split("<!-- verification table: scripts/verification_table.py -->", 1)[1].split(
        "<!-- end of verification table -->", 1)[0]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| engine")]
    total = sum(len(sheet.formula_texts) for name in example_configs()
                for sheet in xlsx.read_package(REPO / "workbooks" / f"{name}.xlsx").sheets.values())
    by_engine = {row[0].split(" (")[0].split(",")[0]: row for row in rows}
    assert int(by_engine["sheetnet fast engine"][2].replace(",", "")) == total
    assert by_engine["sheetnet fast engine"][3].startswith("all pass")
    expected = {"formualizer": version("formualizer"), "IronCalc": version("ironcalc"),
                "HyperFormula": hyperformula_version(), "LibreOffice": libreoffice.version()}
    for engine, installed in expected.items():
        row = by_engine[engine]
        assert row[1] == installed, (engine, row[1], installed)
        left_out = int(re.search(r"\(([\d,]+) left out", row[3]).group(1).replace(",", ""))
        assert int(row[2].replace(",", "")) + left_out == total
        assert row[3].startswith("all agree")
