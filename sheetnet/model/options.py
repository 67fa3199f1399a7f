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
OPTIMIZER_STATES: dict[str, tuple[str, ...]] = {"sgd": (), "momentum": ("vel",), "adam": ("m", "v")}
# optimizer -> the named hyper-parameter cells it reads, besides learning_rate
OPTIMIZER_HYPER: dict[str, tuple[str, ...]] = {"sgd": (), "momentum": ("momentum",),
                                               "adam": ("beta1", "beta2", "epsilon")}
# optimizer -> per-step cells it adds to the Training sheet
OPTIMIZER_COLUMNS: dict[str, tuple[str, ...]] = {"sgd": (), "momentum": (), "adam": ("bc1", "bc2")}
OPTIMIZERS = tuple(OPTIMIZER_STATES)

# input features of 2-input data, computed from the raw inputs x1 and x2 (as the TensorFlow Playground offers)
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")

# activations with helper blocks before their output (a whole row at a time)
ROW_ACTIVATIONS = {"softmax": ("max", "exp", "sum")}
