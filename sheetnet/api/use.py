"""Use a trained workbook: its final parameters as numbers, predictions on new inputs, a JSON export."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from sheetnet.check import readback
from sheetnet.errors import SheetnetError
from sheetnet.evaluate import engines
from sheetnet.evaluate.xlsx import read_package
from sheetnet.layout import Layout
from sheetnet.model.problem import Problem


def final_parameters(path: str | Path, engine: str = "fast") -> tuple[Problem, list[np.ndarray], list[np.ndarray]]:
    """The workbook's weights and biases after the last step, as an engine computes them from the file."""
    package = read_package(path)
    problem = readback.problem_from_package(package)
    values = engines.evaluate(path, engine, package)
    layout = Layout(problem.structure)
    weights, biases = [], []
    for name, store in (("W", weights), ("b", biases)):
        for layer in range(1, problem.structure.n_layers + 1):
            block = layout.defined_names()[f"{name}{layer}_final"]
            got, codes = values.block(block.sheet, block.row, block.col, block.nrows, block.ncols)
            if (codes != 0).any() or not np.isfinite(got).all():
                raise SheetnetError(f"{path}: the final {name}{layer} is not a number in every cell "
                                    f"(training diverged, or the file was never calculated: try --engine fast)")
            store.append(got if name == "W" else got[:, 0])
    return problem, weights, biases


def predict(problem: Problem, weights, biases, inputs: np.ndarray) -> np.ndarray:
    """The network's outputs for rows of inputs (evaluation mode: dropout is for training only)."""
    from sheetnet.reference.maths import features
    from sheetnet.reference.network import forward

    s = problem.structure
    rows = np.atleast_2d(np.asarray(inputs, dtype=float))
    names = s.raw_names if s.features else s.input_names
    if rows.shape[1] != s.n_raw:
        raise SheetnetError(f"the network takes {s.n_raw} input(s) ({', '.join(names)}), got {rows.shape[1]}")
    return forward(s, problem.hyper, features(s.features, rows), weights, biases)[("a", s.n_layers)]


def export(path: str | Path, engine: str = "fast") -> dict:
    """Final parameters and the network's description, ready for json.dump."""
    problem, weights, biases = final_parameters(path, engine)
    structure = asdict(problem.structure)
    return {
        "format": "sheetnet-weights/1",
        "source": str(path),
        "network": {key: structure[key] for key in ("sizes", "activations", "loss", "input_names", "target_names")},
        "training": {"optimizer": structure["optimizer"], "steps": structure["steps"], **problem.hyper},
        "layers": [{"weights": w.tolist(), "biases": b.tolist()} for w, b in zip(weights, biases, strict=True)],
        "how_to_use": "for each layer: a = activation(W @ a_previous + b); weights are out x in",
    }


def write_export(path: str | Path, out: str | Path, force: bool, engine: str = "fast") -> None:
    from sheetnet.files import write_atomic

    text = json.dumps(export(path, engine), indent=2) + "\n"
    write_atomic(Path(out), text.encode("utf-8"), force=force)
