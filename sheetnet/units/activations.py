"""Activations: forward formula, backward formula, notes and torch definition, side by side.

Formula text is built from the references in a `Cells` view (`c.z` is this cell's pre-activation,
`c.a` its activation, `c.da` the incoming gradient dL/da); the sheet writer supplies them. Every
form is chosen so that no engine can overflow: EXP only ever sees a non-positive argument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Activation:
    name: str
    title: str  # the header above a block of activations
    forward: Callable  # (cells) -> a, from c.z
    backward: Callable | None  # (cells) -> dL/dz, from c.z, c.a and c.da; None: handled by the loss
    note: str  # on the first activation cell
    backward_note: str | None
    torch: Callable  # (z tensor, hyper-parameters) -> a, exactly as torch computes it


def stable_sigmoid(z: str) -> str:
    """1 / (1 + e^-z) with a never-positive exponent: no engine overflows, for any z."""
    return f"EXP(MIN({z},0))/(1+EXP(-ABS({z})))"


def _torch_functional():
    import torch.nn.functional as functional

    return functional


def _softmax_torch(z, hyper):
    import torch

    return torch.softmax(z, dim=1)


RELU = Activation(
    "relu", "a = ReLU(z)",
    forward=lambda c: f"IF({c.z}>0,{c.z},0)",
    backward=lambda c: f"IF({c.z}>0,{c.da},0)",
    note="ReLU: a = max(0, z), written =IF(z>0,z,0). Negative inputs are switched off.",
    backward_note="Chain rule through ReLU: dL/dz = dL/da * ReLU'(z), and ReLU'(z) is 1 if z > 0 else 0: "
                  "=IF(z>0,dL/da,0).",
    torch=lambda z, hyper: _torch_functional().relu(z),
)

LEAKY_RELU = Activation(
    "leaky_relu", "a = leaky ReLU(z)",
    forward=lambda c: f"IF({c.z}>0,{c.z},leaky_slope*{c.z})",
    backward=lambda c: f"IF({c.z}>0,{c.da},leaky_slope*{c.da})",
    note="Leaky ReLU: a = z if z > 0, else slope * z (slope is the named cell leaky_slope). "
         "Unlike ReLU, a negative z still lets a little gradient through.",
    backward_note="Chain rule through leaky ReLU: dL/dz = dL/da if z > 0, else leaky_slope * dL/da.",
    torch=lambda z, hyper: _torch_functional().leaky_relu(z, hyper["leaky_slope"]),
)

SIGMOID = Activation(
    "sigmoid", "a = sigmoid(z)",
    forward=lambda c: stable_sigmoid(c.z),
    backward=lambda c: f"{c.da}*{c.a}*(1-{c.a})",
    note="Sigmoid: a = 1 / (1 + e^-z), squashing z into (0, 1). Written in a stable form, "
         "EXP(MIN(z,0)) / (1 + EXP(-ABS(z))): the exponent is never positive, so EXP never "
         "overflows, and for z >= 0 it equals 1/(1+e^-z), for z < 0 it equals e^z/(1+e^z).",
    backward_note="Chain rule through sigmoid: sigma'(z) = a (1 - a), so dL/dz = dL/da * a * (1 - a).",
    torch=lambda z, hyper: _torch_functional().sigmoid(z),
)

TANH = Activation(
    "tanh", "a = tanh(z)",
    forward=lambda c: f"TANH({c.z})",
    backward=lambda c: f"{c.da}*(1-{c.a}^2)",
    note="tanh: a = (e^z - e^-z) / (e^z + e^-z), squashing z into (-1, 1).",
    backward_note="Chain rule through tanh: tanh'(z) = 1 - a^2, so dL/dz = dL/da * (1 - a^2).",
    torch=lambda z, hyper: _torch_functional().tanh(z),
)

ELU = Activation(
    "elu", "a = ELU(z)",
    forward=lambda c: f"IF({c.z}>0,{c.z},EXP(MIN({c.z},0))-1)",
    backward=lambda c: f"IF({c.z}>0,{c.da},{c.da}*EXP(MIN({c.z},0)))",
    note="ELU: a = z if z > 0, else e^z - 1 (torch.nn.ELU, alpha 1): smooth, and negative inputs "
         "still pass a signal down to -1. EXP(MIN(z,0)) never overflows.",
    backward_note="Chain rule through ELU: dL/dz = dL/da if z > 0, else dL/da * e^z (the slope of e^z - 1).",
    torch=lambda z, hyper: _torch_functional().elu(z, alpha=1.0),
)

SOFTPLUS = Activation(
    "softplus", "a = softplus(z)",
    forward=lambda c: f"IF({c.z}>20,{c.z},LN(1+EXP(MIN({c.z},20))))",
    backward=lambda c: f"IF({c.z}>20,{c.da},{c.da}*{stable_sigmoid(c.z)})",
    note="Softplus: a = ln(1 + e^z), a smooth ReLU (torch.nn.Softplus, beta 1, threshold 20: above "
         "z = 20 it is z itself, as ln(1 + e^z) and z no longer differ in 15 digits).",
    backward_note="Chain rule through softplus: its slope is sigmoid(z), so dL/dz = dL/da * sigmoid(z) "
                  "(written in the stable form), and dL/da itself above z = 20.",
    torch=lambda z, hyper: _torch_functional().softplus(z, beta=1.0, threshold=20.0),
)

LINEAR = Activation(
    "linear", "a = z (output)",
    forward=lambda c: c.z,
    backward=lambda c: c.da,
    note="Linear output: a = z (no activation), the usual choice for regression with MSE.",
    backward_note=None,
    torch=lambda z, hyper: z,
)

# Softmax reads a whole row: its helper blocks hold the row's max, exp(z - max) and their sum.
SOFTMAX = Activation(
    "softmax", "a = softmax(z)",
    forward=lambda c: f"{c.exp}/{c.sum}",
    backward=lambda c: f"{c.a}*({c.da}-SUMPRODUCT({c.da_row},{c.a_row}))",
    note="Softmax: a_j = e^(z_j) / sum_k e^(z_k), turning scores into probabilities that sum to 1. "
         "Computed from exp(z - max): subtracting the row's largest z changes nothing in the "
         "ratio but keeps EXP from overflowing.",
    backward_note="Chain rule through softmax: dL/dz_j = a_j * (dL/da_j - sum_k dL/da_k * a_k), "
                  "because every output depends on every z.",
    torch=_softmax_torch,
)

SOFTMAX_HELPERS = {
    "max": lambda c: f"MAX({c.z_row})",
    "exp": lambda c: f"EXP({c.z}-{c.max})",
    "sum": lambda c: f"SUM({c.exp_row})",
}

ACTIVATIONS: dict[str, Activation] = {unit.name: unit for unit in (RELU, LEAKY_RELU, SIGMOID, TANH, ELU, SOFTPLUS,
                                                                   LINEAR, SOFTMAX)}
ROW_HELPERS = {"softmax": SOFTMAX_HELPERS}  # activation -> formulas of its helper blocks (model.options names them)
