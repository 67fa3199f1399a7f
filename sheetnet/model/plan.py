"""Turn a validated Config into a Problem: load the data, fix the sizes, draw the initial weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sheetnet.errors import SheetnetError
from sheetnet.model import conv, datasets
from sheetnet.model.config import MAX_WIDTH, Config
from sheetnet.model.hyper import GENERAL
from sheetnet.model.options import NORM_START, hyper_records
from sheetnet.model.problem import CHOICE_DEFAULTS, Problem, Structure

WEIGHT_DECIMALS = 4


def load_dataset(cfg: Config) -> datasets.Dataset:
    data = cfg.data
    outputs = cfg.network.sizes[-1]
    if data.csv is not None:
        path = Path(data.csv)
        if not path.is_absolute():
            path = Path(cfg.base_dir) / path
        if cfg.network.loss == "cross_entropy":
            return _csv_classes(path, cfg)
        return datasets.from_csv(path, outputs)
    if data.inputs is not None:
        return datasets.from_rows(data.inputs, data.targets)
    seed = cfg.init.seed
    one_hot = cfg.network.output == "softmax"
    n = data.n if data.n is not None else datasets.DEFAULT_N
    if data.builtin == "digits":
        return datasets.digits(n, seed)
    if data.builtin == "xor":
        return datasets.xor()
    if data.builtin == "exam":
        return datasets.exam(n, data.noise, seed)
    if data.builtin in ("circles", "moons"):
        return getattr(datasets, data.builtin)(n, data.noise, seed, one_hot=one_hot)
    classes = (outputs if cfg.sizes_given else 3) if one_hot else 2
    return getattr(datasets, data.builtin)(n, data.noise, seed, classes=classes, one_hot=one_hot)


def _csv_classes(path: Path, cfg: Config) -> datasets.Dataset:
    """Cross-entropy data from CSV: one-hot target columns, or one column of class indices 0..k-1."""
    classes = cfg.network.sizes[-1] if cfg.sizes_given else None
    one_column = datasets.from_csv(path, 1)
    labels = one_column.targets[:, 0]
    width = one_column.inputs.shape[1] + 1
    is_index = np.all(labels == np.round(labels)) and labels.min() >= 0 and (
        classes is None or width == cfg.network.sizes[0] + 1)
    if classes is not None and width != cfg.network.sizes[0] + 1:
        return datasets.from_csv(path, classes)  # one-hot columns
    if not is_index:
        raise SheetnetError(f"{path}: cross_entropy needs one-hot target columns or a last column of class "
                            f"indices 0, 1, 2, ...")
    count = int(labels.max()) + 1 if classes is None else classes
    if labels.max() >= count:
        raise SheetnetError(f"{path}: class index {int(labels.max())} but only {count} outputs in sizes")
    count = max(count, 2)
    names = tuple(f"class {c}" for c in range(count))
    return datasets.Dataset(one_column.inputs, np.eye(count)[labels.astype(int)], one_column.input_names, names,
                            one_column.name)


def _features(cfg: Config, dataset: datasets.Dataset) -> tuple[str, ...]:
    """The computed inputs the network is fed; () when it takes the raw inputs as they are."""
    features = cfg.data.features
    if features == ("x1", "x2"):
        return ()
    if dataset.inputs.shape[1] != 2:
        raise SheetnetError(f"[data] features are computed from 2 inputs (x1, x2); this data has "
                            f"{dataset.inputs.shape[1]} input column(s)")
    return features


def split(dataset: datasets.Dataset, fraction: float, seed: int, held_out: int = 0) -> tuple[datasets.Dataset, int]:
    """A seeded hold-out: the training samples (in their order) first, then the test samples; and how many
    are held out (at least one of each when the fraction is above 0). `held_out`: the last rows, as they are."""
    n = len(dataset.inputs)
    if held_out:
        if held_out >= n:
            raise SheetnetError(f"[data] held_out = {held_out} leaves no sample to train on ({n} in all)")
        return dataset, held_out
    if fraction == 0:
        return dataset, 0
    if n < 2:
        raise SheetnetError("[data] test_fraction needs at least 2 samples: one to train on, one to test")
    n_test = min(max(1, round(fraction * n)), n - 1)
    test = set(np.random.default_rng(seed + 3).permutation(n)[:n_test].tolist())
    order = [i for i in range(n) if i not in test] + sorted(test)
    return datasets.Dataset(dataset.inputs[order], dataset.targets[order], dataset.input_names,
                            dataset.target_names, dataset.name), n_test


def _sizes(cfg: Config, dataset: datasets.Dataset, features: tuple[str, ...]) -> tuple[int, ...]:
    """The dense layers' sizes: with a convolution the first is the flattened pooled maps, not the data's inputs."""
    sizes = cfg.network.sizes
    n_in, n_out = len(features) or dataset.inputs.shape[1], dataset.targets.shape[1]
    if cfg.sizes_given and (sizes[0] != n_in or sizes[-1] != n_out):
        raise SheetnetError(
            f"[network] sizes {list(sizes)} expects {sizes[0]} input(s) and {sizes[-1]} output(s), "
            f"but the data has {n_in} input column(s) and {n_out} target column(s)"
        )
    net = cfg.network
    if n_in > MAX_WIDTH and not net.conv_filters:  # the limit every layer has (and a workbook's structure keeps)
        raise SheetnetError(f"the data has {n_in} input columns: more than a spreadsheet can show usefully (at most "
                            f"{MAX_WIDTH}); use fewer columns")
    first = conv.flat_size(net.conv_filters, image_shape(cfg, dataset), net.conv_kernel, net.pool) \
        if net.conv_filters else n_in
    return (first, *sizes[1:-1], n_out)


def image_shape(cfg: Config, dataset: datasets.Dataset) -> tuple[int, int]:
    """(height, width) of the images a convolution reads: the digits' 8 x 8, or [data] image_shape; refused for
    data that is not images."""
    n_in = dataset.inputs.shape[1]
    shape = cfg.data.image_shape
    if shape is None and dataset.name == "digits":
        shape = (datasets.DIGIT_SIDE, datasets.DIGIT_SIDE)
    if shape is None:
        raise SheetnetError(f"[network] conv_filters needs image data: the digits, or a CSV whose rows are images "
                            f"with [data] image_shape = [height, width] (the {dataset.name} data is not images)")
    if shape[0] * shape[1] != n_in:
        raise SheetnetError(f"[data] image_shape {list(shape)} is {shape[0] * shape[1]} pixels, but the data has "
                            f"{n_in} input column(s)")
    conv.check_shapes(shape, cfg.network.conv_kernel, cfg.network.pool)
    return shape


def _check_conv(cfg: Config, features) -> None:
    """What a convolution does not (yet) combine with: one line each."""
    if cfg.network.batch_norm:
        raise SheetnetError("[network] batch_norm with conv_filters is not built: batch normalization here "
                            "normalises dense layers only; remove one of them")
    if features:
        raise SheetnetError("[data] features are computed from 2 inputs; a convolution reads images: remove one")
    if cfg.init.scheme == "explicit":
        raise SheetnetError("[init] scheme = \"explicit\" gives no kernels: use \"he\" or \"xavier\" with "
                            "conv_filters")


def initial_kernels(cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """He or Xavier normal kernels as torch's Conv2d counts fans (fan in k*k, fan out F*k*k), rounded for
    reading; zero biases. Their own seeded stream: the dense weights are those the same seed gives without them."""
    net = cfg.network
    k2 = net.conv_kernel ** 2
    fan = 2.0 / k2 if cfg.init.scheme == "he" else 2.0 / (k2 + net.conv_filters * k2)
    rng = np.random.default_rng(cfg.init.seed + 5)
    kernels = np.round(rng.normal(0.0, cfg.init.gain * np.sqrt(fan), (net.conv_filters, k2)), WEIGHT_DECIMALS)
    return kernels, np.zeros(net.conv_filters)


def _check_targets(loss: str, targets: np.ndarray) -> None:
    if loss == "bce" and ((targets < 0) | (targets > 1)).any():
        raise SheetnetError("[data] loss = \"bce\" needs every target between 0 and 1")
    if loss == "cross_entropy":
        one_hot = np.isin(targets, (0.0, 1.0)).all() and (targets.sum(axis=1) == 1).all()
        if not one_hot:
            raise SheetnetError("[data] loss = \"cross_entropy\" needs one-hot targets (one 1 per row)")


def initial_parameters(cfg: Config, sizes: tuple[int, ...]) -> tuple[list, list]:
    """He or Xavier normal weights (rounded for reading), zero biases; or the explicit ones."""
    init = cfg.init
    if init.scheme == "explicit":
        return _explicit_parameters(cfg, sizes)
    rng = np.random.default_rng(init.seed)
    weights, biases = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        scale = init.gain * (np.sqrt(2.0 / fan_in) if init.scheme == "he" else np.sqrt(2.0 / (fan_in + fan_out)))
        weights.append(np.round(rng.normal(0.0, scale, (fan_out, fan_in)), WEIGHT_DECIMALS))
        biases.append(np.zeros(fan_out))
    return weights, biases


def _explicit_parameters(cfg: Config, sizes: tuple[int, ...]) -> tuple[list, list]:
    init = cfg.init
    n_layers = len(sizes) - 1
    if len(init.weights) != n_layers:
        raise SheetnetError(f"[init] weights gives {len(init.weights)} matrices for {n_layers} layers")
    weights, biases = [], []
    for layer, matrix in enumerate(init.weights, start=1):
        expected = (sizes[layer], sizes[layer - 1])
        shapes = {len(row) for row in matrix}
        if len(matrix) != expected[0] or shapes != {expected[1]}:
            raise SheetnetError(
                f"[init] weights for layer {layer} must be {expected[0]} rows of {expected[1]} "
                f"(out x in), got {len(matrix)} rows of {sorted(shapes)}"
            )
        weights.append(np.array(matrix, dtype=float))
    if init.biases is None:
        biases = [np.zeros(width) for width in sizes[1:]]
    else:
        if len(init.biases) != n_layers:
            raise SheetnetError(f"[init] biases gives {len(init.biases)} vectors for {n_layers} layers")
        for layer, vector in enumerate(init.biases, start=1):
            if len(vector) != sizes[layer]:
                raise SheetnetError(
                    f"[init] biases for layer {layer} needs {sizes[layer]} values, got {len(vector)}"
                )
            biases.append(np.array(vector, dtype=float))
    return weights, biases


def mini_batches(n_samples: int, batch_size: int, seed: int,
                 shuffle: bool = True) -> tuple[tuple[int, ...], ...] | None:
    """A fixed, seeded order: one shuffle (or the data's own order), cut into batches of `batch_size` (the last
    may be smaller). Without the shuffle every batch is a block of consecutive rows that the Layer sheets read
    where it stands on the Data sheet, instead of copying it."""
    if batch_size == 0 or batch_size >= n_samples:
        return None
    order = np.random.default_rng(seed + 1).permutation(n_samples) if shuffle else np.arange(n_samples)
    return tuple(tuple(int(i) for i in order[start:start + batch_size])
                 for start in range(0, n_samples, batch_size))


def dropout_masks(structure: Structure, rate: float, seed: int) -> dict[tuple[int, int], np.ndarray]:
    """0/1 masks, one per hidden layer and step (batch x width): 1 keeps a neuron, with probability 1 - rate."""
    rng = np.random.default_rng(seed + 2)
    masks = {}
    first = structure.first_step  # a continued workbook: the masks the seed draws for its updates, after earlier ones
    for step in range(-first, structure.steps + 1):
        for layer in range(1, structure.n_layers):
            shape = (structure.batch_size_at(step), structure.width(layer))
            drawn = (rng.random(shape) >= rate).astype(float)
            if step >= 0:
                masks[(layer, step)] = drawn
    return masks


def _class_points(targets: np.ndarray) -> tuple[tuple[int, ...], ...] | None:
    """Sample indices of each class (for the boundary sheet's scatter chart), when targets are classes."""
    if not np.isin(targets, (0.0, 1.0)).all():
        return None
    classes = targets.argmax(axis=1) if targets.shape[1] > 1 else (targets[:, 0] > 0.5).astype(int)
    count = max(2, targets.shape[1])
    return tuple(tuple(int(i) for i in np.flatnonzero(classes == c)) for c in range(count))


def _hyper(cfg: Config, structure: Structure) -> dict[str, float]:
    """The named hyper-parameter cells this structure shows, from the config keys they stand for (each record
    says which key and section, and its default for this optimizer or schedule)."""
    given = dict(cfg.training.options)
    records = hyper_records(structure.optimizer, structure.schedule)
    values = {}
    for name in structure.hyper_names():
        record = records[name]
        value = getattr(getattr(cfg, record.section), record.key) if record in GENERAL else \
            given.get(record.key, record.default)
        values[name] = float(value)
    return values


def _structure(cfg: Config, dataset: datasets.Dataset, sizes, features, n_test: int) -> Structure:
    t = cfg.training
    n_train = len(dataset.inputs) - n_test
    fields = dict(
        sizes=tuple(sizes), activations=(*cfg.hidden_activations, cfg.network.output), loss=cfg.network.loss,
        optimizer=t.optimizer, steps=t.steps, n_samples=n_train,
        input_names=features or dataset.input_names, target_names=dataset.target_names,
        train_biases=t.train_biases, use_l2=t.l2 > 0, use_l1=t.l1 > 0, dataset=dataset.name, seed=cfg.init.seed,
        init_scheme=cfg.init.scheme, batches=mini_batches(n_train, t.batch_size, cfg.init.seed, t.shuffle),
        shuffle=t.shuffle, image_side=_image_side(dataset, features),
        dropout=t.dropout > 0, classification=bool(np.isin(dataset.targets, (0.0, 1.0)).all()),
        class_points=_class_points(dataset.targets[:n_train]),
        boundary_grid=cfg.workbook.boundary_grid if dataset.inputs.shape[1] == 2 else 0,
        gradient_check=cfg.workbook.gradient_check and t.steps > 0, n_test=n_test, features=features,
        raw_names=dataset.input_names if features else (), lesson=cfg.workbook.lesson, tries=cfg.workbook.tries,
        schedule=t.schedule, clip=t.clip_norm > 0, batch_norm=cfg.network.batch_norm,
        compare_optimizers=cfg.workbook.compare_optimizers,
    )
    return Structure(**{**fields, **_conv_fields(cfg, dataset)})


def _conv_fields(cfg: Config, dataset: datasets.Dataset) -> dict:
    net = cfg.network
    if not net.conv_filters:
        return {}
    return {"conv_filters": net.conv_filters, "conv_kernel": net.conv_kernel, "pool": net.pool,
            "image_shape": image_shape(cfg, dataset), "conv_activation": cfg.conv_activation,
            "gradient_check": False}


def _image_side(dataset: datasets.Dataset, features) -> int:
    """8 for the digits (8x8 images: the Draw, Test digits and Weights sheets), 0 for other data."""
    return datasets.DIGIT_SIDE if dataset.name == "digits" and not features and \
        dataset.inputs.shape[1] == datasets.DIGIT_SIDE ** 2 else 0


def first_drawing(structure: Structure, inputs: np.ndarray) -> np.ndarray:
    """The Draw sheet's starting picture, in grey levels 0..16: the first test digit (or the first sample)."""
    side = structure.image_side
    sample = structure.test_samples[0] if structure.n_test else 0
    return np.round(inputs[sample] * datasets.DIGIT_LEVELS).reshape(side, side)


def build_problem(cfg: Config, check=None) -> Problem:
    """The Problem a config describes. `check(structure)`, when given, runs before the costly parts (dropout
    masks for every step): a workbook too large to write is refused at once."""
    dataset, n_test = split(load_dataset(cfg), cfg.data.test_fraction, cfg.init.seed, cfg.data.held_out)
    features = _features(cfg, dataset)
    if cfg.network.conv_filters:
        _check_conv(cfg, features)
    sizes = _sizes(cfg, dataset, features)
    _check_targets(cfg.network.loss, dataset.targets)
    if cfg.network.output == "softmax" and sizes[-1] < 2:
        raise SheetnetError("[network] output = \"softmax\" needs at least 2 target columns (for one column of "
                            "class labels 0, 1, 2, ... use loss = \"cross_entropy\": --loss cross_entropy)")
    weights, biases = initial_parameters(cfg, sizes)
    structure = _structure(cfg, dataset, sizes, features, n_test)
    smallest = min(structure.batch_size_at(step) for step in range(max(1, len(structure.batches or ((),)))))
    if structure.batch_norm and smallest < 2:
        raise SheetnetError(f"[network] batch_norm needs at least 2 samples in every batch (a batch of {smallest} has "
                            f"no variance; torch refuses it too): use a larger batch_size or more samples")
    if check is not None:
        check(structure)
    masks = dropout_masks(structure, cfg.training.dropout, cfg.init.seed) if structure.dropout else {}
    # The gradient check starts on the output layer, whose gradients are never vanishingly small.
    choices = {**CHOICE_DEFAULTS, "gc_layer": float(structure.n_layers)}
    norms = {(kind, layer): np.full((structure.width(layer), 1), start) for layer in range(1, structure.n_layers)
             if structure.normalised(layer) for kind, start in NORM_START.items()}
    drawing = first_drawing(structure, dataset.inputs) if structure.image_side else None
    kernels, kernel_bias = initial_kernels(cfg) if structure.conv else (None, None)
    return Problem(structure, dataset.inputs, dataset.targets, weights, biases, _hyper(cfg, structure), masks,
                   choices, norms, drawing, kernels=kernels, kernel_bias=kernel_bias)
