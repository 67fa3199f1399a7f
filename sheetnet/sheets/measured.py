"""What the caller measured with the reference before writing, for the workbook to show.

The writer never runs the reference (it only writes formulas); sentences and choices that depend on the
numbers the workbook will compute are measured by `sheetnet.api.lessons` and handed over here.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Measured:
    tries: list[str] = field(default_factory=list)  # things to try, with what they change
    comparison: list[str] = field(default_factory=list)  # each optimizer on this network
    log_loss: bool = False  # the loss spans so many decades that a linear axis would flatten all but one step
    outcome: str = ""  # where training gets to: loss, accuracy, test accuracy, in numbers
