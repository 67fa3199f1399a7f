"""The optimizers in numpy, as torch.optim defines them: one update of one parameter array at a time."""

from __future__ import annotations

import numpy as np

STATES = {"sgd": (), "momentum": ("vel",), "adam": ("m", "v"), "rmsprop": ("v",), "adagrad": ("s",)}
CLIP_EPSILON = 1e-6  # torch.nn.utils.clip_grad_norm_ divides max_norm by (total norm + 1e-6)


def scheduled_rate(schedule: str, hyper: dict, k: int, steps: int) -> float:
    """The learning rate of update k -> k+1: torch's StepLR, ExponentialLR or CosineAnnealingLR after k steps."""
    lr = hyper["learning_rate"]
    if schedule == "step":
        return lr * hyper["lr_gamma"] ** np.floor(k / hyper["step_size"])
    if schedule == "exponential":
        return lr * hyper["lr_gamma"] ** k
    if schedule == "cosine":
        return lr * (1.0 + np.cos(np.pi * k / steps)) / 2.0
    return lr


def clip_factor(grads: list[np.ndarray], max_norm: float) -> tuple[float, float]:
    """(total 2-norm of all gradients, the factor min(1, max_norm / (norm + 1e-6)) that clips them)."""
    total = float(np.sqrt(sum(float((g * g).sum()) for g in grads)))
    return total, min(1.0, max_norm / (total + CLIP_EPSILON))


class Optimizer:
    """Keeps each parameter's state (velocity, moments) by name and applies one update."""

    def __init__(self, kind: str, hyper: dict):
        self.kind = kind
        self.hyper = hyper
        self.state: dict[tuple[str, str], np.ndarray] = {}  # (state, parameter name) -> value

    def step(self, name: str, param: np.ndarray, grad: np.ndarray, t: int, lr: float | None = None
             ) -> tuple[np.ndarray, dict]:
        """The updated parameter after update number `t` (from 1) at rate `lr` (the learning rate when None),
        and its new state by state name."""
        lr = self.hyper["learning_rate"] if lr is None else lr
        if self.kind == "sgd":
            return param - lr * grad, {}
        if self.kind == "momentum":
            velocity = self.hyper["momentum"] * self.state.get(("vel", name), 0.0) + grad
            self.state[("vel", name)] = velocity
            return param - lr * velocity, {"vel": velocity}
        if self.kind == "rmsprop":
            alpha = self.hyper["alpha"]
            v = alpha * self.state.get(("v", name), 0.0) + (1 - alpha) * grad * grad
            self.state[("v", name)] = v
            return param - lr * grad / (np.sqrt(v) + self.hyper["epsilon"]), {"v": v}
        if self.kind == "adagrad":
            total = self.state.get(("s", name), 0.0) + grad * grad
            self.state[("s", name)] = total
            return param - lr * grad / (np.sqrt(total) + self.hyper["epsilon"]), {"s": total}
        b1, b2, eps = self.hyper["beta_1"], self.hyper["beta_2"], self.hyper["epsilon"]
        m = b1 * self.state.get(("m", name), 0.0) + (1 - b1) * grad
        v = b2 * self.state.get(("v", name), 0.0) + (1 - b2) * grad * grad
        self.state[("m", name)], self.state[("v", name)] = m, v
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        return param - lr * (m / bc1) / (np.sqrt(v / bc2) + eps), {"m": m, "v": v}

    def columns(self, t: int) -> dict[str, float]:
        """The Training sheet's per-step cells of update number `t` (Adam's bias corrections)."""
        if self.kind != "adam":
            return {}
        return {"bc1": 1 - self.hyper["beta_1"] ** t, "bc2": 1 - self.hyper["beta_2"] ** t}
