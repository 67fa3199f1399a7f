"""The reference's gradients agree with central finite differences of its own loss."""

import numpy as np
import pytest

from sheetnet import reference
from sheetnet.reference.network import data_loss, forward, penalty

from .conftest import problem_of

CONFIGS = {
    "relu-mse": dict(network={"sizes": [2, 3, 1]}),
    "two-hidden-relu": dict(network={"sizes": [2, 3, 2, 1], "activation": "relu"}),
    "sigmoid-bce": dict(network={"sizes": [2, 3, 1], "activation": "sigmoid", "output": "sigmoid", "loss": "bce"}),
    "tanh-leaky": dict(network={"sizes": [2, 3, 3, 1], "activation": ["tanh", "leaky_relu"], "leaky_slope": 0.1}),
    "sigmoid-output-mse": dict(network={"sizes": [2, 3, 1], "output": "sigmoid"}),
    "softmax-ce": dict(
        network={"sizes": [2, 3, 2], "output": "softmax", "loss": "cross_entropy"},
        data={"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [[1, 0], [0, 1], [0, 1], [1, 0]]},
    ),
    "softmax-mse": dict(
        network={"sizes": [2, 3, 2], "output": "softmax"},
        data={"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [[1, 0], [0, 1], [0, 1], [1, 0]]},
    ),
    "elu-softplus": dict(network={"sizes": [2, 3, 3, 1], "activation": ["elu", "softplus"]}),
    "l2": dict(network={"sizes": [2, 3, 1], "activation": "tanh"}, training={"l2": 0.05}),
}


def _loss(problem, weights, biases) -> float:
    s = problem.structure
    values = forward(s, problem.hyper, problem.inputs, weights, biases, targets=problem.targets)
    return data_loss(s, values) + penalty(s, problem.hyper, weights)


@pytest.mark.parametrize("name", CONFIGS)
def test_gradients_match_central_differences(name):
    sections = {**CONFIGS[name]}
    sections["training"] = {**sections.get("training", {}), "steps": 1}
    sections["init"] = {"seed": 3}
    problem = problem_of(**sections)
    # Biases away from 0 so no ReLU sits exactly on its kink.
    problem.biases = [b + 0.05 * (np.arange(len(b)) + 1) for b in problem.biases]
    trace = reference.run(problem)
    h = 1e-6
    for layer in range(1, problem.structure.n_layers + 1):
        for which, grads in (("W", trace[("dW", layer, 0)]), ("b", trace[("db", layer, 0)][:, 0])):
            params = problem.weights if which == "W" else problem.biases
            numeric = np.zeros_like(params[layer - 1])
            for index in np.ndindex(params[layer - 1].shape):
                original = params[layer - 1][index]
                params[layer - 1][index] = original + h
                up = _loss(problem, problem.weights, problem.biases)
                params[layer - 1][index] = original - h
                down = _loss(problem, problem.weights, problem.biases)
                params[layer - 1][index] = original
                numeric[index] = (up - down) / (2 * h)
            np.testing.assert_allclose(grads, numeric, rtol=1e-5, atol=1e-8, err_msg=f"{name} {which}{layer}")
