"""Convolution and max pooling in numpy, forward and backward, as torch's Conv2d (one input channel, square
kernels, stride 1, no padding) and MaxPool2d (window and stride p, leftover rows and columns dropped) compute them.

Written by im2col: every k x k window of an image becomes one row, so the convolution is one matrix product and a
kernel's gradient is one product of the windows with the gradients of its map. Nothing here knows a cell or a
formula; a workbook's convolution sheet is checked against these numbers.

Shapes: images (n, h, w); kernels (F, k*k), each row one kernel read row by row; maps (n, F, h-k+1, w-k+1).
"""

from __future__ import annotations

import numpy as np


def windows(images: np.ndarray, k: int) -> np.ndarray:
    """(n, oh, ow, k*k): the k x k window of each output position, read row by row."""
    n, h, w = images.shape
    oh, ow = h - k + 1, w - k + 1
    rows = np.arange(oh)[:, None, None, None] + np.arange(k)[None, None, :, None]
    cols = np.arange(ow)[None, :, None, None] + np.arange(k)[None, None, None, :]
    return images[:, rows, cols].reshape(n, oh, ow, k * k)


def convolve(images: np.ndarray, kernels: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """(n, F, oh, ow): each map's value at a position is its kernel times that position's window, plus its bias
    (cross-correlation, as torch's Conv2d: the kernel is not flipped)."""
    k = int(round(np.sqrt(kernels.shape[1])))
    patches = windows(images, k)
    return np.einsum("nyxq,fq->nfyx", patches, kernels) + bias[None, :, None, None]


def max_pool(maps: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """(pooled (n, F, oh//p, ow//p), winner): each pooled cell the largest of its p x p window, and the position
    in the window (0 .. p*p-1, row by row) of the first largest value, the one torch sends the gradient to."""
    n, f, oh, ow = maps.shape
    ph, pw = oh // p, ow // p
    cropped = maps[:, :, :ph * p, :pw * p].reshape(n, f, ph, p, pw, p)
    flat = cropped.transpose(0, 1, 2, 4, 3, 5).reshape(n, f, ph, pw, p * p)
    winner = flat.argmax(axis=-1)  # numpy's argmax is the first maximum, as torch's rule on ties
    return np.take_along_axis(flat, winner[..., None], axis=-1)[..., 0], winner


def unpool(grad_pooled: np.ndarray, winner: np.ndarray, shape: tuple[int, ...], p: int) -> np.ndarray:
    """The gradient of the maps (shape (n, F, oh, ow)): each pooled cell's gradient goes to its window's winner,
    every other position (and the dropped leftover rows and columns) gets 0."""
    n, f, ph, pw = grad_pooled.shape
    flat = np.zeros((n, f, ph, pw, p * p))
    np.put_along_axis(flat, winner[..., None], grad_pooled[..., None], axis=-1)
    grid = flat.reshape(n, f, ph, pw, p, p).transpose(0, 1, 2, 4, 3, 5).reshape(n, f, ph * p, pw * p)
    out = np.zeros(shape)
    out[:, :, :ph * p, :pw * p] = grid
    return out


def kernel_gradients(images: np.ndarray, grad_maps: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(dL/dkernels (F, k*k), dL/dbias (F,)): for each kernel weight, the sum over the batch and the positions of
    the map's gradient times the image value that weight met there."""
    patches = windows(images, k)
    return np.einsum("nfyx,nyxq->fq", grad_maps, patches), grad_maps.sum(axis=(0, 2, 3))


def flatten(pooled: np.ndarray) -> np.ndarray:
    """(n, F*ph*pw): the pooled maps as the dense layers read them, in torch's order (filter, row, column)."""
    return pooled.reshape(len(pooled), -1)
