"""Gradient clipping by the total norm, as torch.nn.utils.clip_grad_norm_: the Training sheet's two cells per step
and what the updates multiply every gradient by."""

from __future__ import annotations

from sheetnet.model.options import CLIP_EPSILON


def total_norm(ranges: list[str]) -> str:
    """The 2-norm of every parameter's gradient together (weights, biases, batch-norm gamma and beta)."""
    return f"SQRT(SUMSQ({','.join(ranges)}))"


def factor(norm_cell: str) -> str:
    """What every gradient of the step is multiplied by: 1 while the norm is within clip_norm."""
    return f"MIN(1,clip_norm/({norm_cell}+{CLIP_EPSILON:g}))"


TOTAL_NOTE = ("Total gradient norm: sqrt of the sum of every squared gradient of every parameter of every layer "
              "(of the whole loss, penalties included), before clipping.")
FACTOR_NOTE = ("Clipping factor: min(1, clip_norm / (total norm + 1e-6)). Every gradient of this step is multiplied by "
               "it before the optimizer uses it, so a huge gradient cannot throw the weights far "
               "(torch.nn.utils.clip_grad_norm_).")


def torch_clip(parameters, hyper):
    """Clip the parameters' gradients in place as torch does; returns the total norm before clipping."""
    import torch

    return torch.nn.utils.clip_grad_norm_(parameters, hyper["clip_norm"])
