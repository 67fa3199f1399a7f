"""The formula of every block of the Layer and Training sheets: which writer handles which kind.

All formulas use relative references except the named hyper-parameter cells and the Data sheet,
so a block repeats one shape per step.
"""

from __future__ import annotations

from sheetnet.layout import TRAINING_SHEET, Layout
from sheetnet.layout.conv import CONV_SHEET
from sheetnet.layout.layers import TEST_PREFIX
from sheetnet.model.options import TRAINED, column_names, state_of
from sheetnet.model.schedules import SCHEDULES
from sheetnet.sheets.backward import hidden_gradient, output_gradient, parameter_gradient
from sheetnet.sheets.convformulas import conv_formula, input_gradient, pooled_input
from sheetnet.sheets.forward import ForwardPass, layer_pass, test_pass
from sheetnet.sheets.refs import Formula, Refs, features_formula
from sheetnet.sheets.updates import column_formula, update_formula
from sheetnet.units import clipping

FORWARD_KINDS = ("z", "mu", "var", "zc", "zhat", "zbn", "max", "exp", "sum", "a", "ad", "y", "loss_terms", "correct")


def _input_columns(forward: ForwardPass, layer: int):
    """Column i of a layer's inputs over the step's samples (for dL/dW)."""
    refs = forward.refs
    if layer > 1:
        block = forward.block(forward.output_kind(layer - 1), layer - 1)
        return lambda i: refs.col(block, i)
    if forward.structure.copies_batches or forward.structure.conv:
        x = forward.layout.block("x", 1, forward.index)
        return lambda i: refs.col(x, i)
    return forward.samples.col


def training_formula(layout: Layout, kind: str, step: int) -> Formula:
    """The Training sheet's row for a step: loss, accuracy, gradient sizes, optimizer columns."""
    s = layout.structure
    refs = Refs(layout, TRAINING_SHEET)
    if kind in column_names(s.optimizer):
        return column_formula(layout, kind, step)
    if kind == "accuracy":
        correct = layout.block("correct", s.n_layers, step)
        return lambda i, j: f"=SUM({refs.whole(correct)})/{s.batch_size_at(step)}"
    if kind in ("test_loss", "test_accuracy"):
        test = test_pass(layout, TRAINING_SHEET, step)
        if kind == "test_loss":
            text = "=" + test.loss()  # the data loss alone: no penalty
            return lambda i, j: text
        correct = layout.block("te_correct", s.n_layers, step)
        return lambda i, j: f"=SUM({refs.whole(correct)})/{s.n_test}"
    if kind == "gnorm":
        return lambda i, j: f"=SQRT(SUMSQ({refs.whole(layout.block('dW', j + 1, step))}))"
    if kind == "lr":
        text = "=" + SCHEDULES[s.schedule].formula(f"A{layout.block(kind, 0, step).row}", s.cosine_span)
        return lambda i, j: text
    if kind == "tnorm":
        text = "=" + clipping.total_norm([refs.whole(layout.block(grad, layer, step))
                                          for layer, grad in layout.parameter_gradients()])
        return lambda i, j: text
    if kind == "clip":
        text = "=" + clipping.factor(refs.cell(layout.block("tnorm", 0, step)))
        return lambda i, j: text
    if kind == "gplot":  # the chart's log scale cannot show 0: a floor at 1e-12 (the note says so)
        gnorm = layout.block("gnorm", 0, step)
        return lambda i, j: f"=MAX({refs.cell(gnorm, 0, j)},1e-12)"
    forward = layer_pass(layout, TRAINING_SHEET, step)
    weights = [layout.block("W", layer, step) for layer in range(1, s.n_layers + 1)]
    if s.conv:  # the kernels are weights: the penalties count them
        weights.insert(0, layout.block("K", 0, step))
    text = "=" + forward.loss(weights)
    return lambda i, j: text


def formula_for(layout: Layout, key: tuple[str, int, int]) -> Formula:
    """The formula writer for one derived block of the Layer or Training sheets."""
    kind, layer, step = key
    if kind == "features":
        refs = Refs(layout, layout.data.features().sheet)
        return features_formula(refs, layout.data.raw(), layout.structure.features)
    if layer == 0 and layout.conv is not None and kind in layout.conv.kinds():
        if kind in TRAINED or state_of(kind):
            return update_formula(Refs(layout, CONV_SHEET), kind, 0, step)
        return conv_formula(layout, kind, step)
    if layer == 0:
        return training_formula(layout, kind, step)
    sheet = layout.block(kind, layer, step).sheet
    if kind == "x" and layout.structure.conv:
        return pooled_input(layout, sheet, step)
    if kind == "dx":
        return input_gradient(layout, sheet, step)
    if kind in (*TRAINED, "rmean", "rvar") or state_of(kind):
        return update_formula(Refs(layout, sheet), kind, layer, step)
    if kind == TEST_PREFIX + "x":
        return pooled_input(layout, sheet, step, test=True)
    if kind.startswith(TEST_PREFIX):
        return test_pass(layout, sheet, step).formula(kind[len(TEST_PREFIX):], layer)
    forward = layer_pass(layout, sheet, step)
    if kind == "x":
        samples = forward.samples
        return lambda i, j: f"={samples.refs.fixed(samples.inputs, samples.samples[i], j)}"
    if kind in FORWARD_KINDS:
        return forward.formula(kind, layer)
    if kind in ("dA", "dz", "dzbn"):
        if layer == layout.structure.n_layers:
            return output_gradient(forward, kind)
        return hidden_gradient(forward, kind, layer)
    return parameter_gradient(forward, kind, layer, _input_columns(forward, layer))
