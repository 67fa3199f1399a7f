"""The numpy reference: forward, backward and update for every step, written from the maths.

It never sees a formula. It takes a Problem (data, initial parameters, hyper-parameters, read from
a workbook's input cells or built from a config) and returns a Trace: every quantity the workbook
shows, keyed by (kind, layer, step), in the orientation the workbook shows it.
"""

from __future__ import annotations

import numpy as np

from sheetnet.model.options import NORM_PARAMETERS, state_names
from sheetnet.model.problem import Problem
from sheetnet.reference import convblock
from sheetnet.reference.digits import digit_values
from sheetnet.reference.maths import features
from sheetnet.reference.network import backward, data_loss, forward, penalty
from sheetnet.reference.normalisation import Norm, running
from sheetnet.reference.optimizers import Optimizer, clip_factor, scheduled_rate
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


def _test_pass(problem: Problem, trace: Trace, step: int, params) -> None:
    """The held-out samples through step `step`'s parameters (evaluation mode: no dropout, batch normalization
    with the running statistics): their loss alone, no penalty."""
    s = problem.structure
    samples = list(s.test_samples)
    x = network_inputs(problem)[samples]
    if s.conv:
        x = _through_conv(problem, trace, params, x, step, "te_")["x"]
    values = forward(s, problem.hyper, x, params.weights, params.biases,
                     targets=problem.targets[samples], norms=params.norms(evaluation=True))
    for (kind, layer), value in values.items():
        trace[("te_" + kind, layer, step)] = value
    trace[("test_loss", 0, step)] = np.array([[data_loss(s, values)]])
    if s.classification:
        trace[("test_accuracy", 0, step)] = np.array([[values[("correct", s.n_layers)].mean()]])


def _through_conv(problem: Problem, trace: Trace, params, raw: np.ndarray, step: int, prefix: str = "") -> dict:
    """The convolution of a batch's (or the test set's) raw inputs: its quantities recorded under `prefix`, the
    dense layers' inputs "x" among them; returned with what backward needs."""
    s = problem.structure
    values = convblock.forward(s, problem.hyper, convblock.images(s, raw), params.get("K", 0), params.get("kb", 0))
    kinds = ("cx", "cz", "cp") if prefix else ("cx", "kt", "cz", "cp")  # the test set has no kernel tiles of its own
    trace.update({(prefix + kind, 0, step): values[kind] for kind in kinds})
    trace[(prefix + "x", 1, step)] = values["x"]
    return values


def step_masks(problem: Problem, step: int) -> dict[int, np.ndarray] | None:
    """The dropout masks of a step, by hidden layer (None without dropout)."""
    s = problem.structure
    if not s.dropout:
        return None
    return {layer: problem.masks[(layer, step)] for layer in range(1, s.n_layers)}


def _record(trace: Trace, values: dict, step: int) -> None:
    for (kind, layer), value in values.items():
        trace[(kind, layer, step)] = value


class Parameters:
    """The network's current parameters: weights and biases, and batch normalization's gamma, beta and running
    statistics (columns, per normalised layer)."""

    def __init__(self, problem: Problem):
        self.structure = problem.structure
        self.weights = [np.array(w, dtype=float) for w in problem.weights]
        self.biases = [np.array(b, dtype=float) for b in problem.biases]
        self.norm = {key: np.array(value, dtype=float) for key, value in problem.norms.items()}
        if problem.structure.conv:  # the convolution's kernels and biases, as "layer 0"
            self.norm[("K", 0)] = np.array(problem.kernels, dtype=float)
            self.norm[("kb", 0)] = np.array(problem.kernel_bias, dtype=float).reshape(-1, 1)

    def layers(self) -> range:
        """The layers with trained parameters: the convolution (0) when there is one, then the dense layers."""
        return range(0 if self.structure.conv else 1, self.structure.n_layers + 1)

    def penalised(self) -> list[np.ndarray]:
        """Every weight matrix the penalties count: the kernels and the dense weights."""
        return ([self.norm[("K", 0)]] if self.structure.conv else []) + self.weights

    def trained(self, layer: int) -> tuple[str, ...]:
        """The kinds of parameter the optimizer updates in a layer."""
        s = self.structure
        if layer == 0:
            return ("K", "kb") if s.train_biases else ("K",)
        return ("W", *(("b",) if s.train_biases else ()), *(NORM_PARAMETERS if s.normalised(layer) else ()))

    def get(self, kind: str, layer: int) -> np.ndarray:
        if kind == "W":
            return self.weights[layer - 1]
        if kind == "b":
            return self.biases[layer - 1][:, None]
        return self.norm[(kind, layer)]

    def set(self, kind: str, layer: int, value: np.ndarray) -> None:
        if kind == "W":
            self.weights[layer - 1] = value
        elif kind == "b":
            self.biases[layer - 1] = value[:, 0]
        else:
            self.norm[(kind, layer)] = value

    def norms(self, evaluation: bool) -> dict[int, Norm]:
        """Per normalised layer: gamma and beta, with the running statistics in evaluation mode."""
        layers = [layer for layer in range(1, self.structure.n_layers) if self.structure.normalised(layer)]
        return {layer: Norm(self.norm[("gamma", layer)][:, 0], self.norm[("beta", layer)][:, 0],
                            *((self.norm[("rmean", layer)][:, 0], self.norm[("rvar", layer)][:, 0]) if evaluation
                              else (None, None)))
                for layer in layers}


def _resync(problem: Problem, observed, step: int, params: Parameters, optimizer: Optimizer) -> None:
    """Continue from the spreadsheet's own parameters and optimizer state at `step`.

    Training at a large learning rate is chaotic: a difference of 1e-16 in summation order grows
    step by step until two correct implementations disagree at 1e-8. Checking each step from the
    previous step's values as the spreadsheet holds them verifies every formula locally (the
    parameters of step k are themselves checked against step k-1), without that drift.
    """
    s = problem.structure
    for layer in params.layers():
        running = ("rmean", "rvar") if layer and s.normalised(layer) else ()
        for kind in (*params.trained(layer), *running):
            value = observed(kind, layer, step)
            if value is not None:
                params.set(kind, layer, value)
        for state in state_names(s.optimizer):
            for kind in params.trained(layer):
                value = observed(f"{state}_{kind}", layer, step)
                if value is not None:
                    optimizer.state[(state, f"{kind}{layer}")] = value


def _update(problem: Problem, trace: Trace, step: int, grads: dict, params: Parameters, optimizer: Optimizer
            ) -> None:
    """The optimizer's update from step `step`'s gradients (clipped, at the step's rate) into step + 1's
    parameters and state."""
    s = problem.structure
    t = s.global_step(step) + 1  # Adam's bias corrections count updates over a chain of continued workbooks
    for name, value in optimizer.columns(t).items():
        trace[(name, 0, step + 1)] = np.array([[value]])
    rate = scheduled_rate(s.schedule, problem.hyper, s.global_step(step), s.cosine_span)
    if s.schedule != "constant":
        trace[("lr", 0, step)] = np.array([[rate]])
    factor = 1.0
    if s.clip:
        every = [grads[("d" + kind, layer)] for layer in params.layers() for kind in params.trained(layer)]
        norm, factor = clip_factor(every, problem.hyper["clip_norm"])
        trace[("tnorm", 0, step)], trace[("clip", 0, step)] = np.array([[norm]]), np.array([[factor]])
    for layer in params.layers():
        for kind in params.trained(layer):
            new, states = optimizer.step(f"{kind}{layer}", params.get(kind, layer), grads[("d" + kind, layer)] * factor,
                                         t, rate)
            params.set(kind, layer, new)
            trace[(kind, layer, step + 1)] = new
            for state, value in states.items():
                trace[(f"{state}_{kind}", layer, step + 1)] = value


def _train_step(problem: Problem, trace: Trace, step: int, values: dict, params: Parameters,
                optimizer: Optimizer, x: np.ndarray, conv_values: dict | None) -> None:
    """Backpropagate step `step`'s loss (from its forward `values` on the dense layers' inputs `x`), move the
    running statistics and apply the update that makes step + 1's parameters."""
    s = problem.structure
    targets = batch(problem, step)[1]
    grads = backward(s, problem.hyper, x, params.weights, values, targets, step_masks(problem, step),
                     params.norms(evaluation=False))
    if conv_values is not None:
        grads[("dx", 1)] = grads[("dz", 1)] @ params.weights[0]
        pictures = conv_values["cx"][:, 0]  # the batch's images, as the forward pass read them
        through = convblock.backward(s, problem.hyper, pictures, params.get("K", 0), conv_values, grads[("dx", 1)])
        grads.update({(kind, 0): value for kind, value in through.items()})
    _record(trace, grads, step)
    trace[("gnorm", 0, step)] = np.array([[np.sqrt((grads[("dW", layer)] ** 2).sum())
                                           for layer in range(1, s.n_layers + 1)]])
    trace[("gplot", 0, step)] = np.maximum(trace[("gnorm", 0, step)], 1e-12)  # the chart's log-scale floor
    for layer in range(1, s.n_layers):
        if s.normalised(layer):
            mean, var = running(params.get("rmean", layer), params.get("rvar", layer), values[("mu", layer)],
                                values[("var", layer)], len(x), problem.hyper["bn_momentum"])
            params.set("rmean", layer, mean)
            params.set("rvar", layer, var)
            trace[("rmean", layer, step + 1)], trace[("rvar", layer, step + 1)] = mean, var
    _update(problem, trace, step, grads, params, optimizer)


def run(problem: Problem, observed=None) -> Trace:
    """Every quantity of every step: K updates, K+1 forward passes.

    `observed(kind, layer, step)`, when given, returns a spreadsheet's values of a parameter or
    optimizer-state block (None where it has no clean numbers); each step then starts from them.
    """
    s = problem.structure
    trace: Trace = {}
    params = Parameters(problem)
    optimizer = Optimizer(s.optimizer, problem.hyper)
    for (kind, layer), value in problem.states.items():  # a continued workbook starts from the state it was left in
        state, param = kind.split("_", 1)
        optimizer.state[(state, f"{param}{layer}")] = np.array(value, dtype=float)
        trace[(kind, layer, 0)] = np.array(value, dtype=float)
    for layer in range(1, s.n_layers + 1):
        for kind in ("W", "b", "gamma", "beta", "rmean", "rvar"):
            if kind in ("W", "b") or s.normalised(layer):
                trace[(kind, layer, 0)] = params.get(kind, layer)
    if s.conv:
        trace[("K", 0, 0)], trace[("kb", 0, 0)] = params.get("K", 0), params.get("kb", 0)
    for step in range(s.steps + 1):
        if observed is not None and step > 0:
            _resync(problem, observed, step, params, optimizer)
        x, targets = batch(problem, step)
        conv_values = _through_conv(problem, trace, params, x, step) if s.conv else None
        if conv_values is not None:
            x = conv_values["x"]
        elif s.copies_batches:
            trace[("x", 1, step)] = x
        values = forward(s, problem.hyper, x, params.weights, params.biases, step_masks(problem, step), targets,
                         params.norms(evaluation=False))
        _record(trace, values, step)
        loss = data_loss(s, values) + penalty(s, problem.hyper, params.penalised())
        trace[("loss", 0, step)] = np.array([[loss]])
        if s.classification:
            trace[("accuracy", 0, step)] = np.array([[values[("correct", s.n_layers)].mean()]])
        if step in s.test_steps:
            _test_pass(problem, trace, step, params)
        if step < s.steps:
            _train_step(problem, trace, step, values, params, optimizer, x, conv_values)
    if s.features:
        trace[("features", 0, 0)] = network_inputs(problem)
    if s.n_raw == 2 and s.boundary_grid > 0:
        trace.update(boundary_values(problem, trace, final=params))
    if s.gradient_check and problem.choices:
        trace.update(gradient_check_values(problem, trace))
    if s.image_side:
        trace.update(digit_values(problem, trace, params))
    return trace


def loss_history(problem: Problem) -> np.ndarray:
    trace = run(problem)
    return np.array([trace[("loss", 0, k)][0, 0] for k in range(problem.structure.steps + 1)])
