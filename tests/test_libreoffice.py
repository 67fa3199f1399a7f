"""LibreOffice, the real spreadsheet engine: it recalculates every example and agrees with the reference."""

import io
import re
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sheetnet import api, reference
from sheetnet.cli import main
from sheetnet.errors import SheetnetError
from sheetnet.evaluate import libreoffice
from sheetnet.layout import Layout
from sheetnet.verify import readback

from .conftest import build, example_params


@pytest.mark.parametrize("name", example_params())
def test_every_example_recalculated_by_libreoffice_agrees(soffice, libreoffice_copy, name):
    """Every example as LibreOffice recalculates and saves it (the session's one copy): its values against the
    reference, cell by cell (`check --engine libreoffice` is this recalculation and this check)."""
    report = api.check(libreoffice_copy(name), "saved")
    assert report.ok, report.details()
    assert report.compared > 0 and report.missing == 0


def _stale(source, target, value="999"):
    """Copy an .xlsx, replacing the cached value of every formula cell with `value`."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb"(<f>[^<]*</f>|<f [^>]*>[^<]*</f>|<f [^>]*/>)<v>[^<]*</v>",
                              rb"\1<v>" + value.encode() + rb"</v>", data)
            zout.writestr(item, data)


def test_libreoffice_really_recalculates_stale_values(soffice, tmp_path):
    """A file whose every formula cell carries a stale 999: 'saved' sees 999s, LibreOffice recomputes."""
    path = build(tmp_path, training={"steps": 2})
    saved = libreoffice.recalculate(path, tmp_path / "saved.xlsx")
    stale = tmp_path / "stale.xlsx"
    _stale(saved, stale)
    stale_report = api.check(stale, "saved")
    assert not stale_report.ok
    # Nearly every cell is 999 where the reference says otherwise (a handful of cells computed from
    # 999 parameters come out 999 again, e.g. z = 0*999 + 0*999 + 999), including the first one.
    assert stale_report.mismatch_count >= 0.9 * stale_report.compared
    assert stale_report.mismatches[0].got == 999.0
    fresh = api.check(stale, "libreoffice")
    assert fresh.ok, fresh.details()


def test_saved_engine_reads_libreoffice_values(soffice, tmp_path):
    path = build(tmp_path, training={"steps": 3})
    saved = libreoffice.recalculate(path, tmp_path / "saved.xlsx")
    report = api.check(saved, "saved")
    assert report.ok and report.compared > 0


def test_round_trip_user_edits(soffice, tmp_path):
    """Edit an initial weight, a data value and the learning rate, recalculate and save in LibreOffice:
    every engine agrees, and the reference used the edited numbers."""
    path = build(tmp_path, training={"steps": 4})
    layout = Layout(readback.read_problem(path).structure)
    before = reference.loss_history(readback.read_problem(path))
    wb = load_workbook(path)
    w = layout.block("W", 1, 0)
    x = layout.inputs_block()
    lr = layout.hyper_block("learning_rate")
    wb[w.sheet][w.cell(1, 0)] = 0.777
    wb[x.sheet][x.cell(2, 1)] = 0.25
    wb[lr.sheet][lr.cell()] = 0.05
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    saved = libreoffice.recalculate(edited, tmp_path / "edited-saved.xlsx")

    problem = readback.read_problem(saved)
    assert problem.weights[0][1, 0] == 0.777
    assert problem.inputs[2, 1] == 0.25
    assert problem.hyper["learning_rate"] == 0.05
    after = reference.loss_history(problem)
    assert abs(after[-1] - before[-1]) > 1e-6  # the edits changed the training
    for engine in ("saved", "formulas"):
        report = api.check(saved, engine)
        assert report.ok, (engine, report.details())
    # The loss LibreOffice saved is the edited network's loss.
    values = load_workbook(saved, data_only=True)
    history = layout.loss_history_block()
    assert values[history.sheet].cell(history.row + 4, history.col).value == pytest.approx(after[-1], rel=1e-12)


def test_regenerate_keeps_edits_made_in_libreoffice(soffice, tmp_path):
    path = build(tmp_path, training={"steps": 2})
    wb = load_workbook(path)
    wb["Data"]["B6"] = 0.5
    wb["Training"]["B4"] = 0.07
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    saved = libreoffice.recalculate(edited, tmp_path / "saved.xlsx")
    out = tmp_path / "longer.xlsx"
    result = CliRunner().invoke(main, ["regenerate", str(saved), "-o", str(out), "--steps", "5"])
    assert result.exit_code == 0, result.output
    problem = readback.read_problem(out)
    assert problem.inputs[1, 0] == 0.5 and problem.hyper["learning_rate"] == 0.07
    assert problem.structure.steps == 5
    original = readback.read_problem(path)
    assert (problem.weights[0] == original.weights[0]).all()
    assert api.check(out, "libreoffice").ok


def test_missing_soffice_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(libreoffice, "soffice_path", lambda: None)
    path = build(tmp_path, training={"steps": 1})
    with pytest.raises(SheetnetError, match="LibreOffice is not installed"):
        api.check(path, "libreoffice")


def test_hanging_soffice_is_killed(monkeypatch, tmp_path):
    fake = tmp_path / "soffice"
    fake.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(600)\n")
    fake.chmod(0o755)
    monkeypatch.setattr(libreoffice, "soffice_path", lambda: str(fake))
    path = build(tmp_path, training={"steps": 1})
    with pytest.raises(SheetnetError, match="did not finish within 2 s and was killed"):
        libreoffice.convert(path, tmp_path, timeout=2)
    leftover = subprocess.run(["pgrep", "-f", str(fake)], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""


def test_libreoffice_version_is_known(soffice):
    assert "LibreOffice" in libreoffice.version()


def test_no_saved_values_is_said_clearly(tmp_path):
    path = build(tmp_path, training={"steps": 1})
    with pytest.raises(SheetnetError, match="no saved values"):
        api.check(path, "saved")


def test_stale_helper_really_changes_values(soffice, tmp_path):
    """Guard for the stale-values test: its helper must have replaced cached values."""
    path = build(tmp_path, training={"steps": 1})
    saved = libreoffice.recalculate(path, tmp_path / "saved.xlsx")
    stale = tmp_path / "stale.xlsx"
    _stale(saved, stale, "999")
    archive = zipfile.ZipFile(io.BytesIO(stale.read_bytes()))
    parts = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sum(part.count(b"<v>999</v>") for part in parts) > 100


def test_a_libreoffice_timeout_names_the_users_file_not_the_private_copy(monkeypatch, tmp_path):
    """`check --engine libreoffice` hands LibreOffice a private copy; the message names the file the user gave
    (issue 25, class 9)."""
    fake = tmp_path / "soffice"
    fake.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(600)\n")
    fake.chmod(0o755)
    monkeypatch.setattr(libreoffice, "soffice_path", lambda: str(fake))
    monkeypatch.setenv(libreoffice.TIMEOUT_VARIABLE, "2")
    path = build(tmp_path, training={"steps": 1})
    with pytest.raises(SheetnetError) as raised:
        api.check(path, "libreoffice")
    assert str(raised.value).startswith(f"{path}: LibreOffice did not finish within 2 s")
    assert "sheetnet-copy-" not in str(raised.value)
