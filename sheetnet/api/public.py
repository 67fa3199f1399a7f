"""The Python API: what `import sheetnet` offers a notebook or a script, the same work as the commands.

Every function takes paths as str or Path and raises SheetnetError (one line, the CLI's message) on bad input.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from sheetnet.errors import SheetnetError
from sheetnet.verify.report import Report

ConfigLike = Mapping | str | Path


def examples() -> dict[str, str]:
    """Each example's name and one line on what it shows (as `sheetnet examples --list`)."""
    from sheetnet.api.examples import describe, example_configs

    return {name: describe(name) for name in example_configs()}


def example_config(name: str) -> dict:
    """An example's config as a dict (the TOML file parsed), to change and give to `build`."""
    from sheetnet.api.examples import example_config as config_path

    return tomllib.loads(config_path(name).read_text(encoding="utf-8"))


def _config(config: ConfigLike):
    from sheetnet.model import config as configs

    if isinstance(config, Mapping):
        return configs.from_dict(copy.deepcopy(dict(config)))
    if isinstance(config, (str, Path)):
        return configs.load(config)
    raise SheetnetError(f"a config is a dict or the path of a TOML file, not {type(config).__name__}")


def build(config: ConfigLike, out: str | Path, *, force: bool = False) -> int:
    """Write the workbook a config describes (a dict shaped like the TOML file, or a TOML file's path); returns
    its number of formula cells. An existing `out` is replaced only with `force`."""
    from sheetnet import api

    if Path(out).suffix.lower() != ".xlsx":
        raise SheetnetError(f"{out}: the output must be an .xlsx file")
    return api.build(_config(config), out, force=force)


def check(path: str | Path, engine: str = "fast") -> Report:
    """Evaluate every formula of a workbook with `engine` (fast, formulas, libreoffice, saved, formualizer,
    ironcalc) and compare each cell with the numpy reference; the Report says `ok`, `compared`, `max_share` (the
    largest difference as a share of its cell's tolerance), `max_abs_error` and the `mismatches`."""
    from sheetnet import api

    return api.check(path, engine)


def predict(path: str | Path, inputs: Sequence | np.ndarray, engine: str = "fast") -> np.ndarray:
    """The trained network's outputs (one row per input row) from the workbook's final parameters, as `engine`
    computes them from the file (your edits included)."""
    from sheetnet.api import use

    problem, weights, biases = use.final_parameters(path, engine)
    return use.predict(problem, weights, biases, np.asarray(inputs, dtype=float))


def export(path: str | Path, engine: str = "fast") -> dict:
    """The final parameters and the network's description (what `sheetnet export` writes as JSON)."""
    from sheetnet.api import use

    return use.export(path, engine)


def continue_training(path: str | Path, out: str | Path, steps: int | None = None, *, force: bool = False) -> int:
    """Write a workbook that trains on from `path`'s final parameters (and optimizer state) for `steps` more
    steps (default: as many as `path` has); returns its number of formula cells."""
    from sheetnet.api import continuation

    count, _ = continuation.continue_training(Path(path), Path(out), steps, force=force)
    return count
