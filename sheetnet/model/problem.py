"""What a workbook computes: its structure (which cells exist) and its inputs (the editable numbers).

`Structure` decides the layout and is stored in the workbook; `Problem` adds the numbers a user
may edit (data, initial parameters, hyper-parameters). The reference computes from a Problem;
the writer writes one; `readback` recovers one from a workbook.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from sheetnet.model import conv as shapes  # not `conv`: Structure.conv says whether there is one
from sheetnet.model.config import MAX_STEPS, MAX_WIDTH, MEASURES
from sheetnet.model.conv import MAX_FILTERS, MAX_IMAGE_SIDE, MAX_KERNEL
from sheetnet.model.options import (
    FEATURES,
    HIDDEN_ACTIVATIONS,
    LOSSES,
    OPTIMIZER_RECORDS,
    OPTIMIZERS,
    OUTPUT_ACTIVATIONS,
    SCHEDULE_RECORDS,
    SCHEDULES,
)
from sheetnet.model.text import control_character

FORMAT_VERSION = 1
CONV_FIELDS = ("conv_filters", "conv_kernel", "pool", "image_shape", "conv_activation")

# The gradient check sheet's editable cells (which parameter to nudge, and by how much).
CHOICE_NAMES = ("gc_layer", "gc_neuron", "gc_input", "gc_epsilon")
CHOICE_DEFAULTS = {"gc_layer": 1.0, "gc_neuron": 1.0, "gc_input": 1.0, "gc_epsilon": 1e-3}


def _count(value) -> bool:
    """An integer, and not True or False (which Python counts as 1 and 0): a hand-made `sizes = [2, true, 1]`."""
    return type(value) is int


@dataclass(frozen=True)
class Structure:
    sizes: tuple[int, ...]  # inputs, hidden widths..., outputs
    activations: tuple[str, ...]  # one per layer: hidden activations..., output activation
    loss: str
    optimizer: str
    steps: int
    n_samples: int
    input_names: tuple[str, ...]
    target_names: tuple[str, ...]
    train_biases: bool = True
    use_l2: bool = False
    use_l1: bool = False
    dataset: str = ""
    seed: int = 0
    init_scheme: str = "he"
    batches: tuple[tuple[int, ...], ...] | None = None  # sample indices per mini-batch; None = full batch
    dropout: bool = False  # hidden layers multiply by fixed 0/1 masks (input cells) / (1 - dropout_rate)
    classification: bool = False  # targets are classes (0/1 or one-hot): accuracy per step is shown
    class_points: tuple[tuple[int, ...], ...] | None = None  # samples of each class, for the boundary chart
    boundary_grid: int = 0  # points per side of the decision-boundary grid; 0 = no Boundary sheet
    gradient_check: bool = False  # the Gradient check sheet (needs at least one step)
    n_test: int = 0  # held-out samples after the n_samples training ones: evaluated every step, never trained on
    features: tuple[str, ...] = ()  # computed inputs (x1^2, x1*x2, ...) of the raw ones; () = the raw inputs
    raw_names: tuple[str, ...] = ()  # names of the raw input columns when there are features
    lesson: str = ""  # what the workbook is for (About sheet)
    tries: tuple = ()  # things to try: (change, to, see, why), measured when the workbook is written
    schedule: str = "constant"  # the learning rate of each step: constant, step, exponential or cosine
    clip: bool = False  # gradients scaled to a total norm of at most clip_norm before each update
    batch_norm: bool = False  # every hidden layer normalises z over the batch, then gamma * zhat + beta
    compare_optimizers: bool = False  # the About sheet measures every optimizer on this network
    shuffle: bool = True  # the mini-batches were cut from a seeded shuffle (False: from the rows in order)
    image_side: int = 0  # the inputs are a side x side image (the digits: 8): Draw, Test digits, Weights sheets
    first_step: int = 0  # updates made before this workbook (`sheetnet continue`): its step k is update first_step + k
    schedule_span: int = 0  # the cosine schedule's T_max when it is not this workbook's steps (a continued one)
    # a convolution block before the dense layers (whose `sizes` then start at the flattened pooled maps):
    conv_filters: int = 0  # F kernels; 0 = no convolution (and none of the conv fields is stored)
    conv_kernel: int = 3  # k: each kernel k x k, stride 1, no padding
    pool: int = 2  # max pooling window and stride (1 = none)
    image_shape: tuple[int, ...] = ()  # (height, width) of each sample's image, read row by row from its inputs
    conv_activation: str = "relu"

    @property
    def conv(self) -> bool:
        return self.conv_filters > 0

    @property
    def test_steps(self) -> tuple[int, ...]:
        """The steps whose parameters are measured on the test set: every step, or with a convolution the last
        (a held-out digit through the Conv sheet costs ~500 cells a step)."""
        if not self.n_test:
            return ()
        return (self.steps,) if self.conv else tuple(range(self.steps + 1))

    @property
    def map_shape(self) -> tuple[int, int]:
        """(rows, columns) of each filter's map."""
        return shapes.map_shape(self.image_shape, self.conv_kernel)

    @property
    def pooled_shape(self) -> tuple[int, int]:
        return shapes.pooled_shape(self.image_shape, self.conv_kernel, self.pool)

    @property
    def carries_state(self) -> bool:
        """Whether the optimizer's state at step 0 is input cells (a continued workbook) rather than nothing."""
        return self.first_step > 0 and self.optimizer != "sgd"

    def global_step(self, step: int) -> int:
        """The update number of this workbook's step `step` over a chain of continued workbooks."""
        return self.first_step + step

    @property
    def cosine_span(self) -> int:
        return self.schedule_span or self.steps

    @property
    def copies_batches(self) -> bool:
        """Whether a Layer 1 block copies its mini-batch's inputs: only when a batch is not consecutive rows."""
        return self.batches is not None and any(
            list(batch) != list(range(batch[0], batch[0] + len(batch))) for batch in self.batches)

    @property
    def n_raw(self) -> int:
        """Input columns on the Data sheet (the raw inputs features are computed from, or the inputs)."""
        if self.conv:
            return self.image_shape[0] * self.image_shape[1]
        return len(self.raw_names) if self.features else self.sizes[0]

    @property
    def test_samples(self) -> tuple[int, ...]:
        """Indices of the held-out samples: they follow the training samples."""
        return tuple(range(self.n_samples, self.n_samples + self.n_test))

    def samples_at(self, step: int) -> tuple[int, ...]:
        """The samples (0-based) that step `step` computes on: its mini-batch, or every sample."""
        if self.batches is None:
            return tuple(range(self.n_samples))
        return self.batches[step % len(self.batches)]

    def batch_size_at(self, step: int) -> int:
        return self.n_samples if self.batches is None else len(self.batches[step % len(self.batches)])

    @property
    def max_batch(self) -> int:
        return self.n_samples if self.batches is None else max(len(b) for b in self.batches)

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    def fan_in(self, layer: int) -> int:
        """Inputs of layer `layer` (1-based)."""
        return self.sizes[layer - 1]

    def width(self, layer: int) -> int:
        """Neurons of layer `layer` (1-based)."""
        return self.sizes[layer]

    def activation(self, layer: int) -> str:
        return self.activations[layer - 1]

    def normalised(self, layer: int) -> bool:
        """Batch normalization between this layer's z and its activation (every hidden layer, when on)."""
        return self.batch_norm and layer < self.n_layers

    def hyper_names(self) -> tuple[str, ...]:
        """The named hyper-parameter cells this structure needs, in display order."""
        names = ["learning_rate", *(h.cell for h in OPTIMIZER_RECORDS[self.optimizer].hyper),
                 *(h.cell for h in SCHEDULE_RECORDS[self.schedule].hyper)]
        if self.clip:
            names.append("clip_norm")
        if self.batch_norm:
            names += ["bn_epsilon", "bn_momentum"]
        if self.use_l2:
            names.append("l2_penalty")  # not "l2": L2 is a cell address
        if self.use_l1:
            names.append("l1_penalty")
        if "leaky_relu" in self.activations or (self.conv and self.conv_activation == "leaky_relu"):
            names.append("leaky_slope")
        if self.dropout:
            names.append("dropout_rate")
        return tuple(names)

    def to_json(self) -> str:
        fields = asdict(self)
        if not self.conv:  # a workbook without a convolution stores what it always stored
            for name in CONV_FIELDS:
                fields.pop(name)
        return json.dumps({"format": FORMAT_VERSION, **fields}, sort_keys=True)

    def validate(self) -> None:
        """Refuse a structure no sheetnet wrote (a hand-edited or hostile 'sheetnet' sheet)."""
        problems = []
        problems += self._conv_problems()
        if len(self.sizes) < (2 if self.conv else 3) or any(
                not _count(w) or not 1 <= w <= MAX_WIDTH for w in self.sizes[1 if self.conv else 0:]):
            problems.append(f"sizes {list(self.sizes)}")
        if len(self.activations) != len(self.sizes) - 1:
            problems.append("activations do not match sizes")
        elif any(a not in HIDDEN_ACTIVATIONS for a in self.activations[:-1]) or \
                self.activations[-1] not in OUTPUT_ACTIVATIONS:
            problems.append(f"activations {list(self.activations)}")
        if self.loss not in LOSSES or self.optimizer not in OPTIMIZERS or self.schedule not in SCHEDULES:
            problems.append(f"loss {self.loss!r} / optimizer {self.optimizer!r} / schedule {self.schedule!r}")
        if not all(isinstance(flag, bool) for flag in (self.clip, self.batch_norm, self.dropout, self.train_biases,
                                                       self.compare_optimizers, self.shuffle)):
            problems.append("a switch that is not true or false")
        if not all(_count(n) and 0 <= n <= 10 * MAX_STEPS for n in (self.first_step, self.schedule_span)):
            problems.append("first_step or schedule_span")
        if not _count(self.steps) or not 0 <= self.steps <= MAX_STEPS:
            problems.append(f"steps {self.steps!r}")
        if not _count(self.n_samples) or not 1 <= self.n_samples <= 1_000_000:
            problems.append(f"n_samples {self.n_samples!r}")
        if not _count(self.n_test) or not 0 <= self.n_test <= 1_000_000:
            problems.append(f"n_test {self.n_test!r}")
        if self.features and (any(f not in FEATURES for f in self.features) or len(self.features) != self.sizes[0]
                              or len(self.raw_names) != 2):
            problems.append(f"features {list(self.features)}")
        named_inputs = self.n_raw if self.conv else self.sizes[0]
        if len(self.input_names) != named_inputs or len(self.target_names) != self.sizes[-1]:
            problems.append("column names do not match sizes")
        for name in ("batches", "class_points"):
            groups = getattr(self, name) or ()
            if any(not _count(i) or not 0 <= i < self.n_samples for group in groups for i in group):
                problems.append(f"{name} refer to samples that do not exist")
        if self.batches is not None and (not self.batches or any(not batch for batch in self.batches)):
            problems.append("empty mini-batch")
        if not isinstance(self.lesson, str) or any(
                len(entry) != 4 or not isinstance(entry[0], str) or isinstance(entry[1], bool)
                or not isinstance(entry[1], (int, float)) or entry[2] not in MEASURES or not isinstance(entry[3], str)
                for entry in self.tries):
            problems.append("lesson or tries")
        if self.image_side and (self.image_side not in (8,) or self.n_raw != self.image_side ** 2
                                or self.sizes[-1] != 10):
            problems.append(f"image_side {self.image_side!r}")
        if not _count(self.boundary_grid) or not (self.boundary_grid == 0 or 2 <= self.boundary_grid <= 60):
            problems.append(f"boundary_grid {self.boundary_grid!r}")
        texts = [*self.input_names, *self.target_names, *self.raw_names, self.dataset, self.lesson,
                 *(entry[3] for entry in self.tries if len(entry) == 4 and isinstance(entry[3], str))]
        if not all(isinstance(text, str) for text in texts) or any(control_character(text) for text in texts):
            problems.append("names or texts that are not plain text")
        if problems:
            raise ValueError("; ".join(problems))

    def _conv_problems(self) -> list[str]:
        if not _count(self.conv_filters) or not 0 <= self.conv_filters <= MAX_FILTERS:
            return [f"conv_filters {self.conv_filters!r}"]
        if not self.conv:
            return []
        shape = self.image_shape
        if len(shape) != 2 or not all(_count(v) and 1 <= v <= MAX_IMAGE_SIDE for v in shape) or \
                not all(_count(v) and 1 <= v <= MAX_KERNEL for v in (self.conv_kernel, self.pool)) or \
                self.conv_kernel > min(shape) or self.pool > min(self.map_shape) or \
                self.conv_activation not in HIDDEN_ACTIVATIONS or self.batch_norm or self.features:
            return [f"convolution {self.conv_filters} x {self.conv_kernel}, pool {self.pool}, image {shape!r}"]
        rows, cols = self.pooled_shape
        return [] if self.sizes and self.sizes[0] == self.conv_filters * rows * cols else [f"sizes {self.sizes!r}"]

    @classmethod
    def from_json(cls, text: str) -> Structure:
        raw = json.loads(text)
        raw.pop("format", None)
        for key in ("sizes", "activations", "input_names", "target_names", "features", "raw_names", "image_shape"):
            if key in raw:
                raw[key] = tuple(raw[key])
        for key in ("batches", "class_points", "tries"):
            if raw.get(key) is not None:
                raw[key] = tuple(tuple(item) for item in raw[key])
        structure = cls(**raw)
        structure.validate()
        return structure


@dataclass
class Problem:
    structure: Structure
    inputs: np.ndarray  # samples x inputs
    targets: np.ndarray  # samples x outputs
    weights: list[np.ndarray]  # per layer, out x in
    biases: list[np.ndarray]  # per layer, out
    hyper: dict[str, float] = field(default_factory=dict)
    masks: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)  # (layer, step) -> batch x width
    choices: dict[str, float] = field(default_factory=dict)  # the gradient-check sheet's editable cells
    # batch normalization's starting values, (kind, layer) -> width x 1: gamma, beta, rmean, rvar
    norms: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)
    drawing: np.ndarray | None = None  # the Draw sheet's grey levels (image_side x image_side), when it has one
    # a continued workbook's optimizer state at step 0, (state kind such as "m_W", layer) -> array
    states: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)
    kernels: np.ndarray | None = None  # a convolution's kernels at step 0: F x k*k, each row one kernel, row by row
    kernel_bias: np.ndarray | None = None  # and their biases: F
