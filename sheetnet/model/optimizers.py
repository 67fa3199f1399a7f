"""Optimizers, one record each, as torch.optim keeps them: hyper-parameters with their defaults and named cells,
the state kept per parameter, the update as a spreadsheet formula, the same update in numpy, and torch's class.

The formula and the numpy update are two independent writings of one rule: the sheets write the formula, the
reference runs the numpy function (and never reads a formula), the check compares the two, and torch checks the
numpy function. Adding an optimizer is adding one record here; an unknown name is an error (`optimizer`).

Formula arguments `c`: `c.old` the parameter before the update, `c.g` its gradient (a parenthesised product when
gradients are clipped), `c.lr` the step's learning rate (a named cell, or the schedule's cell on the Training
sheet), `c.weight` whether the parameter is a weight (not a bias, gamma or beta), `c.prev` a state's previous
value, `c.state[name]` a state cell of this step, `c.column[name]` a per-step cell of the Training sheet.

numpy arguments: `step(param, grad, state, hyper, lr, t, weight)` -> (new parameter, new state by name); `state`
holds the previous values (empty before the first update, when every state is 0), `t` counts updates from 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sheetnet.errors import SheetnetError
from sheetnet.model.hyper import Hyper

WEIGHT_KINDS = ("W", "K")  # the parameters that are weights (K: convolution kernels): AdamW decays them


@dataclass(frozen=True)
class State:
    """One optimizer state kept per parameter (velocity, moments): visible cells, updated every step."""

    name: str
    title: str  # the header above its block
    words: str  # what it is, for the check's report ("first moment")
    first_formula: Callable  # (cells) -> its formula at step 1 (it starts at 0)
    next_formula: Callable  # (cells) -> its formula from c.prev and c.g
    note: str


@dataclass(frozen=True)
class Column:
    """A per-step cell on the Training sheet, from the named hyper-parameters and the step number."""

    name: str
    header: str
    words: str  # what it is, for the check's report
    formula: Callable[[str], str]  # (step cell) -> formula
    value: Callable[[dict, int], float]  # (hyper-parameters, update number t) -> its value, in numpy
    note: str


@dataclass(frozen=True)
class Optimizer:
    name: str
    summary: str  # one line: what it does, for help texts
    hyper: tuple[Hyper, ...]  # besides learning_rate
    states: tuple[State, ...]
    columns: tuple[Column, ...]
    update_formula: Callable  # (cells) -> the new parameter's formula
    update_note: str
    step: Callable  # the same update in numpy (see the module's docstring)
    torch: Callable  # (weights, other parameters, hyper-parameters) -> a torch.optim optimizer

    def hyper_value(self, key: str) -> Hyper | None:
        """This optimizer's hyper-parameter of config key `key`."""
        return next((h for h in self.hyper if h.key == key), None)


def _optim():
    import torch

    return torch.optim


def _one_group(make: Callable) -> Callable:
    """torch's optimizer over every trained parameter, when it treats weights and the rest alike."""
    return lambda weights, others, hyper: make([*weights, *others], hyper)


def _epsilon(default: float) -> Hyper:
    return Hyper("epsilon", "epsilon", default, "added to the update's denominator so it is never 0 (torch's "
                 "default: 1e-8, AdaGrad 1e-10)", "positive")


BETA_1 = Hyper("beta_1", "beta1", 0.9, "Adam: decay of the first moment (mean of gradients)", "fraction")
BETA_2 = Hyper("beta_2", "beta2", 0.999, "Adam: decay of the second moment (mean of squared gradients)", "fraction")


def _sgd_step(param, grad, state, hyper, lr, t, weight):
    return param - lr * grad, {}


SGD = Optimizer(
    "sgd", "plain gradient descent", (), (), (),
    update_formula=lambda c: f"{c.old}-{c.lr}*{c.g}",
    update_note="Gradient descent update: new parameter = old - learning_rate * gradient (previous step's block).",
    step=_sgd_step,
    torch=_one_group(lambda params, hyper: _optim().SGD(params, lr=hyper["learning_rate"])),
)


def _momentum_step(param, grad, state, hyper, lr, t, weight):
    velocity = hyper["momentum"] * state.get("vel", 0.0) + grad
    return param - lr * velocity, {"vel": velocity}


MOMENTUM = Optimizer(
    "momentum", "gradient descent with a velocity",
    (Hyper("momentum", "momentum", 0.9, "momentum: how much of the previous velocity each step keeps", "fraction"),),
    (State("vel", "vel", "velocity", first_formula=lambda c: c.g, next_formula=lambda c: f"momentum*{c.prev}+{c.g}",
           note="Velocity (momentum): v = momentum * v_previous + gradient; v starts at 0 (torch.optim.SGD)."),),
    (),
    update_formula=lambda c: f"{c.old}-{c.lr}*{c.state['vel']}",
    update_note="Momentum update: new parameter = old - learning_rate * velocity.",
    step=_momentum_step,
    torch=_one_group(lambda params, hyper: _optim().SGD(params, lr=hyper["learning_rate"],
                                                        momentum=hyper["momentum"])),
)

FIRST_MOMENT = State(
    "m", "m", "first moment",
    first_formula=lambda c: f"(1-beta_1)*{c.g}",
    next_formula=lambda c: f"beta_1*{c.prev}+(1-beta_1)*{c.g}",
    note="Adam first moment: m = beta_1 * m_previous + (1 - beta_1) * gradient; m starts at 0.",
)
SECOND_MOMENT = State(
    "v", "v", "second moment",
    first_formula=lambda c: f"(1-beta_2)*{c.g}^2",
    next_formula=lambda c: f"beta_2*{c.prev}+(1-beta_2)*{c.g}^2",
    note="Adam second moment: v = beta_2 * v_previous + (1 - beta_2) * gradient^2; v starts at 0.",
)
BIAS_NOTE = "Adam bias correction at step t: 1 - beta^t; it undoes the moments' start at 0."
BIAS_CORRECTIONS = (
    Column("bc1", "1-β1^t", "Adam bias correction 1-beta_1^t", lambda step: f"1-beta_1^{step}",
           lambda hyper, t: 1 - hyper["beta_1"] ** t, BIAS_NOTE),
    Column("bc2", "1-β2^t", "Adam bias correction 1-beta_2^t", lambda step: f"1-beta_2^{step}",
           lambda hyper, t: 1 - hyper["beta_2"] ** t, BIAS_NOTE),
)


def _adam_formula(c) -> str:
    return f"{c.lr}*({c.state['m']}/{c.column['bc1']})/(SQRT({c.state['v']}/{c.column['bc2']})+epsilon)"


def _adam_move(grad, state, hyper, lr, t) -> tuple[np.ndarray, dict]:
    """Adam's step (to subtract) and its new moments."""
    b1, b2 = hyper["beta_1"], hyper["beta_2"]
    m = b1 * state.get("m", 0.0) + (1 - b1) * grad
    v = b2 * state.get("v", 0.0) + (1 - b2) * grad * grad
    return lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + hyper["epsilon"]), {"m": m, "v": v}


def _adam_step(param, grad, state, hyper, lr, t, weight):
    move, moments = _adam_move(grad, state, hyper, lr, t)
    return param - move, moments


ADAM = Optimizer(
    "adam", "adaptive moments (momentum and RMSProp together)",
    (BETA_1, BETA_2, _epsilon(1e-8)), (FIRST_MOMENT, SECOND_MOMENT), BIAS_CORRECTIONS,
    update_formula=lambda c: f"{c.old}-{_adam_formula(c)}",
    update_note="Adam update: new = old - learning_rate * (m / (1 - beta_1^t)) / (sqrt(v / (1 - beta_2^t)) + epsilon), "
                "with the bias corrections from the Training sheet.",
    step=_adam_step,
    torch=_one_group(lambda params, hyper: _optim().Adam(params, lr=hyper["learning_rate"],
                                                         betas=(hyper["beta_1"], hyper["beta_2"]),
                                                         eps=hyper["epsilon"])),
)


def _adamw_step(param, grad, state, hyper, lr, t, weight):
    move, moments = _adam_move(grad, state, hyper, lr, t)
    decayed = param * (1 - lr * hyper["weight_decay"]) if weight else param
    return decayed - move, moments


def _adamw_torch(weights, others, hyper):
    """torch.optim.AdamW with two parameter groups: the weights decay, biases and batch norm's gamma and beta not."""
    groups = [{"params": weights, "weight_decay": hyper["weight_decay"]}]
    if others:
        groups.append({"params": others, "weight_decay": 0.0})
    return _optim().AdamW(groups, lr=hyper["learning_rate"], betas=(hyper["beta_1"], hyper["beta_2"]),
                          eps=hyper["epsilon"])


ADAMW = Optimizer(
    "adamw", "Adam with decoupled weight decay",
    (BETA_1, BETA_2, _epsilon(1e-8),
     Hyper("weight_decay", "weight_decay", 0.01, "AdamW: every step shrinks each weight by learning_rate * "
           "weight_decay of itself, apart from its gradient (biases, gamma and beta are not decayed)",
           "non-negative")),
    (FIRST_MOMENT, SECOND_MOMENT), BIAS_CORRECTIONS,
    update_formula=lambda c: f"{c.old}*(1-{c.lr}*weight_decay)-{_adam_formula(c)}" if c.weight else
    f"{c.old}-{_adam_formula(c)}",
    update_note="AdamW update: a weight first shrinks by the factor (1 - learning_rate * weight_decay), then takes "
                "Adam's step: new = old * (1 - learning_rate * weight_decay) - learning_rate * (m / (1 - beta_1^t)) "
                "/ (sqrt(v / (1 - beta_2^t)) + epsilon). The decay never enters the gradient, m or v (unlike an L2 "
                "penalty, which Adam's division would scale); biases, gamma and beta take Adam's step alone.",
    step=_adamw_step,
    torch=_adamw_torch,
)


def _rmsprop_step(param, grad, state, hyper, lr, t, weight):
    alpha = hyper["alpha"]
    v = alpha * state.get("v", 0.0) + (1 - alpha) * grad * grad
    return param - lr * grad / (np.sqrt(v) + hyper["epsilon"]), {"v": v}


RMSPROP = Optimizer(
    "rmsprop", "steps divided by the recent size of the gradients",
    (Hyper("alpha", "alpha", 0.99, "RMSProp: decay of the running average of squared gradients", "fraction"),
     _epsilon(1e-8)),
    (State("v", "v", "second moment",
           first_formula=lambda c: f"(1-alpha)*{c.g}^2",
           next_formula=lambda c: f"alpha*{c.prev}+(1-alpha)*{c.g}^2",
           note="RMSProp's running average of squared gradients: v = alpha * v_previous + (1 - alpha) * "
                "gradient^2; v starts at 0 (torch.optim.RMSprop)."),),
    (),
    update_formula=lambda c: f"{c.old}-{c.lr}*{c.g}/(SQRT({c.state['v']})+epsilon)",
    update_note="RMSProp update: new = old - learning_rate * gradient / (sqrt(v) + epsilon): each parameter's step "
                "is divided by the recent size of its gradients (Adam is RMSProp plus momentum).",
    step=_rmsprop_step,
    torch=_one_group(lambda params, hyper: _optim().RMSprop(params, lr=hyper["learning_rate"], alpha=hyper["alpha"],
                                                            eps=hyper["epsilon"])),
)


def _adagrad_step(param, grad, state, hyper, lr, t, weight):
    total = state.get("s", 0.0) + grad * grad
    return param - lr * grad / (np.sqrt(total) + hyper["epsilon"]), {"s": total}


ADAGRAD = Optimizer(
    "adagrad", "steps divided by the size of all gradients so far",
    (_epsilon(1e-10),),
    (State("s", "s", "sum of squared gradients",
           first_formula=lambda c: f"{c.g}^2",
           next_formula=lambda c: f"{c.prev}+{c.g}^2",
           note="AdaGrad's sum of every squared gradient so far: s = s_previous + gradient^2; s starts at 0 "
                "(torch.optim.Adagrad). It only grows, so every parameter's steps shrink."),),
    (),
    update_formula=lambda c: f"{c.old}-{c.lr}*{c.g}/(SQRT({c.state['s']})+epsilon)",
    update_note="AdaGrad update: new = old - learning_rate * gradient / (sqrt(s) + epsilon), s the sum of all "
                "squared gradients so far: parameters with large past gradients take smaller steps.",
    step=_adagrad_step,
    torch=_one_group(lambda params, hyper: _optim().Adagrad(params, lr=hyper["learning_rate"],
                                                            eps=hyper["epsilon"])),
)

OPTIMIZERS: dict[str, Optimizer] = {unit.name: unit for unit in (SGD, MOMENTUM, ADAM, ADAMW, RMSPROP, ADAGRAD)}
STATE_NAMES = tuple(dict.fromkeys(state.name for unit in OPTIMIZERS.values() for state in unit.states))


def optimizer(name: str) -> Optimizer:
    """The record of optimizer `name`; an unknown name is an error, never another optimizer."""
    if name not in OPTIMIZERS:
        raise SheetnetError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name]
