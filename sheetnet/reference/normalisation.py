"""Batch normalization in numpy (torch.nn.BatchNorm1d): forward in training or evaluation mode, backward, running
statistics. Vectors are per neuron; results use the workbook's orientation (samples down, neurons across; per-neuron
numbers as a column)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Norm:
    """One layer's batch normalization: its scale and shift, and in evaluation mode the running statistics."""

    gamma: np.ndarray  # (width,)
    beta: np.ndarray
    mean: np.ndarray | None = None  # None: training mode, the batch's own statistics
    var: np.ndarray | None = None


def normalise(z: np.ndarray, norm: Norm, eps: float) -> dict[str, np.ndarray]:
    """mu and var (training mode), z - mean, zhat and gamma * zhat + beta."""
    values = {}
    if norm.mean is None:
        mean = z.mean(axis=0)
        centred = z - mean
        var = (centred * centred).mean(axis=0)  # biased, two passes
        values["mu"], values["var"] = mean[:, None], var[:, None]
    else:
        mean, var = norm.mean, norm.var
        centred = z - mean
    zhat = centred / np.sqrt(var + eps)
    values.update(zc=centred, zhat=zhat, zbn=norm.gamma * zhat + norm.beta)
    return values


def backward(g: np.ndarray, zhat: np.ndarray, var: np.ndarray, gamma: np.ndarray, eps: float
             ) -> dict[str, np.ndarray]:
    """From g = dL/d(gamma * zhat + beta): dL/dgamma, dL/dbeta and dL/dz through the batch's mean and variance."""
    n = len(g)
    dgamma = (g * zhat).sum(axis=0)
    dbeta = g.sum(axis=0)
    dz = gamma / np.sqrt(var + eps) / n * (n * g - dbeta - zhat * dgamma)
    return {"dgamma": dgamma[:, None], "dbeta": dbeta[:, None], "dz": dz}


def running(mean: np.ndarray, var: np.ndarray, batch_mean: np.ndarray, batch_var: np.ndarray, count: int,
            momentum: float) -> tuple[np.ndarray, np.ndarray]:
    """The running statistics after one training pass: the variance enters unbiased (times N / (N - 1))."""
    return ((1 - momentum) * mean + momentum * batch_mean,
            (1 - momentum) * var + momentum * batch_var * count / (count - 1))
