"""PyTorch as an independent oracle for the maths: losses, gradients and parameter trajectories.

The reference (numpy) and torch (autograd + torch.optim) must agree for every option of the
config schema: activations, outputs, losses, optimizers, mini-batches, L2, dropout, frozen biases,
initialisations and depth.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from sheetnet import reference
from sheetnet.model.optimizers import OPTIMIZERS
from sheetnet.model.schedules import SCHEDULES
from sheetnet.units.activations import ACTIVATIONS
from sheetnet.units.clipping import torch_clip
from sheetnet.units.features import FEATURE_TORCH
from sheetnet.units.losses import LOSSES

from .conftest import problem_of

torch = pytest.importorskip("torch") if not os.environ.get("CI") else __import__("torch")

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [[0], [1], [1], [0]]}
THREE_CLASS = {"builtin": "spiral", "n": 12, "noise": 0.05}

GRID = {
    "relu-mse-sgd": {},
    "leaky-mse-momentum": dict(network={"activation": "leaky_relu", "leaky_slope": 0.1},
                               training={"optimizer": "momentum", "momentum": 0.8}),
    "sigmoid-bce-adam": dict(network={"activation": "sigmoid", "output": "sigmoid", "loss": "bce"},
                             training={"optimizer": "adam", "learning_rate": 0.05}),
    "tanh-sigmoid-mse": dict(network={"activation": "tanh", "output": "sigmoid"}),
    "deep-mixed-l2": dict(network={"sizes": [2, 4, 3, 3, 1], "activation": ["relu", "tanh", "sigmoid"]},
                          training={"l2": 0.01}),
    "softmax-ce-minibatch": dict(network={"sizes": [2, 5, 3], "output": "softmax", "loss": "cross_entropy"},
                                 training={"batch_size": 5, "optimizer": "adam", "learning_rate": 0.02},
                                 data=THREE_CLASS),
    "softmax-mse": dict(network={"sizes": [2, 4, 3], "output": "softmax"}, data=THREE_CLASS),
    "dropout-momentum": dict(network={"sizes": [2, 6, 4, 1]}, training={"dropout": 0.3, "optimizer": "momentum"}),
    "frozen-biases-xavier": dict(network={"activation": "tanh"}, training={"train_biases": False},
                                 init={"scheme": "xavier", "seed": 4}),
    "explicit-exam-sigmoid": dict(
        network={"sizes": [2, 2, 1], "activation": "sigmoid", "output": "sigmoid", "loss": "bce"},
        init={"weights": [[[0.2, 0.3], [0.1, 0.4]], [[0.6, 0.8]]], "biases": [[0.5, 0.1], [0.2]]},
        data={"inputs": [[3, 7], [1, 2]], "targets": [[1], [0]]}),
    "elu-softplus-adam": dict(network={"sizes": [2, 4, 3, 1], "activation": ["elu", "softplus"]},
                              training={"optimizer": "adam", "learning_rate": 0.05}),
    "softplus-past-threshold": dict(network={"activation": "softplus", "output": "sigmoid", "loss": "bce"},
                                    data={"inputs": [[0, 0], [0, 30], [30, 0], [30, 30]],
                                          "targets": [[0], [1], [1], [0]]}),
    # z = 20.2: just past the threshold, where torch's slope is exactly 1 and sigmoid(z) is 1 - 1.7e-9
    "softplus-just-past-threshold": dict(network={"sizes": [1, 1, 1], "activation": "softplus"},
                                         init={"weights": [[[1.0]], [[1.0]]], "biases": [[0.0], [0.0]]},
                                         data={"inputs": [[20.2]], "targets": [[1.0]]}),
    "every-feature-l1": dict(network={"sizes": [7, 4, 1], "activation": "tanh"}, training={"l1": 0.02},
                             data={"builtin": "circles", "n": 10, "features": ["x1", "x2", "x1^2", "x2^2", "x1*x2",
                                                                              "sin(x1)", "sin(x2)"]}),
    "l1-l2-momentum-test-set": dict(network={"sizes": [2, 5, 1], "output": "sigmoid", "loss": "bce"},
                                    training={"l1": 0.01, "l2": 0.01, "optimizer": "momentum"},
                                    data={"builtin": "moons", "n": 12, "test_fraction": 0.25}),
    "l1-adam-dropout-test-set": dict(network={"sizes": [3, 6, 3], "output": "softmax", "loss": "cross_entropy"},
                                     training={"l1": 0.005, "optimizer": "adam", "dropout": 0.3, "batch_size": 4,
                                               "learning_rate": 0.05},
                                     data={"builtin": "spiral", "n": 15, "test_fraction": 0.2,
                                           "features": ["x1", "x2", "x1*x2"]}),
    "l1-sgd-test-set": dict(training={"l1": 0.05}, data={"builtin": "gauss", "n": 10, "test_fraction": 0.3}),
    "rmsprop-step-clip-l1": dict(network={"sizes": [2, 5, 1], "activation": "tanh"},
                                 training={"optimizer": "rmsprop", "alpha": 0.9, "schedule": "step", "step_size": 2,
                                           "gamma": 0.5, "clip_norm": 0.05, "l1": 0.01, "learning_rate": 0.05}),
    "adagrad-cosine-l1-minibatch": dict(network={"sizes": [2, 4, 1], "output": "sigmoid", "loss": "bce"},
                                        training={"optimizer": "adagrad", "schedule": "cosine", "l1": 0.02,
                                                  "batch_size": 3, "learning_rate": 0.3},
                                        data={"builtin": "moons", "n": 8}),
    "adam-exponential-clip-dropout": dict(network={"sizes": [2, 6, 3], "output": "softmax", "loss": "cross_entropy"},
                                          training={"optimizer": "adam", "schedule": "exponential", "gamma": 0.8,
                                                    "clip_norm": 0.5, "dropout": 0.25, "learning_rate": 0.05},
                                          data=THREE_CLASS),
    "momentum-clip-always-l2": dict(training={"optimizer": "momentum", "clip_norm": 1e-3, "l2": 0.01}),
    # b before batch normalization has a gradient of 0 up to rounding; adaptive optimizers (AdaGrad, Adam, RMSProp)
    # turn that rounding into steps of about lr * 1e-7 that differ between implementations, so their cases keep b
    # fixed (as torch users do with Linear(bias=False) before BatchNorm1d); with SGD b is trained and compared.
    "batchnorm-sgd": dict(network={"sizes": [2, 4, 3, 1], "activation": "tanh", "batch_norm": True}),
    "batchnorm-adagrad-minibatch": dict(network={"sizes": [2, 5, 1], "output": "sigmoid", "loss": "bce",
                                                 "batch_norm": True},
                                        training={"optimizer": "adagrad", "batch_size": 4, "learning_rate": 0.2,
                                                  "train_biases": False},
                                        data={"builtin": "moons", "n": 10}),
    "batchnorm-dropout-adam-test-set": dict(network={"sizes": [2, 6, 4, 3], "output": "softmax",
                                                     "loss": "cross_entropy", "batch_norm": True,
                                                     "activation": ["relu", "elu"], "bn_momentum": 0.3},
                                            training={"optimizer": "adam", "dropout": 0.25, "learning_rate": 0.05,
                                                      "train_biases": False},
                                            data={"builtin": "spiral", "n": 15, "test_fraction": 0.2}),
    "batchnorm-rmsprop-clip-l2-frozen": dict(network={"sizes": [2, 4, 1], "activation": "sigmoid", "batch_norm": True},
                                             training={"optimizer": "rmsprop", "clip_norm": 0.1, "l2": 0.01,
                                                       "train_biases": False, "schedule": "step", "step_size": 2}),
    # the digits' own defaults (softmax, cross-entropy, Adam, consecutive mini-batches read where they stand)
    "digits-consecutive-batches": dict(network={"sizes": [64, 6, 10]}, training={"batch_size": 8},
                                       data={"builtin": "digits", "n": 40, "held_out": 8}),
    # AdamW: weights decay, biases and batch norm's gamma and beta not (torch.optim.AdamW, two parameter groups);
    # the decay follows the scheduled rate, and the L1 penalty still enters the gradient
    "adamw-cosine-l1-test-set": dict(network={"sizes": [2, 5, 1], "output": "sigmoid", "loss": "bce"},
                                     training={"optimizer": "adamw", "weight_decay": 0.5, "schedule": "cosine",
                                               "l1": 0.01, "learning_rate": 0.05},
                                     data={"builtin": "moons", "n": 12, "test_fraction": 0.25}),
    "batchnorm-adamw-clip-minibatch": dict(network={"sizes": [2, 4, 3], "output": "softmax", "loss": "cross_entropy",
                                                    "batch_norm": True},
                                           training={"optimizer": "adamw", "batch_size": 5, "clip_norm": 0.3,
                                                     "learning_rate": 0.05, "train_biases": False},
                                           data=THREE_CLASS),
    "minibatch-l2-dropout-adam": dict(network={"sizes": [2, 5, 1], "activation": "leaky_relu"},
                                      training={"batch_size": 3, "l2": 0.02, "dropout": 0.2, "optimizer": "adam"},
                                      data={"builtin": "moons", "n": 8}),
}


def _sections(name: str, steps: int = 6) -> dict:
    sections = {k: dict(v) for k, v in GRID[name].items()}
    sections.setdefault("data", XOR)
    sections.setdefault("training", {})["steps"] = steps
    sections["init"] = {"seed": 2, **sections.get("init", {})}
    return sections


def _torch_inputs(problem):
    """Every sample's network inputs, its features computed as torch would (units' definitions)."""
    raw = torch.tensor(problem.inputs, dtype=torch.float64)
    names = problem.structure.features
    return torch.stack([FEATURE_TORCH[name](raw) for name in names], dim=1) if names else raw


def _torch_forward(problem, weights, biases, x, y, masks=None, norms=None, training=False):
    """The loss of one pass (no penalty); with `masks`, dropout; `norms` (layer -> gamma, beta, running mean, running
    variance) batch-normalises with torch's own batch_norm, in training mode (batch statistics, the running ones
    updated in place) or evaluation mode."""
    s, hyper = problem.structure, problem.hyper
    h = x
    for layer in range(1, s.n_layers + 1):
        z = h @ weights[layer - 1].T + biases[layer - 1]
        if s.normalised(layer):
            gamma, beta, mean, var = norms[layer]
            z = torch.nn.functional.batch_norm(z, mean, var, gamma, beta, training=training,
                                               momentum=hyper["bn_momentum"], eps=hyper["bn_epsilon"])
        h = ACTIVATIONS[s.activation(layer)].torch(z, hyper)
        if masks is not None and layer < s.n_layers:
            h = h * torch.tensor(masks[layer], dtype=torch.float64) / (1 - hyper["dropout_rate"])
    return LOSSES[s.loss].torch(z, h, y)


def torch_run(problem):
    """The same training with torch autograd and torch.optim, float64, each option as its unit defines it;
    with a test set, the test loss of every step from that step's parameters (evaluation mode)."""
    s = problem.structure
    hyper = problem.hyper
    weights = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in problem.weights]
    biases = [torch.tensor(b, dtype=torch.float64, requires_grad=s.train_biases) for b in problem.biases]
    norms = {layer: [torch.tensor(problem.norms[(kind, layer)][:, 0], dtype=torch.float64,
                                  requires_grad=kind in ("gamma", "beta"))
                     for kind in ("gamma", "beta", "rmean", "rvar")]
             for layer in range(1, s.n_layers) if s.normalised(layer)}
    trained, others = [], []
    for layer in range(1, s.n_layers + 1):  # in the workbook's order: each layer's W, b, gamma, beta
        rest = [*([biases[layer - 1]] if s.train_biases else []), *norms.get(layer, [])[:2]]
        trained += [weights[layer - 1], *rest]
        others += rest
    optimizer = OPTIMIZERS[s.optimizer].torch(weights, others, hyper)
    scheduler = SCHEDULES[s.schedule].torch(optimizer, hyper, s.steps) if s.schedule != "constant" else None
    inputs, targets = _torch_inputs(problem), torch.tensor(problem.targets, dtype=torch.float64)
    history = []
    for step in range(s.steps + 1):
        samples = list(s.samples_at(step))
        masks = {layer: problem.masks[(layer, step)] for layer in range(1, s.n_layers)} if s.dropout else None
        tested = {}
        if s.n_test:  # evaluation mode, with the running statistics the training passes before this step left
            test = list(s.test_samples)
            with torch.no_grad():
                tested["test_loss"] = _torch_forward(problem, weights, biases, inputs[test], targets[test],
                                                     norms=norms).item()
        last = step == s.steps  # the final pass shows the loss; it trains nothing and moves no running statistic
        passing = {layer: [*pair[:2], pair[2].clone() if last else pair[2], pair[3].clone() if last else pair[3]]
                   for layer, pair in norms.items()}
        loss = _torch_forward(problem, weights, biases, inputs[samples], targets[samples], masks, passing, True)
        if s.use_l2:
            loss = loss + hyper["l2_penalty"] * sum((w * w).sum() for w in weights)
        if s.use_l1:
            loss = loss + hyper["l1_penalty"] * sum(w.abs().sum() for w in weights)
        record = {"loss": loss.item(), **tested}
        if step < s.steps:
            optimizer.zero_grad()
            loss.backward()
            record["dW"] = [w.grad.detach().numpy().copy() for w in weights]
            record["db"] = [b.grad.detach().numpy().copy() for b in biases] if s.train_biases else None
            record["norm"] = {(kind, layer): tensor.detach().numpy().copy() for layer, four in norms.items()
                              for kind, tensor in zip(("rmean", "rvar"), four[2:], strict=True)}
            record["norm"].update({("d" + kind, layer): tensor.grad.detach().numpy().copy()
                                   for layer, four in norms.items()
                                   for kind, tensor in zip(("gamma", "beta"), four[:2], strict=True)})
            record["lr"] = optimizer.param_groups[0]["lr"]
            if s.clip:
                record["tnorm"] = float(torch_clip(trained, hyper))
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            record["W"] = [w.detach().numpy().copy() for w in weights]
            record["b"] = [b.detach().numpy().copy() for b in biases]
            record["norm"].update({(kind, layer): tensor.detach().numpy().copy() for layer, four in norms.items()
                                   for kind, tensor in zip(("gamma", "beta"), four[:2], strict=True)})
        history.append(record)
    return history


@pytest.mark.parametrize("name", GRID)
def test_reference_matches_torch(name):
    problem = problem_of(**_sections(name))
    trace = reference.run(problem)
    history = torch_run(problem)
    s = problem.structure
    close = dict(rtol=1e-9, atol=1e-12)
    for step, record in enumerate(history):
        np.testing.assert_allclose(trace[("loss", 0, step)][0, 0], record["loss"], **close, err_msg=f"loss {step}")
        if s.n_test:
            np.testing.assert_allclose(trace[("test_loss", 0, step)][0, 0], record["test_loss"], **close)
        if step == s.steps:
            break
        if s.schedule != "constant":
            np.testing.assert_allclose(trace[("lr", 0, step)][0, 0], record["lr"], **close, err_msg=f"lr {step}")
        for (kind, layer), value in record.get("norm", {}).items():  # running statistics after this step's pass; the
            at = step + 1 if kind in ("rmean", "rvar", "gamma", "beta") else step  # new gamma and beta; gradients
            np.testing.assert_allclose(trace[(kind, layer, at)][:, 0], value, **close, err_msg=f"{kind} {step}")
        if s.clip:
            np.testing.assert_allclose(trace[("tnorm", 0, step)][0, 0], record["tnorm"], **close)
        for layer in range(1, s.n_layers + 1):
            where = f"{name} layer {layer} step {step}"
            np.testing.assert_allclose(trace[("dW", layer, step)], record["dW"][layer - 1], **close, err_msg=where)
            np.testing.assert_allclose(trace[("W", layer, step + 1)], record["W"][layer - 1], **close, err_msg=where)
            if s.train_biases and s.normalised(layer):
                # b before batch normalization cancels: its gradient is 0 up to rounding, which adaptive
                # optimizers (steps of about lr * g / |g|) blow up into different noise in each implementation
                assert np.abs(trace[("db", layer, step)]).max() < 1e-12 > np.abs(record["db"][layer - 1]).max()
            elif s.train_biases:
                np.testing.assert_allclose(trace[("db", layer, step)][:, 0], record["db"][layer - 1], **close)
                np.testing.assert_allclose(trace[("b", layer, step + 1)][:, 0], record["b"][layer - 1], **close)
            else:
                np.testing.assert_array_equal(record["b"][layer - 1], problem.biases[layer - 1])


def test_grid_covers_every_option():
    """Every value of every option in the config schema appears in the torch grid."""
    from sheetnet.model import options as config

    seen: dict[str, set] = {"activation": set(), "output": set(), "loss": set(), "optimizer": set(),
                             "feature": set(), "l1 with": set(), "schedule": set()}
    flags = set()
    for name in GRID:
        s = problem_of(**_sections(name, steps=1)).structure
        seen["activation"].update(s.activations[:-1])
        seen["output"].add(s.activations[-1])
        seen["loss"].add(s.loss)
        seen["optimizer"].add(s.optimizer)
        seen["schedule"].add(s.schedule)
        seen["feature"].update(s.features)
        if s.use_l1:
            seen["l1 with"].add(s.optimizer)
            seen["l1 with"].update({"l2"} if s.use_l2 else {"alone"})
        flags |= {f for f, on in (("batches", s.batches is not None), ("l2", s.use_l2), ("dropout", s.dropout),
                                  ("frozen", not s.train_biases), ("deep", s.n_layers > 2),
                                  ("xavier", s.init_scheme == "xavier"), ("explicit", s.init_scheme == "explicit"),
                                  ("test set", s.n_test > 0), ("test set with dropout", s.n_test > 0 and s.dropout),
                                  ("clip", s.clip), ("batch norm", s.batch_norm),
                                  ("batch norm with dropout and a test set",
                                   s.batch_norm and s.dropout and s.n_test > 0),
                                  ("batch norm with mini-batches", s.batch_norm and s.batches is not None),
                                  ("consecutive batches", s.batches is not None and not s.copies_batches))
                  if on}
    assert seen["activation"] == set(config.HIDDEN_ACTIVATIONS)
    assert seen["output"] == set(config.OUTPUT_ACTIVATIONS)
    assert seen["loss"] == set(config.LOSSES)
    assert seen["optimizer"] == set(config.OPTIMIZERS)
    assert seen["schedule"] == set(config.SCHEDULES)
    assert seen["feature"] == set(config.FEATURES)
    assert seen["l1 with"] == {*config.OPTIMIZERS, "l2", "alone"}  # L1 with every optimizer, alone and with L2
    assert flags == {"batches", "l2", "dropout", "frozen", "deep", "xavier", "explicit", "test set",
                     "test set with dropout", "clip", "batch norm", "batch norm with dropout and a test set",
                     "batch norm with mini-batches", "consecutive batches"}


def test_softplus_case_crosses_its_threshold():
    """The softplus case above really meets z > 20, where torch switches to z itself."""
    trace = reference.run(problem_of(**_sections("softplus-past-threshold")))
    z = trace[("z", 1, 0)]
    assert (z > 20).any() and (z < 20).any()
