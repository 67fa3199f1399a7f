"""Learning-rate schedules, one record each: hyper-parameters, the rate as a formula of the named cells, the same
rate in numpy, a note and torch's scheduler.

`formula(k, steps)` takes the step-number cell k (the update k -> k+1 uses this rate) and the number of steps;
`rate(hyper, k, steps)` is the same number in numpy. Each equals what the torch scheduler gives after k calls of
scheduler.step(). An unknown name is an error (`schedule`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sheetnet.errors import SheetnetError
from sheetnet.model.hyper import Hyper


@dataclass(frozen=True)
class Schedule:
    name: str
    hyper: tuple[Hyper, ...]  # besides learning_rate
    formula: Callable[[str, int], str]  # (step cell, steps) -> the step's learning rate
    rate: Callable[[dict, int, int], float]  # (hyper-parameters, k, steps) -> the same rate, in numpy
    note: str
    torch: Callable | None  # (optimizer, hyper-parameters, steps) -> a torch.optim.lr_scheduler scheduler

    def hyper_value(self, key: str) -> Hyper | None:
        """This schedule's hyper-parameter of config key `key`."""
        return next((h for h in self.hyper if h.key == key), None)


def _schedulers():
    import torch

    return torch.optim.lr_scheduler


def _gamma(default: float) -> Hyper:
    return Hyper("lr_gamma", "gamma", default, "schedule: the factor the learning rate is multiplied by (every "
                 "step_size steps, or every step)", "positive")


STEP_SIZE = Hyper("step_size", "step_size", 50, "step schedule: the rate is multiplied by lr_gamma every step_size "
                  "steps", "count", integer=True)

CONSTANT = Schedule("constant", (), lambda k, steps: "learning_rate", lambda hyper, k, steps: hyper["learning_rate"],
                    "The learning rate is the same at every step.", None)
STEP = Schedule(
    "step", (STEP_SIZE, _gamma(0.5)), lambda k, steps: f"learning_rate*lr_gamma^INT({k}/step_size)",
    lambda hyper, k, steps: hyper["learning_rate"] * hyper["lr_gamma"] ** np.floor(k / hyper["step_size"]),
    "Step schedule: the rate is multiplied by lr_gamma every step_size steps: learning_rate * "
    "lr_gamma^INT(k / step_size) (torch StepLR).",
    lambda optimizer, hyper, steps: _schedulers().StepLR(optimizer, step_size=int(hyper["step_size"]),
                                                         gamma=hyper["lr_gamma"]),
)
EXPONENTIAL = Schedule(
    "exponential", (_gamma(0.99),), lambda k, steps: f"learning_rate*lr_gamma^{k}",
    lambda hyper, k, steps: hyper["learning_rate"] * hyper["lr_gamma"] ** k,
    "Exponential schedule: the rate shrinks by the factor lr_gamma every step: learning_rate * lr_gamma^k "
    "(torch ExponentialLR).",
    lambda optimizer, hyper, steps: _schedulers().ExponentialLR(optimizer, gamma=hyper["lr_gamma"]),
)
COSINE = Schedule(
    "cosine", (), lambda k, steps: f"learning_rate*(1+COS(PI()*{k}/{steps}))/2",
    lambda hyper, k, steps: hyper["learning_rate"] * (1.0 + np.cos(np.pi * k / steps)) / 2.0,
    "Cosine schedule: the rate falls from learning_rate to 0 along half a cosine over the run: "
    "learning_rate * (1 + cos(pi * k / steps)) / 2 (torch CosineAnnealingLR, T_max = steps, eta_min = 0).",
    lambda optimizer, hyper, steps: _schedulers().CosineAnnealingLR(optimizer, T_max=steps, eta_min=0.0),
)

SCHEDULES: dict[str, Schedule] = {unit.name: unit for unit in (CONSTANT, STEP, EXPONENTIAL, COSINE)}


def schedule(name: str) -> Schedule:
    """The record of schedule `name`; an unknown name is an error."""
    if name not in SCHEDULES:
        raise SheetnetError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
    return SCHEDULES[name]
