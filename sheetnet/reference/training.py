"""The numpy reference: forward, backward and update for every step, written from the maths.

It never sees a formula. It takes a Problem (data, initial parameters, hyper-parameters, read from
a workbook's input cells or built from a config) and returns a Trace: every quantity the workbook
shows, keyed by (kind, layer, step), in the orientation the workbook shows it (samples down,
neurons across; weights out x in; biases as a column).
"""

from __future__ import annotations

import numpy as np

from sheetnet.model.problem import Problem, Structure

Key = tuple[str, int, int]
Trace = dict[Key, np.ndarray]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(np.minimum(z, 0.0)) / (1.0 + np.exp(-np.abs(z)))


def _activate(name: str, z: np.ndarray, slope: float) -> np.ndarray:
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, slope * z)
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "linear":
        return z.copy()
    if name == "softmax":
        shifted = np.exp(z - z.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)
    raise ValueError(name)


def _derivative(name: str, z: np.ndarray, a: np.ndarray, slope: float) -> np.ndarray:
    """f'(z) for element-wise activations, written in terms of z or a as the workbook does."""
    if name == "relu":
        return np.where(z > 0, 1.0, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, slope)
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a * a
    raise ValueError(name)


def _loss_terms(loss: str, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    if loss == "mse":
        return (a - y) ** 2
    if loss == "bce":
        return np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))
    if loss == "cross_entropy":
        zmax = z.max(axis=1, keepdims=True)
        log_sum = np.log(np.exp(z - zmax).sum(axis=1, keepdims=True))
        return (zmax + log_sum) * y.sum(axis=1, keepdims=True) - (y * z).sum(axis=1, keepdims=True)
    raise ValueError(loss)


def loss_divisor(structure: Structure, batch: int) -> int:
    """The mean's denominator: every sample and output (mse, bce), or every sample (cross_entropy)."""
    outputs = structure.sizes[-1]
    return batch if structure.loss == "cross_entropy" else batch * outputs


def output_delta(structure: Structure, z, a, y, trace: Trace, step: int) -> np.ndarray:
    """dL/dz of the output layer; records dL/da too where the workbook shows it."""
    layer = structure.n_layers
    divisor = loss_divisor(structure, len(y))
    act = structure.activation(layer)
    if structure.loss in ("bce", "cross_entropy"):
        return (a - y) / divisor  # sigmoid+BCE and softmax+CE: the activation's slope cancels
    grad_a = 2.0 * (a - y) / divisor
    if act == "linear":
        return grad_a
    trace[("dA", layer, step)] = grad_a
    if act == "softmax":
        return a * (grad_a - (grad_a * a).sum(axis=1, keepdims=True))
    return grad_a * a * (1.0 - a)


class _Optimizer:
    """Applies one update to one parameter array, recording its state in the trace."""

    def __init__(self, problem: Problem):
        self.kind = problem.structure.optimizer
        self.hyper = problem.hyper
        self.state: dict[str, np.ndarray] = {}

    def step(self, name: str, layer: int, param, grad, new_step: int, trace: Trace) -> np.ndarray:
        lr = self.hyper["learning_rate"]
        if self.kind == "sgd":
            return param - lr * grad
        if self.kind == "momentum":
            velocity = self.hyper["momentum"] * self.state.get(f"vel{name}{layer}", 0.0) + grad
            self.state[f"vel{name}{layer}"] = velocity
            trace[(f"vel_{name}", layer, new_step)] = velocity
            return param - lr * velocity
        b1, b2, eps = self.hyper["beta1"], self.hyper["beta2"], self.hyper["epsilon"]
        m = b1 * self.state.get(f"m{name}{layer}", 0.0) + (1 - b1) * grad
        v = b2 * self.state.get(f"v{name}{layer}", 0.0) + (1 - b2) * grad * grad
        self.state[f"m{name}{layer}"], self.state[f"v{name}{layer}"] = m, v
        trace[(f"m_{name}", layer, new_step)] = m
        trace[(f"v_{name}", layer, new_step)] = v
        bc1, bc2 = 1 - b1**new_step, 1 - b2**new_step
        return param - lr * (m / bc1) / (np.sqrt(v / bc2) + eps)


def _batch(problem: Problem, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets of the samples step `step` trains on."""
    samples = list(problem.structure.samples_at(step))
    return problem.inputs[samples], problem.targets[samples]


def _dropout_scale(problem: Problem, layer: int, step: int) -> np.ndarray:
    """mask / (1 - rate): inverted dropout keeps the expected activation unchanged."""
    return problem.masks[(layer, step)] / (1.0 - problem.hyper["dropout_rate"])


def forward(problem: Problem, weights, biases, step: int, trace: Trace) -> float:
    """One forward pass over the step's batch; records z, a and loss terms; returns the loss."""
    s = problem.structure
    slope = problem.hyper.get("leaky_slope", 0.0)
    prev, targets = _batch(problem, step)
    if s.batches is not None:
        trace[("x", 1, step)] = prev
    for layer in range(1, s.n_layers + 1):
        z = prev @ weights[layer - 1].T + biases[layer - 1]
        act = s.activation(layer)
        if act == "softmax":
            zmax = z.max(axis=1, keepdims=True)
            shifted = np.exp(z - zmax)
            trace[("max", layer, step)] = zmax
            trace[("exp", layer, step)] = shifted
            trace[("sum", layer, step)] = shifted.sum(axis=1, keepdims=True)
        a = _activate(act, z, slope)
        trace[("z", layer, step)], trace[("a", layer, step)] = z, a
        prev = a
        if s.dropout and layer < s.n_layers:
            prev = a * _dropout_scale(problem, layer, step)
            trace[("ad", layer, step)] = prev
    layer = s.n_layers
    terms = _loss_terms(s.loss, trace[("z", layer, step)], prev, targets)
    trace[("loss_terms", layer, step)] = terms
    if s.classification:
        output = trace[("a", layer, step)]
        if output.shape[1] == 1:
            right = (output[:, 0] > 0.5) == (targets[:, 0] > 0.5)
        else:
            right = (output * targets).sum(axis=1) == output.max(axis=1)
        trace[("correct", layer, step)] = right.astype(float)[:, None]
        trace[("accuracy", 0, step)] = np.array([[right.mean()]])
    loss = terms.sum() / loss_divisor(s, len(targets))
    if s.use_l2:
        loss += problem.hyper["l2_penalty"] * sum(float((w * w).sum()) for w in weights)
    trace[("loss", 0, step)] = np.array([[loss]])
    return float(loss)


def backward(problem: Problem, weights, step: int, trace: Trace) -> tuple[list, list]:
    """Backpropagation from the loss to every parameter; records dA, dz, dW, db."""
    s = problem.structure
    slope = problem.hyper.get("leaky_slope", 0.0)
    last = s.n_layers
    inputs, targets = _batch(problem, step)
    delta = output_delta(s, trace[("z", last, step)], trace[("a", last, step)], targets, trace, step)
    grads_w: list = [None] * last
    grads_b: list = [None] * last
    for layer in range(last, 0, -1):
        trace[("dz", layer, step)] = delta
        if layer == 1:
            prev = inputs
        else:
            prev = trace[("ad" if s.dropout else "a", layer - 1, step)]
        grad_w = delta.T @ prev
        if s.use_l2:
            grad_w = grad_w + 2.0 * problem.hyper["l2_penalty"] * weights[layer - 1]
        grads_w[layer - 1] = grad_w
        grads_b[layer - 1] = delta.sum(axis=0)
        trace[("dW", layer, step)] = grad_w
        trace.setdefault(("gnorm", 0, step), np.zeros((1, s.n_layers)))[0, layer - 1] = np.sqrt((grad_w**2).sum())
        if s.train_biases:
            trace[("db", layer, step)] = grads_b[layer - 1][:, None]
        if layer > 1:
            grad_a = delta @ weights[layer - 1]
            trace[("dA", layer - 1, step)] = grad_a
            z, a = trace[("z", layer - 1, step)], trace[("a", layer - 1, step)]
            if s.dropout:
                grad_a = grad_a * _dropout_scale(problem, layer - 1, step)
            delta = grad_a * _derivative(s.activation(layer - 1), z, a, slope)
    return grads_w, grads_b


def _resync(problem: Problem, observed, step: int, weights, biases, optimizer: _Optimizer) -> None:
    """Continue from the spreadsheet's own parameters and optimizer state at `step`.

    Training at a large learning rate is chaotic: a difference of 1e-16 in summation order grows
    step by step until two correct implementations disagree at 1e-8. Checking each step from the
    previous step's values as the spreadsheet holds them verifies every formula locally (the
    parameters of step k are themselves checked against step k-1), without that drift.
    """
    s = problem.structure
    states = {"sgd": (), "momentum": ("vel",), "adam": ("m", "v")}[s.optimizer]
    for layer in range(1, s.n_layers + 1):
        value = observed("W", layer, step)
        if value is not None:
            weights[layer - 1] = value
        if s.train_biases:
            value = observed("b", layer, step)
            if value is not None:
                biases[layer - 1] = value[:, 0]
        for state in states:
            for param in ("W", "b") if s.train_biases else ("W",):
                value = observed(f"{state}_{param}", layer, step)
                if value is not None:
                    optimizer.state[f"{state}{param}{layer}"] = value


def run(problem: Problem, observed=None) -> Trace:
    """Every quantity of every step: K updates, K+1 forward passes.

    `observed(kind, layer, step)`, when given, returns a spreadsheet's values of a parameter or
    optimizer-state block (None where it has no clean numbers); each step then starts from them.
    """
    s = problem.structure
    trace: Trace = {}
    weights = [np.array(w, dtype=float) for w in problem.weights]
    biases = [np.array(b, dtype=float) for b in problem.biases]
    optimizer = _Optimizer(problem)
    for layer in range(1, s.n_layers + 1):
        trace[("W", layer, 0)] = weights[layer - 1]
        trace[("b", layer, 0)] = biases[layer - 1][:, None]
    for step in range(s.steps + 1):
        if observed is not None and step > 0:
            _resync(problem, observed, step, weights, biases, optimizer)
        forward(problem, weights, biases, step, trace)
        if step == s.steps:
            break
        grads_w, grads_b = backward(problem, weights, step, trace)
        if s.optimizer == "adam":
            b1, b2 = problem.hyper["beta1"], problem.hyper["beta2"]
            trace[("bc1", 0, step + 1)] = np.array([[1 - b1 ** (step + 1)]])
            trace[("bc2", 0, step + 1)] = np.array([[1 - b2 ** (step + 1)]])
        for layer in range(1, s.n_layers + 1):
            i = layer - 1
            weights[i] = optimizer.step("W", layer, weights[i], grads_w[i], step + 1, trace)
            trace[("W", layer, step + 1)] = weights[i]
            if s.train_biases:
                biases[i] = optimizer.step("b", layer, biases[i][:, None], grads_b[i][:, None],
                                           step + 1, trace)[:, 0]
                trace[("b", layer, step + 1)] = biases[i][:, None]
    if s.sizes[0] == 2 and s.boundary_grid > 0:
        trace.update(boundary_values(problem, trace))
    if s.gradient_check and problem.choices:
        trace.update(gradient_check_values(problem, trace))
    return trace


def loss_history(problem: Problem) -> np.ndarray:
    trace = run(problem)
    return np.array([trace[("loss", 0, k)][0, 0] for k in range(problem.structure.steps + 1)])


def boundary_values(problem: Problem, trace: Trace) -> Trace:
    """The decision-boundary sheet: forward passes over a grid spanning the data, initial and final."""
    s = problem.structure
    grid = s.boundary_grid
    values: Trace = {}
    low, high = problem.inputs[:, :2].min(axis=0), problem.inputs[:, :2].max(axis=0)
    span = high - low
    low, high = low - 0.1 * span, high + 0.1 * span
    values[("bd_range", 0, 0)] = np.column_stack([low, high])
    steps = np.arange(grid) / (grid - 1)
    x1 = low[0] + steps * (high[0] - low[0])
    x2 = high[1] - steps * (high[1] - low[1])
    values[("bd_x1", 0, 0)] = x1[None, :]
    values[("bd_x2", 0, 0)] = x2[:, None]
    points = np.column_stack([np.tile(x1, grid), np.repeat(x2, grid)])
    values[("bd_px", 0, 0)] = points
    slope = problem.hyper.get("leaky_slope", 0.0)
    last = s.n_layers
    for variant, step in ((0, 0), (1, s.steps)):
        prev = points
        for layer in range(1, last + 1):
            bias_step = step if s.train_biases else 0
            z = prev @ trace[("W", layer, step)].T + trace[("b", layer, bias_step)][:, 0]
            if layer < last:
                prev = _activate(s.activation(layer), z, slope)
                values[("bd_a", layer, variant)] = prev
        values[("bd_z", last, variant)] = z
        if s.activation(last) == "softmax":
            shown = z.argmax(axis=1).astype(float)
        else:
            shown = _activate(s.activation(last), z[:, :1], slope)[:, 0]
        values[("bd_out", 0, variant)] = shown[:, None]
        values[("bd_grid", 0, variant)] = shown.reshape(grid, grid)
    for c, members in enumerate(s.class_points or ()):
        if members:
            values[("bd_class", c, 0)] = problem.inputs[list(members)][:, :2]
    return values


def gradient_check_values(problem: Problem, trace: Trace) -> Trace:
    """The gradient-check sheet: the step-0 loss with one parameter nudged by +/- epsilon."""
    s = problem.structure
    choice = problem.choices
    layer, neuron, column, eps = (choice["gc_layer"], choice["gc_neuron"], choice["gc_input"], choice["gc_epsilon"])
    values: Trace = {}
    selectors = []
    for m in range(1, s.n_layers + 1):
        fan_in, width = s.fan_in(m), s.width(m)
        sel = np.zeros((width, fan_in + 1))
        for j in range(width):
            for i in range(fan_in + 1):
                target = i + 1 if i < fan_in else 0
                sel[j, i] = float(layer == m and neuron == j + 1 and column == target)
        selectors.append(sel)
        values[("gc_sel", m, 0)] = sel
    losses = []
    for variant, sign in ((0, 1.0), (1, -1.0)):
        weights = [w + sign * eps * sel[:, :-1] for w, sel in zip(problem.weights, selectors, strict=True)]
        biases = [b + sign * eps * sel[:, -1] for b, sel in zip(problem.biases, selectors, strict=True)]
        scratch: Trace = {}
        losses.append(forward(problem, weights, biases, 0, scratch))
        for m in range(1, s.n_layers + 1):
            values[("gc_W", m, variant)] = weights[m - 1]
            values[("gc_b", m, variant)] = biases[m - 1][:, None]
            if m < s.n_layers:
                values[("gc_a", m, variant)] = scratch[("ad" if s.dropout else "a", m, 0)]
        last = s.n_layers
        values[("gc_z", last, variant)] = scratch[("z", last, 0)]
        if s.activation(last) == "softmax":
            values[("gc_exp", last, variant)] = scratch[("exp", last, 0)]
            values[("gc_sum", last, variant)] = scratch[("sum", last, 0)]
        values[("gc_terms", last, variant)] = scratch[("loss_terms", last, 0)]
    finite = (losses[0] - losses[1]) / (2 * eps)
    analytic = 0.0
    for m, sel in enumerate(selectors, start=1):
        analytic += float((trace[("dW", m, 0)] * sel[:, :-1]).sum())
        if s.train_biases:
            analytic += float((trace[("db", m, 0)][:, 0] * sel[:, -1]).sum())
    difference = abs(finite - analytic) / max(abs(finite), abs(analytic), 1e-12)
    values[("gc_result", 0, 0)] = np.array([[losses[0]], [losses[1]], [finite], [analytic], [difference]])
    return values
