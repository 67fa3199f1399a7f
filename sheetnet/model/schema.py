"""The config schema as frozen dataclasses: every section, key and default a user may write.

The keys are the user-facing names of the config reference (docs/config.md); `validate` checks a
parsed TOML document against them and `config` loads one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sheetnet.model import hyper
from sheetnet.model.options import FEATURES, HIDDEN_ACTIVATIONS, LOSSES, OPTIMIZERS, OUTPUT_ACTIVATIONS, SCHEDULES

__all__ = ["FEATURES", "HIDDEN_ACTIVATIONS", "LOSSES", "OPTIMIZERS", "OUTPUT_ACTIVATIONS", "SCHEDULES"]

INIT_SCHEMES = ("he", "xavier", "explicit")
BUILTIN_DATASETS = ("xor", "exam", "circles", "moons", "spiral", "gauss", "digits")

# A dataset's own defaults, for keys the user did not give: `sheetnet new digits -o digits.xlsx` must make a
# workbook that trains a real classifier and that a spreadsheet still opens (measured: README, digits.toml).
DATASET_DEFAULTS = {
    "digits": {
        "network": {"sizes": [64, 16, 10], "output": "softmax", "loss": "cross_entropy"},
        "training": {"steps": 40, "optimizer": "adam", "learning_rate": 0.02, "batch_size": 32, "shuffle": False},
        "data": {"n": 1100, "held_out": 100},
        "workbook": {"gradient_check": False},
    },
}

# Largest layer width and step count we accept. A hidden neuron's dL/da cell sums one term per
# neuron of the next layer; at 100 neurons that formula is ~3,500 characters, inside Excel's 8,192.
# what a [[workbook.tries]] entry can measure
MEASURES = ("loss", "accuracy", "weights", "gradient_ratio", "test_loss", "test_accuracy")
MAX_WIDTH = 100
MAX_STEPS = 100_000


@dataclass(frozen=True)
class NetworkConfig:
    sizes: tuple[int, ...] = (2, 4, 1)
    activation: tuple[str, ...] = ("relu",)
    leaky_slope: float = hyper.LEAKY_SLOPE.default
    output: str = "linear"
    loss: str = "mse"
    batch_norm: bool = False
    bn_epsilon: float = hyper.BN_EPSILON.default
    bn_momentum: float = hyper.BN_MOMENTUM.default
    conv_filters: int = 0  # a convolution block before the dense layers: F kernels (0 = none)
    conv_kernel: int = 3  # each kernel k x k, stride 1, no padding
    pool: int = 2  # max pooling window and stride after the convolution (1 = none)


@dataclass(frozen=True)
class TrainingConfig:
    steps: int = 200
    learning_rate: float = hyper.LEARNING_RATE.default
    optimizer: str = "sgd"
    schedule: str = "constant"
    # the optimizers' and schedules' hyper-parameters the config gives, (config key, value) pairs: each record in
    # model.optimizers and model.schedules declares its keys and defaults (momentum, beta1, epsilon, gamma, ...)
    options: tuple[tuple[str, float], ...] = ()
    clip_norm: float = hyper.CLIP_NORM.default
    batch_size: int = 0
    shuffle: bool = True  # mini-batches from one seeded shuffle; False: consecutive rows, in the data's order
    train_biases: bool = True
    l2: float = hyper.L2.default
    l1: float = hyper.L1.default
    dropout: float = hyper.DROPOUT.default


@dataclass(frozen=True)
class InitConfig:
    scheme: str = "he"
    seed: int = 0
    gain: float = 1.0  # multiplies the scheme's standard deviation: > 1 for large initial weights
    weights: tuple | None = None
    biases: tuple | None = None


@dataclass(frozen=True)
class DataConfig:
    builtin: str | None = "xor"
    csv: str | None = None
    inputs: tuple | None = None
    targets: tuple | None = None
    n: int | None = None  # samples of a generated dataset; None: the dataset's classroom-sized default
    noise: float = 0.1
    test_fraction: float = 0.0  # share of the samples held out as a seeded test set, never trained on
    held_out: int = 0  # or: the last `held_out` rows of the data are the test set, in their order
    features: tuple[str, ...] = ("x1", "x2")  # 2-input data: what the network is fed, computed from x1 and x2
    image_shape: tuple[int, ...] | None = None  # [height, width] of each row's image (CSV data for a convolution)


@dataclass(frozen=True)
class WorkbookConfig:
    """What the workbook shows beyond the network (not part of the spec's schema: an extension)."""

    boundary_grid: int = 21  # points per side of the decision-boundary grid (2-input networks); 0 = none
    gradient_check: bool = True  # the Gradient check sheet
    lesson: str = ""  # what this workbook is for, in a few sentences (the About sheet's first section)
    # things to try, each measured by the reference when the workbook is written:
    # (change: a named cell or "W<layer>", to: the new value, see: what to measure, why: one sentence or "")
    tries: tuple = ()
    # the About sheet compares the optimizers: the same data, initial weights and learning rate trained with
    # each one (measured by the reference when the workbook is written)
    compare_optimizers: bool = False


@dataclass(frozen=True)
class Config:
    network: NetworkConfig = field(default_factory=NetworkConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    init: InitConfig = field(default_factory=InitConfig)
    data: DataConfig = field(default_factory=DataConfig)
    workbook: WorkbookConfig = field(default_factory=WorkbookConfig)
    # False when the user gave no `sizes`: the input and output widths then follow the data.
    sizes_given: bool = False
    # Folder that relative paths in the config (data.csv) are resolved against.
    base_dir: str = "."

    @property
    def hidden_activations(self) -> tuple[str, ...]:
        """One activation per hidden layer (a single name applies to every hidden layer)."""
        n_hidden = len(self.network.sizes) - 2
        acts = self.network.activation
        return acts * n_hidden if len(acts) == 1 else acts[1:] if self.network.conv_filters else acts

    @property
    def conv_activation(self) -> str:
        """The convolution block's activation: the activation list's first (or the one activation)."""
        return self.network.activation[0]


SECTIONS = {
    "network": NetworkConfig,
    "training": TrainingConfig,
    "init": InitConfig,
    "data": DataConfig,
    "workbook": WorkbookConfig,
}
