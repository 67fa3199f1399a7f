"""The words above the numbers: neuron names and the column headers of every band."""

from __future__ import annotations

from sheetnet.model.optimizers import OPTIMIZERS
from sheetnet.model.options import TRAINED, state_of
from sheetnet.model.problem import Structure

BAND_LEGEND = ("Colours: yellow = yours to edit, blue = forward pass, orange = loss, green = gradients, "
               "purple = updated parameters, grey = optimizer state. Each kind of formula has a note (red corner).")


def penalty_words(structure: Structure) -> str:
    """The penalty the training loss carries ("L2", "L1", "L1 + L2"), or "" without one."""
    return " + ".join(name for name, on in (("L1", structure.use_l1), ("L2", structure.use_l2)) if on)


def neuron_names(structure: Structure, layer: int) -> list[str]:
    """Names of layer `layer`'s neurons (layer 0: the inputs; the output layer: its targets' names)."""
    s = structure
    if layer == 0 and s.conv:  # the pooled maps the dense layers read: filter, row, column
        rows, cols = s.pooled_shape
        return [f"f{f + 1}({r + 1},{c + 1})" for f in range(s.conv_filters) for r in range(rows) for c in range(cols)]
    if layer == 0:
        return list(s.input_names)
    if layer == s.n_layers:
        return list(s.target_names)
    prefix = "h" if s.n_layers == 2 else f"h{layer}."
    return [f"{prefix}{j + 1}" for j in range(s.width(layer))]


def row_names(structure: Structure, layer: int) -> list[str]:
    """What each row of a parameter band is: a hidden neuron, or the output (ŷ, or ŷ of each class)."""
    names = neuron_names(structure, layer)
    if layer < structure.n_layers:
        return names
    return ["ŷ"] if len(names) == 1 else [f"ŷ {name}" for name in names]


def _output(structure: Structure, prefix: str, names: list[str]) -> list[str]:
    """Column names of an output quantity: just the prefix when there is one output."""
    return [prefix] if len(names) == 1 else [f"{prefix} {name}" for name in names]


def column_headers(structure: Structure, kind: str, layer: int) -> list[str]:
    """One short header per column of a block: short enough for its column, saying what each holds."""
    s = structure
    if kind.startswith("te_"):
        return column_headers(s, kind[3:], layer)
    inputs, neurons = neuron_names(s, layer - 1), neuron_names(s, layer)
    output = layer == s.n_layers
    states = {f"{state.name}_{p}": state.title for state in OPTIMIZERS[s.optimizer].states for p in TRAINED}
    if kind in PER_NEURON:  # one column of a batch-normalised layer's parameters band
        return [PER_NEURON[kind]]
    if kind == "W":
        return [f"W·{name}" for name in inputs]
    if kind == "dW":
        return [f"dL/dW·{name}" for name in inputs]
    if kind in ("b", "db"):
        return ["b" if kind == "b" else "dL/db"]
    if kind in states:
        title = states[kind]
        param = state_of(kind)[1]
        if param == "W":
            return [f"{title} W·{name}" for name in inputs]
        return [f"{title} {PER_NEURON.get(param, param)}"]
    if kind == "x":
        return list(inputs)
    if kind == "dx":
        return [f"dL/d{name}" for name in inputs]
    if kind in ("max", "sum"):
        return ["max z" if kind == "max" else "sum exp"]
    if kind == "correct":
        return ["right?"]
    if kind == "loss_terms":
        return ["loss"] if s.loss == "cross_entropy" else _output(s, "loss", neurons)
    if output and kind in ("z", "a", "y", "exp", "dA", "dz"):
        prefix = {"z": "z", "a": "ŷ", "y": "y", "exp": "exp", "dA": "dL/dŷ", "dz": "dL/dz"}[kind]
        return _output(s, prefix, neurons)
    prefix = {"z": "z", "a": "a", "exp": "exp", "mask": "mask", "ad": "a·mask", "dA": "dL/da", "dz": "dL/dz",
              "zc": "z-μ", "zhat": "ẑ", "zbn": "γẑ+β", "dzbn": "dL/dbn"}[kind]
    return [f"{prefix} {name}" for name in neurons]


PER_NEURON = {"gamma": "γ", "beta": "β", "dgamma": "dL/dγ", "dbeta": "dL/dβ", "mu": "batch μ", "var": "batch σ²",
              "rmean": "running μ", "rvar": "running σ²"}


def plural(count: int, word: str) -> str:
    """'1 sample', '4 samples'."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")
