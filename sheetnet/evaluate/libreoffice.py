"""LibreOffice headless as an engine: recalculate a workbook in the real spreadsheet application.

LibreOffice 7.x does not reliably recalculate an .xlsx on load: its default OOXMLRecalcMode is
"never", it ignores fullCalcOnLoad, and a formula cell that carries a cached value keeps it. So
every run gets a fresh private profile whose registrymodifications.xcu sets OOXMLRecalcMode and
ODFRecalcMode to 0 ("always recalculate"); a test with stale cached values proves it works.
A private profile per run also stops a second soffice from handing its job to a running one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sheetnet.errors import SheetnetError
from sheetnet.evaluate.child import run_killable, seconds_given
from sheetnet.evaluate.saved import saved_values
from sheetnet.evaluate.xlsx import read_package

TIMEOUT_FLOOR = 120  # seconds LibreOffice gets for any workbook
TIMEOUT_PER_MB = 60  # and for each megabyte of it (about 25 s per million formula cells here)
TIMEOUT_VARIABLE = "SHEETNET_LIBREOFFICE_TIMEOUT"  # seconds, to override


def default_timeout(path: Path) -> float:
    """How long LibreOffice may take: scaled to the workbook's size, or as SHEETNET_LIBREOFFICE_TIMEOUT says."""
    given = seconds_given(TIMEOUT_VARIABLE)
    return given if given is not None else TIMEOUT_FLOOR + TIMEOUT_PER_MB * path.stat().st_size / 1e6

# (configuration path, property, value) written into the private profile.
PROFILE_SETTINGS = (
    ("/org.openoffice.Office.Calc/Formula/Load", "OOXMLRecalcMode", "0"),  # 0 = always recalculate
    ("/org.openoffice.Office.Calc/Formula/Load", "ODFRecalcMode", "0"),
    ("/org.openoffice.Office.Common/Misc", "FirstRun", "false"),
    ("/org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "3"),  # never run macros
)


def _registry_xml() -> str:
    items = "\n".join(
        f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>'
        for path, name, value in PROFILE_SETTINGS
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        f"{items}\n</oor:items>\n"
    )


def soffice_path() -> str | None:
    """The soffice executable, or None when LibreOffice is not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice",
                      "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
        if os.path.exists(candidate):
            return candidate
    return None


def version() -> str:
    exe = _require_soffice()
    result = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    return result.stdout.strip()


def _require_soffice() -> str:
    exe = soffice_path()
    if exe is None:
        raise SheetnetError(
            "LibreOffice is not installed (no 'soffice' on PATH); install it, e.g. "
            "'apt-get install libreoffice-calc-nogui', or use --engine formulas"
        )
    return exe


def convert(path: str | Path, out_dir: str | Path, target: str = "xlsx", timeout: float | None = None,
            shown: str | Path | None = None) -> Path:
    """Open `path` in a headless LibreOffice with a private profile, recalculate, save as `target`. Messages name
    `shown` (the user's file) when `path` is a private copy of it."""
    exe = _require_soffice()
    path = Path(path).resolve()
    shown = shown or path
    out_dir = Path(out_dir)
    timeout = default_timeout(path) if timeout is None else timeout
    with tempfile.TemporaryDirectory(prefix="sheetnet-lo-profile-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_registry_xml(), encoding="utf-8")
        command = [
            exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--invisible",
            "--nologo", "--norestore", "--nodefault", "--nolockcheck",
            "--convert-to", target, "--outdir", str(out_dir), str(path),
        ]
        env = {**os.environ, "HOME": profile, "SAL_USE_VCLPLUGIN": "svp"}
        returncode, stdout, stderr = run_killable(
            command, env, timeout, f"{shown}: LibreOffice did not finish within {timeout:.0f} s and was killed "
                                   f"(set {TIMEOUT_VARIABLE} to allow more)")
    produced = out_dir / f"{path.stem}.{target.split(':')[0]}"
    if returncode != 0 or not produced.exists():
        detail = (stderr or stdout).decode(errors="replace").strip().splitlines()
        raise SheetnetError(f"{shown}: LibreOffice could not convert it ({detail[-1] if detail else 'no output'})")
    return produced


def recalculate(path: str | Path, out: str | Path) -> Path:
    """Recalculate `path` in LibreOffice and save the result (with its values) as `out`."""
    with tempfile.TemporaryDirectory(prefix="sheetnet-lo-out-") as out_dir:
        produced = convert(path, out_dir)
        shutil.move(str(produced), str(out))
    return Path(out)


def evaluate(path: str | Path, shown: str | Path | None = None):
    """Values of every cell after a full LibreOffice recalculation of `path` (which is not changed); messages name
    `shown`."""
    with tempfile.TemporaryDirectory(prefix="sheetnet-lo-out-") as out_dir:
        produced = convert(path, out_dir, shown=shown)
        return saved_values(read_package(produced), engine="libreoffice")
