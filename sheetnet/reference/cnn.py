"""A small convolutional network trained in numpy: convolution -> activation -> max pooling -> dense layers ->
softmax cross-entropy, updated by any optimizer's record. The reference a CNN workbook will be checked against.

Parameters by name: "K" the kernels (F, k*k), "kb" their biases (F,), then "W1", "b1", ... the dense layers
(out x in, and a row of biases) reading the flattened pooled maps in (filter, row, column) order. Kernels are
weights (AdamW decays them, as torch does with its weight group); kernel biases are not.
"""

from __future__ import annotations

import numpy as np

from sheetnet.reference import convolution as conv
from sheetnet.reference.optimizers import Optimizer

Params = dict[str, np.ndarray]


def _dense_names(params: Params) -> list[int]:
    return sorted(int(name[1:]) for name in params if name.startswith("W"))


def forward(images: np.ndarray, params: Params, pool: int) -> dict[str, np.ndarray]:
    """Every quantity of one pass: conv maps z and ReLU a, pooled maps and their winners, each dense layer's z and
    a (ReLU hidden, softmax out)."""
    values = {"cz": conv.convolve(images, params["K"], params["kb"])}
    values["ca"] = np.maximum(values["cz"], 0.0)
    values["pooled"], values["winner"] = conv.max_pool(values["ca"], pool)
    previous = conv.flatten(values["pooled"])
    layers = _dense_names(params)
    for layer in layers:
        z = previous @ params[f"W{layer}"].T + params[f"b{layer}"]
        values[f"z{layer}"] = z
        if layer < layers[-1]:
            previous = np.maximum(z, 0.0)
        else:
            shifted = np.exp(z - z.max(axis=1, keepdims=True))
            previous = shifted / shifted.sum(axis=1, keepdims=True)
        values[f"a{layer}"] = previous
    return values


def loss(values: dict[str, np.ndarray], classes: np.ndarray) -> float:
    """Mean cross-entropy of the softmax outputs against class indices."""
    last = max(int(name[1:]) for name in values if name.startswith("a") and name[1:].isdigit())
    return float(-np.log(values[f"a{last}"][np.arange(len(classes)), classes]).mean())


def backward(images: np.ndarray, params: Params, values: dict[str, np.ndarray], classes: np.ndarray,
             pool: int) -> Params:
    """dL/d(every parameter) of the mean cross-entropy."""
    layers = _dense_names(params)
    n = len(classes)
    grad_z = values[f"a{layers[-1]}"].copy()
    grad_z[np.arange(n), classes] -= 1.0
    grad_z /= n
    grads: Params = {}
    for layer in reversed(layers):
        below = values[f"a{layer - 1}"] if layer > layers[0] else conv.flatten(values["pooled"])
        grads[f"W{layer}"] = grad_z.T @ below
        grads[f"b{layer}"] = grad_z.sum(axis=0)
        grad_below = grad_z @ params[f"W{layer}"]
        if layer > layers[0]:
            grad_z = grad_below * (values[f"z{layer - 1}"] > 0)
    grad_pooled = grad_below.reshape(values["pooled"].shape)
    grad_maps = conv.unpool(grad_pooled, values["winner"], values["cz"].shape, pool) * (values["cz"] > 0)
    k = int(round(np.sqrt(params["K"].shape[1])))
    grads["K"], grads["kb"] = conv.kernel_gradients(images, grad_maps, k)
    return grads


def train(images: np.ndarray, classes: np.ndarray, params: Params, pool: int, optimizer: str, hyper: dict,
          batches: list[list[int]]) -> list[dict]:
    """One record per step: the loss of the step's batch, the gradients, and the parameters after the update.
    Step k trains on `batches[k]`; the optimizer is the record of that name (unknown names are errors)."""
    params = {name: np.array(value, dtype=float) for name, value in params.items()}
    update = Optimizer(optimizer, hyper)
    history = []
    for t, batch in enumerate(batches, start=1):
        x, y = images[batch], classes[batch]
        values = forward(x, params, pool)
        grads = backward(x, params, values, y, pool)
        step = {"loss": loss(values, y), "grads": grads}
        for name in params:  # the optimizer tells weights by the name's letters: K0 and W1 are, kb0 and b1 not
            label = name if name[-1].isdigit() else f"{name}0"
            params[name], _ = update.step(label, params[name], grads[name], t)
        step["params"] = {name: value.copy() for name, value in params.items()}
        history.append(step)
    return history
