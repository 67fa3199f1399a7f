"""The optimizers in numpy: each record's own numpy update (model.optimizers), one parameter array at a time.

The reference takes from a record only its numpy side (`step`, a column's `value`, a schedule's `rate`), never a
formula: tests/test_structure.py holds the reference to that.
"""

from __future__ import annotations

import numpy as np

from sheetnet.model.optimizers import WEIGHT_KINDS, optimizer
from sheetnet.model.schedules import schedule

CLIP_EPSILON = 1e-6  # torch.nn.utils.clip_grad_norm_ divides max_norm by (total norm + 1e-6)


def scheduled_rate(name: str, hyper: dict, k: int, steps: int) -> float:
    """The learning rate of update k -> k+1: torch's StepLR, ExponentialLR or CosineAnnealingLR after k steps."""
    return schedule(name).rate(hyper, k, steps)


def clip_factor(grads: list[np.ndarray], max_norm: float) -> tuple[float, float]:
    """(total 2-norm of all gradients, the factor min(1, max_norm / (norm + 1e-6)) that clips them)."""
    total = float(np.sqrt(sum(float((g * g).sum()) for g in grads)))
    return total, min(1.0, max_norm / (total + CLIP_EPSILON))


class Optimizer:
    """Keeps each parameter's state (velocity, moments) by name and applies one update."""

    def __init__(self, kind: str, hyper: dict):
        self.record = optimizer(kind)  # an unknown name is an error here, never another optimizer's update
        self.hyper = hyper
        self.state: dict[tuple[str, str], np.ndarray] = {}  # (state, parameter name) -> value

    def step(self, name: str, param: np.ndarray, grad: np.ndarray, t: int, lr: float | None = None
             ) -> tuple[np.ndarray, dict]:
        """The updated parameter `name` (kind and layer, such as W2) after update number `t` (from 1) at rate `lr`
        (the learning rate when None), and its new state by state name."""
        lr = self.hyper["learning_rate"] if lr is None else lr
        previous = {state.name: self.state[(state.name, name)] for state in self.record.states
                    if (state.name, name) in self.state}
        new, state = self.record.step(param, grad, previous, self.hyper, lr, t, name.rstrip("0123456789")
                                      in WEIGHT_KINDS)
        for state_name, value in state.items():
            self.state[(state_name, name)] = value
        return new, state

    def columns(self, t: int) -> dict[str, float]:
        """The Training sheet's per-step cells of update number `t` (Adam's bias corrections)."""
        return {column.name: column.value(self.hyper, t) for column in self.record.columns}
