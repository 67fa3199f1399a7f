"""The reference's convolution and max pooling (sheetnet/reference/convolution.py): by hand, against torch's
Conv2d + MaxPool2d + Linear through a whole loss and its gradients, on ties, on leftover rows, and against
finite differences."""

from __future__ import annotations

import os

import numpy as np
import pytest

from sheetnet.reference import convolution as conv

torch = pytest.importorskip("torch") if not os.environ.get("CI") else __import__("torch")


def test_a_convolution_and_a_pooling_by_hand():
    """A 3 x 3 image, one 2 x 2 kernel: each output is the window times the kernel, plus the bias."""
    image = np.array([[[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]]])
    kernel = np.array([[1.0, -1.0, 0.5, 2.0]])  # [[1, -1], [0.5, 2]]
    maps = conv.convolve(image, kernel, np.array([0.25]))
    # top left: 1*1 - 2*1 + 0*0.5 + 1*2 + 0.25 = 1.25; top right: 2 - 0 + 0.5 + 6 + 0.25 = 8.75
    # bottom left: 0 - 1 + 1 + 0 + 0.25 = 0.25; bottom right: 1 - 3 + 0 + 2 + 0.25 = 0.25
    np.testing.assert_array_equal(maps[0, 0], [[1.25, 8.75], [0.25, 0.25]])
    pooled, winner = conv.max_pool(maps, 2)
    assert pooled[0, 0, 0, 0] == 8.75 and winner[0, 0, 0, 0] == 1
    grad = conv.unpool(np.array([[[[3.0]]]]), winner, maps.shape, 2)
    np.testing.assert_array_equal(grad[0, 0], [[0.0, 3.0], [0.0, 0.0]])
    d_kernel, d_bias = conv.kernel_gradients(image, grad, 2)
    np.testing.assert_array_equal(d_kernel, [[3 * 2.0, 3 * 0.0, 3 * 1.0, 3 * 3.0]])  # the window under position 2
    np.testing.assert_array_equal(d_bias, [3.0])


def _network(images, kernels, bias, weights, biases, targets, p):
    """torch: conv (one channel) -> ReLU -> max pool -> flatten -> linear -> softmax cross-entropy."""
    n, h, w = images.shape
    k = int(round(np.sqrt(kernels.shape[1])))
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (kernels, bias, weights, biases)]
    layer = torch.nn.functional.conv2d(torch.tensor(images[:, None], dtype=torch.float64),
                                       leaves[0].reshape(-1, 1, k, k), leaves[1])
    layer.retain_grad()
    active = torch.relu(layer)
    pooled = torch.nn.functional.max_pool2d(active, p)
    pooled.retain_grad()
    logits = pooled.flatten(1) @ leaves[2].T + leaves[3]
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(targets))
    loss.backward()
    return loss, layer, pooled, leaves


def _reference(images, kernels, bias, weights, biases, targets, p):
    """The same network from the reference's pieces, its backward written out."""
    n = len(images)
    k = int(round(np.sqrt(kernels.shape[1])))
    z = conv.convolve(images, kernels, bias)
    a = np.maximum(z, 0.0)
    pooled, winner = conv.max_pool(a, p)
    flat = conv.flatten(pooled)
    logits = flat @ weights.T + biases
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities = shifted / shifted.sum(axis=1, keepdims=True)
    loss = -np.log(probabilities[np.arange(n), targets]).mean()
    d_logits = probabilities.copy()
    d_logits[np.arange(n), targets] -= 1.0
    d_logits /= n
    d_pooled = (d_logits @ weights).reshape(pooled.shape)
    d_z = conv.unpool(d_pooled, winner, z.shape, p) * (z > 0)
    d_kernels, d_bias = conv.kernel_gradients(images, d_z, k)
    return loss, z, pooled, d_z, d_pooled, (d_kernels, d_bias, d_logits.T @ flat, d_logits.sum(axis=0))


@pytest.mark.parametrize("side, k, p, filters", [(8, 3, 2, 4), (7, 3, 2, 2), (8, 2, 3, 3), (6, 3, 1, 2)])
def test_the_reference_agrees_with_torch_through_a_loss(side, k, p, filters):
    """Forward maps, pooled maps, loss and every gradient (kernels, kernel biases, dense weights and biases, the
    maps' and pooled maps' gradients) to 1e-12; odd sizes drop leftover rows and columns as torch does."""
    rng = np.random.default_rng(side * 100 + k * 10 + p)
    n, classes = 5, 3
    images = rng.random((n, side, side))
    kernels, bias = rng.normal(size=(filters, k * k)), rng.normal(size=filters) * 0.1
    pooled_side = (side - k + 1) // p
    weights = rng.normal(size=(classes, filters * pooled_side ** 2)) * 0.3
    biases, targets = rng.normal(size=classes) * 0.1, rng.integers(0, classes, n)
    loss, layer, pooled, leaves = _network(images, kernels, bias, weights, biases, targets, p)
    ours, z, our_pooled, d_z, d_pooled, grads = _reference(images, kernels, bias, weights, biases, targets, p)
    close = dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(z, layer.detach().numpy(), **close)
    np.testing.assert_allclose(our_pooled, pooled.detach().numpy(), **close)
    np.testing.assert_allclose(ours, loss.item(), **close)
    np.testing.assert_allclose(d_pooled, pooled.grad.numpy(), **close)
    np.testing.assert_allclose(d_z, layer.grad.numpy() * (layer.detach().numpy() > 0), **close)
    for ours_grad, leaf in zip(grads, leaves, strict=True):
        np.testing.assert_allclose(ours_grad, leaf.grad.numpy(), **close)


def test_a_tie_in_a_pooling_window_sends_the_gradient_to_the_first_maximum_as_torch_does():
    """Equal largest values in one window (row by row: positions 1 and 2 of 4): the gradient goes to position 1."""
    maps = np.array([[[[0.5, 2.0], [2.0, 1.0]]]])
    pooled, winner = conv.max_pool(maps, 2)
    assert winner[0, 0, 0, 0] == 1
    grad = conv.unpool(np.ones_like(pooled), winner, maps.shape, 2)
    leaf = torch.tensor(maps, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.max_pool2d(leaf, 2).sum().backward()
    np.testing.assert_array_equal(grad, leaf.grad.numpy())
    np.testing.assert_array_equal(grad[0, 0], [[0.0, 1.0], [0.0, 0.0]])


def test_kernel_gradients_match_finite_differences():
    """Each kernel weight and bias nudged by +-1e-6: the loss moves as its gradient says (relative 1e-6)."""
    rng = np.random.default_rng(7)
    images, kernels, bias = rng.random((4, 6, 6)), rng.normal(size=(2, 9)), rng.normal(size=2) * 0.1
    weights, biases, targets = rng.normal(size=(3, 8)), rng.normal(size=3) * 0.1, np.array([0, 2, 1, 2])
    args = (weights, biases, targets, 2)
    _, _, _, _, _, (d_kernels, d_bias, _, _) = _reference(images, kernels, bias, *args)
    eps = 1e-6
    for f in range(2):
        for q in range(9):
            up, down = kernels.copy(), kernels.copy()
            up[f, q] += eps
            down[f, q] -= eps
            slope = (_reference(images, up, bias, *args)[0] - _reference(images, down, bias, *args)[0]) / (2 * eps)
            assert slope == pytest.approx(d_kernels[f, q], rel=1e-6, abs=1e-9)
        up, down = bias.copy(), bias.copy()
        up[f] += eps
        down[f] -= eps
        slope = (_reference(images, kernels, up, *args)[0] - _reference(images, kernels, down, *args)[0]) / (2 * eps)
        assert slope == pytest.approx(d_bias[f], rel=1e-6, abs=1e-9)


def _torch_training(images, classes, params, pool, optimizer, hyper, batches):
    """torch: Conv2d(1, F, k) -> ReLU -> MaxPool2d(pool) -> flatten -> Linear/ReLU ... -> softmax cross-entropy,
    trained by the optimizer's own torch class (AdamW: kernels and dense weights decay, biases not)."""
    from sheetnet.model.optimizers import OPTIMIZERS

    leaves = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in params.items()}
    k = int(round(np.sqrt(params["K"].shape[1])))
    weight_names = ["K", *(name for name in sorted(leaves) if name.startswith("W"))]
    weights = [leaves[name] for name in weight_names]
    others = [leaves[name] for name in leaves if name not in weight_names]
    trainer = OPTIMIZERS[optimizer].torch(weights, others, hyper)
    layers = sorted(int(name[1:]) for name in params if name.startswith("W"))
    history = []
    for batch in batches:
        x = torch.tensor(images[batch][:, None], dtype=torch.float64)
        maps = torch.relu(torch.nn.functional.conv2d(x, leaves["K"].reshape(-1, 1, k, k), leaves["kb"]))
        h = torch.nn.functional.max_pool2d(maps, pool).flatten(1)
        for layer in layers:
            h = h @ leaves[f"W{layer}"].T + leaves[f"b{layer}"]
            h = torch.relu(h) if layer < layers[-1] else h
        loss = torch.nn.functional.cross_entropy(h, torch.tensor(classes[batch]))
        trainer.zero_grad()
        loss.backward()
        grads = {name: leaf.grad.numpy().copy() for name, leaf in leaves.items()}
        trainer.step()
        history.append({"loss": loss.item(), "grads": grads,
                        "params": {name: leaf.detach().numpy().copy() for name, leaf in leaves.items()}})
    return history


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "adamw", "rmsprop", "adagrad"])
def test_a_cnn_trains_as_torch_trains_it_with_every_optimizer(optimizer):
    """Six steps of mini-batches through conv (3 filters 3x3) -> ReLU -> pool 2 -> dense 12 -> 5 (ReLU) -> 3
    (softmax): every loss, gradient and parameter after every update agrees with torch to 1e-9."""
    from sheetnet.model.optimizers import OPTIMIZERS
    from sheetnet.reference import cnn

    rng = np.random.default_rng(11)
    images, classes = rng.random((9, 6, 6)), rng.integers(0, 3, 9)
    params = {"K": rng.normal(size=(3, 9)) * 0.5, "kb": rng.normal(size=3) * 0.1,
              "W1": rng.normal(size=(5, 12)) * 0.5, "b1": rng.normal(size=5) * 0.1,
              "W2": rng.normal(size=(3, 5)) * 0.5, "b2": rng.normal(size=3) * 0.1}
    hyper = {"learning_rate": 0.05, **{h.cell: h.default for h in OPTIMIZERS[optimizer].hyper}}
    if optimizer == "adamw":
        hyper["weight_decay"] = 0.5  # large enough to matter in six steps
    batches = [[0, 1, 2, 3], [4, 5, 6, 7, 8], [0, 2, 4, 6], [1, 3, 5, 7, 8], [0, 1, 2, 3], [4, 5, 6, 7, 8]]
    ours = cnn.train(images, classes, params, 2, optimizer, hyper, batches)
    theirs = _torch_training(images, classes, params, 2, optimizer, hyper, batches)
    close = dict(rtol=1e-9, atol=1e-12)
    for step, (mine, reference_step) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(mine["loss"], reference_step["loss"], **close, err_msg=f"loss {step}")
        for name in params:
            np.testing.assert_allclose(mine["grads"][name], reference_step["grads"][name], **close,
                                       err_msg=f"d{name} {step}")
            np.testing.assert_allclose(mine["params"][name], reference_step["params"][name], **close,
                                       err_msg=f"{name} {step}")
    assert not np.allclose(ours[-1]["params"]["K"], params["K"])  # the kernels learned
