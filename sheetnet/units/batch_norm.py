"""Batch normalization as formulas (torch.nn.BatchNorm1d in training and in evaluation mode), with its notes.

Per neuron over the batch's N samples: mean = SUM(z)/N; var = SUMSQ(z - mean)/N (biased, as torch normalises);
zhat = (z - mean) / sqrt(var + bn_epsilon); the layer's output before its activation is gamma * zhat + beta.
Backward, with g = dL/d(gamma*zhat+beta): dL/dgamma = sum(g * zhat), dL/dbeta = sum(g) and
dL/dz = gamma / sqrt(var + bn_epsilon) / N * (N*g - dL/dbeta - zhat * dL/dgamma), the full gradient through the
batch's mean and variance. The running statistics follow every training step:
running = (1 - bn_momentum) * running + bn_momentum * statistic, the variance's unbiased (times N / (N - 1)).
"""

from __future__ import annotations


def mean(column: str, count: int) -> str:
    return f"SUM({column})/{count}"


def variance(centred_column: str, count: int) -> str:
    """The biased variance from the centred values: two passes, as torch computes it, not E[z^2] - E[z]^2."""
    return f"SUMSQ({centred_column})/{count}"


def normalised(centred: str, var: str) -> str:
    return f"{centred}/SQRT({var}+bn_epsilon)"


def input_gradient(g: str, zhat: str, gamma: str, var: str, dgamma: str, dbeta: str, count: int) -> str:
    """dL/dz of one sample and neuron through gamma * zhat + beta and the batch statistics."""
    return f"{gamma}/SQRT({var}+bn_epsilon)/{count}*({count}*{g}-{dbeta}-{zhat}*{dgamma})"


def running_mean(previous: str, batch_mean: str) -> str:
    return f"(1-bn_momentum)*{previous}+bn_momentum*{batch_mean}"


def running_variance(previous: str, batch_var: str, count: int) -> str:
    return f"(1-bn_momentum)*{previous}+bn_momentum*{batch_var}*{count}/{count - 1}"


NOTES = {
    "mu": "Batch mean of this neuron's z over the step's samples: SUM(z) / N (batch normalization, training mode).",
    "var": "Batch variance of this neuron's z: SUMSQ(z - mean) / N, the biased variance torch normalises with.",
    "zc": "z minus the mean it is normalised with (the batch's in training; the running mean on the test rows and "
          "in the pictures, evaluation mode).",
    "zhat": "Normalised z: (z - mean) / sqrt(variance + bn_epsilon). Over a training batch each neuron's zhat has "
            "mean 0 and variance about 1, whatever the weights before it did.",
    "zbn": "gamma * zhat + beta: batch normalization's trained scale and shift; the activation reads this, not z.",
    "gamma": "gamma: batch normalization's scale for this neuron, trained like a weight (it starts at 1; no L1/L2 "
             "penalty).",
    "beta": "beta: batch normalization's shift for this neuron, trained like a bias (it starts at 0).",
    "rmean": "Running mean, for evaluation mode (test rows, pictures, predict): (1 - bn_momentum) * previous + "
             "bn_momentum * the batch mean of the previous step; it starts at 0 (torch.nn.BatchNorm1d).",
    "rvar": "Running variance: (1 - bn_momentum) * previous + bn_momentum * the previous step's batch variance * "
            "N / (N - 1) (unbiased, as torch keeps it); it starts at 1.",
    "dzbn": "dL/d(gamma * zhat + beta): dL/da times the activation's slope, taken at gamma * zhat + beta.",
    "dgamma": "dL/dgamma = sum over the batch of dL/d(gamma*zhat+beta) * zhat.",
    "dbeta": "dL/dbeta = sum over the batch of dL/d(gamma*zhat+beta).",
    "dz": "Backpropagation through batch normalization. With g = dL/d(gamma*zhat+beta), every z of the batch moves "
          "the mean and the variance too, so dL/dz_i = gamma / sqrt(var + eps) / N * (N g_i - sum(g) - zhat_i * "
          "sum(g * zhat)): the first term is the direct path, sum(g) = dL/dbeta comes through the mean and "
          "zhat_i * sum(g * zhat) = zhat_i * dL/dgamma through the variance. The gradient that reaches W sums to 0 "
          "over the batch, which is why b before batch normalization learns nothing (dL/db = 0).",
}
