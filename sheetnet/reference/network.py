"""One forward pass and one backward pass of the network in numpy, on any rows of inputs.

Results are keyed by (kind, layer) in the orientation the workbook shows them: samples down,
neurons across; weights out x in; biases as a column.
"""

from __future__ import annotations

import numpy as np

from sheetnet.model.problem import Structure
from sheetnet.reference.maths import activate, classified_right, derivative, loss_divisor, loss_terms
from sheetnet.reference.normalisation import Norm, normalise
from sheetnet.reference.normalisation import backward as normalised_backward

Values = dict[tuple[str, int], np.ndarray]


def forward(structure: Structure, hyper: dict, x: np.ndarray, weights, biases, masks=None,
            targets: np.ndarray | None = None, norms: dict[int, Norm] | None = None) -> Values:
    """z, softmax helpers, a (and a after dropout, with `masks`: layer -> 0/1 array) for every layer;
    the loss terms and right/wrong per sample when `targets` are given. `norms` (layer -> Norm) batch-normalises
    the hidden layers: the activation then takes gamma * zhat + beta."""
    s = structure
    slope = hyper.get("leaky_slope", 0.0)
    values: Values = {}
    prev = x
    for layer in range(1, s.n_layers + 1):
        z = prev @ weights[layer - 1].T + biases[layer - 1]
        values[("z", layer)] = z
        if s.normalised(layer):
            normalised = normalise(z, norms[layer], hyper["bn_epsilon"])
            values.update({(kind, layer): value for kind, value in normalised.items()})
            z = normalised["zbn"]
        act = s.activation(layer)
        if act == "softmax":
            zmax = z.max(axis=1, keepdims=True)
            shifted = np.exp(z - zmax)
            values[("max", layer)] = zmax
            values[("exp", layer)] = shifted
            values[("sum", layer)] = shifted.sum(axis=1, keepdims=True)
        a = activate(act, z, slope)
        values[("a", layer)] = a
        prev = a
        if masks is not None and layer < s.n_layers:
            prev = a * masks[layer] / (1.0 - hyper["dropout_rate"])
            values[("ad", layer)] = prev
    if targets is not None:
        last = s.n_layers
        values[("y", last)] = targets
        values[("loss_terms", last)] = loss_terms(s.loss, values[("z", last)], values[("a", last)], targets)
        if s.classification:
            values[("correct", last)] = classified_right(values[("a", last)], targets).astype(float)[:, None]
    return values


def data_loss(structure: Structure, values: Values) -> float:
    """The mean of the loss terms (no penalty)."""
    terms = values[("loss_terms", structure.n_layers)]
    return float(terms.sum() / loss_divisor(structure.loss, len(terms), structure.sizes[-1]))


def penalty(structure: Structure, hyper: dict, weights) -> float:
    """The penalties added to the loss: l2 * sum of every squared weight, l1 * sum of every |weight| (biases
    excluded)."""
    total = 0.0
    if structure.use_l2:
        total += hyper["l2_penalty"] * sum(float((w * w).sum()) for w in weights)
    if structure.use_l1:
        total += hyper["l1_penalty"] * sum(float(np.abs(w).sum()) for w in weights)
    return total


def layer_input(structure: Structure, x: np.ndarray, values: Values, layer: int) -> np.ndarray:
    """What a layer multiplies by its weights: the inputs, or the previous layer's output (after dropout)."""
    if layer == 1:
        return x
    return values.get(("ad", layer - 1), values[("a", layer - 1)])


def backward(structure: Structure, hyper: dict, x: np.ndarray, weights, values: Values, targets: np.ndarray,
             masks=None, norms: dict[int, Norm] | None = None) -> Values:
    """dL/da, dL/dz, dL/dW, dL/db of the loss (with its penalties) for every layer; with batch normalization
    (training mode, `norms` as in `forward`) also dL/d(gamma*zhat+beta), dL/dgamma and dL/dbeta."""
    s = structure
    slope = hyper.get("leaky_slope", 0.0)
    last = s.n_layers
    grads: Values = {}
    z, a = values[("z", last)], values[("a", last)]
    n = loss_divisor(s.loss, len(targets), s.sizes[-1])
    if s.loss in ("bce", "cross_entropy"):
        delta = (a - targets) / n  # sigmoid + BCE, softmax + cross-entropy: the activation's slope cancels
    else:
        grad_a = 2.0 * (a - targets) / n
        act = s.activation(last)
        if act == "linear":
            delta = grad_a
        else:
            grads[("dA", last)] = grad_a
            if act == "softmax":
                delta = a * (grad_a - (grad_a * a).sum(axis=1, keepdims=True))
            else:
                delta = grad_a * derivative(act, z, a)
    for layer in range(last, 0, -1):
        grads[("dz", layer)] = delta
        grad_w = delta.T @ layer_input(s, x, values, layer)
        if s.use_l2:
            grad_w = grad_w + 2.0 * hyper["l2_penalty"] * weights[layer - 1]
        if s.use_l1:  # d|w|/dw = sign(w), and 0 at w = 0 (as torch's autograd has it)
            grad_w = grad_w + hyper["l1_penalty"] * np.sign(weights[layer - 1])
        grads[("dW", layer)] = grad_w
        grads[("db", layer)] = delta.sum(axis=0)[:, None]
        if layer > 1:
            grad_a = delta @ weights[layer - 1]
            grads[("dA", layer - 1)] = grad_a
            if masks is not None:
                grad_a = grad_a * masks[layer - 1] / (1.0 - hyper["dropout_rate"])
            act = s.activation(layer - 1)
            below = layer - 1
            pre = values[("zbn", below)] if s.normalised(below) else values[("z", below)]
            delta = grad_a * derivative(act, pre, values[("a", below)], slope)
            if s.normalised(below):  # delta so far is dL/d(gamma*zhat+beta); on through the batch statistics
                grads[("dzbn", below)] = delta
                through = normalised_backward(delta, values[("zhat", below)], values[("var", below)][:, 0],
                                              norms[below].gamma, hyper["bn_epsilon"])
                grads[("dgamma", below)], grads[("dbeta", below)] = through["dgamma"], through["dbeta"]
                delta = through["dz"]
    return grads
