"""Rebuild a workbook from an existing one, keeping what the user edited in it.

Kept: the data, the initial weights and biases, the hyper-parameters, the structure. An option
overrides what it names; initial parameters of a layer whose shape an option changed (or all of
them, after --seed) are drawn anew, and the result lists what could not be kept.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sheetnet.api import prepare, write
from sheetnet.files import check_writable
from sheetnet.layout import Layout
from sheetnet.model import config
from sheetnet.model.config import WorkbookConfig
from sheetnet.model.options import NORM_START, OPTIMIZERS, SCHEDULES, hyper_records, option_hypers, used_option_keys
from sheetnet.model.problem import Problem
from sheetnet.verify import readback


def _raw_config(old: Problem) -> dict:
    s = old.structure
    training = {"steps": s.steps, "optimizer": s.optimizer, "train_biases": s.train_biases,
                "batch_size": len(s.batches[0]) if s.batches else 0, "schedule": s.schedule, "shuffle": s.shuffle}
    network = {"sizes": list(s.sizes), "activation": list(s.activations[:-1]), "output": s.activations[-1],
               "loss": s.loss, "batch_norm": s.batch_norm}
    records = hyper_records(s.optimizer, s.schedule)  # named cell -> its config key and section
    for name, value in old.hyper.items():
        record = records[name]
        (network if record.section == "network" else training)[record.key] = value
    data = {"inputs": old.inputs.tolist(), "targets": old.targets.tolist(), "held_out": s.n_test,
            "features": list(s.features or ("x1", "x2"))}
    if s.conv:  # the config's sizes start at the images' pixels; the convolution's activation comes first
        network.update(sizes=[s.n_raw, *s.sizes[1:]], activation=[s.conv_activation, *s.activations[:-1]],
                       conv_filters=s.conv_filters, conv_kernel=s.conv_kernel, pool=s.pool)
        data["image_shape"] = list(s.image_shape)
    return {
        "network": network,
        "training": training,
        "init": {"scheme": "xavier" if s.init_scheme == "xavier" else "he", "seed": s.seed},
        "data": data,
        "workbook": {"boundary_grid": s.boundary_grid if s.n_raw == 2 else WorkbookConfig.boundary_grid,
                     "gradient_check": s.gradient_check or s.steps == 0, "lesson": s.lesson,
                     "compare_optimizers": s.compare_optimizers,
                     "tries": [{"change": c, "to": to, "see": see, "why": why} for c, to, see, why in s.tries]},
    }


def _drop_unused_options(training: dict) -> None:
    """The old optimizer's or schedule's settings go when an option chooses another (--optimizer sgd drops beta1):
    the workbook's cells carried them, the user did not write them."""
    if training["optimizer"] not in OPTIMIZERS or training["schedule"] not in SCHEDULES:
        return  # an unknown name: validation refuses it in one line
    unused = set(option_hypers()) - used_option_keys(training["optimizer"], training["schedule"])
    for key in unused & set(training):
        del training[key]


def _keep_continuation(old: Problem, new: Problem) -> None:
    """A continued workbook stays one: its step numbers, its batch order and its optimizer's starting state."""
    old_s = old.structure
    if not old_s.first_step:
        return
    same_batches = new.structure.batches is not None and old_s.batches is not None and \
        [len(b) for b in new.structure.batches] == [len(b) for b in old_s.batches]
    new.structure = replace(new.structure, first_step=old_s.first_step, schedule_span=old_s.schedule_span,
                            batches=old_s.batches if same_batches else new.structure.batches)
    layout = Layout(new.structure)
    new.states = {(kind, layer): value for (kind, layer), value in old.states.items()
                  if layout.has(kind, layer, 0) and layout.block(kind, layer, 0).cells_shape == value.shape}


def regenerate(source: Path, target: Path, overrides: dict[str, dict], force: bool = False) -> tuple[int, str]:
    """Write the rebuilt workbook; returns (formula cells, a sentence on what was kept)."""
    check_writable(target, force)
    old = readback.read_problem(source)
    raw = _raw_config(old)
    if "test_fraction" in overrides.get("data", {}):  # a new split replaces the workbook's own
        raw["data"]["held_out"] = 0
    raw = config.apply_overrides(raw, overrides)
    _drop_unused_options(raw["training"])
    cfg = config.from_dict(raw)
    new, _, _ = prepare(cfg)  # refused here, before any work, when the workbook would be too large
    names = {"input_names": old.structure.input_names, "raw_names": old.structure.raw_names} \
        if new.structure.features == old.structure.features else {}
    image = old.structure.image_side if new.structure.sizes[0] == old.structure.sizes[0] else 0
    new.structure = replace(new.structure, **names, target_names=old.structure.target_names,
                            dataset=old.structure.dataset, image_side=image)
    new.drawing = old.drawing if image else None
    _keep_continuation(old, new)
    reseeded = "seed" in overrides.get("init", {})
    kept_layers, redrawn = [], []
    for i, (w_old, b_old) in enumerate(zip(old.weights, old.biases, strict=True)):
        same_shape = i < len(new.weights) and new.weights[i].shape == w_old.shape
        if same_shape and not reseeded:
            new.weights[i], new.biases[i] = w_old, b_old
            kept_layers.append(f"layer {i + 1}")
        else:
            redrawn.append(f"layer {i + 1}")
    redrawn += [f"layer {i}" for i in range(len(old.weights) + 1, len(new.weights) + 1)]
    if old.kernels is not None:  # a convolution's kernels are kept as a layer's weights are
        if new.kernels is not None and new.kernels.shape == old.kernels.shape and not reseeded:
            new.kernels, new.kernel_bias = old.kernels, old.kernel_bias
            kept_layers.insert(0, "the kernels")
        else:
            redrawn.insert(0, "the kernels")
    if not redrawn:  # every initial parameter is the old one: so is the way they were made
        new.structure = replace(new.structure, init_scheme=old.structure.init_scheme)
    kept_masks = 0
    for key, mask in old.masks.items():
        if key in new.masks and new.masks[key].shape == mask.shape:
            new.masks[key] = mask
            kept_masks += 1
    if new.choices and old.choices:
        new.choices.update(old.choices)
    kept_norms = [key for key, values in old.norms.items()
                  if key in new.norms and new.norms[key].shape == values.shape and not reseeded]
    for key in kept_norms:
        new.norms[key] = old.norms[key]
    count = write(new, target, force=True)
    kept = f"data ({len(new.inputs)} samples), hyper-parameters"
    if kept_masks:
        kept += f", {kept_masks} dropout mask block(s)"
    if kept_norms:
        layers = len(kept_norms) // len(NORM_START)
        kept += f", initial batch-norm parameters and running statistics of {layers} layer(s)"
    if kept_layers:
        kept += f", initial parameters of {', '.join(map(str, kept_layers))}"
    if redrawn:
        why = "--seed given" if reseeded else "shape changed"
        kept += f"; drew new initial parameters for {', '.join(map(str, redrawn))} ({why})"
    return count, kept
