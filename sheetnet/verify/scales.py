"""How large the numbers were that a cell's value was computed from: the size of its rounding error.

Rounding error is relative to the operands, not to the result. Where a result is much smaller than its
operands (cancellation), an engine and the reference may differ by ~1e-16 of the operands, which can be
far more than 1e-9 of the result:
- a softmax output's gradient p - y with p = 1 - 1e-12 is 1e-12 with an error of 1e-16 (1e-4 relative);
  weights of 1e5 carry that error back to every earlier gradient;
- a cross-entropy term log(sum exp(z)) - z_y with logits of 1e9 has an error of 1e-7 whatever its value;
- an update w - lr * dw that nearly cancels, a momentum that changes sign.
Each function here returns, per cell, the sum of the sizes of what went into it (following the chain
rule backwards for gradients, with |f'| and the weights' sizes), so a tolerance of 1e-12 of it covers
rounding (1e-16 per operation, 1e4-fold margin) while a wrong formula, which moves a cell by the size of
a term, is still caught.
"""

from __future__ import annotations

import numpy as np

from sheetnet.model.options import state_names
from sheetnet.model.problem import Problem
from sheetnet.reference.convolution import convolve, kernel_gradients
from sheetnet.reference.maths import derivative, loss_divisor
from sheetnet.reference.optimizers import Optimizer
from sheetnet.reference.training import network_inputs

NUDGE = 1e-12  # the gradient moves by this share of its operands' size (the tolerance's own share)


def layer_input(problem: Problem, trace, prefix: str, layer: int, index: int) -> np.ndarray:
    """What a pass's layer multiplies by its weights: its first inputs, or the previous layer's output."""
    s = problem.structure
    if layer > 1:
        previous = trace.get((prefix + "ad", layer - 1, index))
        return previous if previous is not None else trace[(prefix + "a", layer - 1, index)]
    if prefix == "bd_":
        return trace.get(("bd_feat", 0, 0), trace[("bd_px", 0, 0)])
    if prefix == "dr_":
        return trace[("dr_in", 0, 0)]
    if s.conv and prefix in ("", "te_"):  # the pooled maps, flattened
        return trace[(prefix + "x", 1, index)]
    inputs = network_inputs(problem)
    if prefix == "te_":
        return inputs[list(s.test_samples)]
    return inputs[list(s.samples_at(index if prefix == "" else 0))]


def pass_parameters(problem: Problem, trace, prefix: str, layer: int, index: int):
    """(W, b) a pass multiplies by: the step's, the boundary's initial or final, or the nudged ones."""
    s = problem.structure
    if prefix == "gc_":
        return trace[("gc_W", layer, index)], trace[("gc_b", layer, index)][:, 0]
    step = index if prefix in ("", "te_") else (0 if index == 0 else s.steps)
    return trace[("W", layer, step)], trace[("b", layer, step if s.train_biases else 0)][:, 0]


class Scales:
    """Operand sizes of one reference trace's cells, computed on demand and remembered."""

    def __init__(self, problem: Problem, trace) -> None:
        self.problem = problem
        self.trace = trace
        self._dz: dict[tuple[int, int], np.ndarray | None] = {}

    def loss_terms(self, prefix: str, index: int) -> np.ndarray | None:
        """Per sample (and output), the size of what a loss term subtracts: the logits for BCE and
        cross-entropy (mean squared error has no cancellation beyond its own value)."""
        s = self.problem.structure
        z = self.trace.get((prefix + "z", s.n_layers, index))
        y = self.trace.get((prefix + "y", s.n_layers, index))
        if z is None or y is None or s.loss == "mse":
            return None
        if s.loss == "bce":
            return np.abs(z) * (1.0 + np.abs(y))
        return np.abs(z).max(axis=1, keepdims=True) * np.abs(y).sum(axis=1, keepdims=True) + \
            (np.abs(y) * np.abs(z)).sum(axis=1, keepdims=True)

    def loss(self, prefix: str, index: int) -> float:
        """The size of what a mean loss adds up: its terms' operand sizes over the divisor."""
        terms = self.loss_terms(prefix, index)
        if terms is None:
            return 0.0
        s = self.problem.structure
        return float(terms.sum()) / loss_divisor(s.loss, len(terms), s.sizes[-1])

    def _activation_slope(self, layer: int, step: int) -> np.ndarray:
        s = self.problem.structure
        z = self.trace[("zbn" if s.normalised(layer) else "z", layer, step)]
        a = self.trace[("a", layer, step)]
        name = s.activation(layer)
        if name == "tanh":  # 1 - a^2 cancels where a is near 1: its rounding is relative to 1 + a^2
            slope = 1.0 + a * a
        elif name == "sigmoid":  # a (1 - a), likewise
            slope = np.abs(a) * (1.0 + np.abs(a))
        else:
            slope = np.abs(derivative(name, z, a, self.problem.hyper.get("leaky_slope", 0.0)))
        if s.dropout and layer < s.n_layers:
            slope = slope / (1.0 - self.problem.hyper["dropout_rate"])
        return slope

    def output_grad_a(self, step: int) -> np.ndarray:
        """dL/da of the output: 2 (a - y) / n, whose operands are a and y."""
        s = self.problem.structure
        a, y = self.trace[("a", s.n_layers, step)], self.trace[("y", s.n_layers, step)]
        return 2.0 * (np.abs(a) + np.abs(y)) / loss_divisor(s.loss, len(a), s.sizes[-1])

    def dz(self, layer: int, step: int) -> np.ndarray | None:
        """Operand sizes of dL/dz, from the output back through |W| and |f'|."""
        if (layer, step) not in self._dz:
            self._dz[(layer, step)] = self._compute_dz(layer, step)
        return self._dz[(layer, step)]

    def _compute_dz(self, layer: int, step: int) -> np.ndarray | None:
        s = self.problem.structure
        if ("a", s.n_layers, step) not in self.trace or ("y", s.n_layers, step) not in self.trace:
            return None
        if layer < s.n_layers:
            g = self.dzbn(layer, step)
            return g if g is None or not s.normalised(layer) else self._through_norm(g, layer, step)
        a, y = self.trace[("a", layer, step)], self.trace[("y", layer, step)]
        if s.loss in ("bce", "cross_entropy"):
            return (np.abs(a) + np.abs(y)) / loss_divisor(s.loss, len(a), s.sizes[-1])
        grad_a = self.output_grad_a(step)
        if s.activation(layer) == "softmax":
            a = np.abs(a)
            return a * (grad_a + (grad_a * a).sum(axis=1, keepdims=True))
        return grad_a * self._activation_slope(layer, step)

    def dzbn(self, layer: int, step: int) -> np.ndarray | None:
        """Operand sizes of dL/da * f' (dL/dz, or dL/d(gamma*zhat+beta) in a batch-normalised layer)."""
        grad_a = self.dA(layer, step)
        return None if grad_a is None else grad_a * self._activation_slope(layer, step)

    def _norm(self, layer: int, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """|gamma|, 1 / sqrt(var + eps) (as rows) and |zhat| of a batch-normalised layer at a step."""
        istd = 1.0 / np.sqrt(self.trace[("var", layer, step)][:, 0] + self.problem.hyper["bn_epsilon"])
        return np.abs(self.trace[("gamma", layer, step)][:, 0]), istd, np.abs(self.trace[("zhat", layer, step)])

    def dgamma(self, layer: int, step: int) -> np.ndarray | None:
        g = self.dzbn(layer, step)
        return None if g is None else (g * self._norm(layer, step)[2]).sum(axis=0)[:, None]

    def dbeta(self, layer: int, step: int) -> np.ndarray | None:
        g = self.dzbn(layer, step)
        return None if g is None else g.sum(axis=0)[:, None]

    def _through_norm(self, g: np.ndarray, layer: int, step: int) -> np.ndarray:
        """gamma / sqrt(var + eps) / N * (N g + sum(g) + |zhat| sum(g |zhat|)): dL/dz's operands."""
        gamma, istd, zhat = self._norm(layer, step)
        n = len(g)
        return gamma * istd / n * (n * g + g.sum(axis=0) + zhat * (g * zhat).sum(axis=0))

    def z(self, prefix: str, layer: int, index: int) -> np.ndarray:
        """A weighted sum's operands: |inputs| @ |W|^T + |b|."""
        weights, bias = pass_parameters(self.problem, self.trace, prefix, layer, index)
        prev = layer_input(self.problem, self.trace, prefix, layer, index)
        return np.abs(prev) @ np.abs(weights).T + np.abs(bias)

    def activation(self, kind: str, prefix: str, layer: int, index: int) -> np.ndarray | None:
        """An activation's output carries its input's rounding: a = f(z) moves by at most the activation's
        steepest slope times z's error (the operands' size of z, or of gamma * zhat + beta). Softmax moves a_j by
        at most 2 a_j max|dz| (its row helpers: max by max|dz|, exp(z - max) and their sum by 2 max|dz| of
        themselves). Without it a cell whose z cancels (weights of 1e5 on both sides of a decision boundary)
        holds a pre-activation within its tolerance and an activation outside it."""
        s = self.problem.structure
        if (prefix + "z", layer, index) not in self.trace or not 1 <= layer <= s.n_layers:
            return None
        given = self.forward_norm("zbn", prefix, layer, index) if s.normalised(layer) else self.z(prefix, layer,
                                                                                                  index)
        if given is None:
            return None
        name = s.activation(layer)
        if name == "softmax":
            widest = given.max(axis=1, keepdims=True)
            own = {"max": 1.0, "exp": 2.0 * self.trace[(prefix + "exp", layer, index)],
                   "sum": 2.0 * self.trace[(prefix + "sum", layer, index)]}.get(kind)
            return widest * (own if own is not None else 2.0 * np.abs(self.trace[(prefix + "a", layer, index)]))
        steepest = {"sigmoid": 0.25, "leaky_relu": max(1.0, abs(self.problem.hyper.get("leaky_slope", 0.0)))}
        scale = steepest.get(name, 1.0) * given  # relu, tanh, elu, softplus and linear: slope at most 1
        if kind == "ad":
            scale = scale / (1.0 - self.problem.hyper["dropout_rate"])
        return scale

    def forward_norm(self, kind: str, prefix: str, layer: int, index: int) -> np.ndarray | None:
        """Batch normalization's forward cells: z - mean cancels (|z| + |mean|), and zhat and gamma * zhat + beta
        carry that on."""
        z, mean = self.trace.get((prefix + "z", layer, index)), self._mean(prefix, layer, index)
        if z is None or mean is None:
            return None
        centred = np.abs(z) + np.abs(mean)
        if kind == "zc":
            return centred
        var = self._variance(prefix, layer, index)
        zhat = centred / np.sqrt(var + self.problem.hyper["bn_epsilon"])
        if kind == "zhat":
            return zhat
        gamma, beta = self._scale_shift(prefix, layer, index)
        return gamma * zhat + beta

    def _statistic(self, kind: str, prefix: str, layer: int, index: int) -> np.ndarray | None:
        """The (row of) mean or variance a pass normalised with: its own, or the running one of its step."""
        own = self.trace.get((prefix + kind, layer, index))
        if own is not None:
            return own[:, 0]
        s = self.problem.structure
        step = index if prefix in ("", "te_") else (0 if index == 0 else s.steps)
        running = self.trace.get(("r" + ("mean" if kind == "mu" else "var"), layer, step))
        return None if running is None else running[:, 0]

    def statistic(self, kind: str, prefix: str, layer: int, index: int) -> np.ndarray | None:
        """A batch mean (sum of |z| / N), a batch variance (its centred values' errors, 2 sum |z - mu| (|z| + |mu|)
        / N) or a running statistic (the previous one plus the batch statistic it moves towards)."""
        if kind in ("rmean", "rvar"):
            batch = self.trace.get(("mu" if kind == "rmean" else "var", layer, index - 1))
            previous = self.trace.get((kind, layer, index - 1))
            if batch is None or previous is None:
                return None
            return np.abs(previous) + 2.0 * np.abs(batch)
        z = self.trace.get((prefix + "z", layer, index))
        if z is None:
            return None
        if kind == "mu":
            return np.abs(z).mean(axis=0)[:, None]
        mean = self._mean(prefix, layer, index)
        return (2.0 * np.abs(z - mean) * (np.abs(z) + np.abs(mean))).mean(axis=0)[:, None]

    def _mean(self, prefix: str, layer: int, index: int) -> np.ndarray | None:
        return self._statistic("mu", prefix, layer, index)

    def _variance(self, prefix: str, layer: int, index: int) -> np.ndarray:
        return self._statistic("var", prefix, layer, index)

    def _scale_shift(self, prefix: str, layer: int, index: int) -> tuple[np.ndarray, np.ndarray]:
        s = self.problem.structure
        step = index if prefix in ("", "te_") else (0 if prefix == "gc_" or index == 0 else s.steps)
        return (np.abs(self.trace[("gamma", layer, step)][:, 0]), np.abs(self.trace[("beta", layer, step)][:, 0]))

    def dA(self, layer: int, step: int) -> np.ndarray | None:
        """Operand sizes of dL/da of a layer: the next layer's dL/dz times |W|."""
        s = self.problem.structure
        if layer == s.n_layers:
            return self.output_grad_a(step)
        following = self.dz(layer + 1, step)
        return None if following is None else following @ np.abs(self.trace[("W", layer + 1, step)])

    def dW(self, layer: int, step: int, layer_input: np.ndarray) -> np.ndarray | None:
        """Operand sizes of dL/dW = dz^T a_prev, with the penalties' terms."""
        delta = self.dz(layer, step)
        if delta is None:
            return None
        s, hyper = self.problem.structure, self.problem.hyper
        size = delta.T @ np.abs(layer_input)
        weights = np.abs(self.trace[("W", layer, step)])
        if s.use_l2:
            size = size + 2.0 * hyper["l2_penalty"] * weights
        if s.use_l1:
            size = size + hyper["l1_penalty"]
        return size

    def db(self, layer: int, step: int) -> np.ndarray | None:
        delta = self.dz(layer, step)
        return None if delta is None else delta.sum(axis=0)[:, None]

    def update(self, kind: str, layer: int, step: int) -> np.ndarray | None:
        """A parameter or optimizer state at step t, made from its value at t - 1 and a gradient: the sizes of
        the previous value, the new one and the gradient (w - lr dw and beta m + (1 - beta) g can cancel), and
        how far the update moves when the gradient moves by its own tolerance (found by running the
        optimizer with the gradient nudged by that much, so every optimizer is covered)."""
        if step == 0:
            return None
        param = kind.rsplit("_", 1)[-1]
        previous = self.trace.get((kind, layer, step - 1))
        current = self.trace.get((kind, layer, step))
        grad = self.trace.get(("d" + param, layer, step - 1))
        if current is None or grad is None or np.shape(grad) != np.shape(current):
            return None
        size = np.abs(current) + np.abs(grad)
        if previous is not None:
            size = size + np.abs(previous)
        grad_scale = {"W": lambda: self.dW(layer, step - 1, self._layer_input(layer, step - 1)),
                      "b": lambda: self.db(layer, step - 1), "gamma": lambda: self.dgamma(layer, step - 1),
                      "beta": lambda: self.dbeta(layer, step - 1),
                      "K": lambda: conv_scale(self.problem, self.trace, "dK", step - 1),
                      "kb": lambda: conv_scale(self.problem, self.trace, "dkb", step - 1)}[param]()
        if grad_scale is None or np.shape(grad_scale) != np.shape(grad):
            return size
        nudge = NUDGE * np.where(np.isfinite(grad_scale), grad_scale, 0.0)
        moved = [self._updated(kind, param, layer, step, grad + sign * nudge) for sign in (1.0, 0.0, -1.0)]
        with np.errstate(all="ignore"):
            sensitivity = np.maximum(np.abs(moved[0] - moved[1]), np.abs(moved[2] - moved[1])) / NUDGE
        return size + np.where(np.isfinite(sensitivity), sensitivity, 0.0)

    def _layer_input(self, layer: int, step: int) -> np.ndarray:
        return layer_input(self.problem, self.trace, "", layer, step)

    def _updated(self, kind: str, param: str, layer: int, step: int, grad: np.ndarray) -> np.ndarray:
        """`kind` at `step` as the reference optimizer makes it from step - 1's values and `grad`."""
        s = self.problem.structure
        optimizer = Optimizer(s.optimizer, self.problem.hyper)
        name = f"{param}{layer}"
        for state in state_names(s.optimizer):
            value = self.trace.get((f"{state}_{param}", layer, step - 1))
            if value is not None:
                optimizer.state[(state, name)] = value
        clip = self.trace.get(("clip", 0, step - 1))
        rate = self.trace.get(("lr", 0, step - 1))
        with np.errstate(all="ignore"):
            new_param, states = optimizer.step(name, self.trace[(param, layer, step - 1)],
                                               grad * (1.0 if clip is None else float(clip[0, 0])),
                                               s.global_step(step),
                                               None if rate is None else float(rate[0, 0]))
        return new_param if kind == param else states[kind.rsplit("_", 1)[0]]


def conv_scale(problem: Problem, trace, kind: str, step: int) -> np.ndarray | None:
    """The sizes a convolution cell sums: |window| . |kernel| + |bias| for a map cell z, the batch's
    |map gradient| . |image| for a kernel gradient (and its penalty), |map gradients| for a bias's, and
    |dL/dz| . |W| for Layer 1's dL/dx."""
    s = problem.structure
    if kind == "dx":
        return np.abs(trace[("dz", 1, step)]) @ np.abs(trace[("W", 1, step)])
    pictures = np.abs(trace[("cx", 0, step)][:, 0])
    if kind == "cz":
        bias = trace[("kb", 0, step if s.train_biases else 0)]
        return np.abs(convolve(pictures, np.abs(trace[("K", 0, step)]), np.abs(bias[:, 0])))
    grads = trace.get(("cdz", 0, step))
    if grads is None:
        return None
    full = np.zeros((*grads.shape[:2], *s.map_shape))
    full[:, :, :grads.shape[2], :grads.shape[3]] = np.abs(grads)
    if kind == "dkb":
        return full.sum(axis=(0, 2, 3))[:, None]
    size = kernel_gradients(pictures, full, s.conv_kernel)[0]
    kernels = np.abs(trace[("K", 0, step)])
    hyper = problem.hyper
    return size + (2.0 * hyper["l2_penalty"] * kernels if s.use_l2 else 0.0) + (
        hyper["l1_penalty"] if s.use_l1 else 0.0)
