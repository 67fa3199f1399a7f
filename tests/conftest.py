"""Shared helpers: build small workbooks, evaluate them, require LibreOffice where CI must have it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sheetnet import api
from sheetnet.evaluate.libreoffice import soffice_path
from sheetnet.model import config, plan

REPO = Path(__file__).resolve().parent.parent


def make_config(**sections) -> config.Config:
    """A Config from keyword sections, e.g. make_config(training={"steps": 2}).

    Test workbooks get a 4 x 4 decision-boundary grid unless a test asks for more: the `formulas`
    engine needs ~4 ms a cell, and a 25 x 25 grid adds ten thousand of them.
    """
    raw = {name: dict(body) for name, body in sections.items()}
    raw.setdefault("workbook", {}).setdefault("boundary_grid", 4)
    return config.from_dict(raw)


def build(tmp_path: Path, name: str = "net.xlsx", **sections) -> Path:
    out = tmp_path / name
    api.build(make_config(**sections), out)
    return out


def problem_of(**sections):
    return plan.build_problem(make_config(**sections))


@pytest.fixture
def soffice():
    """LibreOffice's soffice: skipped where absent, but a failure on CI, which must run these tests."""
    exe = soffice_path()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("soffice (LibreOffice) is missing on CI; .ci/run must install it")
        pytest.skip("needs soffice (LibreOffice headless), not installed here")
    return exe
