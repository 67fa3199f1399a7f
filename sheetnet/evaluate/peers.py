"""Two more engines for a second opinion without LibreOffice: formualizer and IronCalc.

Both are spreadsheet engines written in Rust and installed from PyPI (`pip install 'sheetnet[engines]'`,
or sheetnet's `test` extras). Each loads the screened copy of the file, evaluates every formula itself and
is then asked for the value of each formula cell the file holds; the constants come from the file, so the
check sees exactly the same inputs as with every other engine.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path

from sheetnet.errors import SheetnetError

PEERS = ("formualizer", "ironcalc")

# formualizer reports an error as {"type": "Error", "kind": ...}; these are Excel's names for the kinds.
_FORMUALIZER_ERRORS = {"Div": "#DIV/0!", "Num": "#NUM!", "Name": "#NAME?", "Value": "#VALUE!", "Ref": "#REF!",
                       "Null": "#NULL!", "Na": "#N/A"}

CellReader = Callable[[str, int, int, int], object]  # (sheet name, sheet index, row, column) -> value


def require(engine: str) -> None:
    """Refuse, in one line naming the extra to install, an engine that is not installed."""
    try:
        spec = importlib.util.find_spec(engine)
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
        spec = None
    if spec is None:
        raise SheetnetError(f"the {engine} engine is not installed; install it with: "
                            f"pip install 'sheetnet[engines]'")


def _module(engine: str):
    require(engine)
    return importlib.import_module(engine)


@contextlib.contextmanager
def _silenced_stdout():
    """IronCalc's loader prints a line for each empty cell it skips, from Rust, straight to file descriptor 1."""
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _formualizer(path: Path) -> CellReader:
    formualizer = _module("formualizer")
    workbook = formualizer.load_workbook(str(path), strategy="eager_all")
    workbook.evaluate_all()

    def read(sheet: str, index: int, row: int, col: int) -> object:
        value = workbook.get_value(sheet, row, col)
        if isinstance(value, dict) and value.get("type") == "Error":
            return _FORMUALIZER_ERRORS.get(value.get("kind"), "#VALUE!")
        return value

    return read


def _ironcalc(path: Path) -> CellReader:
    ironcalc = _module("ironcalc")
    with _silenced_stdout():
        model = ironcalc.load_from_xlsx(str(path), "en", "UTC")
    model.evaluate()
    return lambda sheet, index, row, col: model.get_cell_value(index, row, col)


_LOADERS = {"formualizer": _formualizer, "ironcalc": _ironcalc}


def version(engine: str) -> str:
    """The installed version of a peer engine, for reports and the verification table."""
    from importlib.metadata import version as installed

    return installed(engine)


def cell_reader(engine: str, path: str | Path, shown: str | Path | None = None) -> CellReader:
    """Load and evaluate a file in a peer engine; returns a function giving any cell's value.

    `shown` is the name to give the file in messages (the user's file, when `path` is a private copy)."""
    _module(engine)
    try:
        return _LOADERS[engine](Path(path))
    except SheetnetError:
        raise
    except BaseException as exc:  # both raise their own kinds (Rust panics derive from BaseException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        hint = ""
        if engine == "ironcalc" and "not found in archive" in str(exc):
            hint = ("; IronCalc 0.9 reads only relationship targets relative to their part, and files saved by "
                    "some tools (openpyxl among them) use absolute ones: save it from a spreadsheet or regenerate it")
        raise SheetnetError(f"{shown or path}: the {engine} engine could not evaluate it ({exc}){hint}") from None
