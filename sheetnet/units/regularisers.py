"""Regularisers: dropout's inverted scaling and the weight penalties, as they enter the loss and its gradient."""

from __future__ import annotations


def dropped(value: str, mask: str) -> str:
    """Inverted dropout: a kept value (mask 1) is divided by the keep probability, a dropped one is 0.
    The backward pass scales the incoming gradient the same way."""
    return f"{value}*{mask}/(1-dropout_rate)"


def l2_loss(weights: list[str]) -> str:
    """The L2 penalty added to the loss: l2 times the sum of every layer's squared weights."""
    return f"+l2_penalty*({'+'.join(f'SUMSQ({w})' for w in weights)})"


def l1_loss(weights: list[str]) -> str:
    """The L1 penalty added to the loss: l1 times the sum of every layer's absolute weights."""
    return f"+l1_penalty*({'+'.join(f'SUMPRODUCT(ABS({w}))' for w in weights)})"


def l1_gradient(weight: str) -> str:
    """The L1 penalty's part of dL/dW: l1 * sign(W), 0 at W = 0 (as torch's autograd computes it)."""
    return f"+l1_penalty*SIGN({weight})"


def l2_gradient(weight: str) -> str:
    """The L2 penalty's part of dL/dW: d/dW of l2 * W^2."""
    return f"+2*l2_penalty*{weight}"
