"""A network small enough to compute by hand: one step, every number written out in this file."""

import numpy as np
import pytest

from sheetnet import reference
from sheetnet.evaluate import engines
from sheetnet.layout import Layout

from .conftest import build, problem_of

HAND = dict(
    network={"sizes": [2, 2, 1], "activation": "relu", "output": "linear", "loss": "mse"},
    training={"steps": 1, "learning_rate": 0.1},
    init={"weights": [[[0.5, -0.25], [0.1, 0.2]], [[1.0, -0.5]]], "biases": [[0.1, -0.3], [0.2]]},
    data={"inputs": [[1, 2], [0, 1]], "targets": [[1], [0]]},
)

# Worked by hand (see the docstring of each group):
# sample 1, x = (1, 2): z1 = 0.5 - 0.5 + 0.1 = 0.1, z2 = 0.1 + 0.4 - 0.3 = 0.2, both pass ReLU;
#   output = 1.0*0.1 - 0.5*0.2 + 0.2 = 0.2, target 1.
# sample 2, x = (0, 1): z1 = -0.25 + 0.1 = -0.15, z2 = 0.2 - 0.3 = -0.1, both cut to 0;
#   output = 0.2, target 0.
EXPECTED = {
    ("z", 1, 0): [[0.1, 0.2], [-0.15, -0.1]],
    ("a", 1, 0): [[0.1, 0.2], [0.0, 0.0]],
    ("z", 2, 0): [[0.2], [0.2]],
    ("loss", 0, 0): [[(0.8**2 + 0.2**2) / 2]],  # 0.34
    # dL/dz_out = 2 (a - y) / 2
    ("dz", 2, 0): [[-0.8], [0.2]],
    ("dW", 2, 0): [[-0.8 * 0.1 + 0.2 * 0.0, -0.8 * 0.2 + 0.2 * 0.0]],
    ("db", 2, 0): [[-0.6]],
    # dL/da_hidden = dz_out * W2
    ("dA", 1, 0): [[-0.8, 0.4], [0.2, -0.1]],
    ("dz", 1, 0): [[-0.8, 0.4], [0.0, 0.0]],
    ("dW", 1, 0): [[-0.8, -1.6], [0.4, 0.8]],
    ("db", 1, 0): [[-0.8], [0.4]],
    # W - 0.1 * dW
    ("W", 1, 1): [[0.58, -0.09], [0.06, 0.12]],
    ("b", 1, 1): [[0.18], [-0.34]],
    ("W", 2, 1): [[1.008, -0.484]],
    ("b", 2, 1): [[0.26]],
    # step 1: sample 1 z = (0.58, -0.04) -> a = (0.58, 0), out = 1.008*0.58 + 0.26 = 0.84464;
    #         sample 2 z = (0.09, -0.22) -> a = (0.09, 0), out = 1.008*0.09 + 0.26 = 0.35072
    ("a", 2, 1): [[0.84464], [0.35072]],
    ("loss", 0, 1): [[((0.84464 - 1) ** 2 + 0.35072**2) / 2]],
}


def test_reference_matches_hand_computation():
    trace = reference.run(problem_of(**HAND))
    for key, value in EXPECTED.items():
        np.testing.assert_allclose(trace[key], value, rtol=1e-12, atol=1e-15, err_msg=str(key))


@pytest.mark.parametrize("engine", ["fast", "formulas", pytest.param("libreoffice", marks=pytest.mark.libreoffice)])
def test_workbook_matches_hand_computation(tmp_path, request, engine):
    if engine == "libreoffice":
        request.getfixturevalue("soffice")
    path = build(tmp_path, **HAND)
    values = engines.evaluate(path, engine)
    layout = Layout(problem_of(**HAND).structure)
    for key, expected in EXPECTED.items():
        block = layout.block(*key)
        got = [[values.get(block.sheet, row, col) for col in range(block.col, block.col + block.ncols)]
               for row in range(block.row, block.row + block.nrows)]
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15, err_msg=str(key))
