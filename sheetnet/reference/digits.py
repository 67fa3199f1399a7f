"""The image classifier's extra sheets in numpy: the Draw sheet's pass, the test digits, the weight pictures."""

from __future__ import annotations

import numpy as np

from sheetnet.model.problem import Problem
from sheetnet.reference import convblock
from sheetnet.reference.network import forward

GREY_LEVELS = 16.0  # the Draw sheet's grid holds 0..16, as the digits' own pixels; the network takes level / 16
GALLERY_SIZE = 24  # test digits pictured
WEIGHT_PICTURES = 32  # first-layer neurons pictured


def draw_values(problem: Problem, final) -> dict:
    """The drawing through the final parameters (`final`, a training.Parameters), in evaluation mode: the pass,
    the ten probabilities and the digit read (the first of the largest, as the sheet's IF chain picks)."""
    s = problem.structure
    x = np.asarray(problem.drawing, dtype=float).reshape(1, -1) / GREY_LEVELS
    values = {}
    if s.conv:  # the Filters sheet: the drawing through the final kernels; the dense pass reads its pooled maps
        image = x.reshape(1, *s.image_shape)
        seen = convblock.forward(s, problem.hyper, image, final.get("K", 0), final.get("kb", 0))
        values[("fl_img", 0, 0)] = image[0]
        for f in range(s.conv_filters):
            values[("fl_z", f, 0)], values[("fl_p", f, 0)] = seen["cz"][0, f], seen["cp"][0, f]
        x = seen["x"]
    passed = forward(s, problem.hyper, x, final.weights, final.biases, norms=final.norms(evaluation=True))
    values[("dr_in", 0, 0)] = x
    values.update({("dr_" + kind, layer, 1): value for (kind, layer), value in passed.items()})
    last = s.n_layers
    values[("dr_prob", 0, 0)] = passed[("a", last)].T
    values[("dr_pred", 0, 0)] = np.array([[float(np.argmax(passed[("z", last)][0]))]])
    return values


def gallery_values(problem: Problem, trace: dict) -> dict:
    """Each pictured test digit: its pixels, its true digit, and what the last step's test pass reads and how
    sure it is."""
    s = problem.structure
    side, last = s.image_side, s.n_layers
    values = {}
    for t, sample in enumerate(s.test_samples[:GALLERY_SIZE]):
        values[("gl_img", t, 0)] = problem.inputs[sample].reshape(side, side)
        values[("gl_true", t, 0)] = np.array([[float(np.argmax(problem.targets[sample]))]])
        z, a = trace[("te_z", last, s.steps)][t], trace[("te_a", last, s.steps)][t]
        values[("gl_pred", t, 0)] = np.array([[float(np.argmax(z))]])
        values[("gl_prob", t, 0)] = np.array([[float(a.max())]])
    return values


def weight_pictures(problem: Problem, trace: dict, final) -> dict:
    """Every first-layer neuron's incoming weights as a side x side picture: initial and final."""
    s = problem.structure
    side = s.image_side
    initial = trace[("W", 1, 0)]
    return {("wp_img", j, v): weights[j].reshape(side, side)
            for j in range(min(s.width(1), WEIGHT_PICTURES)) for v, weights in ((0, initial), (1, final.weights[0]))}


def kernel_pictures(problem: Problem, trace: dict, final) -> dict:
    """Every kernel as a k x k picture: initial and final."""
    s = problem.structure
    k = s.conv_kernel
    return {("fl_kernel", f, v): kernels[f].reshape(k, k) for f in range(s.conv_filters)
            for v, kernels in ((0, trace[("K", 0, 0)]), (1, final.get("K", 0)))}


def digit_values(problem: Problem, trace: dict, final) -> dict:
    values = draw_values(problem, final) if problem.drawing is not None else {}
    if problem.structure.conv:
        values.update(kernel_pictures(problem, trace, final))
        return values | (gallery_values(problem, trace) if problem.structure.n_test else {})
    if problem.structure.n_test:
        values.update(gallery_values(problem, trace))
    values.update(weight_pictures(problem, trace, final))
    return values
