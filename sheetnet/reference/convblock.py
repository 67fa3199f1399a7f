"""A workbook's convolution block in the reference: the step's images through the kernels, the activation and
max pooling, in torch's order (activation, then pooling); and back from the dense layers' gradient of their
inputs to the kernels'.

Maps come out as (samples, filters, rows, columns) arrays; the checker places them in the Conv sheet's tiles.
Nothing here knows a cell: the convolution itself is `convolution.py`'s im2col.
"""

from __future__ import annotations

import numpy as np

from sheetnet.model.problem import Structure
from sheetnet.reference import convolution as conv
from sheetnet.reference.maths import activate, derivative


def images(structure: Structure, inputs: np.ndarray) -> np.ndarray:
    """(n, height, width): each sample's inputs read row by row as its image."""
    return inputs.reshape(len(inputs), *structure.image_shape)


def forward(structure: Structure, hyper: dict, pictures: np.ndarray, kernels: np.ndarray, bias: np.ndarray) -> dict:
    """The block's quantities for a batch of images: the images and kernels as tiles ("cx", "kt"), the maps "cz",
    their pooled maxima "cp" (of z), the dense layers' inputs "x" (activation, then pooling, flattened), and what
    backward needs."""
    s = structure
    slope = hyper.get("leaky_slope", 0.0)
    z = conv.convolve(pictures, kernels, bias[:, 0] if bias.ndim == 2 else bias)
    a = activate(s.conv_activation, z, slope)
    pooled, winner = conv.max_pool(a, s.pool)
    k = s.conv_kernel
    return {"cx": pictures[:, None], "kt": kernels.reshape(1, -1, k, k), "cz": z, "cp": conv.max_pool(z, s.pool)[0],
            "x": conv.flatten(pooled), "a": a, "winner": winner, "pooled": pooled}


def backward(structure: Structure, hyper: dict, pictures: np.ndarray, kernels: np.ndarray, values: dict,
             grad_x: np.ndarray) -> dict:
    """From dL/d(the dense layers' inputs): each pooled cell's gradient to its window's first largest value,
    times the activation's slope there ("cdz", the maps' gradients, cropped to the pooled windows), and the
    kernels' gradients summed over the batch and positions (with the weights' penalties) and the biases'."""
    s = structure
    slope = hyper.get("leaky_slope", 0.0)
    z, a = values["cz"], values["a"]
    grad_pooled = grad_x.reshape(values["pooled"].shape)
    grad_z = conv.unpool(grad_pooled, values["winner"], z.shape, s.pool) * derivative(s.conv_activation, z, a, slope)
    grad_k, grad_b = conv.kernel_gradients(pictures, grad_z, s.conv_kernel)
    if s.use_l2:
        grad_k = grad_k + 2.0 * hyper["l2_penalty"] * kernels
    if s.use_l1:
        grad_k = grad_k + hyper["l1_penalty"] * np.sign(kernels)
    rows, cols = (side * s.pool for side in s.pooled_shape)
    return {"cdz": grad_z[:, :, :rows, :cols], "dK": grad_k, "dkb": grad_b[:, None]}
