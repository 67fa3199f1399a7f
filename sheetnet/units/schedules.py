"""Learning-rate schedules: the rate of each step as a formula of the named cells, a note, and torch's scheduler.

`formula(k, steps)` takes the step-number cell k (the update k -> k+1 uses this rate) and the number of steps.
Each equals what the torch scheduler gives after k calls of scheduler.step().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    name: str
    formula: Callable[[str, int], str]  # (step cell, steps) -> the step's learning rate
    note: str
    torch: Callable  # (optimizer, hyper-parameters, steps) -> a torch.optim.lr_scheduler scheduler


def _schedulers():
    import torch

    return torch.optim.lr_scheduler


STEP = Schedule(
    "step", lambda k, steps: f"learning_rate*lr_gamma^INT({k}/step_size)",
    "Step schedule: the rate is multiplied by lr_gamma every step_size steps: learning_rate * "
    "lr_gamma^INT(k / step_size) (torch StepLR).",
    lambda optimizer, hyper, steps: _schedulers().StepLR(optimizer, step_size=int(hyper["step_size"]),
                                                         gamma=hyper["lr_gamma"]),
)
EXPONENTIAL = Schedule(
    "exponential", lambda k, steps: f"learning_rate*lr_gamma^{k}",
    "Exponential schedule: the rate shrinks by the factor lr_gamma every step: learning_rate * lr_gamma^k "
    "(torch ExponentialLR).",
    lambda optimizer, hyper, steps: _schedulers().ExponentialLR(optimizer, gamma=hyper["lr_gamma"]),
)
COSINE = Schedule(
    "cosine", lambda k, steps: f"learning_rate*(1+COS(PI()*{k}/{steps}))/2",
    "Cosine schedule: the rate falls from learning_rate to 0 along half a cosine over the run: "
    "learning_rate * (1 + cos(pi * k / steps)) / 2 (torch CosineAnnealingLR, T_max = steps, eta_min = 0).",
    lambda optimizer, hyper, steps: _schedulers().CosineAnnealingLR(optimizer, T_max=steps, eta_min=0.0),
)

SCHEDULES: dict[str, Schedule] = {unit.name: unit for unit in (STEP, EXPONENTIAL, COSINE)}
