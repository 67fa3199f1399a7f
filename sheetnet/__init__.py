"""sheetnet: neural networks that train themselves in live spreadsheet formulas, cross-checked with numpy.

The Python API (the same work as the commands; see the README's "Python API"):

    import sheetnet
    sheetnet.build({"data": {"builtin": "xor"}, "training": {"steps": 20}}, "xor.xlsx")
    report = sheetnet.check("xor.xlsx")          # report.ok, report.compared, report.max_share
    sheetnet.predict("xor.xlsx", [[1, 0]])       # the trained network's output

Importing sheetnet loads nothing else and changes nothing (no environment variable, no global setting): the
functions load what they need when first called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.2.0"

__all__ = ["build", "check", "predict", "export", "continue_training", "examples", "example_config", "Report",
           "Mismatch", "SheetnetError", "__version__"]

if TYPE_CHECKING:  # what type checkers and editors see; at run time __getattr__ loads them on first use
    from sheetnet.api.public import build, check, continue_training, example_config, examples, export, predict
    from sheetnet.errors import SheetnetError
    from sheetnet.verify.report import Mismatch, Report

_HOMES = {"SheetnetError": "sheetnet.errors", "Report": "sheetnet.verify.report", "Mismatch": "sheetnet.verify.report"}


def __getattr__(name: str):
    if name not in __all__:
        raise AttributeError(f"module 'sheetnet' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_HOMES.get(name, "sheetnet.api.public")), name)
    globals()[name] = value  # found once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
