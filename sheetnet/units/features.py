"""Input features, as the TensorFlow Playground offers them: each a formula of the raw inputs x1 and x2,
with its torch definition (for the oracle test)."""

from __future__ import annotations

FEATURE_FORMULAS = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: f"{x1}^2",
    "x2^2": lambda x1, x2: f"{x2}^2",
    "x1*x2": lambda x1, x2: f"{x1}*{x2}",
    "sin(x1)": lambda x1, x2: f"SIN({x1})",
    "sin(x2)": lambda x1, x2: f"SIN({x2})",
}


def _torch():
    import torch

    return torch


FEATURE_TORCH = {
    "x1": lambda x: x[:, 0], "x2": lambda x: x[:, 1], "x1^2": lambda x: x[:, 0] ** 2, "x2^2": lambda x: x[:, 1] ** 2,
    "x1*x2": lambda x: x[:, 0] * x[:, 1], "sin(x1)": lambda x: _torch().sin(x[:, 0]),
    "sin(x2)": lambda x: _torch().sin(x[:, 1]),
}

FEATURES_NOTE = ("Features: what the network is fed, computed from the raw inputs x1 and x2 (edit those: the "
                 "features follow). A product or a square lets even a network with no hidden layer draw a curved "
                 "boundary, as in the TensorFlow Playground.")
