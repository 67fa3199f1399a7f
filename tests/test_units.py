"""Each option is one unit: the units hold a formula for everything the options table says exists."""

from sheetnet.model import options
from sheetnet.units.activations import ACTIVATIONS, ROW_HELPERS
from sheetnet.units.losses import LOSSES
from sheetnet.units.optimizers import OPTIMIZERS


def test_every_activation_has_a_unit_with_both_directions():
    for name in options.HIDDEN_ACTIVATIONS:
        unit = ACTIVATIONS[name]
        assert unit.backward is not None and unit.note and unit.backward_note and unit.torch
    assert set(options.OUTPUT_ACTIVATIONS) <= set(ACTIVATIONS)
    assert {name: tuple(helpers) for name, helpers in ROW_HELPERS.items()} == options.ROW_ACTIVATIONS


def test_every_loss_and_optimizer_has_a_unit_matching_its_cells():
    assert set(LOSSES) == set(options.LOSSES)
    assert set(OPTIMIZERS) == set(options.OPTIMIZERS)
    for name, unit in OPTIMIZERS.items():
        assert tuple(state.name for state in unit.states) == options.OPTIMIZER_STATES[name]
        assert tuple(column.name for column in unit.columns) == options.OPTIMIZER_COLUMNS[name]
