"""Losses: the per-sample terms, the mean's divisor, the output layer's first gradient, notes and torch.

`c.y` is the target of this cell's output, `c.y_row` the sample's targets; `c.z`, `c.a`, `c.max` and
`c.sum` are the output layer's cells. Each form is the numerically stable one: BCE from z (as
BCEWithLogitsLoss), cross-entropy from z - max and the log of the sum (no LN(0), no overflow).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sheetnet.model.options import PER_SAMPLE_LOSSES


@dataclass(frozen=True)
class Loss:
    name: str
    words: str  # what the About sheet calls it
    terms: Callable  # (cells) -> this term's formula
    cancels: bool  # dL/dz of the output is (a - y) / n: the activation's slope cancels against the loss
    note: str
    delta_note: Callable[[int], str]  # (divisor) -> the note on the output layer's first gradient
    torch: Callable  # (z, a, y) tensors -> the mean loss, as torch computes it

    @property
    def per_sample(self) -> bool:
        """One term per sample (cross-entropy), or one per sample and output."""
        return self.name in PER_SAMPLE_LOSSES

    def divisor(self, batch: int, outputs: int) -> int:
        """The mean's denominator: every sample (cross-entropy) or every sample and output."""
        return batch if self.per_sample else batch * outputs

    def width(self, outputs: int) -> int:
        """Loss-term cells per sample."""
        return 1 if self.per_sample else outputs


def _functional():
    import torch.nn.functional as functional

    return functional


def gradient(c, n: int) -> str:
    """dL/da of a squared error (and dL/dz of a linear output): 2 (a - y) / n."""
    return f"2*({c.a}-{c.y})/{n}"


def delta(c, n: int) -> str:
    """dL/dz where the activation's slope cancels (sigmoid + BCE, softmax + cross-entropy)."""
    return f"({c.a}-{c.y})/{n}"


def total(terms: str, n: int) -> str:
    """The data loss: the mean of the terms."""
    return f"SUM({terms})/{n}"


MSE = Loss(
    "mse", "mean squared error",
    terms=lambda c: f"({c.a}-{c.y})^2",
    cancels=False,
    note="Squared error of one output for one sample: (a - y)^2. The loss is their mean (torch.nn.MSELoss).",
    delta_note=lambda n: f"Gradient of the loss with respect to each output: d/da of mean (a - y)^2 = 2 (a - y) / {n}, "
                         f"where {n} is the number of terms in the mean.",
    torch=lambda z, a, y: _functional().mse_loss(a, y),
)

BCE = Loss(
    "bce", "binary cross-entropy",
    terms=lambda c: f"MAX({c.z},0)-{c.z}*{c.y}+LN(1+EXP(-ABS({c.z})))",
    cancels=True,
    note="Binary cross-entropy from the pre-activation z (as torch.nn.BCEWithLogitsLoss): "
         "max(z,0) - z*y + ln(1 + e^-|z|). Equal to -(y ln a + (1-y) ln(1-a)) but never takes ln(0) "
         "or overflows.",
    delta_note=lambda n: f"Output delta for sigmoid + binary cross-entropy: dL/dz = (a - y) / {n}. The sigmoid's "
                         "slope a(1-a) cancels against the loss's 1/(a(1-a)), which is why this pairing trains well.",
    torch=lambda z, a, y: _functional().binary_cross_entropy_with_logits(z, y),
)

CROSS_ENTROPY = Loss(
    "cross_entropy", "cross-entropy with softmax",
    terms=lambda c: f"({c.max}+LN({c.sum}))*SUM({c.y_row})-SUMPRODUCT({c.y_row},{c.z_row})",
    cancels=True,
    note="Cross-entropy of one sample: -sum_j y_j ln(a_j). With ln(a_j) = z_j - max - ln(sum of exp), "
         "this is (max + ln(sum)) * sum(y) - sum(y * z): no ln(0), no overflow.",
    delta_note=lambda n: f"Output delta for softmax + cross-entropy: dL/dz = (a - y) / {n} (samples). The softmax "
                         "Jacobian and the log cancel to this simple difference.",
    torch=lambda z, a, y: _functional().cross_entropy(z, y.argmax(dim=1)),
)

LOSSES: dict[str, Loss] = {unit.name: unit for unit in (MSE, BCE, CROSS_ENTROPY)}

LINEAR_DELTA_NOTE = "Output delta for a linear output with MSE: dL/dz = dL/da = 2 (a - y) / {n}."


def correct(c, outputs: int) -> str:
    """1 when a sample is classified right: output > 0.5 matches target > 0.5, or the target's class
    has the largest output (softmax)."""
    if outputs == 1:  # not (a>0.5)=(y>0.5): some engines drop the parentheses of a comparison of comparisons
        return f"1-ABS(({c.a}>0.5)-({c.y}>0.5))"
    return f"IF(SUMPRODUCT({c.a_row},{c.y_row})=MAX({c.a_row}),1,0)"


def correct_note(outputs: int) -> str:
    if outputs == 1:
        return "1 when this sample is classified right, else 0: output > 0.5 agrees with target > 0.5"
    return ("1 when the target class has the largest probability (SUMPRODUCT(a, y) picks the target's "
            "probability; compare it with the row's MAX), else 0")
