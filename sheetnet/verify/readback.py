"""Read a sheetnet workbook's structure and its input cells back into a Problem.

This is how the checker learns what a (possibly user-edited) workbook now says: the reference is
computed from these numbers, never from the config that first generated the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sheetnet.errors import SheetnetError
from sheetnet.evaluate.xlsx import Package, read_package
from sheetnet.layout import META_SHEET, Block, Layout, quote_sheet, size
from sheetnet.model.options import state_of
from sheetnet.model.problem import CHOICE_NAMES, Problem, Structure

NORM_WORDS = {"gamma": "gamma", "beta": "beta", "rmean": "running mean", "rvar": "running variance"}


def read_structure(package: Package) -> Structure:
    path = package.path
    try:
        meta = package.sheet(META_SHEET)
    except KeyError:
        raise SheetnetError(f"{path}: not a sheetnet workbook (no '{META_SHEET}' sheet)") from None
    text = meta.constants.get((2, 1))
    try:
        structure = Structure.from_json(text)
    except RecursionError:
        raise SheetnetError(f"{path}: the '{META_SHEET}' sheet is damaged or was edited (nested too deeply); "
                            f"regenerate the workbook with sheetnet") from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        detail = str(exc) if isinstance(exc, ValueError) and not isinstance(exc, json.JSONDecodeError) else \
            type(exc).__name__
        raise SheetnetError(f"{path}: the '{META_SHEET}' sheet is damaged or was edited ({detail}); "
                            f"regenerate the workbook with sheetnet") from None
    try:  # what it claims is checked against the limits of `new` before anything is built from it
        size.check(size.measure(Layout(structure)))
    except SheetnetError as exc:
        raise SheetnetError(f"{path}: the '{META_SHEET}' sheet describes a workbook too large: {exc}") from None
    return structure


def read_block(package: Package, block: Block, what: str) -> np.ndarray:
    """The numbers in a block of input cells; anything else is an error naming the cell."""
    try:
        sheet = package.sheet(block.sheet)
    except KeyError:
        raise SheetnetError(f"{package.path}: sheet '{block.sheet}' is missing") from None
    values = np.zeros((block.nrows, block.ncols))
    for i, j, row, col in block.cells():
        value = sheet.constants.get((row, col))
        if value is None:
            value = sheet.formulas.get((row, col))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            raise SheetnetError(
                f"{package.path}: {quote_sheet(block.sheet)}!{block.cell(i, j)} ({what}) should hold a number, "
                f"found {value!r}"
            )
        values[i, j] = value
    return values


def problem_from_package(package: Package) -> Problem:
    """Structure and input numbers of a sheetnet workbook."""
    structure = read_structure(package)
    layout = Layout(structure)
    inputs = read_block(package, layout.data.raw(), "input")
    targets = read_block(package, layout.data.all_targets(), "target")
    weights, biases = [], []
    for layer in range(1, structure.n_layers + 1):
        weights.append(read_block(package, layout.block("W", layer, 0), f"initial weight W{layer}"))
        biases.append(read_block(package, layout.block("b", layer, 0), f"initial bias b{layer}")[:, 0])
    hyper = {name: float(read_block(package, layout.hyper_block(name), name)[0, 0]) for name in layout.hyper_names}
    masks = {}
    if structure.dropout:
        for step in range(structure.steps + 1):
            for layer in range(1, structure.n_layers):
                masks[(layer, step)] = read_block(package, layout.block("mask", layer, step),
                                                  f"dropout mask, layer {layer}, step {step}")
    choices = {}
    if layout.gradcheck is not None:
        choices = {name: float(read_block(package, layout.gradcheck.choice_block(name), name)[0, 0])
                   for name in CHOICE_NAMES}
    norms = {(kind, layer): read_block(package, layout.block(kind, layer, 0),
                                       f"starting {NORM_WORDS[kind]}, layer {layer}")
             for layer in range(1, structure.n_layers) if structure.normalised(layer) for kind in NORM_WORDS}
    drawing = read_block(package, layout.block("dr_x", 0, 0), "drawing") if layout.digits is not None else None
    states = {}
    if structure.carries_state:
        if layout.conv is not None:
            states.update({(kind, 0): read_block(package, layout.block(kind, 0, 0), f"starting {kind}, the kernels")
                           for kind in layout.conv.parameters if state_of(kind)})
        for layer in range(1, structure.n_layers + 1):
            for kind in layout.layers.groups[layer]:
                if state_of(kind):
                    states[(kind, layer)] = read_block(package, layout.block(kind, layer, 0),
                                                       f"starting {kind}, layer {layer}")
    kernels = kernel_bias = None
    if structure.conv:
        kernels = read_block(package, layout.block("K", 0, 0), "initial kernel")
        kernel_bias = read_block(package, layout.block("kb", 0, 0), "initial kernel bias")[:, 0]
    return Problem(structure, inputs, targets, weights, biases, hyper, masks, choices, norms, drawing, states,
                   kernels=kernels, kernel_bias=kernel_bias)


def read_problem(path: str | Path) -> Problem:
    return problem_from_package(read_package(path))
