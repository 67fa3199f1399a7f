"""Every sentence a lesson or a try says is true: each try is made in a copy of the workbook and recalculated by the
fast engine, and what the About sheet says it does is what the copy shows; each reason a lesson gives is measured."""

from __future__ import annotations

import re
import zipfile

import numpy as np
import pytest
from openpyxl import load_workbook

from sheetnet import reference
from sheetnet.api import lessons
from sheetnet.api.examples import example_configs
from sheetnet.cellref import column_letters
from sheetnet.evaluate import engines
from sheetnet.layout import Layout
from sheetnet.verify import readback

from .conftest import REPO, build, example_params, problem_of, sheet_parts


def _about_lines(path) -> list[str]:
    ws = load_workbook(path, read_only=True)["About"]
    return [str(row[1]) for row in ws.iter_rows(values_only=True) if len(row) > 1 and row[1] is not None]


def _try_lines(path) -> list[str]:
    return [line for line in _about_lines(path) if line.startswith("Set ")]


def _with_inputs(path, out, edits: dict[str, dict[str, float]]):
    """A copy of a workbook with input cells changed (sheet -> {cell: value}), edited in the sheet XML as a
    spreadsheet would save a typed number; every formula is left for the engine to recalculate."""
    parts = sheet_parts(path)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            for sheet, cells in edits.items():
                if item.filename == parts[sheet]:
                    for cell, value in cells.items():
                        data, count = re.subn(rf'(<c r="{cell}"[^>]*>)<v>[^<]*</v>'.encode(),
                                              rb"\g<1><v>" + repr(float(value)).encode() + b"</v>", data)
                        assert count == 1, (sheet, cell)
            target.writestr(item, data)
    return out


def _edits(layout: Layout, change: str, to: float) -> dict[str, dict[str, float]]:
    edits: dict[str, dict[str, float]] = {}
    for target in lessons.targets(change):
        if target in layout.hyper_names:
            block = layout.hyper_block(target)
        else:  # a layer's initial weights (W1), or a convolution's kernels (K)
            block = layout.block("K", 0, 0) if target == "K" else layout.block("W", int(target[1:]), 0)
        for _, _, row, col in block.cells():
            edits.setdefault(block.sheet, {})[f"{column_letters(col)}{row}"] = to
    return edits


def _seen(layout: Layout, values, see: str) -> float:
    """What a try looks at, read from the recalculated workbook's cells."""
    s = layout.structure
    if see in ("loss", "accuracy", "test_loss", "test_accuracy"):
        block = layout.block(see, 0, s.steps)
        return values.get(block.sheet, block.row, block.col)
    if see == "weights":
        total = 0.0
        for layer in range(1, s.n_layers + 1):
            block = layout.block("W", layer, s.steps)
            total += sum(values.get(block.sheet, row, col) ** 2 for _, _, row, col in block.cells())
        return float(np.sqrt(total))
    block = layout.block("gnorm", 0, 0)
    return values.get(block.sheet, block.row, block.col) / values.get(block.sheet, block.row,
                                                                      block.col + s.n_layers - 1)


def _stated(line: str) -> tuple[float, float] | None:
    """The number a try's line says the change leads to ('goes from A to B') and half a unit of its last printed
    digit; None when the line says training diverges."""
    match = re.search(r"goes from \S+ to (-?[0-9.]+(?:e[+-][0-9]+)?)(%?)", line.rstrip("."))
    if match is None:
        return None
    text, percent = match.group(1).rstrip("."), match.group(2)
    mantissa, _, exponent = text.partition("e")
    decimals = len(mantissa.partition(".")[2]) - int(exponent or 0)
    half_unit = 0.5 * 10.0 ** -decimals * 1.001
    return (float(text) / 100, half_unit / 100) if percent else (float(text), half_unit)


# The quick tier makes the tries of a few examples (a learning rate, weights, a penalty, clipping, a decay, a
# held-out measure); the whole suite makes every example's (digits: 660,000 cells recalculated per try).
QUICK_TRIES = ("xor", "overfit-adamw", "exploding-clipped", "moons-regularised", "softmax-spiral")


@pytest.mark.parametrize("name", example_params(slow=tuple(set(example_configs()) - set(QUICK_TRIES))))
def test_every_try_made_in_a_copy_shows_what_the_about_sheet_says(tmp_path, name, written_example):
    """Each try on the About sheet, made in a copy of the workbook (the input cells typed over) and recalculated
    by the fast engine: the quantity it looks at is the number the About sheet states, to its printed digits, or
    the loss overflows at the step it says training diverges."""
    path = written_example(name)
    problem = readback.read_problem(path)
    layout = Layout(problem.structure)
    lines = _try_lines(path)
    given = problem.structure.tries or tuple(lessons.default_tries(problem))  # what the About sheet shows
    entries = [entry for entry in given if lessons.valid(problem, entry[0])]
    assert len(lines) == len(entries)
    for index, (change, to, see, _) in enumerate(entries):
        line = lines[index]
        copy = _with_inputs(path, tmp_path / f"try-{index}.xlsx", _edits(layout, change, to))
        values = engines.evaluate(copy, "fast")
        stated = _stated(line)
        if stated is None:
            step = int(re.search(r"diverges at step (\d+)", line).group(1))
            history = layout.block("loss", 0, step)
            loss = values.get(history.sheet, history.row, history.col)
            assert not np.isfinite(loss) or abs(loss) > 1e100, (line, loss)
            continue
        number, half_unit = stated
        assert _seen(layout, values, see) == pytest.approx(number, rel=0, abs=half_unit), line


@pytest.mark.parametrize("name", list(example_configs()))
def test_every_try_gives_its_reason(name):
    """No try only states a number: each one says why (the example configs' tries, and what the About sheet
    prints for them)."""
    problem = readback.read_problem(REPO / "workbooks" / f"{name}.xlsx")
    assert all(why.strip() for *_, why in problem.structure.tries), name
    for line in _try_lines(REPO / "workbooks" / f"{name}.xlsx")[:len(problem.structure.tries)]:
        assert re.search(r"\.\s+\S", line), line  # a sentence after the measured outcome


def test_default_tries_give_reasons_that_hold(tmp_path):
    """A workbook without tries of its own gets the default ones, each with a reason; the reason of the larger
    learning rate follows what it measurably does, and the equal-weights try keeps every hidden neuron a copy."""
    path = build(tmp_path, network={"sizes": [2, 3, 2, 1]}, training={"steps": 30, "l2": 0.01},
                 data={"builtin": "moons", "n": 12, "test_fraction": 0.25})
    problem = readback.read_problem(path)
    defaults = lessons.default_tries(problem)
    assert [change for change, *_ in defaults] == ["learning_rate", "W1 W2 W3", "learning_rate", "l2_penalty"]
    lines = _try_lines(path)
    for line in lines[:len(defaults)]:
        assert re.search(r"\.\s+\S", line), line
    before, _ = lessons.measure(problem, "loss")
    after, _ = lessons.measure(lessons.changed(problem, "learning_rate", defaults[0][1]), "loss")
    assert ("Longer steps get further" in lines[0]) == (after < before)
    trace = reference.run(lessons.changed(problem, "W1 W2 W3", 0.5))
    for step in range(problem.structure.steps + 1):
        for layer in (1, 2):
            a = trace[("a", layer, step)]
            np.testing.assert_array_equal(a, np.repeat(a[:, :1], a.shape[1], axis=1))


def test_no_symmetry_try_where_dropout_or_biases_break_the_symmetry():
    """Equal weights keep neurons copies only when nothing else tells them apart: not with dropout's masks."""
    problem = problem_of(network={"sizes": [2, 3, 1]}, training={"steps": 2, "dropout": 0.3})
    assert not any(change.startswith("W") for change, *_ in lessons.default_tries(problem))


def test_xor_zero_weights_are_dead_neurons_and_equal_weights_stay_copies():
    """The two reasons xor.xlsx gives: with Layer 1 at 0 every z on Layer 1 is 0 and every Layer 1 gradient is
    exactly 0 at every step; with every weight 0.5 the hidden neurons are copies at every step. Both end at 0.25."""
    problem = readback.read_problem(REPO / "workbooks" / "xor.xlsx")
    steps = problem.structure.steps
    dead = reference.run(lessons.changed(problem, "W1", 0.0))
    assert all(not dead[("z", 1, k)].any() and not dead[("dW", 1, k)].any() and not dead[("db", 1, k)].any()
               for k in range(steps))
    assert dead[("loss", 0, steps)][0, 0] == pytest.approx(0.25, abs=1e-4)
    copies = reference.run(lessons.changed(problem, "W1 W2", 0.5))
    for k in range(steps + 1):
        a = copies[("a", 1, k)]
        np.testing.assert_array_equal(a, np.repeat(a[:, :1], 4, axis=1))
    assert copies[("loss", 0, steps)][0, 0] == pytest.approx(0.25, abs=1e-4)


def test_overfit_l2_compares_the_losses_without_the_penalty():
    """overfit-l2.xlsx: 0.156 is the loss without the penalty, 0.347 with it (the Training sheet's column)."""
    problem = readback.read_problem(REPO / "workbooks" / "overfit-l2.xlsx")
    trace = reference.run(problem)
    steps = problem.structure.steps
    plain = readback.read_problem(REPO / "workbooks" / "overfit.xlsx")
    lesson = problem.structure.lesson
    assert f"{lessons.data_loss(problem, trace, steps):.3f}" in lesson
    assert f"{trace[('loss', 0, steps)][0, 0]:.3f}" in lesson
    assert f"{reference.run(plain)[('loss', 0, steps)][0, 0]:.3f}" in lesson
    about = " ".join(_about_lines(REPO / "workbooks" / "overfit-l2.xlsx"))
    assert "with its penalty" in about and "without the penalty" in about


def test_clipping_at_1000_bites_only_once_the_gradients_have_exploded():
    """exploding-clipped.xlsx's try: with clip_norm 1000 the factor is 1 until step 6, where the norm is 3,496
    and the factor 0.286; the loss still explodes."""
    problem = readback.read_problem(REPO / "workbooks" / "exploding-clipped.xlsx")
    trace = reference.run(lessons.changed(problem, "clip_norm", 1000))
    steps = problem.structure.steps
    factors = [trace[("clip", 0, k)][0, 0] for k in range(steps)]
    assert factors[:6] == [1.0] * 6 and factors[6] == pytest.approx(0.286, abs=5e-4)
    assert trace[("tnorm", 0, 6)][0, 0] == pytest.approx(3496, abs=0.5)
    assert trace[("loss", 0, steps)][0, 0] > 1e12
    why = next(why for change, to, _, why in problem.structure.tries if change == "clip_norm" and to == 1000)
    assert "3,496" in why and "0.286" in why and "step 6" in why


def test_deep_tanh_barely_fits_and_its_accuracy_is_chance():
    problem = readback.read_problem(REPO / "workbooks" / "deep-tanh.xlsx")
    trace = reference.run(problem)
    s = problem.structure
    lesson = s.lesson
    for step in (0, s.steps):
        assert np.abs(trace[("a", s.n_layers, step)] - 0.5).max() < 0.05
    for number in (f"{trace[('loss', 0, 0)][0, 0]:.3f}", f"{trace[('loss', 0, s.steps)][0, 0]:.3f}",
                   f"{trace[('accuracy', 0, 0)][0, 0]:.0%}", f"{trace[('accuracy', 0, s.steps)][0, 0]:.0%}"):
        assert number in lesson, number


def test_softmax_spiral_curves_follow_the_batches():
    """Step k uses batch k mod 3; step 60's batch ends at 40% right, the other two at 90% and 80%."""
    problem = readback.read_problem(REPO / "workbooks" / "softmax-spiral.xlsx")
    trace = reference.run(problem)
    s = problem.structure
    assert len(s.batches) == 3 and all(list(s.samples_at(k)) == list(s.samples_at(k + 3)) for k in range(s.steps - 3))
    accuracy = {k: f"{trace[('accuracy', 0, k)][0, 0]:.0%}" for k in (0, 58, 59, 60)}
    lesson = s.lesson
    assert f"ends at {accuracy[60]} right ({accuracy[0]} at step 0)" in lesson
    assert f"{accuracy[58]} (step 58) and {accuracy[59]} (step 59)" in lesson
    assert f"from {trace[('loss', 0, 0)][0, 0]:.3g} to {trace[('loss', 0, 60)][0, 0]:.3g}" in lesson


def test_the_readme_rows_quote_the_measured_lesson_numbers():
    """The README's example table says what the workbooks measure: the penalised and plain losses of
    overfit-l2, the AdamW lesson's test losses and decay factor."""
    readme = (REPO / "README.md").read_text()
    row = {name: next(line for line in readme.splitlines() if line.startswith(f"| `{name}.xlsx`"))
           for name in ("overfit-l2", "overfit-adamw")}
    problem = readback.read_problem(REPO / "workbooks" / "overfit-l2.xlsx")
    trace, steps = reference.run(problem), problem.structure.steps
    assert f"ends at {lessons.data_loss(problem, trace, steps):.3f}" in row["overfit-l2"]
    assert f"({trace[('loss', 0, steps)][0, 0]:.3f} with it" in row["overfit-l2"]
    problem = readback.read_problem(REPO / "workbooks" / "overfit-adamw.xlsx")
    both = lessons.measure(problem, "test_loss")[0]
    neither = lessons.measure(lessons.changed(problem, "weight_decay l2_penalty", 0), "test_loss")[0]
    decay = 1 - problem.hyper["learning_rate"] * problem.hyper["weight_decay"]
    for number in (f"test loss {both:.3f}", f"climbs to {neither:.3f}", f"by {decay:.2f} per update"):
        assert number in row["overfit-adamw"], number
