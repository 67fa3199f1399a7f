"""Benchmark: how long sheetnet takes to refuse hostile workbooks as they double in size.

Every reader must be linear in its input: doubling a hostile file should at most about double the time
to refuse it. For each kind of hostile file below, at four sizes each twice the last, this measures the
CPU time of `check` refusing it (in this process, rounds interleaved across sizes so a noisy machine
slows all sizes alike) and the peak memory it allocates (tracemalloc), and writes benchmarks/hostile.md with
the median times, the ratio per doubling and the peaks.

    python benchmarks/hostile.py [--rounds 3] [--out benchmarks]

Nothing here is a test: timings are never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from sheetnet import api
from sheetnet.errors import SheetnetError
from sheetnet.model import config


def _good(folder: Path) -> Path:
    path = folder / "good.xlsx"
    api.build(config.from_dict({"training": {"steps": 1}, "workbook": {"boundary_grid": 4}}), path)
    return path


def _rezip(good: Path, out: Path, part: str, change) -> Path:
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item.filename, change(data) if item.filename == part else data)
    return out


def unclosed_cells(good: Path, out: Path, count: int) -> Path:
    return _rezip(good, out, "xl/worksheets/sheet3.xml", lambda data: data.replace(
        b"<sheetData>", b'<sheetData><row r="1">' + b'<c r="A1">' * count + b"</row>", 1))


def late_doctype(good: Path, out: Path, count: int) -> Path:
    return _rezip(good, out, "xl/worksheets/sheet3.xml", lambda data: b'<?xml version="1.0"?><!--' +
                  b"x" * (count * 10) + b'--><!DOCTYPE x [<!ENTITY a "a">]>' + data.split(b"?>", 1)[-1])


def _after_formulas(good: Path, out: Path, count: int, last: bytes) -> Path:
    """Many harmless formulas, then `last` (a formula's text) at the very end of the part."""
    cells = b"".join(b'<c r="A%d"><f>1+1</f></c>' % (row + 100) for row in range(count))
    return _rezip(good, out, "xl/worksheets/sheet3.xml", lambda data: data.replace(
        b"</sheetData>", b'<row r="99">' + cells + b'<c r="B99"><f>' + last + b"</f></c></row></sheetData>", 1))


def reaching_out_last(good: Path, out: Path, count: int) -> Path:
    """Many harmless formulas, then one that calls WEBSERVICE at the very end of the part."""
    return _after_formulas(good, out, count, b'_xlfn.WEBSERVICE("http://x/")')


def unclosed_inline_strings(good: Path, out: Path, count: int) -> Path:
    """One closed cell holding many unclosed <t> runs (a lazy regular expression would be quadratic here)."""
    return _rezip(good, out, "xl/worksheets/sheet3.xml", lambda data: data.replace(
        b"</sheetData>", b'<row r="99"><c r="A99" t="inlineStr"><is>' + b"<t>x" * count + b"</is></c></row>"
        b"</sheetData>", 1))


def spelt_reaching_out_last(good: Path, out: Path, count: int) -> Path:
    """Many harmless formulas, then WEBSERVICE split by a comment: the part goes the parser's careful path."""
    return _after_formulas(good, out, count, b'_xlfn.WEB<!---->SERVICE("http://x/")')


def far_cells(good: Path, out: Path, count: int) -> Path:
    """A number placed further and further away: refused before any grid is allocated."""
    row = 100 * count
    return _rezip(good, out, "xl/worksheets/sheet3.xml", lambda data: data.replace(
        b"</sheetData>", b'<row r="%d"><c r="XFD%d"><v>1</v></c></row></sheetData>' % (row, row), 1))


KINDS = {"10k-80k unclosed <c> tags": (unclosed_cells, 10_000),
         "10k-80k unclosed <t> runs in one cell": (unclosed_inline_strings, 10_000),
         "WEBSERVICE spelt with a comment after 10k-80k formulas": (spelt_reaching_out_last, 10_000),
         "one cell at XFD1000000 (grid cap), then past the last row": (far_cells, 10_000),
         "DOCTYPE after 100 KB-800 KB": (late_doctype, 10_000),
         "WEBSERVICE after 10k-80k formulas": (reaching_out_last, 10_000)}


def _refuse(path: Path) -> None:
    try:
        api.check(path)
    except SheetnetError:
        pass  # a file that is checked instead counts too: the cost is what is measured


def refusal_seconds(path: Path) -> float:
    """CPU seconds of `check` refusing `path`."""
    started = time.process_time()
    _refuse(path)
    return time.process_time() - started


def refusal_peak_mib(path: Path) -> float:
    """Peak MiB Python and numpy allocate while `check` refuses `path` (tracemalloc: a run of its own, since
    tracing slows the code it traces)."""
    tracemalloc.start()
    _refuse(path)
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    lines = ["# Refusing hostile workbooks: CPU time as the file doubles", "",
             f"`python benchmarks/hostile.py --rounds {args.rounds}`; median CPU seconds of `check` refusing the "
             "file, rounds interleaved over sizes. A linear reader shows ratios near 2 (or below, where fixed "
             "costs dominate).", "",
             "| hostile file | size 1x (s) | 2x (s) | 4x (s) | 8x (s) | ratio per doubling | peak MiB at 1x-8x |",
             "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        good = _good(Path(folder))
        for kind, (make, base) in KINDS.items():
            paths = [make(good, Path(folder) / f"{kind[:4]}-{k}.xlsx", base * 2 ** k) for k in range(4)]
            times: list[list[float]] = [[] for _ in paths]
            peaks = [refusal_peak_mib(path) for path in paths]
            for _ in range(args.rounds):
                for k, path in enumerate(paths):
                    times[k].append(refusal_seconds(path))
            medians = [statistics.median(values) for values in times]
            ratios = [later / earlier for earlier, later in zip(medians, medians[1:], strict=False)]
            lines.append(f"| {kind} | " + " | ".join(f"{value:.3f}" for value in medians) +
                         f" | {', '.join(f'{ratio:.2f}' for ratio in ratios)} | "
                         f"{', '.join(f'{peak:.0f}' for peak in peaks)} |")
            print(lines[-1], flush=True)
    (args.out / "hostile.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out / 'hostile.md'}")


if __name__ == "__main__":
    main()
