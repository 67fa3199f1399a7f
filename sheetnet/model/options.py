"""The options a config may name, and the cells each one needs (the layout reads these).

Formulas for each option live in `sheetnet.units`; the numpy reference has its own maths. These
tables are only the shape: which state an optimizer keeps, which named cells it reads, which
per-step columns it adds to the Training sheet.
"""

from __future__ import annotations

HIDDEN_ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "elu", "softplus")
OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "softmax")
LOSSES = ("mse", "bce", "cross_entropy")
PER_SAMPLE_LOSSES = ("cross_entropy",)  # one loss term per sample (not per sample and output)

# optimizer -> the state it keeps per parameter (visible blocks beside W and b)
OPTIMIZER_STATES: dict[str, tuple[str, ...]] = {"sgd": (), "momentum": ("vel",), "adam": ("m", "v"), "rmsprop": ("v",),
                                                "adagrad": ("s",)}
# optimizer -> the named hyper-parameter cells it reads, besides learning_rate
OPTIMIZER_HYPER: dict[str, tuple[str, ...]] = {"sgd": (), "momentum": ("momentum",),
                                               "adam": ("beta_1", "beta_2", "epsilon"), "rmsprop": ("alpha", "epsilon"),
                                               "adagrad": ("epsilon",)}
# optimizer -> torch's default epsilon (used when the config names none)
DEFAULT_EPSILON: dict[str, float] = {"adam": 1e-8, "rmsprop": 1e-8, "adagrad": 1e-10}
# optimizer -> per-step cells it adds to the Training sheet
OPTIMIZER_COLUMNS: dict[str, tuple[str, ...]] = {"sgd": (), "momentum": (), "adam": ("bc1", "bc2"), "rmsprop": (),
                                                 "adagrad": ()}
OPTIMIZERS = tuple(OPTIMIZER_STATES)

# learning-rate schedule -> the named cells its rate formula reads, besides learning_rate
SCHEDULE_HYPER: dict[str, tuple[str, ...]] = {"constant": (), "step": ("step_size", "lr_gamma"),
                                              "exponential": ("lr_gamma",), "cosine": ()}
SCHEDULES = tuple(SCHEDULE_HYPER)
DEFAULT_GAMMA: dict[str, float] = {"step": 0.5, "exponential": 0.99}
CLIP_EPSILON = 1e-6  # torch.nn.utils.clip_grad_norm_: factor = max_norm / (total_norm + 1e-6)
BN_MOMENTUM = 0.1  # torch.nn.BatchNorm1d: running = (1 - 0.1) running + 0.1 batch statistic

# Batch normalization of a hidden layer: its trained scale and shift (one per neuron), their starting values,
# and the running statistics evaluation mode uses (torch's initial buffers: mean 0, variance 1).
NORM_PARAMETERS = ("gamma", "beta")
NORM_START = {"gamma": 1.0, "beta": 0.0, "rmean": 0.0, "rvar": 1.0}
TRAINED = ("W", "b", *NORM_PARAMETERS)  # every trained kind of parameter: its state kinds are "<state>_<kind>"


def state_of(kind: str) -> tuple[str, str] | None:
    """(state, parameter) of an optimizer-state kind such as m_W or v_gamma; None for any other kind."""
    state, _, param = kind.rpartition("_")
    if state and param in TRAINED and state in {name for states in OPTIMIZER_STATES.values() for name in states}:
        return state, param
    return None

# input features of 2-input data, computed from the raw inputs x1 and x2 (as the TensorFlow Playground offers)
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")

# activations with helper blocks before their output (a whole row at a time)
ROW_ACTIVATIONS = {"softmax": ("max", "exp", "sum")}

# Named cells renamed so that no engine reads them as a cell address (HyperFormula takes "beta1" for one):
# the old names, as earlier configs' [[workbook.tries]] give them, mean the new cells.
RENAMED_CELLS = {"beta1": "beta_1", "beta2": "beta_2"}
