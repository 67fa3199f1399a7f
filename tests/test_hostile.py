"""Files from strangers: no engine or command reads anything but the file it was given, or reaches the network.

Every hostile workbook here is written part by part from a good one. The file system is watched two ways:
a victim workbook whose number must never appear in any output, and an audit hook that records every file
Python opens. The network is watched by a listener on 127.0.0.1 that must receive nothing. Control tests
show each watcher does catch what it watches for, so none of these checks can pass by not looking.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetnet.cli import main

from .conftest import build, sheet_parts

VICTIM_NUMBER = "31337.4242"
ENGINES = ("fast", "formulas", "libreoffice", "saved", "formualizer", "ironcalc")
_OPENED: list[str] = []


def _record_opens(event: str, args: tuple) -> None:
    if event == "open" and args and isinstance(args[0], (str, bytes, Path)):
        _OPENED.append(str(args[0]))


sys.addaudithook(_record_opens)  # audit hooks cannot be removed; this one only appends paths to a list


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_refused(result, *words: str) -> None:
    """Exit status 2 and one line on stderr that says `words`."""
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.output
    for word in words:
        assert word in result.stderr, result.output


def rezip(source: Path, out: Path, replace: dict | None = None, add: dict | None = None) -> Path:
    """A copy of `source` written entry by entry: `replace` maps a part to new bytes or to a function of its old
    bytes; `add` maps new part names to their bytes."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            change = replace.get(item.filename)
            zout.writestr(item.filename, change(data) if callable(change) else (data if change is None else change))
        for name, data in add.items():
            zout.writestr(name, data)
    return out


def _first_formula(data: bytes, new: bytes) -> bytes:
    start = data.index(b"<f>") + 3
    return data[:start] + new + data[data.index(b"</f>", start):]


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("good"), training={"steps": 1})


# --- reading another file ---------------------------------------------------------------------------
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' \
     'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _victim(folder: Path) -> Path:
    from openpyxl import Workbook

    folder.mkdir(exist_ok=True)
    book = Workbook()
    book.active.title = "Sheet1"
    book.active["A1"] = float(VICTIM_NUMBER)
    book.save(folder / "finance.xlsx")
    return folder / "finance.xlsx"


def _linked(good: Path, out: Path, target: str, stored_at: str, formula: bytes = b"[1]Sheet1!$A$1") -> Path:
    """`good` with its first Layer 1 formula replaced by a reference into workbook [1], an external link part
    stored at `stored_at` whose relationship points at `target`."""
    folder, _, leaf = stored_at.rpartition("/")
    link = f'<externalLink {NS}><externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames>' \
           f'<sheetDataSet><sheetData sheetId="0"/></sheetDataSet></externalBook></externalLink>'
    link_rels = f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' \
                f'<Relationship Id="rId1" Type="{REL}/externalLinkPath" Target="{target}" ' \
                f'TargetMode="External"/></Relationships>'
    in_workbook = stored_at.removeprefix("xl/") if stored_at.startswith("xl/") else "../" + stored_at

    def rels(data: bytes) -> bytes:
        return data.replace(b"</Relationships>", f'<Relationship Id="rId99" Type="{REL}/externalLink" '
                            f'Target="{in_workbook}"/></Relationships>'.encode())

    def workbook(data: bytes) -> bytes:
        return data.replace(b"<definedNames>", b'<externalReferences><externalReference r:id="rId99"/>'
                            b"</externalReferences><definedNames>", 1)

    def types(data: bytes) -> bytes:
        return data.replace(b"</Types>", f'<Override PartName="/{stored_at}" ContentType="application/vnd.'
                            f'openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>'.encode())

    layer = sheet_parts(good)["Layer 1"]
    return rezip(good, out, replace={layer: lambda data: _first_formula(data, formula),
                                     "xl/_rels/workbook.xml.rels": rels, "xl/workbook.xml": workbook,
                                     "[Content_Types].xml": types},
                 add={stored_at: link.encode(), f"{folder}/_rels/{leaf}.rels".lstrip("/"): link_rels.encode()})


@pytest.fixture
def attack(tmp_path, good):
    """(victim path, function making a linked workbook) in a layout like the issue's: ../victim/finance.xlsx."""
    victim = _victim(tmp_path / "victim")
    (tmp_path / "attack").mkdir()
    return victim, lambda name, target, stored_at: _linked(good, tmp_path / "attack" / name, target, stored_at)


def test_the_linked_workbook_is_a_real_attack(attack):
    """Control: the `formulas` library on its own does open the victim and return its number."""
    import formulas

    victim, make = attack
    path = make("evil.xlsx", "../victim/finance.xlsx", "xl/externalLinks/externalLink1.xml")
    solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    assert any(VICTIM_NUMBER in str(value.value) for value in solution.values() if hasattr(value, "value"))


@pytest.mark.parametrize("stored_at", ["xl/externalLinks/externalLink1.xml", "xl/media/picture7.xml", "evil.xml"])
@pytest.mark.parametrize("target", ["relative", "absolute"])
def test_no_command_or_engine_reads_a_linked_workbook(attack, tmp_path, stored_at, target, monkeypatch):
    victim, make = attack
    path = make("evil.xlsx", "../victim/finance.xlsx" if target == "relative" else victim.as_uri(), stored_at)
    launched = []
    from sheetnet.evaluate import libreoffice

    monkeypatch.setattr(libreoffice.subprocess, "Popen", lambda *a, **k: launched.append(a) or 1 / 0)
    _OPENED.clear()
    for engine in ENGINES:
        for args in (["check", path], ["predict", path, "1", "1"],
                     ["export", path, "-o", tmp_path / f"{engine}.json"]):
            result = run(*args, "--engine", engine)
            assert_refused(result, "refused")
            assert VICTIM_NUMBER not in result.output
    assert_refused(run("regenerate", path, "-o", tmp_path / "again.xlsx"), "refused")
    assert not launched and not list(tmp_path.glob("*.json")) and not (tmp_path / "again.xlsx").exists()
    assert not [name for name in _OPENED if "finance" in name]


@pytest.mark.parametrize("formula", [b"[1]Sheet1!$A$1", b"'[finance.xlsx]Sheet1'!$A$1",
                                     b"'file:///tmp/victim/[finance.xlsx]Sheet1'!A1", b"cmd|'/c calc'!A1"])
def test_a_reference_to_another_workbook_is_refused_without_any_link_part(good, tmp_path, formula):
    layer = sheet_parts(good)["Layer 1"]
    path = rezip(good, tmp_path / "ref.xlsx", replace={layer: lambda data: _first_formula(data, formula)})
    for engine in ENGINES:
        assert_refused(run("check", path, "--engine", engine), "refused")


def test_a_web_hyperlink_relationship_is_not_a_link_to_another_file(good, tmp_path):
    """Excel stores a cell's web hyperlink as an external relationship; no engine follows it, so it is allowed."""
    part = sheet_parts(good)["Data"]
    rels = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    hyperlink = (f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 f'<Relationship Id="rId1" Type="{REL}/hyperlink" Target="https://example.org/" '
                 f'TargetMode="External"/></Relationships>').encode()
    path = rezip(good, tmp_path / "web.xlsx", add={rels: hyperlink})
    assert run("check", path).exit_code == 0


# --- reaching the network ---------------------------------------------------------------------------
@pytest.fixture
def listener():
    """A TCP listener on 127.0.0.1; `received()` says how many connections it got."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.setblocking(False)

    def received() -> int:
        count = 0
        while True:
            try:
                connection, _ = server.accept()
            except BlockingIOError:
                return count
            connection.close()
            count += 1

    yield server.getsockname()[1], received
    server.close()


def test_the_listener_hears_a_request(listener):
    """Control: a request to the listener is counted."""
    port, received = listener
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=0.5)
    assert received() == 1


def _reaching_out(good: Path, out: Path, where: str, call: str) -> Path:
    text = call.encode()
    layer = sheet_parts(good)["Layer 1"]
    if where == "cell":
        return rezip(good, out, replace={layer: lambda data: _first_formula(data, text)})
    if where == "defined name":
        return rezip(good, out, replace={"xl/workbook.xml": lambda data: data.replace(
            b"<definedNames>", b'<definedNames><definedName name="evil">' + text + b"</definedName>", 1)})
    if where == "conditional format":
        rule = b'<conditionalFormatting sqref="A1"><cfRule type="expression" priority="99"><formula>' + text + \
               b"</formula></cfRule></conditionalFormatting>"
        return rezip(good, out, replace={layer: lambda data: data.replace(b"</sheetData>", b"</sheetData>" + rule)})
    if where == "validation":
        rule = b'<dataValidations count="1"><dataValidation type="custom" sqref="A1"><formula1>' + text + \
               b"</formula1></dataValidation></dataValidations>"
        return rezip(good, out, replace={layer: lambda data: data.replace(b"</sheetData>", b"</sheetData>" + rule)})
    assert where == "chart"
    return rezip(good, out, replace={"xl/charts/chart1.xml": lambda data: _first_formula(data, text)})


CALLS = ['WEBSERVICE("http://127.0.0.1:{port}/")', '_xlfn.WEBSERVICE("http://127.0.0.1:{port}/")',
         '_xlfn._xlws.FILTERXML(_xlfn.WEBSERVICE("http://127.0.0.1:{port}/"),"//a")',
         'HYPERLINK("http://127.0.0.1:{port}/")', 'INDIRECT("\'http://127.0.0.1:{port}/[a.xlsx]S\'!A1")',
         'RTD("x",,"127.0.0.1:{port}")', 'CALL("kernel32","Sleep","JJ",1)', 'webservice ("http://127.0.0.1:{port}/")']


@pytest.mark.parametrize("where", ["cell", "defined name", "conditional format", "validation", "chart"])
@pytest.mark.parametrize("call", CALLS)
def test_no_engine_reaches_the_network(good, tmp_path, listener, monkeypatch, where, call):
    port, received = listener
    from sheetnet.evaluate import libreoffice

    launched = []
    monkeypatch.setattr(libreoffice.subprocess, "Popen", lambda *a, **k: launched.append(a) or 1 / 0)
    path = _reaching_out(good, tmp_path / "web.xlsx", where, call.format(port=port))
    for engine in ENGINES:
        assert_refused(run("check", path, "--engine", engine), "reaches outside the file")
    assert_refused(run("predict", path, "0", "0"), "reaches outside the file")
    assert_refused(run("regenerate", path, "-o", tmp_path / "again.xlsx"), "reaches outside the file")
    assert received() == 0 and not launched


def test_a_function_name_inside_text_is_only_text(good, tmp_path):
    path = _reaching_out(good, tmp_path / "text.xlsx", "conditional format", 'LEN("WEBSERVICE(")>0')
    assert run("check", path).exit_code == 0


def test_libreoffice_never_sees_a_refused_file(soffice, good, tmp_path, listener):
    """With the real LibreOffice installed, a WEBSERVICE call is refused before soffice starts."""
    port, received = listener
    path = _reaching_out(good, tmp_path / "web.xlsx", "cell", f'_xlfn.WEBSERVICE("http://127.0.0.1:{port}/")')
    assert_refused(run("check", path, "--engine", "libreoffice"), "WEBSERVICE")
    assert received() == 0


# --- entity expansion, wherever it hides -------------------------------------------------------------
DOCTYPE = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'


def _declaring(part_bytes: bytes, how: str) -> bytes:
    body = part_bytes.split(b"?>", 1)[1] if part_bytes.startswith(b"<?xml") else part_bytes
    if how == "after 4 KiB":
        return b'<?xml version="1.0"?><!--' + b"x" * 5000 + b"-->" + DOCTYPE + body
    if how == "utf-16":
        return b"\xff\xfe" + (b'<?xml version="1.0" encoding="UTF-16"?>' + DOCTYPE + body).decode().encode(
            "utf-16-le")
    assert how == "utf-16 without a mark"
    return (b'<?xml version="1.0" encoding="UTF-16"?>' + DOCTYPE + body).decode().encode("utf-16-le")


@pytest.mark.parametrize("how", ["after 4 KiB", "utf-16", "utf-16 without a mark"])
@pytest.mark.parametrize("part", ["xl/worksheets/sheet2.xml", "xl/workbook.xml", "xl/styles.xml",
                                  "docProps/core.xml", "xl/charts/chart1.xml"])
def test_a_declaration_anywhere_is_refused_by_every_command(good, tmp_path, monkeypatch, how, part):
    from sheetnet.evaluate import libreoffice

    monkeypatch.setattr(libreoffice.subprocess, "Popen", lambda *a, **k: 1 / 0)
    path = rezip(good, tmp_path / "laughs.xlsx", replace={part: lambda data: _declaring(data, how)})
    for engine in ENGINES:
        assert_refused(run("check", path, "--engine", engine), "DOCTYPE/ENTITY")
    assert_refused(run("regenerate", path, "-o", tmp_path / "again.xlsx"), "DOCTYPE/ENTITY")
    assert_refused(run("export", path, "-o", tmp_path / "out.json"), "DOCTYPE/ENTITY")


def test_a_declaration_in_shared_strings_is_refused(good, tmp_path):
    strings = b'<?xml version="1.0"?>' + DOCTYPE + \
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">' \
        b"<si><t>&b;</t></si></sst>"
    path = rezip(good, tmp_path / "strings.xlsx", add={"xl/sharedStrings.xml": strings})
    for args in (["check", path], ["check", path, "--engine", "formulas"], ["predict", path, "0", "0"],
                 ["regenerate", path, "-o", tmp_path / "again.xlsx"]):
        assert_refused(run(*args), "xl/sharedStrings.xml declares a DOCTYPE/ENTITY")


# --- bounded work ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("count", [10_000, 20_000])
def test_unclosed_cells_are_refused(good, tmp_path, count):
    """A 100 KB sheet of unclosed <c> tags once cost quadratic time; each cell is now looked for only up to the next
    (benchmarks/hostile.py measures the time as the count doubles)."""
    part = sheet_parts(good)["Layer 1"]
    path = rezip(good, tmp_path / "unclosed.xlsx", replace={part: lambda data: data.replace(
        b"<sheetData>", b"<sheetData><row r=\"1\">" + b'<c r="A1">' * count + b"</row>", 1)})
    assert_refused(run("check", path), "a <c> that is never closed")


def _claiming(good: Path, out: Path, **claims) -> Path:
    """`good` whose hidden sheetnet sheet claims other sizes (steps, sizes, samples)."""

    from openpyxl import load_workbook

    book = load_workbook(good)
    meta = json.loads(book["sheetnet"]["A2"].value)
    meta.update(claims)
    book["sheetnet"]["A2"] = json.dumps(meta)
    book.save(out)
    return out


DEEP = {"sizes": [2, 100, 100, 100, 1], "steps": 500, "activations": ["relu"] * 3 + ["linear"]}


@pytest.mark.parametrize("claims", [{"steps": 100_000}, DEEP, {"n_samples": 900_000}])
def test_a_claimed_size_is_checked_before_anything_is_allocated(good, tmp_path, claims):
    path = _claiming(good, tmp_path / "claims.xlsx", **claims)
    for args in (["check", path], ["predict", path, "0", "0"], ["export", path, "-o", tmp_path / "out.json"],
                 ["regenerate", path, "-o", tmp_path / "again.xlsx"]):
        assert_refused(run(*args), "too large")


def test_regenerate_applies_the_limits_of_new(good, tmp_path):
    assert_refused(run("regenerate", good, "--steps", "100000", "-o", tmp_path / "again.xlsx"),
                   "more than a spreadsheet holds")
    assert not (tmp_path / "again.xlsx").exists()


@pytest.mark.parametrize("kind", ["fifo", "device"])
@pytest.mark.parametrize("role", ["config", "data", "workbook"])
def test_a_pipe_or_a_device_is_refused_at_once(tmp_path, kind, role):
    """Run in a child process with a guard: a reader that waited on the pipe would hang the test, not fail it."""

    if kind == "fifo":
        given = tmp_path / "pipe"
        os.mkfifo(given)
    else:
        given = Path("/dev/zero")
    args = {"config": ["new", "--config", given, "-o", tmp_path / "a.xlsx"],
            "data": ["new", "--data", given, "-o", tmp_path / "a.xlsx"],
            "workbook": ["check", given]}[role]
    result = subprocess.run([sys.executable, "-m", "sheetnet", *map(str, args)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2, result.stderr
    assert "not an ordinary file" in result.stderr and len(result.stderr.strip().splitlines()) == 1


# --- LibreOffice never outlives sheetnet ---------------------------------------------------------------
def _alive(pid: int) -> bool:
    """Running (a zombie, which a container's init may never reap, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _wait_for(condition, seconds: float = 120.0) -> None:
    """Poll until `condition()` holds; a guard against hanging, not a measure of speed."""

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


FAKE_SOFFICE = """#!/bin/sh
# A LibreOffice that hangs, with a child of its own, and says where they are.
sleep 1000 &
echo $! >> "$FAKE_PIDS"
echo $$ >> "$FAKE_PIDS"
while true; do sleep 1; done
"""


def _sheetnet(args: list, tmp_path: Path, **env) -> subprocess.Popen:

    temp = tmp_path / "temp"
    temp.mkdir(exist_ok=True)
    environment = {**os.environ, "TMPDIR": str(temp), **env}
    return subprocess.Popen([sys.executable, "-m", "sheetnet", *map(str, args)], env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def hanging_soffice(tmp_path) -> dict:
    folder = tmp_path / "fakebin"
    folder.mkdir()
    (folder / "soffice").write_text(FAKE_SOFFICE)
    (folder / "soffice").chmod(0o755)

    return {"PATH": f"{folder}:{os.environ['PATH']}", "FAKE_PIDS": str(tmp_path / "pids")}


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_signal_ends_a_hanging_libreoffice_and_its_children(good, tmp_path, hanging_soffice, signal_name):

    pids = tmp_path / "pids"
    process = _sheetnet(["check", good, "--engine", "libreoffice"], tmp_path, **hanging_soffice)
    _wait_for(lambda: pids.exists() and len(pids.read_text().split()) == 2)
    process.send_signal(getattr(signal, signal_name))
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and "interrupted" in stderr
    for pid in map(int, pids.read_text().split()):
        _wait_for(lambda pid=pid: not _alive(pid), 30)
    assert not list((tmp_path / "temp").glob("sheetnet-lo-*"))


def test_a_hanging_libreoffice_is_killed_at_the_timeout(good, tmp_path, hanging_soffice):
    process = _sheetnet(["check", good, "--engine", "libreoffice"], tmp_path,
                        SHEETNET_LIBREOFFICE_TIMEOUT="2", **hanging_soffice)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2 and "did not finish within 2 s and was killed" in stderr
    assert len(stderr.strip().splitlines()) == 1
    for pid in map(int, (tmp_path / "pids").read_text().split()):
        _wait_for(lambda pid=pid: not _alive(pid), 30)
    assert not list((tmp_path / "temp").glob("sheetnet-lo-*"))


def test_the_default_timeout_grows_with_the_workbook(tmp_path, monkeypatch):
    from sheetnet.evaluate import libreoffice

    monkeypatch.delenv(libreoffice.TIMEOUT_VARIABLE, raising=False)
    small, large = tmp_path / "small.xlsx", tmp_path / "large.xlsx"
    small.write_bytes(b"x" * 1000)
    large.write_bytes(b"x" * 5_000_000)
    assert libreoffice.default_timeout(small) == pytest.approx(120.06)
    assert libreoffice.default_timeout(large) == pytest.approx(420)
    monkeypatch.setenv(libreoffice.TIMEOUT_VARIABLE, "7")
    assert libreoffice.default_timeout(large) == 7


def _our_children(temp: Path, sheetnet_pid: int) -> list[int]:
    """Processes other than sheetnet whose command line names our temporary folder (LibreOffice's private
    profile is in it, and an engine's request file)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(temp).encode() in command and int(entry.name) != sheetnet_pid and _alive(int(entry.name)):
                found.append(int(entry.name))
    return found


def test_a_signal_ends_the_real_libreoffice(soffice, tmp_path):

    path = build(tmp_path, training={"steps": 60})
    process = _sheetnet(["check", path, "--engine", "libreoffice"], tmp_path)
    temp = tmp_path / "temp"
    _wait_for(lambda: bool(_our_children(temp, process.pid)) or process.poll() is not None)
    assert process.poll() is None, "LibreOffice finished before it could be interrupted"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    _wait_for(lambda: not _our_children(temp, process.pid), 30)
    assert not list(temp.glob("sheetnet-lo-*"))


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_formulas_engine_at_once(tmp_path, signal_name):
    """The formulas package computes inside long calls; in-process, a SIGTERM waited for the whole calculation
    (minutes on this workbook). In its child process group it is killed at once and nothing is left behind."""
    path = build(tmp_path, training={"steps": 60})
    process = _sheetnet(["check", path, "--engine", "formulas"], tmp_path)
    temp = tmp_path / "temp"
    _wait_for(lambda: bool(_our_children(temp, process.pid)) or process.poll() is not None)
    assert process.poll() is None, "the formulas engine finished before it could be interrupted"
    time.sleep(1)  # into the calculation
    process.send_signal(getattr(signal, signal_name))
    _, stderr = process.communicate(timeout=60)  # the calculation alone takes minutes
    assert process.returncode == 130 and "interrupted" in stderr, stderr
    _wait_for(lambda: not _our_children(temp, process.pid), 30)
    assert not list(temp.glob("sheetnet-*"))


def test_an_engine_past_its_deadline_is_stopped_with_one_line(tmp_path):
    path = build(tmp_path, training={"steps": 60})
    process = _sheetnet(["check", path, "--engine", "formulas"], tmp_path, SHEETNET_ENGINE_TIMEOUT="2")
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2, stderr
    assert stderr.strip() == (f"sheetnet: error: {path}: the formulas engine did not finish within 2 s and "
                              f"was stopped (set SHEETNET_ENGINE_TIMEOUT to allow more)")
    _wait_for(lambda: not _our_children(tmp_path / "temp", process.pid), 30)
    assert not list((tmp_path / "temp").glob("sheetnet-*"))


def test_the_formulas_engine_is_refused_a_workbook_beyond_its_memory(tmp_path):
    from sheetnet.errors import SheetnetError
    from sheetnet.evaluate.child import FORMULAS_MAX_CELLS, computed_cells

    positions = {"Sheet1": (list(range(1, FORMULAS_MAX_CELLS + 2)), [1] * (FORMULAS_MAX_CELLS + 1))}
    with pytest.raises(SheetnetError, match="100,001 formula cells are too many for the formulas engine"):
        computed_cells("formulas", tmp_path / "never-read.xlsx", Path("big.xlsx"), positions)


# --- the user's situation is exit 2 and one line, never "internal error" -------------------------------
def _encrypted(path: Path) -> Path:
    """The start of an OLE compound file holding an EncryptedPackage stream, as Excel writes a password-protected
    workbook."""
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "EncryptedPackage".encode("utf-16-le") +
                     b"\0" * 1000)
    return path


def _nested_meta(good: Path, out: Path) -> Path:
    from openpyxl import load_workbook

    book = load_workbook(good)
    book["sheetnet"]["A2"] = "[" * 100_000 + "]" * 100_000
    book.save(out)
    return out


SITUATIONS = {
    "integer of 401 digits": (lambda t, g: ["new", "--config", _text(t / "c.toml", "[training]\nsteps = 1" +
                                                                       "0" * 400), "-o", t / "a.xlsx"],
                              "steps is out of range"),
    "5,000 digits": (lambda t, g: ["new", "--config", _text(t / "c.toml", "[training]\nsteps = " + "9" * 5000),
                                   "-o", t / "a.xlsx"], "thousands of digits"),
    "200,000-character CSV field": (lambda t, g: ["new", "--data", _text(t / "d.csv", "1" * 200_000 + ",2,0\n3,4,1\n"),
                                                  "-o", t / "a.xlsx"], "longer than 131,072 characters"),
    "password-protected": (lambda t, g: ["check", _encrypted(t / "locked.xlsx")], "password-protected"),
    "meta nested 100,000 deep": (lambda t, g: ["check", _nested_meta(g, t / "deep.xlsx")], "damaged or was edited"),
    "name over 255 bytes": (lambda t, g: ["new", "xor", "-o", t / ("n" * 300 + ".xlsx")], "file name is too long"),
    "parent is a file": (lambda t, g: ["new", "xor", "-o", _text(t / "plain", "x") / "a.xlsx"],
                         "is a file, not a folder"),
    "predict nan": (lambda t, g: ["predict", g, "nan", "1"], "must be finite numbers"),
    "predict inf": (lambda t, g: ["predict", g, "1", "-inf"], "must be finite numbers"),
    "unknown option": (lambda t, g: ["new", "--bogus"], "No such option"),
    "missing argument": (lambda t, g: ["check"], "Missing argument"),
    "newline in a path": (lambda t, g: ["check", t / "two\nlines.xlsx"], "two\\nlines.xlsx: file not found"),
}


def _text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", SITUATIONS)
def test_each_situation_is_one_line_and_exit_2(good, tmp_path, name):
    make, message = SITUATIONS[name]
    result = run(*make(tmp_path, good))
    assert_refused(result, message)
    assert "internal error" not in result.output and "[Errno" not in result.output
    assert not (tmp_path / "a.xlsx").exists()


@pytest.mark.parametrize("error", ["ENOSPC", "EACCES", "EROFS"])
def test_a_full_disk_or_a_read_only_folder_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, error):
    """Simulated (tests run as root, who may write anywhere): the write fails, the old file stays, no temporary
    file is left."""

    from sheetnet import files

    old = tmp_path / "net.xlsx"
    old.write_bytes(b"the user's file")

    def failing_fsync(fd):
        raise OSError(getattr(errno, error), os.strerror(getattr(errno, error)))

    monkeypatch.setattr(files.os, "fsync", failing_fsync)
    result = run("new", "xor", "-o", old, "--force")
    reason = {"ENOSPC": "no space left on the disk", "EACCES": "permission denied",
              "EROFS": "the disk is read-only"}[error]
    assert_refused(result, f"{old}: {reason}")
    assert old.read_bytes() == b"the user's file"
    assert [p.name for p in tmp_path.iterdir()] == ["net.xlsx"]


def test_a_folder_that_refuses_new_files_is_one_line(tmp_path, monkeypatch):

    from sheetnet import files

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".a.xlsx.1.x.tmp"))

    monkeypatch.setattr(files.tempfile, "mkstemp", refused)
    assert_refused(run("new", "xor", "-o", tmp_path / "a.xlsx"), f"{tmp_path / 'a.xlsx'}: permission denied")


def test_a_diverged_workbook_predicts_nothing(tmp_path):
    path = build(tmp_path, training={"steps": 30, "learning_rate": 1e300})
    assert_refused(run("predict", path, "0", "0"), "training diverged")


def test_leftovers_of_a_killed_write_are_removed_but_a_running_writer_is_left_alone(tmp_path):

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    from sheetnet.files import _temp_prefix

    prefix = _temp_prefix(tmp_path / "a.xlsx")
    dead = tmp_path / f"{prefix}{finished.stdout.strip()}-abc123de.tmp"
    running = tmp_path / f"{prefix}{os.getpid()}-def456gh.tmp"
    # a user's own files that merely look like temporary ones (issue 25, class 9): never deleted
    users = [tmp_path / f".a.xlsx.{finished.stdout.strip()}.abc123.tmp", tmp_path / f"{prefix}notes.tmp",
             tmp_path / f"{prefix}{finished.stdout.strip()}-abc123de.tmp.bak"]
    for leftover in (dead, running, *users):
        leftover.write_bytes(b"half a workbook")
    assert run("new", "xor", "-o", tmp_path / "a.xlsx").exit_code == 0
    assert not dead.exists() and running.exists()
    assert all(user.exists() for user in users)


@pytest.mark.parametrize("length", [234, 245, 251])
def test_an_output_name_up_to_the_file_system_limit_is_written(tmp_path, length):
    """A name of 234-255 bytes used to be refused because the temporary name was longer (issue 25, class 9)."""
    out = tmp_path / ("n" * (length - 5) + ".xlsx")
    result = run("new", "xor", "-o", out, "--steps", "2")
    assert result.exit_code == 0, result.output
    assert out.exists() and [p.name for p in tmp_path.iterdir()] == [out.name]


@pytest.mark.parametrize("name", ["bad\nOK fake.xlsx", "title\x1b]0;owned\x07.xlsx", "cr\rOK.xlsx"])
def test_a_name_with_control_characters_is_printed_escaped_on_one_line(tmp_path, name):
    """Newlines and terminal escapes in a file name are shown as escapes (issue 25, class 9): a name cannot print a
    fake OK line or retitle the terminal, and it does not end in an internal error."""
    out = tmp_path / name
    result = run("new", "xor", "-o", out, "--steps", "2")
    assert result.exit_code == 0, result.output
    assert not any(ch in result.output for ch in "\x1b\x07\r")
    assert all(line.startswith((str(tmp_path)[:5], "wrote")) for line in result.output.strip().splitlines())
    result = run("check", out)
    assert result.exit_code == 0 and len(result.output.strip().splitlines()) == 1, result.output


def test_a_file_swapped_after_screening_is_never_read(attack, tmp_path, monkeypatch, good):
    """The engines that open a file by name get a private copy of the screened bytes, so a workbook replaced on
    disk between the screen and the engine (a race) is never read."""
    from sheetnet import api

    victim, make = attack
    evil = make("evil.xlsx", "../victim/finance.xlsx", "xl/externalLinks/externalLink1.xml")
    target = tmp_path / "attack" / "net.xlsx"
    target.write_bytes(good.read_bytes())
    original = api.readback.problem_from_package

    def swap_after_reading(package):
        target.write_bytes(evil.read_bytes())
        return original(package)

    monkeypatch.setattr(api.readback, "problem_from_package", swap_after_reading)
    _OPENED.clear()
    result = run("check", target, "--engine", "formulas")
    assert result.exit_code == 0, result.output
    assert not [name for name in _OPENED if "finance" in name]


@pytest.mark.parametrize("body, named", [
    (b'&#87;EBSERVICE("http://127.0.0.1:1/")', "WEBSERVICE"),  # spelled with a character reference
    (b'WEB&#x53;ERVICE("http://127.0.0.1:1/")', "WEBSERVICE"),
    (b'[1]Sheet1!$A$1', "another workbook"),
    (b'SUM(A1)+CALL("k","f","J",1)', "CALL"),
])
@pytest.mark.parametrize("position", ["first", "last", "among many of its own shape"])
def test_screening_finds_one_bad_formula_among_a_thousand(tmp_path, body, named, position):
    """Formulas are screened by their distinct shapes, digits aside: one bad formula anywhere is still found,
    and a character reference or a NUL byte sends the part formula by formula."""
    from sheetnet.errors import SheetnetError
    from sheetnet.evaluate.screen import screen_part

    good = [b"<c r=\"A%d\"><f>SUMPRODUCT(B%d:C%d,D$1:E$1)&gt;0</f></c>" % (k, k, k) for k in range(1, 1001)]
    bad = b'<c r="Z9"><f>' + body + b"</f></c>"
    cells = {"first": [bad] + good, "last": good + [bad],
             "among many of its own shape": good[:500] + [bad] + good[500:]}[position]
    part = b"<worksheet><sheetData>" + b"".join(cells) + b"</sheetData></worksheet>"
    screen_part("xl/worksheets/sheet1.xml", b"<worksheet><sheetData>" + b"".join(good) + b"</sheetData></worksheet>",
                tmp_path / "x.xlsx")  # control: the good ones pass
    with pytest.raises(SheetnetError, match=named):
        screen_part("xl/worksheets/sheet1.xml", part, tmp_path / "x.xlsx")


def test_a_nul_byte_cannot_split_an_external_reference(tmp_path):
    from sheetnet.errors import SheetnetError
    from sheetnet.evaluate.screen import screen_part

    part = b"<worksheet><sheetData><c r=\"A1\"><f>[1\x00]Sheet1!$A$1</f></c><c r=\"A2\"><f>1+1</f></c></sheetData>" \
           b"</worksheet>"
    with pytest.raises(SheetnetError, match="another workbook"):
        screen_part("xl/worksheets/sheet1.xml", part, tmp_path / "x.xlsx")


@pytest.mark.parametrize("element", [b'<x:f>WEBSERVICE("http://127.0.0.1:1/")</x:f>',
                                     b'<f t="array" ref="Z9">WEBSERVICE("http://127.0.0.1:1/")</f>',
                                     b'<formula>WEBSERVICE("http://127.0.0.1:1/")</formula>'])
def test_plain_formulas_beside_another_formula_element_are_all_screened(tmp_path, element):
    """A part of plain <f> cells is screened through the numpy scan; any other formula element in it sends
    the whole part through the general screen."""
    from sheetnet.errors import SheetnetError
    from sheetnet.evaluate.screen import screen_part

    good = b"".join(b'<c r="A%d"><f>B%d*2</f></c>' % (k, k) for k in range(1, 100))
    part = b"<worksheet><sheetData>" + good + b'<c r="Z9">' + element + b"</c></sheetData></worksheet>"
    with pytest.raises(SheetnetError, match="WEBSERVICE"):
        screen_part("xl/worksheets/sheet1.xml", part, tmp_path / "x.xlsx")


def test_text_that_mentions_a_formula_keeps_the_fast_screen(tmp_path):
    """The word "formula" in a cell's text is not a formula element: the part is still screened (and read)
    through the numpy scan, which screen_part hands on to the reader."""
    from sheetnet.evaluate.screen import screen_part

    part = (b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>each formula: a:formula</t></is></c>'
            b'<c r="B1"><f>A2*2</f></c></row></sheetData></worksheet>')
    scan = screen_part("xl/worksheets/sheet1.xml", part, tmp_path / "x.xlsx")
    assert scan is not None and scan.rows.tolist() == [1] and scan.joined == b"=A2*2"
