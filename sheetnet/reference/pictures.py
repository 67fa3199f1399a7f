"""The learner's extra sheets in numpy: the decision boundary and the gradient check."""

from __future__ import annotations

import numpy as np

from sheetnet.model.problem import Problem
from sheetnet.reference.maths import features
from sheetnet.reference.network import data_loss, forward, penalty
from sheetnet.reference.normalisation import Norm


def _prefixed(prefix: str, values: dict, index: int) -> dict:
    return {(prefix + kind, layer, index): value for (kind, layer), value in values.items()}


def _grid_axes(problem: Problem) -> dict:
    """The grid's range (10% margin; 1 on each side of an input with no spread), steps, axes and points."""
    grid = problem.structure.boundary_grid
    low, high = problem.inputs[:, :2].min(axis=0), problem.inputs[:, :2].max(axis=0)
    margin = np.where(high == low, 1.0, 0.1 * (high - low))
    low, high = low - margin, high + margin
    step = (high - low) / (grid - 1)
    x1 = low[0] + np.arange(grid) * step[0]
    x2 = high[1] - np.arange(grid) * step[1]
    return {("bd_range", 0, 0): np.column_stack([low, high, step]), ("bd_x1", 0, 0): x1[:, None],
            ("bd_x2", 0, 0): x2[:, None], ("bd_px", 0, 0): np.column_stack([np.tile(x1, grid), np.repeat(x2, grid)])}


def _initial_norms(problem: Problem, evaluation: bool) -> dict[int, Norm]:
    """Batch normalization's starting gamma and beta (and running statistics, in evaluation mode) per layer."""
    s, start = problem.structure, problem.norms
    running = [("rmean", "rvar")] if evaluation else []
    return {layer: Norm(start[("gamma", layer)][:, 0], start[("beta", layer)][:, 0],
                        *(start[(kind, layer)][:, 0] for kinds in running for kind in kinds))
            for layer in range(1, s.n_layers) if s.normalised(layer)}


def boundary_values(problem: Problem, trace: dict, final=None) -> dict:
    """The pictures: forward passes (evaluation mode) over a grid spanning the data, with the initial and
    final parameters (`final`, a training.Parameters, when given: those the spreadsheet holds, as every step's
    pass uses); the output (or predicted class) at each point; each hidden neuron's activation."""
    s = problem.structure
    grid, last = s.boundary_grid, s.n_layers
    values = _grid_axes(problem)
    points = values[("bd_px", 0, 0)]
    if s.features:  # the grid's points are raw (x1, x2): the network takes their features
        points = values[("bd_feat", 0, 0)] = features(s.features, points)
    for variant, step in ((0, 0), (1, s.steps)):
        bias_step = step if s.train_biases else 0
        weights = [trace[("W", layer, step)] for layer in range(1, last + 1)]
        biases = [trace[("b", layer, bias_step)][:, 0] for layer in range(1, last + 1)]
        norms = _initial_norms(problem, evaluation=True)
        if variant == 1 and final is not None:
            weights, biases, norms = final.weights, final.biases, final.norms(evaluation=True)
        passed = forward(s, problem.hyper, points, weights, biases, norms=norms)
        values.update(_prefixed("bd_", passed, variant))
        if s.activation(last) == "softmax":
            shown = passed[("z", last)].argmax(axis=1).astype(float)
        else:
            shown = passed[("a", last)][:, 0]
        values[("bd_grid", 0, variant)] = shown.reshape(grid, grid)
    for c, members in enumerate(s.class_points or ()):
        if members:
            values[("bd_class", c, 0)] = problem.inputs[list(members)][:, :2]
    x1 = values[("bd_x1", 0, 0)][:, 0]
    for t in range(grid // 5):  # an x1 label every 5 columns
        values[("bd_xtick", t, 0)] = values[("bd_xtick", t, 1)] = np.array([[x1[5 * t]]])
    values[("bd_ytick", 0, 0)] = values[("bd_x2", 0, 0)]
    for layer in range(1, last):
        activations = values[("bd_a", layer, 1)]
        for j in range(s.width(layer)):
            values[("nr_grid", layer, j)] = activations[:, j].reshape(grid, grid)
    return values


def _selectors(problem: Problem) -> list[np.ndarray]:
    """Per layer, 1 at the parameter the learner picked (last column: the bias), 0 elsewhere."""
    s = problem.structure
    choice = problem.choices
    selectors = []
    for m in range(1, s.n_layers + 1):
        fan_in, width = s.fan_in(m), s.width(m)
        sel = np.zeros((width, fan_in + 1))
        for j in range(width):
            for i in range(fan_in + 1):
                column = i + 1 if i < fan_in else 0
                sel[j, i] = float(choice["gc_layer"] == m and choice["gc_neuron"] == j + 1
                                  and choice["gc_input"] == column)
        selectors.append(sel)
    return selectors


def gradient_check_values(problem: Problem, trace: dict) -> dict:
    """The step-0 loss with one parameter nudged by +/- epsilon, its finite difference and backprop's gradient."""
    s = problem.structure
    eps = problem.choices["gc_epsilon"]
    selectors = _selectors(problem)
    values: dict = {("gc_sel", m, 0): sel for m, sel in enumerate(selectors, start=1)}
    layer = problem.choices["gc_layer"]
    chosen = sum(float(sel.sum()) for sel in selectors) == 1
    values[("gc_status", 0, 0)] = np.array([[0.0 if chosen else (2.0 if layer in range(1, s.n_layers + 1) else 1.0)]])
    samples = list(s.samples_at(0))
    x, targets = features(s.features, problem.inputs)[samples], problem.targets[samples]
    masks = {layer: problem.masks[(layer, 0)] for layer in range(1, s.n_layers)} if s.dropout else None
    losses = []
    for variant, sign in ((0, 1.0), (1, -1.0)):
        weights = [w + sign * eps * sel[:, :-1] for w, sel in zip(problem.weights, selectors, strict=True)]
        biases = [b + sign * eps * sel[:, -1] for b, sel in zip(problem.biases, selectors, strict=True)]
        passed = forward(s, problem.hyper, x, weights, biases, masks, targets, _initial_norms(problem, False))
        losses.append(data_loss(s, passed) + penalty(s, problem.hyper, weights))
        values.update(_prefixed("gc_", passed, variant))
        for m in range(1, s.n_layers + 1):
            values[("gc_W", m, variant)] = weights[m - 1]
            values[("gc_b", m, variant)] = biases[m - 1][:, None]
    finite = (losses[0] - losses[1]) / (2 * eps)
    analytic = 0.0
    for m, sel in enumerate(selectors, start=1):
        analytic += float((trace[("dW", m, 0)] * sel[:, :-1]).sum())
        if s.train_biases:
            analytic += float((trace[("db", m, 0)][:, 0] * sel[:, -1]).sum())
    difference = abs(finite - analytic) / max(abs(finite), abs(analytic), 1e-12)
    values[("gc_result", 0, 0)] = np.array([[losses[0]], [losses[1]], [finite], [analytic], [difference]])
    return values
