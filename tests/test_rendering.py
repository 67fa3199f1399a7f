"""Look at it: every sheet of every example, as LibreOffice prints it, shows no ### and no error value."""

from __future__ import annotations

import subprocess

import pytest
from openpyxl import Workbook

from sheetnet.api.examples import example_configs
from sheetnet.evaluate import libreoffice

from .conftest import REPO

BAD = ("###", "#VALUE!", "#NUM!", "#DIV/0!", "#NAME?", "#REF!", "Err:")


def _printed_text(path, folder) -> str:
    """Every visible sheet, recalculated and printed to PDF by LibreOffice, as text."""
    pdf = libreoffice.convert(path, folder, target="pdf")
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_the_search_sees_hashes_when_a_number_does_not_fit(soffice, tmp_path):
    """The check below can fail: a number too wide for its column prints as ###."""
    wb = Workbook()
    ws = wb.active
    ws["A1"] = 123456789.123456
    ws["A1"].number_format = "0.000000"
    ws.column_dimensions["A"].width = 4
    path = tmp_path / "narrow.xlsx"
    wb.save(path)
    assert "###" in _printed_text(path, tmp_path)


@pytest.mark.parametrize("name", list(example_configs()))
def test_every_sheet_prints_without_hashes_or_error_values(soffice, tmp_path, name):
    text = _printed_text(REPO / "workbooks" / f"{name}.xlsx", tmp_path)
    found = {bad: text.count(bad) for bad in BAD if bad in text}
    assert not found, found
    for title in ("A neural network that trains itself", "Data:", "Layer 1, the", "Training:"):
        assert title in text
