"""Validate a parsed config section by section: one clear line for anything wrong, with a suggestion."""

from __future__ import annotations

import difflib
import math
from typing import Any

from sheetnet.errors import SheetnetError
from sheetnet.model import conv, text
from sheetnet.model.hyper import GENERAL
from sheetnet.model.options import RENAMED_CELLS, option_hypers, owners, used_option_keys
from sheetnet.model.schema import (
    BUILTIN_DATASETS,
    FEATURES,
    HIDDEN_ACTIVATIONS,
    INIT_SCHEMES,
    LOSSES,
    MAX_STEPS,
    MAX_WIDTH,
    MEASURES,
    OPTIMIZERS,
    OUTPUT_ACTIVATIONS,
    SCHEDULES,
    SECTIONS,
    Config,
    DataConfig,
    InitConfig,
    NetworkConfig,
    TrainingConfig,
    WorkbookConfig,
)


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _where(section: str, key: str) -> str:
    return f"[{section}] {key}"


def _number(section: str, key: str, value: Any, *, integer: bool = False) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "an integer" if integer else "a number"
        raise SheetnetError(f"{_where(section, key)} must be {kind}, got {value!r}")
    if isinstance(value, int) and abs(value) > 10**15:  # no key takes numbers this large (nor can float hold 10^400)
        raise SheetnetError(f"{_where(section, key)} is out of range: {str(value)[:20]}...")
    if integer and not float(value).is_integer():
        raise SheetnetError(f"{_where(section, key)} must be an integer, got {value!r}")
    if not math.isfinite(value):
        raise SheetnetError(f"{_where(section, key)} must be finite, got {value!r}")
    return int(value) if integer else float(value)


def _boolean(section: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SheetnetError(f"{_where(section, key)} must be true or false, got {value!r}")
    return value


def _choice(section: str, key: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise SheetnetError(
            f"{_where(section, key)}: unknown value {value!r}{_suggest(str(value), choices)}; "
            f"choose one of {', '.join(choices)}"
        )
    return value


def _matrix(section: str, key: str, value: Any, depth: int) -> tuple:
    """A nested list of numbers `depth` levels deep, as nested tuples of floats."""
    if depth == 0:
        return _number(section, key, value)
    if not isinstance(value, (list, tuple)) or not value:
        raise SheetnetError(f"{_where(section, key)} must be a non-empty list nested {depth} deep")
    return tuple(_matrix(section, key, item, depth - 1) for item in value)


def _hyper_values(raw: dict, records) -> dict[str, float]:
    """The values `raw` gives for these hyper-parameters, each checked by its record's rule."""
    out = {}
    for record in records:
        if record.key in raw:
            value = _number(record.section, record.key, raw[record.key], integer=record.integer)
            refusal = record.refusal(value)
            if refusal:
                raise SheetnetError(refusal)
            out[record.key] = value
    return out


def _validate_network(raw: dict) -> NetworkConfig:
    s = "network"
    out: dict[str, Any] = {}
    if "sizes" in raw:
        sizes = raw["sizes"]
        if not isinstance(sizes, list) or len(sizes) < (2 if raw.get("conv_filters") else 3):
            raise SheetnetError(
                f"[network] sizes must list inputs, at least one hidden layer and outputs, "
                f"e.g. [2, 4, 1]; got {sizes!r}"
            )
        sizes = tuple(_number(s, "sizes", v, integer=True) for v in sizes)
        for width in sizes:
            if width < 1:
                raise SheetnetError(f"[network] sizes must all be at least 1, got {list(sizes)}")
            if width > MAX_WIDTH:
                raise SheetnetError(
                    f"[network] sizes: a layer of {width} is more than a spreadsheet can show "
                    f"usefully (at most {MAX_WIDTH})"
                )
        out["sizes"] = sizes
    if "activation" in raw:
        act = raw["activation"]
        acts = act if isinstance(act, list) else [act]
        if not acts:
            raise SheetnetError("[network] activation must not be an empty list")
        out["activation"] = tuple(_choice(s, "activation", a, HIDDEN_ACTIVATIONS) for a in acts)
    out.update(_hyper_values(raw, [h for h in GENERAL if h.section == s]))
    if "output" in raw:
        out["output"] = _choice(s, "output", raw["output"], OUTPUT_ACTIVATIONS)
    if "loss" in raw:
        out["loss"] = _choice(s, "loss", raw["loss"], LOSSES)
    if "batch_norm" in raw:
        out["batch_norm"] = _boolean(s, "batch_norm", raw["batch_norm"])
    return NetworkConfig(**out, **conv.network_keys(raw))


def _validate_training(raw: dict) -> TrainingConfig:
    s = "training"
    out: dict[str, Any] = {}
    if "steps" in raw:
        steps = _number(s, "steps", raw["steps"], integer=True)
        if steps < 0:
            raise SheetnetError(f"[training] steps must be 0 or more, got {steps}")
        if steps > MAX_STEPS:
            raise SheetnetError(f"[training] steps: {steps} is more than {MAX_STEPS}")
        out["steps"] = steps
    out.update(_hyper_values(raw, [h for h in GENERAL if h.section == s]))
    if "schedule" in raw:
        out["schedule"] = _choice(s, "schedule", raw["schedule"], SCHEDULES)
    out["options"] = tuple(sorted(_hyper_values(raw, option_hypers().values()).items()))
    if "optimizer" in raw:
        out["optimizer"] = _choice(s, "optimizer", raw["optimizer"], OPTIMIZERS)
    if "batch_size" in raw:
        batch = _number(s, "batch_size", raw["batch_size"], integer=True)
        if batch < 0:
            raise SheetnetError(f"[training] batch_size must be 0 (full batch) or more, got {batch}")
        out["batch_size"] = batch
    if "train_biases" in raw:
        out["train_biases"] = _boolean(s, "train_biases", raw["train_biases"])
    if "shuffle" in raw:
        out["shuffle"] = _boolean(s, "shuffle", raw["shuffle"])
    return TrainingConfig(**out)


def _validate_init(raw: dict) -> InitConfig:
    s = "init"
    out: dict[str, Any] = {}
    if "scheme" in raw:
        out["scheme"] = _choice(s, "scheme", raw["scheme"], INIT_SCHEMES)
    if "seed" in raw:
        seed = _number(s, "seed", raw["seed"], integer=True)
        if seed < 0:
            raise SheetnetError(f"[init] seed must be 0 or more, got {seed}")
        out["seed"] = seed
    if "gain" in raw:
        out["gain"] = _number(s, "gain", raw["gain"])
        if out["gain"] <= 0:
            raise SheetnetError(f"[init] gain must be > 0, got {out['gain']}")
    if "weights" in raw:
        out["weights"] = _matrix(s, "weights", raw["weights"], 3)
    if "biases" in raw:
        out["biases"] = _matrix(s, "biases", raw["biases"], 2)
    return InitConfig(**out)


def _validate_data(raw: dict) -> DataConfig:
    s = "data"
    out: dict[str, Any] = {}
    sources = [k for k in ("builtin", "csv", "inputs") if k in raw]
    if len(sources) > 1:
        raise SheetnetError(f"[data] give one of builtin, csv or inputs, not {' and '.join(sources)}")
    if "builtin" in raw:
        out["builtin"] = _choice(s, "builtin", raw["builtin"], BUILTIN_DATASETS)
    if "csv" in raw:
        if not isinstance(raw["csv"], str) or not raw["csv"]:
            raise SheetnetError(f"[data] csv must be a file path, got {raw['csv']!r}")
        out["csv"], out["builtin"] = raw["csv"], None
    if "inputs" in raw or "targets" in raw:
        if "inputs" not in raw or "targets" not in raw:
            raise SheetnetError("[data] inline data needs both inputs and targets")
        out["inputs"] = _matrix(s, "inputs", raw["inputs"], 2)
        out["targets"] = _matrix(s, "targets", raw["targets"], 2)
        out["builtin"] = None
    if "n" in raw:
        n = _number(s, "n", raw["n"], integer=True)
        if n < 1:
            raise SheetnetError(f"[data] n must be at least 1, got {n}")
        out["n"] = n
    if "noise" in raw:
        noise = _number(s, "noise", raw["noise"])
        if noise < 0:
            raise SheetnetError(f"[data] noise must be 0 or more, got {noise}")
        out["noise"] = noise
    if "test_fraction" in raw:
        fraction = _number(s, "test_fraction", raw["test_fraction"])
        if not 0 <= fraction < 1:
            raise SheetnetError(f"[data] test_fraction must be in [0, 1), got {fraction}")
        out["test_fraction"] = fraction
    if "held_out" in raw:
        held_out = _number(s, "held_out", raw["held_out"], integer=True)
        if held_out < 0:
            raise SheetnetError(f"[data] held_out must be 0 or more, got {held_out}")
        if held_out and out.get("test_fraction"):
            raise SheetnetError("[data] give test_fraction or held_out, not both")
        out["held_out"] = held_out
    if "features" in raw:
        features = raw["features"]
        if not isinstance(features, list) or not features:
            raise SheetnetError(f"[data] features must be a non-empty list, e.g. [\"x1\", \"x2\", \"x1*x2\"]; "
                                f"got {features!r}")
        out["features"] = tuple(_choice(s, "features", f, FEATURES) for f in features)
        if len(set(out["features"])) != len(out["features"]):
            raise SheetnetError(f"[data] features lists a feature twice: {features}")
    return DataConfig(**out, **conv.image_shape_key(raw))


def _validate_workbook(raw: dict) -> WorkbookConfig:
    out: dict[str, Any] = {}
    if "boundary_grid" in raw:
        grid = _number("workbook", "boundary_grid", raw["boundary_grid"], integer=True)
        if grid != 0 and not 2 <= grid <= 60:
            raise SheetnetError(f"[workbook] boundary_grid must be 0 (no boundary sheet) or 2 to 60, got {grid}")
        out["boundary_grid"] = grid
    if "gradient_check" in raw:
        out["gradient_check"] = _boolean("workbook", "gradient_check", raw["gradient_check"])
    if "compare_optimizers" in raw:
        out["compare_optimizers"] = _boolean("workbook", "compare_optimizers", raw["compare_optimizers"])
    if "lesson" in raw:
        if not isinstance(raw["lesson"], str):
            raise SheetnetError(f"[workbook] lesson must be text, got {raw['lesson']!r}")
        out["lesson"] = raw["lesson"]
        text.check_text("[workbook] lesson", raw["lesson"])
    if "tries" in raw:
        out["tries"] = _tries(raw["tries"])
    return WorkbookConfig(**out)


def _tries(raw: Any) -> tuple:
    """[[workbook.tries]]: change (a named cell or W<layer>), to (a number), see (a measure), why (optional)."""
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise SheetnetError("[workbook] tries must be a list of tables ([[workbook.tries]])")
    tries = []
    for item in raw:
        unknown = set(item) - {"change", "to", "see", "why"}
        if unknown:
            raise SheetnetError(f"[[workbook.tries]]: unknown key {sorted(unknown)[0]!r}; use change, to, see, why")
        if not isinstance(item.get("change"), str):
            raise SheetnetError("[[workbook.tries]] needs change = the name of a cell, e.g. \"learning_rate\"")
        to = _number("workbook.tries", "to", item.get("to"))
        see = _choice("workbook.tries", "see", item.get("see", "loss"), MEASURES)
        why = item.get("why", "")
        if not isinstance(why, str):
            raise SheetnetError(f"[[workbook.tries]] why must be text, got {why!r}")
        text.check_text("[[workbook.tries]] why", why)
        tries.append((RENAMED_CELLS.get(item["change"], item["change"]), to, see, why))
    return tuple(tries)


VALIDATORS = {
    "network": _validate_network,
    "training": _validate_training,
    "init": _validate_init,
    "data": _validate_data,
    "workbook": _validate_workbook,
}


# Words people use for a key, by meaning (difflib would offer l2 for lr): word -> (section, key)
SYNONYMS = {
    "lr": ("training", "learning_rate"), "rate": ("training", "learning_rate"), "eta": ("training", "learning_rate"),
    "epochs": ("training", "steps"), "iterations": ("training", "steps"), "iters": ("training", "steps"),
    "batch": ("training", "batch_size"), "minibatch": ("training", "batch_size"),
    "init": ("init", "scheme"), "initialization": ("init", "scheme"), "initialisation": ("init", "scheme"),
    "method": ("init", "scheme"), "layers": ("network", "sizes"), "shape": ("network", "sizes"),
    "hidden": ("network", "sizes"), "act": ("network", "activation"), "activations": ("network", "activation"),
    "samples": ("data", "n"), "size": ("data", "n"), "dataset": ("data", "builtin"), "file": ("data", "csv"),
}


def _unknown_key(section: str, key: str) -> str:
    """The message for a key [section] does not have: its meaning, the section it belongs to, or a near spelling."""
    if key in SYNONYMS:
        home, meant = SYNONYMS[key]
        return f"unknown key {key!r} in [{section}] (did you mean '{meant}'" + (
            "" if home == section else f" in [{home}]") + "?)"
    for other in SECTIONS:
        if other != section and key in _keys(other):
            return f"unknown key {key!r} in [{section}]: it belongs in [{other}]"
    return f"unknown key {key!r} in [{section}]{_suggest(key, _keys(section))}"


def _keys(section: str) -> set[str]:
    """The keys a user may write in [section]: the schema's fields, and in [training] the optimizers' and
    schedules' hyper-parameters."""
    fields = set(SECTIONS[section].__dataclass_fields__)
    return fields - {"options"} | set(option_hypers()) if section == "training" else fields


def check_keys(raw: dict) -> None:
    for section, body in raw.items():
        if section not in SECTIONS:
            raise SheetnetError(f"unknown section [{section}]{_suggest(section, SECTIONS)}")
        if not isinstance(body, dict):
            raise SheetnetError(f"[{section}] must be a table of keys")
        for key in body:
            if key not in _keys(section):
                raise SheetnetError(_unknown_key(section, key))


def _unused_options(cfg: Config) -> None:
    """A hyper-parameter of another optimizer or schedule would be ignored without a word: refuse it, naming whose
    it is (weight_decay belongs to adamw; with adam, an L2 penalty is l2)."""
    t = cfg.training
    used = used_option_keys(t.optimizer, t.schedule)
    for key, _ in t.options:
        if key in used:
            continue
        hint = " (for an L2 penalty use l2)" if key == "weight_decay" else ""
        raise SheetnetError(f"[training] {key} is a setting of {' and '.join(owners(key))}, not of optimizer = "
                            f"\"{t.optimizer}\" with schedule = \"{t.schedule}\": remove it or change those{hint}")


def check_consistent(cfg: Config) -> None:
    _unused_options(cfg)
    net = cfg.network
    n_hidden, conv_block = len(net.sizes) - 2, 1 if net.conv_filters else 0
    if len(net.activation) not in (1, n_hidden + conv_block):
        raise SheetnetError(f"[network] activation lists {len(net.activation)} names for {n_hidden} hidden layers"
                            + (" and the convolution (its activation first)" if conv_block else ""))
    if net.loss == "bce" and net.output != "sigmoid":
        raise SheetnetError("[network] loss = \"bce\" needs output = \"sigmoid\"")
    if net.loss == "cross_entropy" and net.output != "softmax":
        raise SheetnetError("[network] loss = \"cross_entropy\" needs output = \"softmax\"")
    if net.output == "softmax" and cfg.sizes_given and net.sizes[-1] < 2:
        raise SheetnetError("[network] output = \"softmax\" needs at least 2 outputs in sizes")
    if cfg.init.scheme == "explicit" and cfg.init.weights is None:
        raise SheetnetError("[init] scheme = \"explicit\" needs weights (and optionally biases)")
