"""Optimizers: their state cells, the update, the per-step columns they need, notes and torch.

`c.old` is the parameter before the update, `c.g` its gradient (a parenthesised product when gradients are
clipped), `c.lr` the step's learning rate (a named cell, or the schedule's cell on the Training sheet),
`c.prev` the state's previous value, `c.state[name]` a state cell of this step and
`c.column[name]` one of the Training sheet's per-step cells (Adam's bias corrections).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class State:
    """One optimizer state kept per parameter (velocity, moments): visible cells, updated every step."""

    name: str
    title: str  # the header above its block
    first: Callable  # (cells) -> its value at step 1 (it starts at 0)
    next: Callable  # (cells) -> its value from c.prev and c.g
    note: str


@dataclass(frozen=True)
class Column:
    """A per-step cell on the Training sheet, from the named hyper-parameters and the step number."""

    name: str
    header: str
    formula: Callable[[str], str]  # (step cell) -> formula
    note: str


@dataclass(frozen=True)
class Optimizer:
    name: str
    states: tuple[State, ...]
    update: Callable  # (cells) -> the new parameter
    update_note: str
    columns: tuple[Column, ...]
    torch: Callable  # (parameters, hyper-parameters) -> a torch.optim optimizer


def _optim():
    import torch

    return torch.optim


SGD = Optimizer(
    "sgd", (),
    update=lambda c: f"{c.old}-{c.lr}*{c.g}",
    update_note="Gradient descent update: new parameter = old - learning_rate * gradient (previous step's block).",
    columns=(),
    torch=lambda params, hyper: _optim().SGD(params, lr=hyper["learning_rate"]),
)

VELOCITY = State(
    "vel", "vel",
    first=lambda c: c.g,
    next=lambda c: f"momentum*{c.prev}+{c.g}",
    note="Velocity (momentum): v = momentum * v_previous + gradient; v starts at 0 (torch.optim.SGD).",
)

MOMENTUM = Optimizer(
    "momentum", (VELOCITY,),
    update=lambda c: f"{c.old}-{c.lr}*{c.state['vel']}",
    update_note="Momentum update: new parameter = old - learning_rate * velocity.",
    columns=(),
    torch=lambda params, hyper: _optim().SGD(params, lr=hyper["learning_rate"], momentum=hyper["momentum"]),
)

FIRST_MOMENT = State(
    "m", "m",
    first=lambda c: f"(1-beta_1)*{c.g}",
    next=lambda c: f"beta_1*{c.prev}+(1-beta_1)*{c.g}",
    note="Adam first moment: m = beta_1 * m_previous + (1 - beta_1) * gradient; m starts at 0.",
)

SECOND_MOMENT = State(
    "v", "v",
    first=lambda c: f"(1-beta_2)*{c.g}^2",
    next=lambda c: f"beta_2*{c.prev}+(1-beta_2)*{c.g}^2",
    note="Adam second moment: v = beta_2 * v_previous + (1 - beta_2) * gradient^2; v starts at 0.",
)

BIAS_NOTE = "Adam bias correction at step t: 1 - beta^t; it undoes the moments' start at 0."

ADAM = Optimizer(
    "adam", (FIRST_MOMENT, SECOND_MOMENT),
    update=lambda c: (f"{c.old}-{c.lr}*({c.state['m']}/{c.column['bc1']})"
                      f"/(SQRT({c.state['v']}/{c.column['bc2']})+epsilon)"),
    update_note="Adam update: new = old - learning_rate * (m / (1 - beta_1^t)) / (sqrt(v / (1 - beta_2^t)) + epsilon), "
                "with the bias corrections from the Training sheet.",
    columns=(Column("bc1", "1-β1^t", lambda step: f"1-beta_1^{step}", BIAS_NOTE),
             Column("bc2", "1-β2^t", lambda step: f"1-beta_2^{step}", BIAS_NOTE)),
    torch=lambda params, hyper: _optim().Adam(params, lr=hyper["learning_rate"],
                                              betas=(hyper["beta_1"], hyper["beta_2"]), eps=hyper["epsilon"]),
)

SQUARE_AVERAGE = State(
    "v", "v",
    first=lambda c: f"(1-alpha)*{c.g}^2",
    next=lambda c: f"alpha*{c.prev}+(1-alpha)*{c.g}^2",
    note="RMSProp's running average of squared gradients: v = alpha * v_previous + (1 - alpha) * gradient^2; "
         "v starts at 0 (torch.optim.RMSprop).",
)

RMSPROP = Optimizer(
    "rmsprop", (SQUARE_AVERAGE,),
    update=lambda c: f"{c.old}-{c.lr}*{c.g}/(SQRT({c.state['v']})+epsilon)",
    update_note="RMSProp update: new = old - learning_rate * gradient / (sqrt(v) + epsilon): each parameter's step "
                "is divided by the recent size of its gradients (Adam is RMSProp plus momentum).",
    columns=(),
    torch=lambda params, hyper: _optim().RMSprop(params, lr=hyper["learning_rate"], alpha=hyper["alpha"],
                                                 eps=hyper["epsilon"]),
)

SQUARE_SUM = State(
    "s", "s",
    first=lambda c: f"{c.g}^2",
    next=lambda c: f"{c.prev}+{c.g}^2",
    note="AdaGrad's sum of every squared gradient so far: s = s_previous + gradient^2; s starts at 0 "
         "(torch.optim.Adagrad). It only grows, so every parameter's steps shrink.",
)

ADAGRAD = Optimizer(
    "adagrad", (SQUARE_SUM,),
    update=lambda c: f"{c.old}-{c.lr}*{c.g}/(SQRT({c.state['s']})+epsilon)",
    update_note="AdaGrad update: new = old - learning_rate * gradient / (sqrt(s) + epsilon), s the sum of all "
                "squared gradients so far: parameters with large past gradients take smaller steps.",
    columns=(),
    torch=lambda params, hyper: _optim().Adagrad(params, lr=hyper["learning_rate"], eps=hyper["epsilon"]),
)

OPTIMIZERS: dict[str, Optimizer] = {unit.name: unit for unit in (SGD, MOMENTUM, ADAM, RMSPROP, ADAGRAD)}
