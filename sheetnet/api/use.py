"""Use a trained workbook: its final parameters as numbers, predictions on new inputs, a JSON export."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from sheetnet.errors import SheetnetError
from sheetnet.evaluate import engines
from sheetnet.evaluate.xlsx import read_package
from sheetnet.layout import Layout
from sheetnet.model.problem import Problem
from sheetnet.verify import readback


def final_parameters(path: str | Path, engine: str = "fast") -> tuple[Problem, list[np.ndarray], list[np.ndarray]]:
    """The workbook's weights and biases after the last step, as an engine computes them from the file. With a
    convolution the returned problem's `kernels` and `kernel_bias` are the final ones too, and with batch
    normalization its `norms` (gamma, beta, running mean and variance)."""
    package = read_package(path)
    problem = readback.problem_from_package(package)
    values = engines.evaluate(path, engine, package)
    layout = Layout(problem.structure)
    names = layout.defined_names()

    def final(block, what: str, hint: str = "") -> np.ndarray:
        got = computed(values, block)
        if got is None:
            raise SheetnetError(f"{path}: the final {what} is not a number in every cell{hint}")
        return got

    def named(name: str) -> np.ndarray:
        return final(names[f"{name}_final"], name,
                     " (training diverged, or the file was never calculated: try --engine fast)")

    layers = range(1, problem.structure.n_layers + 1)
    weights, biases = [named(f"W{layer}") for layer in layers], [named(f"b{layer}")[:, 0] for layer in layers]
    if problem.structure.conv:
        problem.kernels, problem.kernel_bias = named("kernels"), named("kernel_bias")[:, 0]
    for kind, layer in list(problem.norms):  # batch normalization's final gamma, beta and running statistics
        problem.norms[(kind, layer)] = final(layout.block(kind, layer, problem.structure.steps),
                                             f"{kind} of layer {layer}")
    return problem, weights, biases


def computed(values, block, finite: bool = True) -> np.ndarray | None:
    """A block's numbers as an engine computed them; None where a cell holds anything else (an error, text,
    nothing) or, with `finite`, an overflowed number."""
    got, codes = values.block(block.sheet, block.row, block.col, block.nrows, block.ncols)
    if (codes != 0).any() or (finite and not np.isfinite(got).all()):
        return None
    return got


def predict(problem: Problem, weights, biases, inputs: np.ndarray) -> np.ndarray:
    """The network's outputs for rows of inputs (evaluation mode: dropout is for training only); with a
    convolution, each row an image read row by row, through `problem`'s kernels first."""
    from sheetnet.reference import convblock
    from sheetnet.reference.maths import features
    from sheetnet.reference.network import forward
    from sheetnet.reference.normalisation import Norm

    s = problem.structure
    rows = np.atleast_2d(np.asarray(inputs, dtype=float))
    names = s.raw_names if s.features else s.input_names
    if rows.shape[1] != s.n_raw:
        raise SheetnetError(f"the network takes {s.n_raw} input(s) ({', '.join(names)}), got {rows.shape[1]}")
    x = features(s.features, rows)
    if s.conv:
        x = convblock.forward(s, problem.hyper, convblock.images(s, x), problem.kernels, problem.kernel_bias)["x"]
    norms = {layer: Norm(*(problem.norms[(kind, layer)][:, 0] for kind in ("gamma", "beta", "rmean", "rvar")))
             for layer in range(1, s.n_layers) if s.normalised(layer)}  # evaluation mode: the running statistics
    return forward(s, problem.hyper, x, weights, biases, norms=norms or None)[("a", s.n_layers)]


def export(path: str | Path, engine: str = "fast") -> dict:
    """Final parameters and the network's description, ready for json.dump."""
    problem, weights, biases = final_parameters(path, engine)
    structure = asdict(problem.structure)
    result = {
        "format": "sheetnet-weights/1",
        "source": str(path),
        "network": {key: structure[key] for key in ("sizes", "activations", "loss", "input_names", "target_names")},
        "training": {"optimizer": structure["optimizer"], "steps": structure["steps"], **problem.hyper},
        "layers": [{"weights": w.tolist(), "biases": b.tolist()} for w, b in zip(weights, biases, strict=True)],
        "how_to_use": "for each layer: a = activation(W @ a_previous + b); weights are out x in",
    }
    if problem.structure.conv:
        s = problem.structure
        result["network"].update(image_shape=list(s.image_shape), conv_activation=s.conv_activation)
        result["convolution"] = {
            "kernels": problem.kernels.reshape(s.conv_filters, s.conv_kernel, s.conv_kernel).tolist(),
            "biases": problem.kernel_bias.tolist(), "kernel": s.conv_kernel, "pool": s.pool,
            "stride": 1, "padding": 0}
        result["how_to_use"] = ("image (inputs read row by row as image_shape) -> each kernel slid over it (stride 1, "
                                "no padding, not flipped, as torch's Conv2d) plus its bias -> conv_activation -> max "
                                "pooling pool x pool (stride pool) -> flattened (filter, row, column) -> " +
                                result["how_to_use"])
    return result


def write_export(path: str | Path, out: str | Path, force: bool, engine: str = "fast") -> None:
    from sheetnet.files import write_atomic

    text = json.dumps(export(path, engine), indent=2) + "\n"
    write_atomic(Path(out), text.encode("utf-8"), force=force)
