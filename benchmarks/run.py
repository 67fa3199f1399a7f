"""Benchmark: sheetnet new, sheetnet check (each engine) and LibreOffice headless, side by side.

For workbooks of about 1k, 10k, 100k, 200k and 1M formula cells (the 2-layer ReLU network of
issue 2: xor for the small ones, 100 samples and 8 hidden neurons for the large ones), runs each
command as its own process, records wall time and peak memory (ru_maxrss from wait4), and writes
benchmarks/results.md and benchmarks/time_vs_cells.png.

    python benchmarks/run.py [--sizes 1000,10000] [--formulas-cap 60000] [--out benchmarks]

Nothing here is a test: timings are never asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
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
    return {"seconds": seconds, "mib": usage.ru_maxrss / 1024, "ok": ok, "killed": killed,
            "output": (out + err).decode(errors="replace").strip().splitlines()[-1:] }


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


def run(sizes, formulas_cap: int, out: Path) -> list[dict]:
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
            row["new"] = measure(sheetnet + ["new", "--config", str(cfg), "-o", str(book), "--force"])
            row["fast"] = measure(sheetnet + ["check", str(book)])
            if cells <= formulas_cap:
                row["formulas"] = measure(sheetnet + ["check", str(book), "--engine", "formulas"])
            row["libreoffice"] = libreoffice_recalc(book, work)
            row["check_lo"] = measure(sheetnet + ["check", str(book), "--engine", "libreoffice"])
            rows.append(row)
            print(summary_line(row), flush=True)
            book.unlink()
    write_table(rows, out / "results.md")
    write_plot(rows, out / "time_vs_cells.png")
    return rows


def _cell(result: dict | None) -> str:
    if result is None:
        return "skipped (too slow)"
    if result["killed"]:
        return f"> {TIME_CAP_SECONDS} s (stopped)"
    if not result["ok"]:
        return "failed: " + " ".join(result["output"])
    return f"{result['seconds']:.2f} s, {result['mib']:,.0f} MiB"


def summary_line(row: dict) -> str:
    return (f"{row['cells']:>9,} cells: new {_cell(row['new'])}; check fast {_cell(row['fast'])}; "
            f"formulas {_cell(row.get('formulas'))}; LibreOffice {_cell(row['libreoffice'])}")


def write_table(rows: list[dict], path: Path) -> None:
    lines = [
        "# sheetnet benchmark",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {version()}, "
        f"run on {time.strftime('%Y-%m-%d')} by `python benchmarks/run.py`.",
        "Each command is a separate process; time is wall clock, memory is peak resident (ru_maxrss).",
        "Workbooks hold the unrolled 2-layer ReLU network only (`[workbook] boundary_grid = 0`, "
        "`gradient_check = false`), the shape the issue measured.",
        "LibreOffice = `soffice --headless --convert-to xlsx` with a fresh profile that forces full "
        "recalculation (load + recalculate + save). Ratio = fast check time / LibreOffice time.",
        "",
        "| formula cells | steps x samples | `sheetnet new` | `check` (fast) | `check --engine formulas` "
        "| LibreOffice load+recalc+save | ratio | `check --engine libreoffice` |",
        "|---:|---|---|---|---|---|---:|---|",
    ]
    for row in rows:
        ratio = row["fast"]["seconds"] / row["libreoffice"]["seconds"] if row["libreoffice"]["ok"] else float("nan")
        lines.append(
            f"| {row['cells']:,} | {row['steps']} x {row['samples']} | {_cell(row['new'])} | {_cell(row['fast'])} "
            f"| {_cell(row.get('formulas'))} | {_cell(row['libreoffice'])} | {ratio:.2f} | {_cell(row['check_lo'])} |"
        )
    path.write_text("\n".join(lines) + "\n")


def write_plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    series = [("new", "sheetnet new", "o-"), ("fast", "sheetnet check (fast)", "s-"),
              ("formulas", "check --engine formulas", "^-"), ("libreoffice", "LibreOffice load+recalc+save", "d-")]
    for key, label, style in series:
        points = [(r["cells"], r[key]["seconds"]) for r in rows if r.get(key) and r[key]["ok"]]
        if points:
            ax.plot(*zip(*points, strict=True), style, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("formula cells")
    ax.set_ylabel("seconds (wall clock)")
    ax.set_title("Time vs workbook size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--formulas-cap", type=int, default=60_000,
                        help="largest workbook checked with the slow formulas engine")
    parser.add_argument("--out", default=str(Path(__file__).parent))
    args = parser.parse_args()
    run([int(s) for s in args.sizes.split(",")], args.formulas_cap, Path(args.out))
