"""workbooks/ holds exactly what `sheetnet examples` regenerates, and the examples train."""

import numpy as np
import pytest
from click.testing import CliRunner

from sheetnet import reference
from sheetnet.api.examples import example_configs
from sheetnet.cli import main
from sheetnet.verify import readback

from .conftest import REPO, example_params


def test_workbooks_holds_one_file_per_example_config():
    """workbooks/ has a workbook for every config and nothing else; each file is byte for byte what the current code
    writes (test_every_example_as_the_code_writes_it_checks_clean_and_is_committed), and the `examples` command
    that writes them all runs in test_readme.py."""
    names = sorted(p.name for p in (REPO / "workbooks").glob("*.xlsx"))
    assert names == sorted(f"{name}.xlsx" for name in example_configs())


def test_xor_example_is_the_issue_command_and_trains():
    """xor.xlsx: hidden 4, 200 steps, lr 0.1, seed 0; loss falls >= 10x, all four points right."""
    problem = readback.read_problem(REPO / "workbooks" / "xor.xlsx")
    s = problem.structure
    assert (s.sizes, s.steps, problem.hyper["learning_rate"], s.seed) == ((2, 4, 1), 200, 0.1, 0)
    trace = reference.run(problem)
    assert trace[("loss", 0, 0)][0, 0] / trace[("loss", 0, 200)][0, 0] >= 10
    assert ((trace[("a", 2, 200)] > 0.5) == (problem.targets > 0.5)).all()


@pytest.mark.xdist_group("example-xor")
def test_xor_example_trains_in_libreoffice(soffice, libreoffice_copy):
    """The same, read from the values LibreOffice computes for the committed workbook (the session's copy)."""
    from sheetnet.evaluate import engines
    from sheetnet.layout import Layout

    path = REPO / "workbooks" / "xor.xlsx"
    values = engines.evaluate(libreoffice_copy("xor"), "saved")
    layout = Layout(readback.read_problem(path).structure)
    history = layout.loss_history_block()
    losses = np.array([values.get(history.sheet, history.row + k, history.col) for k in range(201)])
    assert losses[0] / losses[-1] >= 10
    out = layout.block("a", 2, 200)
    predictions = [values.get(out.sheet, out.row + i, out.col) for i in range(4)]
    assert [p > 0.5 for p in predictions] == [False, True, True, False]


def test_exam_example_matches_the_seed_numbers():
    """Seed 001: inputs 3 and 7 -> hidden 0.961, 0.961 -> output 0.824, in the reference and the workbook."""
    from sheetnet.evaluate import xlsx
    from sheetnet.evaluate.fast.evaluate import evaluate_package
    from sheetnet.layout import Layout

    path = REPO / "workbooks" / "exam-example.xlsx"
    problem = readback.read_problem(path)
    assert problem.inputs.tolist() == [[3.0, 7.0]]
    trace = reference.run(problem)
    np.testing.assert_allclose(trace[("z", 1, 0)], [[3.2, 3.2]], rtol=1e-12)
    assert np.round(trace[("a", 1, 0)], 3).tolist() == [[0.961, 0.961]]
    assert round(float(trace[("a", 2, 0)][0, 0]), 3) == 0.824
    values = evaluate_package(xlsx.read_package(path))
    layout = Layout(problem.structure)
    hidden, output = layout.block("a", 1, 0), layout.block("a", 2, 0)
    assert [round(values.get(hidden.sheet, hidden.row, hidden.col + j), 3) for j in range(2)] == [0.961, 0.961]
    assert round(values.get(output.sheet, output.row, output.col), 3) == 0.824


def test_deep_sigmoid_example_shows_vanishing_gradients():
    problem = readback.read_problem(REPO / "workbooks" / "deep-sigmoid.xlsx")
    norms = reference.run(problem)[("gnorm", 0, 0)][0]
    assert norms[0] < norms[-1] / 1000  # the first layer's gradient is orders of magnitude smaller


# digits: 660,000 cells, digits-cnn 982,000, digits-filters 417,000: in the whole suite
@pytest.mark.parametrize("name", example_params(slow=("digits", "digits-cnn", "digits-filters")))
def test_regenerate_without_options_reproduces_every_example(tmp_path, name):
    """Everything a workbook holds survives regenerate: data, parameters, hyper-parameters, batches,
    dropout masks, gradient-check choices - the rebuilt file is byte for byte the original."""
    source = REPO / "workbooks" / f"{name}.xlsx"
    out = tmp_path / f"{name}.xlsx"  # the About sheet names its own file
    result = CliRunner().invoke(main, ["regenerate", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == source.read_bytes()


@pytest.mark.parametrize("name, change, to, see, before, after", [
    ("xor", "learning_rate", 0.3, "loss", 0.0023, 0.167),
    ("xor", "learning_rate", 0.03, "loss", 0.0023, 0.096),
    ("xor", "W1", 0.0, "loss", 0.0023, 0.25),
    ("xor", "W1 W2", 0.5, "loss", 0.0023, 0.25),
    ("xor-adam", "beta_1", 0.0, "loss", 0.0058, 0.054),
    ("deep-tanh", "W2", 2.0, "gradient_ratio", 1.6, 0.17),
    ("moons-regularised", "l2_penalty", 0.0, "weights", 7.3, 9.2),
    ("moons-regularised", "dropout_rate", 0.0, "loss", 0.70, 0.48),
])
def test_the_numbers_the_readme_states_are_measured(name, change, to, see, before, after):
    """The README's table of examples quotes these, rounded: the reference gives them from the workbooks."""
    from sheetnet.api import lessons

    problem = readback.read_problem(REPO / "workbooks" / f"{name}.xlsx")
    assert lessons.measure(problem, see)[0] == pytest.approx(before, rel=0.05)
    assert lessons.measure(lessons.changed(problem, change, to), see)[0] == pytest.approx(after, rel=0.05)
    readme = (REPO / "README.md").read_text()
    assert f"`{name}.xlsx`" in readme


@pytest.mark.parametrize("name", example_params(slow=("digits", "digits-cnn", "digits-filters")))
def test_every_example_as_the_code_writes_it_checks_clean_and_is_committed(name, written_example):
    """Every cell of every example as the current code writes it, by the fast engine, against the reference; and
    workbooks/ holds exactly that file (else it is stale: `sheetnet examples --force` rewrites it)."""
    from sheetnet import api

    path = written_example(name)
    report = api.check(path)
    assert report.ok, report.details()
    assert path.read_bytes() == (REPO / "workbooks" / f"{name}.xlsx").read_bytes(), f"workbooks/{name}.xlsx is stale"


def _curves(name):
    problem = readback.read_problem(REPO / "workbooks" / f"{name}.xlsx")
    trace = reference.run(problem)
    steps = problem.structure.steps
    train = np.array([trace[("loss", 0, k)][0, 0] for k in range(steps + 1)])
    test = np.array([trace[("test_loss", 0, k)][0, 0] for k in range(steps + 1)])
    return problem, train, test


def test_the_overfitting_example_overfits_and_its_twin_generalises_better():
    """Training loss keeps falling; the test loss is lowest well before the end and ends 20% or more above
    its lowest; the L2 twin ends with a lower test loss. The About sheet quotes these numbers."""
    problem, train, test = _curves("overfit")
    steps = problem.structure.steps
    best = int(test.argmin())
    assert (np.diff(train) < 0).all()
    assert best <= steps // 2 and test[-1] >= 1.2 * test[best]
    _, _, twin = _curves("overfit-l2")
    assert twin[-1] < test[-1]
    lesson = problem.structure.lesson
    for number in (f"{train[0]:.3f}", f"{train[-1]:.3f}", f"step {best}", f"({test[best]:.3f})", f"{test[-1]:.3f}",
                   f"{test[-1] / test[best]:.1f} times"):
        assert number in lesson, number


def test_features_make_the_circles_easy():
    """x1^2 and x2^2 and one neuron: every test sample right; x1, x2 and two neurons: 80%."""
    from sheetnet.model import config, plan

    problem = readback.read_problem(REPO / "workbooks" / "circles-features.xlsx")
    assert reference.run(problem)[("test_accuracy", 0, 100)][0, 0] == 1.0
    raw = config.load(REPO / "sheetnet" / "example_configs" / "circles-features.toml")
    raw = config.from_dict({"network": {"sizes": [2, 2, 1], "activation": "tanh", "output": "sigmoid", "loss": "bce"},
                            "training": {"steps": 100, "learning_rate": 1.0}, "init": {"seed": 0},
                            "data": {"builtin": "circles", "n": 20, "noise": 0.1, "test_fraction": 0.25}})
    assert reference.run(plan.build_problem(raw))[("test_accuracy", 0, 100)][0, 0] == pytest.approx(0.8)


def _trace(name):
    problem = readback.read_problem(REPO / "workbooks" / f"{name}.xlsx")
    return problem, reference.run(problem)


def _gradient_sizes(problem, trace):
    return np.array([trace[("gnorm", 0, k)][0] for k in range(problem.structure.steps)])


def test_batch_norm_brings_layer_1s_gradient_back():
    """The batch-norm twin of deep-sigmoid: the same data, weights and rate; Layer 1's gradient at step 0 goes from
    7.7e-6 of the last layer's to 0.17 of it, and the loss leaves ln 2. The README quotes these numbers."""
    plain, plain_trace = _trace("deep-sigmoid")
    normed, normed_trace = _trace("deep-sigmoid-bn")
    assert [w.tolist() for w in plain.weights] == [w.tolist() for w in normed.weights]
    plain_sizes, normed_sizes = _gradient_sizes(plain, plain_trace), _gradient_sizes(normed, normed_trace)
    ratio_plain, ratio_normed = plain_sizes[0, 0] / plain_sizes[0, -1], normed_sizes[0, 0] / normed_sizes[0, -1]
    assert ratio_plain == pytest.approx(7.7e-6, rel=0.02) and ratio_normed == pytest.approx(0.171, rel=0.01)
    final = normed_trace[("loss", 0, normed.structure.steps)][0, 0]
    assert final == pytest.approx(0.592, abs=5e-4)
    assert final < plain_trace[("loss", 0, plain.structure.steps)][0, 0] - 0.1
    readme = (REPO / "README.md").read_text()
    assert "0.17 of the last layer's instead of 7.7e-6" in readme and "0.592" in readme


def test_exploding_gradients_climb_and_clipping_tames_them():
    """Without clipping, Layer 1's gradient grows about a hundredfold and the loss reaches 5.7e19; the clipped twin
    (the same file but clip_norm) cuts the first update to 0.053 and ends at a loss of 0.122."""
    wild, wild_trace = _trace("exploding")
    tame, tame_trace = _trace("exploding-clipped")
    steps = wild.structure.steps
    sizes = _gradient_sizes(wild, wild_trace)
    assert sizes[0, 0] == pytest.approx(3.65, abs=0.01) and sizes[-1, 0] == pytest.approx(318, rel=0.01)
    assert wild_trace[("loss", 0, steps)][0, 0] == pytest.approx(5.66e19, rel=0.01)
    factors = [tame_trace[("clip", 0, k)][0, 0] for k in range(steps)]
    assert factors[0] == pytest.approx(0.053, abs=5e-4) and max(factors) < 1
    assert tame_trace[("loss", 0, steps)][0, 0] == pytest.approx(0.122, abs=5e-4)
    for number in ("3.6", "318", "5.7e19"):
        assert number in wild.structure.lesson


def test_the_optimizer_comparison_is_measured():
    """The About sheet's comparison: every optimizer on the same start; the adaptive ones beat plain SGD."""
    from sheetnet.api import lessons

    problem = readback.read_problem(REPO / "workbooks" / "moons-optimizers.xlsx")
    lines = lessons.optimizer_comparison(problem)
    losses = {line.split(":")[0].split()[0]: float(line.split("loss ")[1].split()[0]) for line in lines}
    assert losses == pytest.approx({"sgd": 0.29, "momentum": 0.194, "adam": 0.017, "adamw": 0.0184, "rmsprop": 0.019,
                                    "adagrad": 0.173}, rel=0.01)
    assert "lowest" in next(line for line in lines if line.startswith("adam "))
    assert "at step 5." in next(line for line in lines if line.startswith("rmsprop"))  # the first to halve it
    adam = reference.run(problem)[("loss", 0, problem.structure.steps)][0, 0]
    assert adam == pytest.approx(losses["adam"], rel=3e-3)  # the workbook's own run is the comparison's adam


def test_weight_decay_and_l2_each_alone_as_the_adamw_lesson_says():
    """overfit-adamw.xlsx: the numbers its lesson states, measured by the reference from the workbook: the decay
    factor per update, the test loss with both pulls and with neither (plain Adam, which overfits most), the
    weights' sizes the tries compare, and the decay never enters the gradient (dL/dW is the same with and without
    it at step 0)."""
    from sheetnet.api import lessons

    problem = readback.read_problem(REPO / "workbooks" / "overfit-adamw.xlsx")
    hyper, lesson = problem.hyper, problem.structure.lesson
    both = lessons.measure(problem, "test_loss")[0]
    neither = lessons.measure(lessons.changed(lessons.changed(problem, "weight_decay", 0), "l2_penalty", 0),
                              "test_loss")[0]
    decay_alone = lessons.measure(lessons.changed(problem, "l2_penalty", 0), "test_loss")[0]
    penalty_alone = lessons.measure(lessons.changed(problem, "weight_decay", 0), "test_loss")[0]
    for number in (f"{1 - hyper['learning_rate'] * hyper['weight_decay']:.2f}", f"{both:.3f}", f"{neither:.2f}"):
        assert number in lesson, number
    assert both < neither and decay_alone < neither and penalty_alone < neither
    sizes = [lessons.measure(case, "weights")[0] for case in (
        problem, lessons.changed(problem, "l2_penalty", 0), lessons.changed(problem, "weight_decay", 0),
        lessons.changed(lessons.changed(problem, "weight_decay", 0), "l2_penalty", 0))]
    assert sizes == sorted(sizes)  # both pulls, the decay alone, the penalty alone, neither: the weights grow
    undecayed = reference.run(lessons.changed(problem, "weight_decay", 0))
    np.testing.assert_array_equal(reference.run(problem)[("dW", 1, 0)], undecayed[("dW", 1, 0)])
