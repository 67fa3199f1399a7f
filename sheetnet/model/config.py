"""Load a network config: read the TOML file, merge the command line's options, validate into a Config.

The schema (every key and default) is `schema`; the checks are `validate`; docs/config.md is the
reference users read.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from sheetnet.errors import SheetnetError
from sheetnet.files import read_text
from sheetnet.model.schema import (
    BUILTIN_DATASETS,
    DATASET_DEFAULTS,
    FEATURES,
    HIDDEN_ACTIVATIONS,
    INIT_SCHEMES,
    LOSSES,
    MAX_STEPS,
    MAX_WIDTH,
    MEASURES,
    OPTIMIZERS,
    OUTPUT_ACTIVATIONS,
    SECTIONS,
    Config,
    DataConfig,
    InitConfig,
    NetworkConfig,
    TrainingConfig,
    WorkbookConfig,
)
from sheetnet.model.validate import VALIDATORS, check_consistent, check_keys

MAX_CONFIG_BYTES = 1 << 20

__all__ = ["BUILTIN_DATASETS", "FEATURES", "HIDDEN_ACTIVATIONS", "INIT_SCHEMES", "LOSSES", "MAX_STEPS", "MAX_WIDTH",
           "MEASURES", "OPTIMIZERS", "OUTPUT_ACTIVATIONS", "Config", "DataConfig", "InitConfig", "NetworkConfig",
           "TrainingConfig", "WorkbookConfig", "apply_overrides", "from_dict", "load"]


def apply_overrides(raw: dict, overrides: dict[str, dict]) -> dict:
    """Merge CLI options into a parsed config. `network.hidden` replaces the hidden widths only."""
    raw = {section: dict(body) if isinstance(body, dict) else body for section, body in raw.items()}
    for section, values in overrides.items():
        body = raw.setdefault(section, {})
        values = dict(values)
        if section == "data" and {"builtin", "csv", "inputs", "targets"} & set(values):
            for key in ("builtin", "csv", "inputs", "targets"):  # a new data source replaces the old one
                body.pop(key, None)
        hidden = values.pop("hidden", None)
        if hidden is not None:
            sizes = body.get("sizes")
            if isinstance(sizes, list) and len(sizes) >= 2:
                body["sizes"] = [sizes[0], *hidden, sizes[-1]]
            else:
                body["sizes"] = [NetworkConfig.sizes[0], *hidden, NetworkConfig.sizes[-1]]
                body["_sizes_from_data"] = True
        body.update(values)
    return raw


def with_dataset_defaults(raw: dict) -> dict:
    """The built-in dataset's own defaults (DATASET_DEFAULTS) for every key the user did not give."""
    data = raw.get("data", {})
    builtin = data.get("builtin") if isinstance(data, dict) and not {"csv", "inputs"} & set(data) else None
    if builtin not in DATASET_DEFAULTS:
        return raw
    raw = {section: dict(body) if isinstance(body, dict) else body for section, body in raw.items()}
    for section, defaults in DATASET_DEFAULTS[builtin].items():
        body = raw.setdefault(section, {})
        if not isinstance(body, dict):
            continue
        for key, value in defaults.items():
            if key == "held_out" and "test_fraction" in body:
                continue  # the user's own split
            if key == "held_out" and isinstance(body.get("n"), int) and "held_out" not in body:
                value = max(1, round(body["n"] * value / defaults["n"]))  # the same share of a smaller subset
            if key == "sizes" and body.get("_sizes_from_data"):
                continue  # --hidden gave the hidden widths: the data gives the rest
            body.setdefault(key, value)
    return raw


def from_dict(raw: dict, *, base_dir: str = ".") -> Config:
    """Validate a parsed TOML document (or an equivalent dict) into a Config."""
    raw = with_dataset_defaults(raw)
    network = raw.get("network", {})
    sizes_from_data = isinstance(network, dict) and network.pop("_sizes_from_data", False)
    check_keys(raw)
    parts = {name: VALIDATORS[name](raw.get(name, {})) for name in SECTIONS}
    sizes_given = "sizes" in raw.get("network", {}) and not sizes_from_data
    if parts["init"].weights is not None and "scheme" not in raw.get("init", {}):
        parts["init"] = InitConfig(**{**parts["init"].__dict__, "scheme": "explicit"})
    cfg = Config(**parts, sizes_given=sizes_given, base_dir=base_dir)
    check_consistent(cfg)
    return cfg


def _csv_inside(path: Path, data) -> None:
    """A config file reads data only from its own folder (and below): a config from elsewhere cannot make sheetnet
    read ../../secrets.csv or /etc/passwd. The command line may name any file (--data FILE)."""
    csv = data.get("csv") if isinstance(data, dict) else None
    if not isinstance(csv, str) or not csv:
        return  # validation says what is wrong with it
    folder = path.parent.resolve()
    target = (folder / csv).resolve()
    if not target.is_relative_to(folder):
        raise SheetnetError(f"{path}: [data] csv = {csv!r} is outside the config's folder ({folder}): a config reads "
                            f"data from its own folder only; name the file on the command line (--data FILE) to "
                            f"use it")


def load(path: str | Path | None, overrides: dict[str, dict] | None = None) -> Config:
    """Read a TOML config (or the defaults when path is None) and apply CLI overrides."""
    raw: dict = {}
    base_dir = "."
    if path is not None:
        path = Path(path)
        text = read_text(path, MAX_CONFIG_BYTES, "a config file")
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SheetnetError(f"{path}: not valid TOML ({exc})") from None
        except ValueError:  # Python refuses integers of more than 4,300 digits
            raise SheetnetError(f"{path}: a number in it has thousands of digits; no setting needs that many") \
                from None
        except RecursionError:  # arrays or tables nested hundreds deep: no setting is
            raise SheetnetError(f"{path}: nested too deeply (hundreds of levels); no setting needs more than three") \
                from None
        base_dir = str(path.parent)
        if "csv" not in (overrides or {}).get("data", {}):
            _csv_inside(path, raw.get("data"))
    try:
        return from_dict(apply_overrides(raw, overrides or {}), base_dir=base_dir)
    except SheetnetError as exc:
        if path is not None:
            raise SheetnetError(f"{path}: {exc}") from None
        raise
