"""A hyper-parameter as one record: the config key a user writes, the named cell the workbook shows, its default,
the values it accepts and the words beside its cell.

Every map between config keys and named cells is read from these records (validation, the plan's values,
`regenerate`'s config, the Training sheet's texts); optimizers and schedules declare theirs beside their
formulas (`model.optimizers`, `model.schedules`), the rest are here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# rule -> (accepted?, the words of the refusal): one place for every range a hyper-parameter may have
RULES: dict[str, tuple[Callable[[float], bool], str]] = {
    "any": (lambda value: True, ""),
    "positive": (lambda value: value > 0, "must be > 0"),
    "non-negative": (lambda value: value >= 0, "must be 0 or more"),
    "off or more": (lambda value: value >= 0, "must be 0 (off) or more"),
    "fraction": (lambda value: 0 <= value < 1, "must be in [0, 1)"),
    "closed fraction": (lambda value: 0 <= value <= 1, "must be in [0, 1]"),
    "count": (lambda value: value >= 1, "must be 1 or more"),
}


@dataclass(frozen=True)
class Hyper:
    """A named cell of the Training sheet and the config key that sets it."""

    cell: str  # the defined name (never letters-then-digits: some engines read those as cell addresses)
    key: str  # the config key, in `section`
    default: float
    text: str  # the words beside the cell
    rule: str = "any"
    section: str = "training"
    integer: bool = False

    def refusal(self, value: float) -> str | None:
        """The one line that refuses `value`, or None when the rule accepts it."""
        accepted, words = RULES[self.rule]
        return None if accepted(value) else f"[{self.section}] {self.key} {words}, got {value}"


LEARNING_RATE = Hyper("learning_rate", "learning_rate", 0.1,
                      "step size of every update: new = old - learning_rate * gradient", "positive")
CLIP_NORM = Hyper("clip_norm", "clip_norm", 0.0, "gradient clipping: the largest total gradient norm an update may use",
                  "off or more")
BN_EPSILON = Hyper("bn_epsilon", "bn_epsilon", 1e-5,
                   "batch normalization: added to the batch variance before its square root", "positive", "network")
BN_MOMENTUM = Hyper("bn_momentum", "bn_momentum", 0.1,
                    "batch normalization: how far the running mean and variance move towards each batch's",
                    "closed fraction", "network")
L2 = Hyper("l2_penalty", "l2", 0.0,  # not "l2": L2 is a cell address
           "L2 penalty ([training] l2): l2_penalty * sum of squared weights is added to the loss", "non-negative")
L1 = Hyper("l1_penalty", "l1", 0.0,
           "L1 penalty ([training] l1): l1_penalty * sum of |weights| is added to the loss", "non-negative")
LEAKY_SLOPE = Hyper("leaky_slope", "leaky_slope", 0.01, "leaky ReLU: slope for negative z", section="network")
DROPOUT = Hyper("dropout_rate", "dropout", 0.0,
                "dropout: the share of hidden neurons switched off (masks are fixed, seeded cells)", "fraction")

# Hyper-parameters that belong to no optimizer or schedule: their config keys are fields of the schema's sections.
GENERAL: tuple[Hyper, ...] = (LEARNING_RATE, CLIP_NORM, BN_EPSILON, BN_MOMENTUM, L2, L1, LEAKY_SLOPE, DROPOUT)
