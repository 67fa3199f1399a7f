"""Each option is one unit: the units hold a formula for everything the options table says exists, and an
optimizer or schedule is one record whose parts agree with each other."""

import numpy as np
import pytest

from sheetnet.errors import SheetnetError
from sheetnet.model import options
from sheetnet.model.optimizers import OPTIMIZERS, optimizer
from sheetnet.model.schedules import SCHEDULES, schedule
from sheetnet.reference.optimizers import Optimizer
from sheetnet.units.activations import ACTIVATIONS, ROW_HELPERS
from sheetnet.units.losses import LOSSES


def test_every_activation_has_a_unit_with_both_directions():
    for name in options.HIDDEN_ACTIVATIONS:
        unit = ACTIVATIONS[name]
        assert unit.backward is not None and unit.note and unit.backward_note and unit.torch
    assert set(options.OUTPUT_ACTIVATIONS) <= set(ACTIVATIONS)
    assert {name: tuple(helpers) for name, helpers in ROW_HELPERS.items()} == options.ROW_ACTIVATIONS


def test_every_loss_has_a_unit():
    assert set(LOSSES) == set(options.LOSSES)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_record_is_whole(name):
    """Hyper-parameters with defaults and texts, states and columns with formulas, notes and numpy values."""
    record = OPTIMIZERS[name]
    assert record.update_note and record.summary and record.torch
    for hyper in record.hyper:
        assert hyper.text and hyper.refusal(hyper.default) is None
    for state in record.states:
        assert state.note and state.words and state.first_formula and state.next_formula
    for column in record.columns:
        assert column.note and column.words and column.formula("A1") and column.value
    assert options.state_names(name) == tuple(state.name for state in record.states)


def test_an_unknown_optimizer_or_schedule_is_an_error_never_a_fall_through():
    with pytest.raises(SheetnetError, match="unknown optimizer 'adamx'"):
        optimizer("adamx")
    with pytest.raises(SheetnetError, match="unknown optimizer"):
        Optimizer("lion", {"learning_rate": 0.1})
    with pytest.raises(SheetnetError, match="unknown schedule 'linear'"):
        schedule("linear")
    assert set(SCHEDULES) == set(options.SCHEDULES)


def test_adamw_decays_weights_only_and_apart_from_the_gradient():
    """Hand-computed first AdamW step: with a zero gradient the moments stay 0 and only the decay moves a weight,
    w * (1 - lr * weight_decay); a bias with a zero gradient stays where it is."""
    hyper = {"learning_rate": 0.1, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8, "weight_decay": 0.5}
    adamw = Optimizer("adamw", hyper)
    weight, _ = adamw.step("W1", np.array([[2.0]]), np.array([[0.0]]), 1)
    bias, _ = adamw.step("b1", np.array([[2.0]]), np.array([[0.0]]), 1)
    assert weight[0, 0] == pytest.approx(2.0 * (1 - 0.1 * 0.5), rel=1e-15) and bias[0, 0] == 2.0
    # with a gradient g at t = 1, Adam's step is lr * g / (|g| + eps): the decayed weight minus about lr
    weight, state = Optimizer("adamw", hyper).step("W2", np.array([[2.0]]), np.array([[3.0]]), 1)
    assert weight[0, 0] == pytest.approx(1.9 - 0.1 * 3.0 / (3.0 + 1e-8), rel=1e-14)
    assert state["m"][0, 0] == pytest.approx(0.3) and state["v"][0, 0] == pytest.approx(0.009)
