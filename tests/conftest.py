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


def pytest_collection_modifyitems(items):
    """Every test that asks for LibreOffice carries the `libreoffice` marker (`-m "not libreoffice"` skips them)."""
    for item in items:
        if "soffice" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.libreoffice)


@pytest.fixture(autouse=True)
def _libreoffice_only_when_marked(request, monkeypatch):
    """A test that starts the real LibreOffice without the `libreoffice` marker fails: the marker stays true."""
    if request.node.get_closest_marker("libreoffice"):
        return
    from sheetnet.evaluate import libreoffice

    real = soffice_path()
    original = libreoffice.subprocess.Popen

    def guarded(command, *args, **kwargs):
        if real is not None and os.path.realpath(command[0]) == os.path.realpath(real):
            raise AssertionError(f"{request.node.nodeid} starts LibreOffice: mark it (use the soffice fixture)")
        return original(command, *args, **kwargs)

    monkeypatch.setattr(libreoffice.subprocess, "Popen", guarded)


@pytest.fixture
def soffice():
    """LibreOffice's soffice: skipped where absent, but a failure on CI, which must run these tests."""
    exe = soffice_path()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("soffice (LibreOffice) is missing on CI; .ci/run must install it")
        pytest.skip("needs soffice (LibreOffice headless), not installed here")
    return exe


def example_params(slow: tuple[str, ...] = ()) -> list:
    """Every example's name, each in an xdist group of its own (pytest runs with --dist loadgroup): the tests of
    one example run on one worker, so its LibreOffice copy (libreoffice_copy) and the copy the current code writes
    (written_example) are made once per run. Names in `slow` are marked slow (the whole suite runs them)."""
    from sheetnet.api.examples import example_configs

    return [pytest.param(name, marks=[pytest.mark.xdist_group(f"example-{name}"),
                                      *([pytest.mark.slow] if name in slow else [])]) for name in example_configs()]


@pytest.fixture(scope="session")
def libreoffice_copy(tmp_path_factory):
    """An example as LibreOffice recalculates and saves it, made once per session: the cell-by-cell comparison
    and the schema test both read it (request `soffice` too, which skips or fails where LibreOffice is absent)."""
    made: dict[str, Path] = {}

    def copy(name: str) -> Path:
        if name not in made:
            from sheetnet.evaluate import libreoffice

            folder = tmp_path_factory.mktemp("libreoffice")
            made[name] = libreoffice.recalculate(REPO / "workbooks" / f"{name}.xlsx", folder / f"{name}.xlsx")
        return made[name]

    return copy


@pytest.fixture(scope="session")
def written_example(tmp_path_factory):
    """An example workbook as the current code writes it from its config, made once per session (per test
    worker): the checks read what `sheetnet examples` would write today, not only the committed files."""
    made: dict[str, Path] = {}

    def write(name: str) -> Path:
        if name not in made:
            from sheetnet.api.examples import example_configs

            out = tmp_path_factory.mktemp("examples") / f"{name}.xlsx"  # the About sheet names its own file
            api.build(config.load(example_configs()[name]), out)
            made[name] = out
        return made[name]

    return write


def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> its part in the zip (from the workbook's relationships)."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    targets = {}
    for element in re.findall(r"<Relationship\b[^>]*>", rels):
        rel_id = re.search(r'Id="([^"]+)"', element).group(1)
        target = re.search(r'Target="([^"]+)"', element).group(1)
        targets[rel_id] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return {name: targets[rel_id]
            for name, rel_id in re.findall(r'<sheet\b[^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', workbook)}


def tamper(path: Path, sheet: str, cell: str, change, out: Path | None = None) -> Path:
    """A copy of a workbook whose formula in `sheet`!`cell` is `change(old formula text)` (no '=')."""
    import html
    import re
    import zipfile

    part = sheet_parts(path)[sheet]
    out = out or path.with_name(f"tampered-{path.name}")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == part:
                pattern = re.compile(rf'(<c r="{cell}"[^>]*>)<f>([^<]*)</f>'.encode())
                match = pattern.search(data)
                assert match is not None, f"no formula at {sheet}!{cell}"
                new = html.escape(change(html.unescape(match.group(2).decode())), quote=False).encode()
                data = data[:match.start()] + match.group(1) + b"<f>" + new + b"</f>" + data[match.end():]
            target.writestr(item, data)
    return out


def assert_each_break_is_named(clean: Path, layout, keys, tmp_path: Path) -> None:
    """Break the first cell of each key's block in turn (its formula becomes (formula)*1.5+0.1): the check must
    name that very cell among the cells that differ."""
    from openpyxl import load_workbook

    for key in keys:
        block = layout.block(*key)
        wb = load_workbook(clean)
        cell = wb[block.sheet][block.cell()]
        cell.value = f"=({cell.value[1:]})*1.5+0.1"
        broken = tmp_path / "broken.xlsx"
        wb.save(broken)
        named = {f"{m.sheet}!{m.cell}" for m in api.check(broken, limit=100_000).mismatches}
        assert f"{block.sheet}!{block.cell()}" in named, key


def rewrite_parts(source: Path, target: Path, changes: dict) -> Path:
    """A copy of a workbook (`target` may be `source`) whose parts named in `changes` are `change(bytes)`; every
    other part, and every entry's zip header, as it was: how hostile and odd files are made from a good one."""
    import zipfile

    with zipfile.ZipFile(source) as archive:
        items = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in items:
            change = changes.get(info.filename)
            archive.writestr(info, change(data) if change else data)
    return target
