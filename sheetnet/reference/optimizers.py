"""The optimizers in numpy, as torch.optim defines them: one update of one parameter array at a time."""

from __future__ import annotations

import numpy as np

STATES = {"sgd": (), "momentum": ("vel",), "adam": ("m", "v")}


class Optimizer:
    """Keeps each parameter's state (velocity, moments) by name and applies one update."""

    def __init__(self, kind: str, hyper: dict):
        self.kind = kind
        self.hyper = hyper
        self.state: dict[tuple[str, str], np.ndarray] = {}  # (state, parameter name) -> value

    def step(self, name: str, param: np.ndarray, grad: np.ndarray, t: int) -> tuple[np.ndarray, dict]:
        """The updated parameter after update number `t` (from 1), and its new state by state name."""
        lr = self.hyper["learning_rate"]
        if self.kind == "sgd":
            return param - lr * grad, {}
        if self.kind == "momentum":
            velocity = self.hyper["momentum"] * self.state.get(("vel", name), 0.0) + grad
            self.state[("vel", name)] = velocity
            return param - lr * velocity, {"vel": velocity}
        b1, b2, eps = self.hyper["beta1"], self.hyper["beta2"], self.hyper["epsilon"]
        m = b1 * self.state.get(("m", name), 0.0) + (1 - b1) * grad
        v = b2 * self.state.get(("v", name), 0.0) + (1 - b2) * grad * grad
        self.state[("m", name)], self.state[("v", name)] = m, v
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        return param - lr * (m / bc1) / (np.sqrt(v / bc2) + eps), {"m": m, "v": v}

    def columns(self, t: int) -> dict[str, float]:
        """The Training sheet's per-step cells of update number `t` (Adam's bias corrections)."""
        if self.kind != "adam":
            return {}
        return {"bc1": 1 - self.hyper["beta1"] ** t, "bc2": 1 - self.hyper["beta2"] ** t}
