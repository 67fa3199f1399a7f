"""The options a config may name, and the cells each one needs (the layout reads these).

Formulas for activations and losses live in `sheetnet.units`, the numpy reference has its own maths; optimizers
and schedules are one record each (formula, numpy and torch together) in `model.optimizers` and `model.schedules`.
"""

from __future__ import annotations

from sheetnet.model.hyper import GENERAL, Hyper
from sheetnet.model.optimizers import OPTIMIZERS as OPTIMIZER_RECORDS
from sheetnet.model.optimizers import STATE_NAMES
from sheetnet.model.schedules import SCHEDULES as SCHEDULE_RECORDS

HIDDEN_ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "elu", "softplus")
OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "softmax")
LOSSES = ("mse", "bce", "cross_entropy")
PER_SAMPLE_LOSSES = ("cross_entropy",)  # one loss term per sample (not per sample and output)

# The optimizers and schedules a config may name: one record each (model.optimizers, model.schedules).
OPTIMIZERS = tuple(OPTIMIZER_RECORDS)
COLUMN_NAMES = tuple(dict.fromkeys(column.name for unit in OPTIMIZER_RECORDS.values() for column in unit.columns))
SCHEDULES = tuple(SCHEDULE_RECORDS)
CLIP_EPSILON = 1e-6  # torch.nn.utils.clip_grad_norm_: factor = max_norm / (total_norm + 1e-6)

# Batch normalization of a hidden layer: its trained scale and shift (one per neuron), their starting values,
# and the running statistics evaluation mode uses (torch's initial buffers: mean 0, variance 1).
NORM_PARAMETERS = ("gamma", "beta")
NORM_START = {"gamma": 1.0, "beta": 0.0, "rmean": 0.0, "rvar": 1.0}
CONV_PARAMETERS = ("K", "kb")  # a convolution's kernels and their biases
# every trained kind of parameter: its state kinds are "<state>_<kind>"
TRAINED = ("W", "b", *NORM_PARAMETERS, *CONV_PARAMETERS)


def state_of(kind: str) -> tuple[str, str] | None:
    """(state, parameter) of an optimizer-state kind such as m_W or v_gamma; None for any other kind."""
    state, _, param = kind.rpartition("_")
    if state and param in TRAINED and state in STATE_NAMES:
        return state, param
    return None

# input features of 2-input data, computed from the raw inputs x1 and x2 (as the TensorFlow Playground offers)
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")

# activations with helper blocks before their output (a whole row at a time)
ROW_ACTIVATIONS = {"softmax": ("max", "exp", "sum")}

# Named cells renamed so that no engine reads them as a cell address (HyperFormula takes "beta1" for one):
# the old names, as earlier configs' [[workbook.tries]] give them, mean the new cells.
RENAMED_CELLS = {"beta1": "beta_1", "beta2": "beta_2"}


def option_hypers() -> dict[str, Hyper]:
    """Config key -> a hyper-parameter record of the optimizers and schedules (for validation: a key such as
    epsilon, which several optimizers share with different defaults, has one rule)."""
    found: dict[str, Hyper] = {}
    for record in (*OPTIMIZER_RECORDS.values(), *SCHEDULE_RECORDS.values()):
        for hyper in record.hyper:
            found.setdefault(hyper.key, hyper)
    return found


def hyper_records(optimizer: str, schedule: str) -> dict[str, Hyper]:
    """Named cell -> record of every hyper-parameter a workbook with this optimizer and schedule may show."""
    records = (*GENERAL, *OPTIMIZER_RECORDS[optimizer].hyper, *SCHEDULE_RECORDS[schedule].hyper)
    return {hyper.cell: hyper for hyper in records}


def used_option_keys(optimizer: str, schedule: str) -> set[str]:
    """The config keys of the hyper-parameters this optimizer and schedule read (a key of another one is unused)."""
    return {hyper.key for hyper in (*OPTIMIZER_RECORDS[optimizer].hyper, *SCHEDULE_RECORDS[schedule].hyper)}


def owners(key: str) -> list[str]:
    """The optimizers and schedules that have a hyper-parameter of config key `key`."""
    return [name for name, record in (*OPTIMIZER_RECORDS.items(), *SCHEDULE_RECORDS.items())
            if record.hyper_value(key) is not None]


def state_names(optimizer: str) -> tuple[str, ...]:
    """The states an optimizer keeps per parameter (visible blocks beside W and b)."""
    return tuple(state.name for state in OPTIMIZER_RECORDS[optimizer].states)


def column_names(optimizer: str) -> tuple[str, ...]:
    """The per-step cells an optimizer adds to the Training sheet."""
    return tuple(column.name for column in OPTIMIZER_RECORDS[optimizer].columns)
