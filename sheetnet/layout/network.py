"""Where the Data, Layer and Training sheets keep every quantity: (kind, layer, step) -> block of cells.

The writer puts formulas in these blocks, the checker reads engine values out of them and the
reference's Trace uses the same keys. Nothing else is shared between writer and reference.

Sheets: `Data` (samples), `Layer 1..L` (one block per step, stacked downwards, every layer
sheet using the same rows for the same step so cross-sheet references keep one relative shape),
`Training` (hyper-parameters and one row per step).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sheetnet.layout.boundary import BoundaryLayout, has_boundary
from sheetnet.layout.cells import Block, layer_sheet
from sheetnet.layout.gradcheck import GradcheckLayout
from sheetnet.model.options import OPTIMIZER_COLUMNS, OPTIMIZER_STATES, PER_SAMPLE_LOSSES, ROW_ACTIVATIONS
from sheetnet.model.problem import Structure

DATA_SHEET = "Data"
TRAINING_SHEET = "Training"
META_SHEET = "sheetnet"
HEADER_ROWS = 4  # title, explanation, group titles, column names
FIRST_BLOCK_ROW = HEADER_ROWS + 1
DATA_FIRST_ROW = 5
HYPER_FIRST_ROW = 4

PARAM, SAMPLE = "param", "sample"  # block row kinds: one row per neuron, or one row per sample

# Human names for each kind of block; the checker's report and the sheet headers use them.
QUANTITY_NAMES = {
    "W": "weights W",
    "b": "biases b",
    "vel_W": "velocity of W",
    "vel_b": "velocity of b",
    "m_W": "first moment of W",
    "m_b": "first moment of b",
    "v_W": "second moment of W",
    "v_b": "second moment of b",
    "x": "inputs of this step's batch",
    "mask": "dropout mask",
    "ad": "activation after dropout",
    "z": "pre-activation z",
    "max": "row max of z",
    "exp": "exp(z - max)",
    "sum": "sum of exp",
    "a": "activation a",
    "loss_terms": "loss per sample",
    "dA": "gradient dL/da",
    "dz": "gradient dL/dz",
    "dW": "gradient dL/dW",
    "db": "gradient dL/db",
    "loss": "loss",
    "correct": "classified correctly (1/0)",
    "bd_range": "grid range", "bd_x1": "grid x1 axis", "bd_x2": "grid x2 axis", "bd_px": "grid point",
    "bd_a": "hidden activation", "bd_z": "output pre-activation", "bd_out": "output shown",
    "bd_grid": "grid cell", "bd_class": "data point",
    "accuracy": "accuracy",
    "gnorm": "gradient norm ||dL/dW||",
    "bc1": "Adam bias correction 1-beta1^t",
    "bc2": "Adam bias correction 1-beta2^t",
}


@dataclass(frozen=True)
class Group:
    """A column group of a layer sheet: one kind of quantity."""

    kind: str
    col: int
    ncols: int
    rows: str  # PARAM or SAMPLE


class Layout:
    """Positions of every block for one Structure."""

    def __init__(self, structure: Structure):
        self.structure = structure
        s = structure
        self.block_height = max(s.max_batch, max(s.sizes[1:])) + 1
        self.hyper_names = s.hyper_names()
        self.boundary = BoundaryLayout(s) if has_boundary(s) else None
        self.gradcheck = GradcheckLayout(s) if s.gradient_check and s.steps > 0 else None

    # --- which quantities exist -------------------------------------------------------------
    def optimizer_kinds(self) -> tuple[str, ...]:
        return OPTIMIZER_STATES[self.structure.optimizer]

    def has_grad_a(self, layer: int) -> bool:
        """dL/da is its own block for hidden layers, and for an mse output that is not linear."""
        s = self.structure
        if layer < s.n_layers:
            return True
        return s.loss == "mse" and s.activation(layer) != "linear"

    def loss_term_width(self) -> int:
        return 1 if self.structure.loss in PER_SAMPLE_LOSSES else self.structure.sizes[-1]

    def steps_of(self, kind: str, layer: int) -> range:
        """The steps at which a kind of block exists on a layer."""
        s = self.structure
        steps = s.steps
        if kind in ("W",):
            return range(steps + 1)
        if kind == "b":
            return range(steps + 1) if s.train_biases else range(1)
        if kind.endswith("_W") or kind.endswith("_b"):
            if kind.endswith("_b") and not s.train_biases:
                return range(0)
            return range(1, steps + 1)
        if kind in ("z", "a", "max", "exp", "sum", "loss_terms", "x", "mask", "ad", "correct"):
            return range(steps + 1)
        if kind == "db" and not s.train_biases:
            return range(0)
        return range(steps)  # dA, dz, dW, db

    @cached_property
    def groups(self) -> dict[int, dict[str, Group]]:
        """Column groups of every layer sheet, left to right."""
        return {layer: self._layer_groups(layer) for layer in range(1, self.structure.n_layers + 1)}

    def _layer_groups(self, layer: int) -> dict[str, Group]:
        s = self.structure
        fan_in, width = s.fan_in(layer), s.width(layer)
        groups: dict[str, Group] = {}
        col = 3  # A: step, B: neuron

        def add(kind: str, ncols: int, rows: str, gap_after: int = 1) -> None:
            nonlocal col
            groups[kind] = Group(kind, col, ncols, rows)
            col += ncols + gap_after

        add("W", fan_in, PARAM, 0)
        add("b", 1, PARAM)
        for state in self.optimizer_kinds():
            add(f"{state}_W", fan_in, PARAM, 0)
            add(f"{state}_b", 1, PARAM)
        col += 1  # sample label column
        if layer == 1 and s.batches is not None:
            add("x", fan_in, SAMPLE)
        add("z", width, SAMPLE)
        for helper in ROW_ACTIVATIONS.get(s.activation(layer), ()):
            add(helper, width if helper == "exp" else 1, SAMPLE)
        add("a", width, SAMPLE)
        if s.dropout and layer < s.n_layers:
            add("mask", width, SAMPLE)
            add("ad", width, SAMPLE)
        if layer == s.n_layers:
            add("loss_terms", self.loss_term_width(), SAMPLE)
            if s.classification:
                add("correct", 1, SAMPLE)
        if self.has_grad_a(layer):
            add("dA", width, SAMPLE)
        add("dz", width, SAMPLE)
        add("dW", fan_in, PARAM, 0)
        add("db", 1, PARAM)
        return groups

    def sample_label_column(self, layer: int) -> int:
        first = "x" if "x" in self.groups[layer] else "z"
        return self.groups[layer][first].col - 1

    def block_top(self, step: int) -> int:
        return FIRST_BLOCK_ROW + step * self.block_height

    # --- blocks -----------------------------------------------------------------------------
    def block(self, kind: str, layer: int, step: int) -> Block:
        s = self.structure
        if kind.startswith("gc_"):
            if self.gradcheck is None:
                raise KeyError((kind, layer, step))
            return self.gradcheck.block(kind, layer, step)
        if kind.startswith("bd_"):
            if self.boundary is None:
                raise KeyError((kind, layer, step))
            return self.boundary.block(kind, layer, step)
        if layer == 0:
            return self._training_block(kind, step)
        group = self.groups[layer][kind]
        if step not in self.steps_of(kind, layer):
            raise KeyError((kind, layer, step))
        nrows = s.width(layer) if group.rows == PARAM else s.batch_size_at(step)
        return Block(layer_sheet(layer), self.block_top(step), group.col, nrows, group.ncols)

    def has(self, kind: str, layer: int, step: int) -> bool:
        try:
            self.block(kind, layer, step)
        except KeyError:
            return False
        return True

    def derived_keys(self) -> list[tuple[str, int, int]]:
        """Every block that holds formulas: the cells the checker compares."""
        s = self.structure
        keys = []
        for step in range(s.steps + 1):
            for layer in range(1, s.n_layers + 1):
                for kind in self.groups[layer]:
                    if kind == "mask" or (kind in ("W", "b") and step == 0):
                        continue  # inputs, not formulas
                    if step in self.steps_of(kind, layer):
                        keys.append((kind, layer, step))
            for kind in self.training_columns():
                if kind != "step" and step in self.training_steps(kind):
                    keys.append((kind, 0, step))
        if self.boundary is not None:
            keys += self.boundary.keys()
        if self.gradcheck is not None:
            keys += self.gradcheck.keys()
        return keys

    # --- Data and Training sheets ------------------------------------------------------------
    def data_row(self, sample: int) -> int:
        """The Data sheet row of a sample (0-based)."""
        return DATA_FIRST_ROW + sample

    def input_activation(self, layer: int, step: int) -> Block | None:
        """The block a layer reads its inputs from at a step (None: the Data sheet's rows)."""
        s = self.structure
        if layer == 1:
            return self.block("x", 1, step) if s.batches is not None else None
        return self.block("ad" if s.dropout else "a", layer - 1, step)

    def inputs_block(self) -> Block:
        s = self.structure
        return Block(DATA_SHEET, DATA_FIRST_ROW, 2, s.n_samples, s.sizes[0])

    def targets_block(self) -> Block:
        s = self.structure
        return Block(DATA_SHEET, DATA_FIRST_ROW, 2 + s.sizes[0], s.n_samples, s.sizes[-1])

    def hyper_block(self, name: str) -> Block:
        return Block(TRAINING_SHEET, HYPER_FIRST_ROW + self.hyper_names.index(name), 2, 1, 1)

    @property
    def loss_header_row(self) -> int:
        return HYPER_FIRST_ROW + len(self.hyper_names) + 1

    def training_columns(self) -> dict[str, tuple[int, int]]:
        """Training sheet columns: kind -> (first column, width)."""
        s = self.structure
        kinds = [("step", 1), ("loss", 1)]
        if s.classification:
            kinds.append(("accuracy", 1))
        kinds += [(column, 1) for column in OPTIMIZER_COLUMNS[s.optimizer]]
        if s.steps:
            kinds.append(("gnorm", s.n_layers))
        cols, col = {}, 1
        for kind, width in kinds:
            cols[kind] = (col, width)
            col += width
        return cols

    def training_steps(self, kind: str) -> range:
        s = self.structure
        if kind in OPTIMIZER_COLUMNS[s.optimizer]:
            return range(1, s.steps + 1)
        if kind == "gnorm":
            return range(s.steps)
        return range(s.steps + 1)

    def _training_block(self, kind: str, step: int) -> Block:
        cols = self.training_columns()
        if kind not in cols or kind == "step" or step not in self.training_steps(kind):
            raise KeyError((kind, 0, step))
        col, width = cols[kind]
        return Block(TRAINING_SHEET, self.loss_header_row + 1 + step, col, 1, width)

    def loss_history_block(self) -> Block:
        first = self.block("loss", 0, 0)
        return Block(first.sheet, first.row, first.col, self.structure.steps + 1, 1)

    # --- defined names ---------------------------------------------------------------------
    def defined_names(self) -> dict[str, Block]:
        """Workbook-scoped names users and tools rely on: keep them stable."""
        s = self.structure
        names = {name: self.hyper_block(name) for name in self.hyper_names}
        names["inputs"] = self.inputs_block()
        names["targets"] = self.targets_block()
        names["loss_history"] = self.loss_history_block()
        last = s.n_layers
        names["outputs_init"] = self.block("a", last, 0)
        names["outputs_final"] = self.block("a", last, s.steps)
        for layer in range(1, last + 1):
            names[f"W{layer}_init"] = self.block("W", layer, 0)
            names[f"b{layer}_init"] = self.block("b", layer, 0)
            names[f"W{layer}_final"] = self.block("W", layer, s.steps)
            b_steps = self.steps_of("b", layer)
            names[f"b{layer}_final"] = self.block("b", layer, b_steps[-1])
        return names

    def formula_count(self) -> int:
        """How many formula cells the workbook will hold."""
        total = 0
        for key in self.derived_keys():
            block = self.block(*key)
            total += block.nrows * block.ncols
        return total

    def last_row(self) -> int:
        """The last row used by any sheet (the layer sheets' final block, or the Training table)."""
        s = self.structure
        layer_rows = self.block_top(s.steps) + self.block_height - 1
        return max(layer_rows, self.loss_header_row + 1 + s.steps, DATA_FIRST_ROW + s.n_samples)

    def last_column(self) -> int:
        return max(g.col + g.ncols - 1 for groups in self.groups.values() for g in groups.values())

    def describe(self, key: tuple[str, int, int], i: int, j: int) -> str:
        """A human description of one element, for reports: 'dL/dz, layer 1, step 3, sample 2, neuron 1'."""
        kind, layer, step = key
        what = QUANTITY_NAMES.get(kind, kind)
        if kind.startswith("gc_"):
            what = {"gc_result": ["loss with +epsilon", "loss with -epsilon", "finite difference",
                                  "analytic gradient", "relative difference"][i]}.get(kind, kind[3:])
            return f"gradient check: {what} ({'+' if step == 0 else '-'}epsilon), row {i + 1}, column {j + 1}"
        if kind.startswith("bd_"):
            variant = "initial" if step == 0 else "final"
            return f"decision boundary {what} ({variant} parameters), row {i + 1}, column {j + 1}"
        if layer == 0:
            return f"{what}, step {step}" + (f", layer {j + 1}" if kind == "gnorm" else "")
        group = self.groups[layer][kind]
        if group.rows == PARAM:
            where = f"neuron {i + 1}" + (f", input {j + 1}" if kind.endswith("W") else "")
        else:
            where = f"sample {i + 1}, column {j + 1}"
        return f"{what}, layer {layer}, step {step}, {where}"
