"""Backpropagation on the Layer sheets: dL/da, dL/dz, dL/dW and dL/db of one training step.

Each activation's and loss's derivative comes from its unit; this module only wires the cells:
the output layer starts from the loss, a hidden layer gathers dL/dz of the next layer along the
weights, and the parameter gradients sum over the step's samples.
"""

from __future__ import annotations

from sheetnet.sheets.forward import ForwardPass
from sheetnet.sheets.refs import CellView, Formula
from sheetnet.units import batch_norm
from sheetnet.units.activations import ACTIVATIONS
from sheetnet.units.losses import LOSSES, delta, gradient
from sheetnet.units.regularisers import dropped, l1_gradient, l2_gradient


def _resolver(forward: ForwardPass, layer: int, dropout: bool):
    """Names a derivative may read: the forward pass's cells, and `da`/`da_row` from the dA block."""
    refs = forward.refs
    resolve_forward = forward._resolve(layer)

    def resolve(name: str, i: int, j: int) -> str:
        if name == "da":
            da = refs.cell(forward.block("dA", layer), i, j)
            if dropout:  # the mask and its scale sit between a and what the next layer read
                return dropped(da, refs.cell(forward.masks(layer), i, j))
            return da
        if name == "da_row":
            return refs.row(forward.block("dA", layer), i)
        return resolve_forward(name, i, j)

    return resolve


def output_gradient(forward: ForwardPass, kind: str) -> Formula:
    """dL/da (a squared error through a non-linear output) and dL/dz of the output layer."""
    s = forward.structure
    layer = s.n_layers
    loss = LOSSES[s.loss]
    n = forward.divisor()
    resolve = _resolver(forward, layer, dropout=False)
    activation = s.activation(layer)
    if kind == "dA" or (kind == "dz" and not loss.cancels and activation == "linear"):
        return lambda i, j: "=" + gradient(CellView(resolve, i, j), n)
    if loss.cancels:
        return lambda i, j: "=" + delta(CellView(resolve, i, j), n)
    backward = ACTIVATIONS[activation].backward
    return lambda i, j: "=" + backward(CellView(resolve, i, j))


def hidden_gradient(forward: ForwardPass, kind: str, layer: int) -> Formula:
    """dL/da = sum over the next layer's neurons of dL/dz * weight; dL/dz = dL/da * f'(z)."""
    refs = forward.refs
    if kind == "dA":  # dL/da = sum over the next layer's neurons of dL/dz * weight
        next_dz, next_w = forward.block("dz", layer + 1), forward.params(layer + 1)[0]
        width = forward.structure.width(layer + 1)
        return lambda i, j: "=" + "+".join(
            f"{refs.cell(next_dz, i, m)}*{refs.cell(next_w, m, j)}" for m in range(width)
        )
    if kind == "dz" and forward.structure.normalised(layer):
        return _through_batch_norm(forward, layer)
    resolve = _resolver(forward, layer, dropout=forward.masks is not None)
    backward = ACTIVATIONS[forward.structure.activation(layer)].backward
    return lambda i, j: "=" + backward(CellView(resolve, i, j))  # dL/dz, or dL/d(gamma*zhat+beta) before a norm


def _through_batch_norm(forward: ForwardPass, layer: int) -> Formula:
    """dL/dz of a batch-normalised layer: through gamma * zhat + beta and the batch's mean and variance."""
    refs = forward.refs
    g, zhat = forward.block("dzbn", layer), forward.block("zhat", layer)
    gamma, var = forward.norm(layer)[0], forward.stats(layer)[1]
    dgamma, dbeta = forward.block("dgamma", layer), forward.block("dbeta", layer)
    count = len(forward.samples.samples)
    return lambda i, j: "=" + batch_norm.input_gradient(
        refs.cell(g, i, j), refs.cell(zhat, i, j), refs.cell(gamma, j), refs.cell(var, j), refs.cell(dgamma, j),
        refs.cell(dbeta, j), count)


def parameter_gradient(forward: ForwardPass, kind: str, layer: int, columns) -> Formula:
    """dL/dW[j,i] = sum over samples of dz[:,j] * input[:,i] (+ 2*l2*W); dL/db[j] = sum of dz[:,j].

    `columns(i)` is column i of the layer's inputs over the step's samples.
    """
    refs = forward.refs
    dz = forward.block("dz", layer)
    if kind == "db":
        return lambda j, _: f"=SUM({refs.col(dz, j)})"
    if kind in ("dgamma", "dbeta"):  # batch normalization's scale and shift
        g, zhat = forward.block("dzbn", layer), forward.block("zhat", layer)
        if kind == "dbeta":
            return lambda j, _: f"=SUM({refs.col(g, j)})"
        return lambda j, _: f"=SUMPRODUCT({refs.col(g, j)},{refs.col(zhat, j)})"
    weights = forward.params(layer)[0]
    s = forward.structure

    def penalties(j: int, i: int) -> str:
        w = refs.cell(weights, j, i)
        return (l2_gradient(w) if s.use_l2 else "") + (l1_gradient(w) if s.use_l1 else "")

    return lambda j, i: f"=SUMPRODUCT({refs.col(dz, j)},{columns(i)}){penalties(j, i)}"
