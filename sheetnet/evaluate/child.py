"""Engines from other projects run in a child process that sheetnet can always stop.

The `formulas` package, formualizer and IronCalc compute inside long calls (Python loops deep in a library, Rust
code) during which Python does not run its signal handlers: in-process, a SIGTERM or Ctrl-C waited until the call
returned, tens of seconds on a large workbook. Here each runs in a child of its own process group, given the
screened private copy; the parent waits with a deadline, and whatever ends the wait (the answer, a timeout,
Ctrl-C, SIGTERM, an error) the whole group is killed before it returns: no engine outlives sheetnet. LibreOffice
runs through the same `run_killable`.

The child answers through a pickle file in a private folder it shares with the parent only (both are sheetnet).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from sheetnet.errors import SheetnetError

TIMEOUT_VARIABLE = "SHEETNET_ENGINE_TIMEOUT"  # seconds, to override the deadline of the formulas, formualizer, IronCalc
TIMEOUT_FLOOR = 120  # seconds any workbook gets
TIMEOUT_PER_CELL = {"formulas": 0.02, "formualizer": 0.001, "ironcalc": 0.001}  # and each formula cell, ~5x measured
FORMULAS_MAX_CELLS = 100_000  # the formulas package keeps ~53 KB a cell: 100k cells is ~5 GB and ~7 minutes
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def run_killable(command: list[str], env: dict, timeout: float, on_timeout: str) -> tuple[int, bytes, bytes]:
    """Run `command` in a process group of its own; whatever happens (a timeout, Ctrl-C, SIGTERM, a crash), the whole
    group is killed before this returns or raises. A timeout raises SheetnetError(on_timeout)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                               env=env, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SheetnetError(on_timeout) from None
    finally:
        if process.poll() is None or process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    return process.returncode, stdout, stderr


def seconds_given(variable: str) -> float | None:
    """The deadline an environment variable sets (at least 1 s), or None when it is not set."""
    given = os.environ.get(variable)
    if not given:
        return None
    try:
        return max(1.0, float(given))
    except ValueError:
        raise SheetnetError(f"{variable}={given!r} is not a number of seconds") from None


def deadline(engine: str, formula_cells: int) -> float:
    """Seconds `engine` may take on a workbook of `formula_cells` formulas, or as SHEETNET_ENGINE_TIMEOUT says."""
    given = seconds_given(TIMEOUT_VARIABLE)
    return given if given is not None else TIMEOUT_FLOOR + TIMEOUT_PER_CELL[engine] * formula_cells


def computed_cells(engine: str, copy: Path, shown: Path, positions: dict[str, tuple[list, list]]) -> dict[str, dict]:
    """Each sheet's computed cells {(row, col): value} from `engine` run on `copy` in a killable child process.

    `positions` gives each sheet's formula cells (rows, cols) in sheet order; `shown` names the user's file."""
    formula_cells = sum(len(rows) for rows, _ in positions.values())
    if engine == "formulas" and formula_cells > FORMULAS_MAX_CELLS:
        raise SheetnetError(f"{shown}: {formula_cells:,} formula cells are too many for the formulas engine (at most "
                            f"{FORMULAS_MAX_CELLS:,}: it keeps ~53 KB a cell); use the fast engine or LibreOffice")
    limit = deadline(engine, formula_cells)
    with tempfile.TemporaryDirectory(prefix="sheetnet-engine-") as folder:
        request, answer = Path(folder) / "request.pickle", Path(folder) / "answer.pickle"
        request.write_bytes(pickle.dumps((engine, str(copy), str(shown), positions)))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))}
        returncode, _, stderr = run_killable(
            [sys.executable, "-P", "-m", "sheetnet.evaluate.child", str(request), str(answer)], env, limit,
            f"{shown}: the {engine} engine did not finish within {limit:.0f} s and was stopped "
            f"(set {TIMEOUT_VARIABLE} to allow more)")
        if returncode == 2:  # the child's own one-line message
            raise SheetnetError(stderr.decode(errors="replace").strip().splitlines()[-1])
        if returncode != 0 or not answer.exists():
            lines = stderr.decode(errors="replace").strip().splitlines()
            raise SheetnetError(f"{shown}: the {engine} engine failed ({lines[-1] if lines else f'exit {returncode}'})")
        return pickle.loads(answer.read_bytes())


def _answer(engine: str, copy: str, shown: str, positions: dict[str, tuple[list, list]]) -> dict[str, dict]:
    if engine == "formulas":
        from sheetnet.evaluate.formulas_engine import formulas_cells

        return formulas_cells(copy, shown, list(positions))
    from sheetnet.evaluate.peers import cell_reader

    read = cell_reader(engine, copy, shown)
    return {name: {(row, col): read(name, index, row, col) for row, col in zip(rows, cols, strict=True)}
            for index, (name, (rows, cols)) in enumerate(positions.items())}


def main(request: str, answer: str) -> int:
    engine, copy, shown, positions = pickle.loads(Path(request).read_bytes())
    try:
        cells = _answer(engine, copy, shown, positions)
    except SheetnetError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except MemoryError:
        print(f"{shown}: the {engine} engine ran out of memory", file=sys.stderr)
        return 2
    Path(answer).write_bytes(pickle.dumps(cells, protocol=pickle.HIGHEST_PROTOCOL))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
