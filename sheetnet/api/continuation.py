"""Continue training in a new workbook: `sheetnet continue FILE.xlsx -o NEXT.xlsx [--steps K]`.

The new workbook starts where FILE ends: its initial parameters are FILE's final ones (weights, biases, batch
normalization's gamma, beta and running statistics), its optimizer starts from FILE's final state (velocity,
moments, sums of squares: input cells at step 0), its step numbers go on from FILE's last (Adam's bias
corrections and the learning-rate schedule use them), its first mini-batch is the one FILE would have taken
next, and its dropout masks are those the seed draws for those steps. Two chained workbooks therefore compute
what one workbook with the steps of both computes.

The final numbers are FILE's as the workbook computes them (the fast engine): what the user sees, a number typed
over a final weight included, as `predict` and `export` use it. For an untouched FILE they are the reference's to
1e-9, which `sheetnet check` proves.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from sheetnet import reference
from sheetnet.api import write
from sheetnet.api.regenerate import _raw_config
from sheetnet.api.use import computed
from sheetnet.errors import SheetnetError
from sheetnet.evaluate import engines
from sheetnet.evaluate.xlsx import read_package
from sheetnet.files import check_writable
from sheetnet.layout import Layout, quote_sheet
from sheetnet.model import config, plan
from sheetnet.model.options import NORM_START, TRAINED, state_names
from sheetnet.model.problem import Problem
from sheetnet.verify import readback


def _rotated(batches, by: int):
    """The batches in the order the next steps take them: batch `by` first."""
    if batches is None:
        return None
    start = by % len(batches)
    return batches[start:] + batches[:start]


def next_problem(old: Problem, steps: int | None, shown=None) -> Problem:
    """The problem that goes on from `old`'s last step for `steps` more (as many as `old` had, by default).

    `shown(kind, layer)` gives a block of the last step as the workbook shows it (an engine's values: a number
    the user typed over a final weight is what goes on); without it, the reference computes them."""
    s = old.structure
    if s.steps == 0:
        raise SheetnetError("the workbook trains for 0 steps: there is nothing to continue from")
    raw = _raw_config(old)
    raw["training"]["steps"] = s.steps if steps is None else steps
    cfg = config.from_dict(raw)
    new = plan.build_problem(cfg)
    last = s.steps
    layout = Layout(s)
    if shown is None:
        with np.errstate(all="ignore"):
            trace = reference.run(old)
        shown = lambda kind, layer: trace[(kind, layer, last if layout.has(kind, layer, last) else 0)]  # noqa: E731
    finals = [shown("W", layer) for layer in range(1, s.n_layers + 1)]
    if not all(np.isfinite(w).all() for w in finals):
        raise SheetnetError("the workbook's training diverged (its final weights overflow): nothing to continue "
                            "from; lower the learning rate and regenerate it")
    new.weights = [np.array(w) for w in finals]
    new.biases = [shown("b", layer)[:, 0].copy() for layer in range(1, s.n_layers + 1)]
    new.norms = {(kind, layer): shown(kind, layer).copy() for (kind, layer) in old.norms if kind in NORM_START}
    if s.conv:
        new.kernels, new.kernel_bias = shown("K", 0).copy(), shown("kb", 0)[:, 0].copy()
    new.states = {}
    for layer in range(0 if s.conv else 1, s.n_layers + 1):
        for state in state_names(s.optimizer):
            for kind in TRAINED:
                if layout.has(f"{state}_{kind}", layer, last):
                    new.states[(f"{state}_{kind}", layer)] = shown(f"{state}_{kind}", layer).copy()
    first_step = s.first_step + s.steps
    structure = replace(new.structure, input_names=s.input_names, raw_names=s.raw_names, target_names=s.target_names,
                        dataset=s.dataset, image_side=s.image_side, init_scheme="explicit", first_step=first_step,
                        schedule_span=s.schedule_span or s.steps, batches=_rotated(s.batches, s.steps),
                        n_test=s.n_test)
    new.structure = structure
    if structure.dropout:
        new.masks = plan.dropout_masks(structure, new.hyper["dropout_rate"], s.seed)
    new.drawing = old.drawing
    new.hyper = dict(old.hyper)
    new.choices.update(old.choices)
    return new


def continue_training(source: Path, target: Path, steps: int | None = None, force: bool = False) -> tuple[int, str]:
    """Write the next workbook; returns (formula cells, a sentence on where it starts)."""
    from sheetnet.model.config import MAX_STEPS

    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS):
        raise SheetnetError(f"the steps to continue (--steps) must be 1 to {MAX_STEPS:,}, got {steps!r}")
    check_writable(target, force)
    package = read_package(source)
    old = readback.problem_from_package(package)
    values = engines.evaluate(source, "fast", package)
    layout, last = Layout(old.structure), old.structure.steps

    def shown(kind: str, layer: int) -> np.ndarray:
        """The last step's block as the workbook computes it: what the user sees, typed-over numbers included."""
        block = layout.block(kind, layer, last if layout.has(kind, layer, last) else 0)
        got = computed(values, block, finite=False)  # an overflow is said once, by next_problem
        if got is None:
            raise SheetnetError(f"{source}: {quote_sheet(block.sheet)}!{block.area()} (the final {kind}) is not a "
                                f"number in every cell: nothing to continue from")
        return got

    new = next_problem(old, steps, shown)
    count = write(new, target, force=True)
    s = new.structure
    return count, (f"starts at step {s.first_step} from {source.name}'s final parameters"
                   + (f" and {s.optimizer}'s state" if new.states else "") + f"; {s.steps} more steps")
