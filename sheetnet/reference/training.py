"""The numpy reference: forward, backward and update for every step, written from the maths.

It never sees a formula. It takes a Problem (data, initial parameters, hyper-parameters, read from
a workbook's input cells or built from a config) and returns a Trace: every quantity the workbook
shows, keyed by (kind, layer, step), in the orientation the workbook shows it.
"""

from __future__ import annotations

import numpy as np

from sheetnet.model.problem import Problem
from sheetnet.reference.maths import features
from sheetnet.reference.network import backward, data_loss, forward, penalty
from sheetnet.reference.optimizers import STATES, Optimizer
from sheetnet.reference.pictures import boundary_values, gradient_check_values

Key = tuple[str, int, int]
Trace = dict[Key, np.ndarray]


def network_inputs(problem: Problem) -> np.ndarray:
    """Every sample's inputs as the network takes them: the features of the raw inputs, or the raw inputs."""
    return features(problem.structure.features, problem.inputs)


def batch(problem: Problem, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets of the samples step `step` trains on."""
    samples = list(problem.structure.samples_at(step))
    return network_inputs(problem)[samples], problem.targets[samples]


def _test_pass(problem: Problem, trace: Trace, step: int, weights, biases) -> None:
    """The held-out samples through step `step`'s parameters (evaluation mode): their loss alone, no penalty."""
    s = problem.structure
    samples = list(s.test_samples)
    values = forward(s, problem.hyper, network_inputs(problem)[samples], weights, biases,
                     targets=problem.targets[samples])
    for (kind, layer), value in values.items():
        trace[("te_" + kind, layer, step)] = value
    trace[("test_loss", 0, step)] = np.array([[data_loss(s, values)]])
    if s.classification:
        trace[("test_accuracy", 0, step)] = np.array([[values[("correct", s.n_layers)].mean()]])


def step_masks(problem: Problem, step: int) -> dict[int, np.ndarray] | None:
    """The dropout masks of a step, by hidden layer (None without dropout)."""
    s = problem.structure
    if not s.dropout:
        return None
    return {layer: problem.masks[(layer, step)] for layer in range(1, s.n_layers)}


def _record(trace: Trace, values: dict, step: int) -> None:
    for (kind, layer), value in values.items():
        trace[(kind, layer, step)] = value


def _resync(problem: Problem, observed, step: int, weights, biases, optimizer: Optimizer) -> None:
    """Continue from the spreadsheet's own parameters and optimizer state at `step`.

    Training at a large learning rate is chaotic: a difference of 1e-16 in summation order grows
    step by step until two correct implementations disagree at 1e-8. Checking each step from the
    previous step's values as the spreadsheet holds them verifies every formula locally (the
    parameters of step k are themselves checked against step k-1), without that drift.
    """
    s = problem.structure
    params = ("W", "b") if s.train_biases else ("W",)
    for layer in range(1, s.n_layers + 1):
        value = observed("W", layer, step)
        if value is not None:
            weights[layer - 1] = value
        if s.train_biases:
            value = observed("b", layer, step)
            if value is not None:
                biases[layer - 1] = value[:, 0]
        for state in STATES[s.optimizer]:
            for param in params:
                value = observed(f"{state}_{param}", layer, step)
                if value is not None:
                    optimizer.state[(state, f"{param}{layer}")] = value


def _train_step(problem: Problem, trace: Trace, step: int, values: dict, weights, biases,
                optimizer: Optimizer) -> None:
    """Backpropagate step `step`'s loss (from its forward `values`) and apply the update that makes
    step + 1's parameters."""
    s = problem.structure
    x, targets = batch(problem, step)
    grads = backward(s, problem.hyper, x, weights, values, targets, step_masks(problem, step))
    _record(trace, grads, step)
    trace[("gnorm", 0, step)] = np.array([[np.sqrt((grads[("dW", layer)] ** 2).sum())
                                           for layer in range(1, s.n_layers + 1)]])
    trace[("gplot", 0, step)] = np.maximum(trace[("gnorm", 0, step)], 1e-12)  # the chart's log-scale floor
    t = step + 1
    for name, value in optimizer.columns(t).items():
        trace[(name, 0, t)] = np.array([[value]])
    for layer in range(1, s.n_layers + 1):
        i = layer - 1
        weights[i], states = optimizer.step(f"W{layer}", weights[i], grads[("dW", layer)], t)
        trace[("W", layer, t)] = weights[i]
        for state, value in states.items():
            trace[(f"{state}_W", layer, t)] = value
        if s.train_biases:
            new_bias, states = optimizer.step(f"b{layer}", biases[i][:, None], grads[("db", layer)], t)
            biases[i] = new_bias[:, 0]
            trace[("b", layer, t)] = new_bias
            for state, value in states.items():
                trace[(f"{state}_b", layer, t)] = value


def run(problem: Problem, observed=None) -> Trace:
    """Every quantity of every step: K updates, K+1 forward passes.

    `observed(kind, layer, step)`, when given, returns a spreadsheet's values of a parameter or
    optimizer-state block (None where it has no clean numbers); each step then starts from them.
    """
    s = problem.structure
    trace: Trace = {}
    weights = [np.array(w, dtype=float) for w in problem.weights]
    biases = [np.array(b, dtype=float) for b in problem.biases]
    optimizer = Optimizer(s.optimizer, problem.hyper)
    for layer in range(1, s.n_layers + 1):
        trace[("W", layer, 0)] = weights[layer - 1]
        trace[("b", layer, 0)] = biases[layer - 1][:, None]
    for step in range(s.steps + 1):
        if observed is not None and step > 0:
            _resync(problem, observed, step, weights, biases, optimizer)
        x, targets = batch(problem, step)
        if s.batches is not None:
            trace[("x", 1, step)] = x
        values = forward(s, problem.hyper, x, weights, biases, step_masks(problem, step), targets)
        _record(trace, values, step)
        loss = data_loss(s, values) + penalty(s, problem.hyper, weights)
        trace[("loss", 0, step)] = np.array([[loss]])
        if s.classification:
            trace[("accuracy", 0, step)] = np.array([[values[("correct", s.n_layers)].mean()]])
        if s.n_test:
            _test_pass(problem, trace, step, weights, biases)
        if step < s.steps:
            _train_step(problem, trace, step, values, weights, biases, optimizer)
    if s.features:
        trace[("features", 0, 0)] = network_inputs(problem)
    if s.n_raw == 2 and s.boundary_grid > 0:
        trace.update(boundary_values(problem, trace, final=(weights, biases)))
    if s.gradient_check and problem.choices:
        trace.update(gradient_check_values(problem, trace))
    return trace


def loss_history(problem: Problem) -> np.ndarray:
    trace = run(problem)
    return np.array([trace[("loss", 0, k)][0, 0] for k in range(problem.structure.steps + 1)])
