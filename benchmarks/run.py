"""Benchmark: sheetnet new, sheetnet check (each engine), LibreOffice headless and two Rust engines, side by side.

For workbooks of about 1k, 10k, 100k, 200k and 1M formula cells (a 2-layer ReLU network: xor for the small
ones, 100 samples and 8 hidden neurons for the large ones), runs each command as its own process and records
wall time, CPU time (user + system, from wait4) and peak memory (ru_maxrss). Other work may run on the machine, so the
commands of one size run interleaved, `--repeat` times, and the table gives each one's median. Beside them,
floors: what the least possible work costs on the same file (decompressing every part; one regular-expression
pass finding every formula with its cell; the numpy reference alone). Writes benchmarks/results.md and
benchmarks/time_vs_cells.png.

    python benchmarks/run.py [--sizes 1000,10000] [--repeat 3] [--formulas-cap 60000] [--out benchmarks]

Nothing here is a test: timings are never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sheetnet.evaluate.libreoffice import _registry_xml, soffice_path, version
from sheetnet.layout import Layout
from sheetnet.model import config
from sheetnet.model.plan import build_problem

SIZES = (1_000, 10_000, 100_000, 200_000, 1_000_000)
TIME_CAP_SECONDS = 900


def config_for(cells: int) -> tuple[dict, int]:
    """A config dict whose workbook holds about `cells` formula cells, and its exact count."""
    # The unrolled network only (no Boundary or Gradient check sheet), as in the measurements.
    only_network = {"boundary_grid": 0, "gradient_check": False}
    if cells <= 20_000:
        base = {"network": {"sizes": [2, 4, 1]}, "data": {"builtin": "xor"}, "workbook": only_network}
    else:
        base = {"network": {"sizes": [2, 8, 1]}, "data": {"builtin": "exam", "n": 100},
                "training": {"learning_rate": 0.05}, "workbook": only_network}

    def count(steps: int) -> int:
        raw = {k: dict(v) for k, v in base.items()}
        raw.setdefault("training", {})["steps"] = steps
        return Layout(build_problem(config.from_dict(raw)).structure).formula_count()

    low, high = 0, 1
    while count(high) < cells:
        low, high = high, high * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if count(mid) < cells else (low, mid)
    steps = high if abs(count(high) - cells) <= abs(count(low) - cells) else low
    base.setdefault("training", {})["steps"] = steps
    return base, count(steps)


def to_toml(raw: dict) -> str:
    lines = []
    for section, body in raw.items():
        lines.append(f"[{section}]")
        for key, value in body.items():
            text = repr(value).replace("'", '"')
            lines.append(f"{key} = {text.lower() if isinstance(value, bool) else text}")
    return "\n".join(lines) + "\n"


def measure(command: list[str], cap: float = TIME_CAP_SECONDS, env=None) -> dict:
    """Wall seconds and peak resident memory (MiB) of one process and the children it waited for."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True, env=env)
    timer = threading.Timer(cap, lambda: os.killpg(process.pid, signal.SIGKILL))
    timer.start()
    out = process.stdout.read()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    timer.cancel()
    seconds = time.perf_counter() - started
    killed = os.WIFSIGNALED(status)
    ok = not killed and os.waitstatus_to_exitcode(status) == 0
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "mib": usage.ru_maxrss / 1024, "ok": ok,
            "killed": killed, "output": (out + err).decode(errors="replace").strip().splitlines()[-1:]}


def median(results: list[dict]) -> dict:
    """The median wall and CPU time and memory of repeated runs (a failed run makes the result failed)."""
    if not all(r["ok"] for r in results):
        return next(r for r in results if not r["ok"])
    return {**results[0], **{key: statistics.median(r[key] for r in results) for key in ("seconds", "cpu", "mib")}}


PEER = {  # load + evaluate every formula, nothing else
    "formualizer": "import formualizer, sys; w = formualizer.load_workbook(sys.argv[1], strategy='eager_all'); "
                   "w.evaluate_all()",
    "ironcalc": "import ironcalc, os, sys; os.dup2(os.open(os.devnull, os.O_WRONLY), 1); "
                "m = ironcalc.load_from_xlsx(sys.argv[1], 'en', 'UTC'); m.evaluate()",
}
FLOOR = {  # the least work on the same file; each prints the CPU seconds of that work alone (imports aside)
    "decompress": "import sys, time, zipfile; t = time.process_time(); z = zipfile.ZipFile(sys.argv[1]); "
                  "[z.read(n) for n in z.namelist()]; print(time.process_time() - t)",
    "regex": "import re, sys, time, zipfile; t = time.process_time(); z = zipfile.ZipFile(sys.argv[1]); "
             "[re.findall(rb'<c r=\"([A-Z]+)([0-9]+)\"[^>]*><f>([^<]*)</f>', z.read(n)) for n in z.namelist() "
             "if n.startswith('xl/worksheets/sheet')]; print(time.process_time() - t)",
    "reference": "import sys, time; from sheetnet import reference; from sheetnet.verify import readback; "
                 "p = readback.read_problem(sys.argv[1]); t = time.process_time(); reference.run(p); "
                 "print(time.process_time() - t)",
}


def libreoffice_recalc(path: Path, work: Path) -> dict:
    """LibreOffice headless load + full recalculation + save, as `sheetnet check --engine libreoffice` runs it."""
    profile = work / f"profile-{path.stem}"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_registry_xml())
    out_dir = work / "lo-out"
    out_dir.mkdir(exist_ok=True)
    command = [soffice_path(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", "xlsx", "--outdir", str(out_dir), str(path)]
    result = measure(command, env={**os.environ, "HOME": str(profile)})
    shutil.rmtree(profile, ignore_errors=True)
    return result


def _commands(cfg: Path, book: Path, work: Path) -> dict:
    """What one repetition runs for one size, in order (`new` first: it writes the book the others read)."""
    sheetnet, python = [sys.executable, "-m", "sheetnet"], [sys.executable, "-c"]
    commands = {
        "new": lambda: measure(sheetnet + ["new", "--config", str(cfg), "-o", str(book), "--force"]),
        "fast": lambda: measure(sheetnet + ["check", str(book)]),
        "libreoffice": lambda: libreoffice_recalc(book, work),
    }
    for name, code in PEER.items():
        commands[name] = lambda code=code: measure(python + [code, str(book)])
    for name, code in FLOOR.items():
        commands[f"floor_{name}"] = lambda code=code: _floor(measure(python + [code, str(book)]))
    return commands


def _floor(result: dict) -> dict:
    """A floor's CPU time is what it printed: the work alone, without starting Python and importing."""
    if result["ok"]:
        result["cpu"] = float(result["output"][-1])
    return result


def run(sizes, formulas_cap: int, out: Path, repeat: int) -> list[dict]:
    rows = []
    sheetnet = [sys.executable, "-m", "sheetnet"]
    with tempfile.TemporaryDirectory(prefix="sheetnet-bench-") as tmp:
        work = Path(tmp)
        for target in sizes:
            raw, cells = config_for(target)
            cfg = work / f"net{target}.toml"
            cfg.write_text(to_toml(raw))
            book = work / f"net{target}.xlsx"
            row = {"target": target, "cells": cells, "steps": raw["training"]["steps"],
                   "samples": 4 if raw["data"]["builtin"] == "xor" else raw["data"]["n"]}
            commands = _commands(cfg, book, work)
            runs: dict[str, list[dict]] = {name: [] for name in commands}
            for _ in range(repeat):  # interleaved: each repetition runs every command once
                for name, command in commands.items():
                    runs[name].append(command())
            row.update({name: median(results) for name, results in runs.items()})
            if cells <= formulas_cap:
                row["formulas"] = measure(sheetnet + ["check", str(book), "--engine", "formulas"])
            row["check_lo"] = measure(sheetnet + ["check", str(book), "--engine", "libreoffice"])
            rows.append(row)
            print(summary_line(row), flush=True)
            book.unlink()
    write_table(rows, out / "results.md", repeat)
    (out / "results.json").write_text(json.dumps(rows, indent=1))
    write_plot(rows, out / "time_vs_cells.png")
    return rows


def _cell(result: dict | None) -> str:
    if result is None:
        return "skipped (too slow)"
    if result["killed"]:
        return f"> {TIME_CAP_SECONDS} s (stopped)"
    if not result["ok"]:
        return "failed: " + " ".join(result["output"])
    return f"{result['seconds']:.2f} s ({result['cpu']:.2f} s CPU), {result['mib']:,.0f} MiB"


def _cpu(result: dict | None, digits: int = 2) -> str:
    return f"{result['cpu']:.{digits}f} s" if result and result["ok"] else "-"


def summary_line(row: dict) -> str:
    return (f"{row['cells']:>9,} cells: new {_cell(row['new'])}; check fast {_cell(row['fast'])}; "
            f"formulas {_cell(row.get('formulas'))}; LibreOffice {_cell(row['libreoffice'])}; "
            f"formualizer {_cell(row['formualizer'])}; IronCalc {_cell(row['ironcalc'])}")


def write_table(rows: list[dict], path: Path, repeat: int) -> None:
    lines = [
        "# sheetnet benchmark",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {version()}, "
        f"run on {time.strftime('%Y-%m-%d')} by `python benchmarks/run.py --repeat {repeat}`.",
        "Each command is a separate process; the commands of one size ran interleaved, "
        f"{repeat} times, and each figure is the median: wall clock (CPU time = user + system, from wait4), "
        "peak resident memory (ru_maxrss).",
        "Workbooks hold the unrolled 2-layer ReLU network only (`[workbook] boundary_grid = 0`, "
        "`gradient_check = false`).",
        "LibreOffice = `soffice --headless --convert-to xlsx` with a fresh profile that forces full "
        "recalculation (load + recalculate + save). formualizer and IronCalc: load + evaluate every formula "
        "(Python bindings of Rust engines, from PyPI), nothing compared.",
        "",
        "| formula cells | steps x samples | `sheetnet new` | `check` (fast) | LibreOffice load+recalc+save "
        "| formualizer load+evaluate | IronCalc load+evaluate | `check --engine formulas` "
        "| `check --engine libreoffice` |",
        "|---:|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['cells']:,} | {row['steps']} x {row['samples']} | {_cell(row['new'])} | {_cell(row['fast'])} "
            f"| {_cell(row['libreoffice'])} | {_cell(row['formualizer'])} | {_cell(row['ironcalc'])} "
            f"| {_cell(row.get('formulas'))} | {_cell(row['check_lo'])} |"
        )
    lines += [
        "",
        "Ratios of CPU time: `check` (fast) to each peer (below 1: `check` is faster, although it also reads "
        "the reference and compares every cell), and to its floor (decompress every part + one regex pass "
        "finding every formula with its cell + the numpy reference).",
        "",
        "| formula cells | check CPU | / LibreOffice | / formualizer | / IronCalc | floor: decompress | "
        "floor: regex pass | floor: reference | check / floor |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        check = row["fast"]["cpu"]
        floor = sum(row[f"floor_{name}"]["cpu"] for name in FLOOR)

        ratio = {key: f"{check / row[key]['cpu']:.2f}" if row[key]["ok"] else "-"
                 for key in ("libreoffice", "formualizer", "ironcalc")}
        lines.append(f"| {row['cells']:,} | {check:.2f} s | {ratio['libreoffice']} | {ratio['formualizer']} "
                     f"| {ratio['ironcalc']} | {_cpu(row['floor_decompress'], 3)} | {_cpu(row['floor_regex'], 3)} "
                     f"| {_cpu(row['floor_reference'], 3)} | {check / floor:.2f} |")
    path.write_text("\n".join(lines) + "\n")


def write_plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.5, 4.5), dpi=110)
    series = [("new", "sheetnet new", "o-"), ("fast", "sheetnet check (fast)", "s-"),
              ("formulas", "check --engine formulas", "^-"), ("libreoffice", "LibreOffice load+recalc+save", "d-"),
              ("formualizer", "formualizer load+evaluate", "v-"), ("ironcalc", "IronCalc load+evaluate", "<-")]
    for key, label, style in series:
        points = [(r["cells"], r[key]["cpu"]) for r in rows if r.get(key) and r[key]["ok"]]
        if points:
            ax.plot(*zip(*points, strict=True), style, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("formula cells")
    floors = [(r["cells"], sum(r[f"floor_{name}"]["cpu"] for name in FLOOR)) for r in rows]
    ax.plot(*zip(*floors, strict=True), "k:", label="floor: decompress + regex pass + reference")
    ax.set_ylabel("CPU seconds (median of interleaved runs)")
    ax.set_title("Time vs workbook size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--formulas-cap", type=int, default=60_000,
                        help="largest workbook checked with the slow formulas engine")
    parser.add_argument("--out", default=str(Path(__file__).parent))
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs of each command per size")
    parser.add_argument("--plot-only", action="store_true", help="redraw the plot from results.json")
    args = parser.parse_args()
    if args.plot_only:
        write_plot(json.loads((Path(args.out) / "results.json").read_text()), Path(args.out) / "time_vs_cells.png")
        raise SystemExit(0)
    run([int(s) for s in args.sizes.split(",")], args.formulas_cap, Path(args.out), args.repeat)
