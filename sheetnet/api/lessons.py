"""Things to try, measured: each change a learner could make is run through the reference when the
workbook is written, so the About sheet can say what the learner will see happen, in numbers."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np

from sheetnet import reference
from sheetnet.layout import Layout, quote_sheet
from sheetnet.model.options import OPTIMIZER_RECORDS, OPTIMIZERS
from sheetnet.model.problem import Problem
from sheetnet.reference.network import penalty
from sheetnet.sheets.measured import Measured


def _words(see: str, steps: int) -> str:
    return {
        "loss": f"the loss at step {steps}",
        "accuracy": f"the accuracy at step {steps}",
        "weights": "the size of the final weights (the root of the sum of their squares)",
        "gradient_ratio": "layer 1's gradient size at step 0 as a share of the last layer's",
        "test_loss": f"the test loss at step {steps}",
        "test_accuracy": f"the test accuracy at step {steps}",
    }[see]


def _run(problem: Problem) -> dict:
    with np.errstate(all="ignore"):  # a try may diverge: its overflow is what it measures
        return reference.run(problem)


def measure(problem: Problem, see: str, trace: dict | None = None) -> tuple[float, int | None]:
    """The quantity a try looks at, and the step at which training diverged (None if it did not); from `trace`,
    the problem's reference run, when the caller has it."""
    s = problem.structure
    trace = _run(problem) if trace is None else trace
    losses = [trace[("loss", 0, k)][0, 0] for k in range(s.steps + 1)]
    diverged = next((k for k, loss in enumerate(losses) if not np.isfinite(loss) or abs(loss) > 1e100), None)
    if see == "loss":
        return float(losses[-1]), diverged
    if see in ("accuracy", "test_loss", "test_accuracy"):
        return float(trace[(see, 0, s.steps)][0, 0]), diverged
    if see == "weights":
        squares = sum(float((trace[("W", layer, s.steps)] ** 2).sum()) for layer in range(1, s.n_layers + 1))
        return float(np.sqrt(squares)), diverged
    norms = trace[("gnorm", 0, 0)][0]
    return float(norms[0] / norms[-1]), diverged


def targets(change: str) -> list[str]:
    """What a try changes: a named cell, or one or more layers' initial weights ("W1", "W1 W2")."""
    return change.replace(",", " ").split()


def changed(problem: Problem, change: str, to: float) -> Problem:
    """The problem with one input changed: a named cell, or every initial weight of the layers it names."""
    result = copy.deepcopy(problem)
    for target in targets(change):
        if target in result.hyper:
            result.hyper[target] = float(to)
        elif target == "K":  # every initial kernel weight of a convolution
            result.kernels = np.full_like(result.kernels, float(to))
        else:
            layer = int(target[1:])
            result.weights[layer - 1] = np.full_like(result.weights[layer - 1], float(to))
    return result


def _cell(layout: Layout, change: str) -> str:
    if change in layout.hyper_names:
        block = layout.hyper_block(change)
        return f"{change} ({quote_sheet(block.sheet)}!{block.cell()})"
    blocks = [layout.block("K", 0, 0) if target == "K" else layout.block("W", int(target[1:]), 0)
              for target in targets(change)]
    layers = " and ".join("the kernels" if target == "K" else f"Layer {target[1:]}" for target in targets(change))
    places = ", ".join(f"{quote_sheet(block.sheet)}!{block.area()}" for block in blocks)
    return f"every initial weight of {layers} ({places})"


def _number(value: float, see: str) -> str:
    return f"{value:.0%}" if see.endswith("accuracy") else f"{value:.3g}"


def valid(problem: Problem, change: str) -> bool:
    """Whether a try names something this workbook has."""
    names = targets(change)
    if len(names) == 1 and names[0] in problem.hyper:
        return True
    layers = problem.structure.n_layers
    return bool(names) and all((name[:1] == "W" and name[1:].isdigit() and 1 <= int(name[1:]) <= layers)
                               or (name == "K" and problem.structure.conv) for name in names)


SYMMETRY_WHY = ("With every weight equal, the hidden neurons of a layer compute the same thing and get the same "
                "gradient, so they stay copies of each other and the layer works like one neuron: random initial "
                "weights break the symmetry.")


def symmetric_start(problem: Problem) -> bool:
    """Whether equal initial weights keep a layer's hidden neurons exact copies: its biases are equal and no
    dropout mask treats them differently."""
    return not problem.structure.dropout and all(np.all(b == b.flat[0]) for b in problem.biases)


def default_tries(problem: Problem) -> list[tuple[str, float, str, str]]:
    """What any workbook invites: a larger learning rate, equal initial weights, no regulariser. A learning-rate
    try's reason depends on what it does here (`tries` words it once measured)."""
    s, hyper = problem.structure, problem.hyper
    tries = [("learning_rate", float(f"{hyper['learning_rate'] * 3:.3g}"), "loss", "")]
    if any(s.width(layer) > 1 for layer in range(1, s.n_layers)) and symmetric_start(problem):
        every = " ".join(f"W{layer}" for layer in range(1, s.n_layers + 1))
        tries.append((every, 0.5, "loss", SYMMETRY_WHY))
    if s.n_test:
        tries.append(("learning_rate", float(f"{hyper['learning_rate'] / 3:.3g}"), "test_loss", ""))
    if s.use_l2:
        tries.append(("l2_penalty", 0.0, "weights", "Without the penalty nothing pulls the weights towards 0."))
    if s.dropout:
        tries.append(("dropout_rate", 0.0, "loss", "Without dropout the training loss can fall further."))
    return tries


def rate_why(problem: Problem, to: float, see: str, before: float, after: float, diverged: int | None) -> str:
    """Why a learning-rate try does what it measurably does (a default try has no text of its own)."""
    longer = to > problem.hyper["learning_rate"]
    if diverged is not None:
        return "Steps this long overshoot further each time, until the numbers overflow."
    if see == "loss":
        if longer:
            return ("Longer steps get further in the same number of updates." if after < before else
                    "Longer steps overshoot: each one goes past the lower loss that shorter steps reach.")
        return ("Shorter steps get less far in the same number of updates." if after > before else
                "Shorter steps overshoot less: they reach a lower loss.")
    return ("Shorter steps train less far in the same number of updates: here that fits the held-out samples "
            + ("better." if after < before else "worse."))


def _with_optimizer(problem: Problem, name: str) -> Problem:
    """The same network, data, initial weights and learning rate, trained by another optimizer with torch's
    defaults for it (the workbook's own optimizer keeps the workbook's settings)."""
    result = copy.deepcopy(problem)
    result.structure = dataclasses.replace(problem.structure, optimizer=name)
    own = {} if name != problem.structure.optimizer else problem.hyper
    result.hyper = {**problem.hyper, **{h.cell: float(h.default) for h in OPTIMIZER_RECORDS[name].hyper}, **own}
    return result


def optimizer_comparison(problem: Problem, baseline: dict | None = None) -> list[str]:
    """One sentence per optimizer: its loss after the workbook's steps, and when it first reached half the starting
    loss; the best is named. The workbook's own optimizer is `baseline`, the problem's reference run, when given."""
    s = problem.structure
    if not s.compare_optimizers or s.steps == 0:
        return []
    results = {}
    for name in OPTIMIZERS:
        own = name == s.optimizer and baseline is not None
        trace = baseline if own else _run(_with_optimizer(problem, name))
        results[name] = [float(trace[("loss", 0, k)][0, 0]) for k in range(s.steps + 1)]
    target = results[s.optimizer][0] / 2
    best = min(results, key=lambda name: results[name][-1] if np.isfinite(results[name][-1]) else np.inf)
    lines = []
    for name, losses in results.items():
        first = next((k for k, loss in enumerate(losses) if loss <= target), None)
        reached = f"first below {target:.3g} (half the starting loss) at step {first}" if first is not None else \
            f"never below {target:.3g} (half the starting loss)"
        mark = " (this workbook)" if name == s.optimizer else ""
        lowest = " - the lowest" if name == best else ""
        lines.append(f"{name}{mark}: loss {losses[-1]:.3g} at step {s.steps}{lowest}; {reached}.")
    return lines


def tries(problem: Problem, baseline: dict | None = None) -> list[str]:
    """One sentence per thing to try: the cell, the new value, and what changes, measured (`baseline`: the
    problem's own reference run)."""
    s = problem.structure
    baseline = _run(problem) if baseline is None else baseline
    layout = Layout(s)
    entries = [entry for entry in (s.tries or default_tries(problem)) if valid(problem, entry[0])]
    lines = []
    for change, to, see, why in entries:
        if (see.endswith("accuracy") and not s.classification) or (see.startswith("test") and not s.n_test):
            continue
        before, _ = measure(problem, see, baseline)
        after, diverged = measure(changed(problem, change, to), see)
        outcome = (f"training diverges at step {diverged}: the numbers overflow" if diverged is not None else
                   f"{_words(see, s.steps)} goes from {_number(before, see)} to {_number(after, see)}")
        if not why and change == "learning_rate" and see in ("loss", "test_loss"):
            why = rate_why(problem, to, see, before, after, diverged)
        lines.append(f"Set {_cell(layout, change)} to {to:g}: {outcome}." + (f" {why}" if why else ""))
    return lines


def loss_spans_decades(problem: Problem, trace: dict, decades: float = 3.0) -> bool:
    """Whether the training loss's largest value is more than 10^decades times its smallest positive one:
    on a linear axis every step but the largest would then sit on the floor (an exploding loss)."""
    losses = np.array([trace[("loss", 0, k)][0, 0] for k in range(problem.structure.steps + 1)])
    shown = losses[np.isfinite(losses) & (losses > 0)]
    return len(shown) > 1 and bool(shown.max() > shown.min() * 10 ** decades)


def data_loss(problem: Problem, trace: dict, step: int) -> float:
    """Step `step`'s training loss without its penalty (the reference's, from that step's weights): what the
    network's fit alone costs."""
    s = problem.structure
    weights = [trace[("W", layer, step)] for layer in range(1, s.n_layers + 1)]
    return float(trace[("loss", 0, step)][0, 0]) - penalty(s, problem.hyper, weights)


def outcome(problem: Problem, trace: dict) -> str:
    """Where training gets to, in numbers (from the problem's reference run): the loss, the accuracy, and on the
    held-out samples."""
    s = problem.structure
    if s.steps == 0:
        return ""

    def history(kind: str) -> list[float]:
        steps = s.test_steps if kind.startswith("test_") else range(s.steps + 1)
        return [float(trace[(kind, 0, k)][0, 0]) for k in steps]

    loss = history("loss")
    text = f"The training loss goes from {loss[0]:.3g} to {loss[-1]:.3g} in {s.steps} steps"
    if s.use_l1 or s.use_l2:
        data = [data_loss(problem, trace, k) for k in (0, s.steps)]
        text = (f"The training loss with its penalty goes from {loss[0]:.3g} to {loss[-1]:.3g} in {s.steps} steps "
                f"(without the penalty, from {data[0]:.3g} to {data[1]:.3g})")
    if s.classification:
        accuracy = history("accuracy")
        text += f", the share of its {'batch' if s.batches else 'samples'} classified right from " \
                f"{accuracy[0]:.0%} to {accuracy[-1]:.0%}"
    if s.n_test:
        test_loss = history("test_loss")
        text += f". On the {s.n_test} held-out samples the test loss ends at {test_loss[-1]:.3g}"
        if s.classification:
            tests = history("test_accuracy")
            best = int(np.argmax(tests))
            text += f" and {tests[-1]:.0%} are classified right at step {s.steps}"
            if len(tests) > 2:
                text += f" (the most: {tests[best]:.0%}, at step {s.test_steps[best]})"
            else:
                text += f" ({tests[0]:.0%} at step {s.test_steps[0]})"
    return text + "."


def measured(problem: Problem) -> Measured:
    """Everything the About sheet and the charts show that depends on the numbers the workbook computes."""
    trace = _run(problem)
    return Measured(tries(problem, trace), optimizer_comparison(problem, trace), loss_spans_decades(problem, trace),
                    outcome(problem, trace))
