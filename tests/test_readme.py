"""Every command the README shows runs as written, and the README links only to files in the repository."""

from __future__ import annotations

import re
import shlex
import shutil
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
    """In a fresh folder holding what the README says is there (points.csv, the example configs)."""
    shutil.copytree(REPO / "sheetnet" / "example_configs", tmp_path / "sheetnet" / "example_configs")
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
