"""The maths of each activation and loss in numpy, written from their definitions (never from formulas)."""

from __future__ import annotations

import numpy as np


def features(names: tuple[str, ...], raw: np.ndarray) -> np.ndarray:
    """The network's inputs computed from the raw inputs x1, x2 (the raw inputs when there are no features)."""
    if not names:
        return raw
    x1, x2 = raw[:, 0], raw[:, 1]
    columns = {"x1": x1, "x2": x2, "x1^2": x1 * x1, "x2^2": x2 * x2, "x1*x2": x1 * x2, "sin(x1)": np.sin(x1),
               "sin(x2)": np.sin(x2)}
    return np.column_stack([columns[name] for name in names])


def sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(np.minimum(z, 0.0)) / (1.0 + np.exp(-np.abs(z)))


def softmax(z: np.ndarray) -> np.ndarray:
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def activate(name: str, z: np.ndarray, slope: float = 0.0) -> np.ndarray:
    """a = f(z), element-wise (softmax: row-wise)."""
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, slope * z)
    if name == "sigmoid":
        return sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "elu":
        return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))
    if name == "softplus":
        return np.where(z > 20, z, np.log1p(np.exp(np.minimum(z, 20.0))))
    if name == "linear":
        return z.copy()
    if name == "softmax":
        return softmax(z)
    raise ValueError(name)


def derivative(name: str, z: np.ndarray, a: np.ndarray, slope: float = 0.0) -> np.ndarray:
    """f'(z) of an element-wise activation, from z or from a = f(z)."""
    if name == "relu":
        return np.where(z > 0, 1.0, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, slope)
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a * a
    if name == "elu":
        return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0)))
    if name == "softplus":
        return np.where(z > 20, 1.0, sigmoid(z))
    if name == "linear":
        return np.ones_like(z)
    raise ValueError(name)


def loss_terms(loss: str, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """One term per sample and output (mse, bce) or per sample (cross-entropy); the loss is their mean."""
    if loss == "mse":
        return (a - y) ** 2
    if loss == "bce":
        return np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))
    if loss == "cross_entropy":
        zmax = z.max(axis=1, keepdims=True)
        log_sum = np.log(np.exp(z - zmax).sum(axis=1, keepdims=True))
        return (zmax + log_sum) * y.sum(axis=1, keepdims=True) - (y * z).sum(axis=1, keepdims=True)
    raise ValueError(loss)


def loss_divisor(loss: str, batch: int, outputs: int) -> int:
    """The mean's denominator: every sample and output (mse, bce), or every sample (cross_entropy)."""
    return batch if loss == "cross_entropy" else batch * outputs


def classified_right(output: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per sample: output > 0.5 agrees with target > 0.5 (one output), or the target's class has the
    largest output."""
    if output.shape[1] == 1:
        return (output[:, 0] > 0.5) == (targets[:, 0] > 0.5)
    return (output * targets).sum(axis=1) == output.max(axis=1)
