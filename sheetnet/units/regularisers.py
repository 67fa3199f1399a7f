"""Regularisers: dropout's inverted scaling and the weight penalties, as they enter the loss and its gradient."""

from __future__ import annotations


def dropped(value: str, mask: str) -> str:
    """Inverted dropout: a kept value (mask 1) is divided by the keep probability, a dropped one is 0.
    The backward pass scales the incoming gradient the same way."""
    return f"{value}*{mask}/(1-dropout_rate)"


def l2_loss(squares: list[str]) -> str:
    """The L2 penalty added to the loss, from SUMSQ of each layer's weights."""
    return f"+l2_penalty*({'+'.join(squares)})"


def l2_gradient(weight: str) -> str:
    """The L2 penalty's part of dL/dW: d/dW of l2 * W^2."""
    return f"+2*l2_penalty*{weight}"
