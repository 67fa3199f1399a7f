"""Where every quantity of a workbook lives: (kind, layer, step) -> a block of cells.

The writer puts formulas in these blocks, the checker reads engine values out of them and the
reference's Trace uses the same keys. Nothing else is shared between writer and reference.

Sheets: `Data` (samples), `Layer 1..L` (one block of rows per step: `layers`), `Training`
(hyper-parameters and one row per step: `training`), and for 2-input networks the pictures
(`boundary`), and the gradient check (`gradcheck`). Keys with layer 0 are Training's.
"""

from __future__ import annotations

from sheetnet.layout.boundary import BoundaryLayout, has_boundary
from sheetnet.layout.cells import Block, layer_sheet
from sheetnet.layout.conv import ConvLayout
from sheetnet.layout.data import DATA_FIRST_ROW, DATA_SHEET, DataLayout
from sheetnet.layout.digits import DigitsLayout, has_digit_sheets
from sheetnet.layout.gradcheck import GradcheckLayout
from sheetnet.layout.layers import FIRST_BLOCK_ROW, LayerLayout
from sheetnet.layout.names import describe
from sheetnet.layout.training import TRAINING_SHEET, TrainingLayout
from sheetnet.model.options import TRAINED, state_of
from sheetnet.model.problem import Structure

META_SHEET = "sheetnet"
STARTING_VALUES = ("W", "b", "gamma", "beta", "rmean", "rvar")  # input cells at step 0, formulas after

__all__ = ["DATA_FIRST_ROW", "DATA_SHEET", "FIRST_BLOCK_ROW", "META_SHEET", "TRAINING_SHEET", "Layout"]


class Layout:
    """Positions of every block for one Structure."""

    def __init__(self, structure: Structure):
        self.structure = structure
        s = structure
        self.data = DataLayout(s)
        self.layers = LayerLayout(s)
        self.training = TrainingLayout(s)
        self.hyper_names = self.training.hyper_names
        self.boundary = BoundaryLayout(s) if has_boundary(s) else None
        self.gradcheck = GradcheckLayout(s) if s.gradient_check and s.steps > 0 else None
        self.digits = DigitsLayout(s) if has_digit_sheets(s) else None
        self.conv = ConvLayout(s) if s.conv else None
        self._conv_kinds = set(self.conv.kinds()) if self.conv else set()
        self._blocks: dict[tuple[str, int, int], Block] = {}

    # --- blocks -----------------------------------------------------------------------------
    def block(self, kind: str, layer: int, step: int) -> Block:
        """The block of (kind, layer, step); KeyError when the workbook has none. Remembered: the writer
        asks for the same few blocks once per cell, a million times in a large workbook."""
        key = (kind, layer, step)
        found = self._blocks.get(key)
        if found is None:
            found = self._blocks[key] = self._find_block(kind, layer, step)
        return found

    def _find_block(self, kind: str, layer: int, step: int) -> Block:
        if kind.startswith("gc_"):
            if self.gradcheck is None:
                raise KeyError((kind, layer, step))
            return self.gradcheck.block(kind, layer, step)
        if kind == "features":
            if not self.structure.features:
                raise KeyError((kind, layer, step))
            return self.data.features()
        if kind.startswith(("bd_", "nr_")):
            if self.boundary is None:
                raise KeyError((kind, layer, step))
            return self.boundary.block(kind, layer, step)
        if kind.startswith(("dr_", "gl_", "wp_", "fl_")):
            if self.digits is None:
                raise KeyError((kind, layer, step))
            return self.digits.block(kind, layer, step)
        if layer == 0:
            if kind in self._conv_kinds:
                return self.conv.block(kind, step)
            return self.training.block(kind, step)
        group = self.layers.groups[layer][kind]
        if step not in self.layers.steps_of(kind, layer):
            raise KeyError((kind, layer, step))
        row, nrows = self.layers.rows_of(kind, layer, step)
        return Block(layer_sheet(layer), row, group.col, nrows, group.ncols)

    def parameter_gradients(self) -> list[tuple[int, str]]:
        """(layer, gradient kind) of every trained parameter, as gradient clipping adds them up."""
        s = self.structure
        kinds = ("dW", "db") if s.train_biases else ("dW",)
        convolution = [(0, kind) for kind in self.conv.parameter_gradients()] if self.conv else []
        return convolution + [(layer, kind) for layer in range(1, s.n_layers + 1)
                for kind in kinds + (("dgamma", "dbeta") if s.normalised(layer) else ())]

    def has(self, kind: str, layer: int, step: int) -> bool:
        try:
            self.block(kind, layer, step)
        except KeyError:
            return False
        return True

    def _step_keys(self, step: int) -> list[tuple[str, int, int]]:
        """One step's formula blocks in the order they are computed: the parameters the previous step made,
        the forward pass layer by layer, backpropagation from the last layer down, then the Training row.
        (A report lists a wrong cell before the cells computed from it.)"""
        s = self.structure
        layers = range(1, s.n_layers + 1)

        def present(kinds, layer):
            return [(kind, layer, step) for kind in kinds if kind in self.layers.groups[layer]
                    and kind != "mask" and not ((kind in STARTING_VALUES or state_of(kind)) and step == 0)
                    and step in self.layers.steps_of(kind, layer)]

        keys = []
        late = ("dW", "db", "dgamma", "dbeta", "mu", "var")  # computed with the forward or backward pass
        conv = [kind for kind in self.conv.kinds() if step in self.conv.steps_of(kind)] if self.conv else []
        if step > 0:  # the optimizer's state, then the kernels it moved
            keys += [(kind, 0, step) for kind in conv if state_of(kind)]
            keys += [(kind, 0, step) for kind in conv if kind in TRAINED]
        keys += [(kind, 0, step) for kind in ("kt", "cx", "cz", "cp") if kind in conv]  # then the test kinds
        for layer in layers:
            keys += present([k for k in self.layers.groups[layer] if self.layers.groups[layer][k].band == "parameters"
                             and k not in late], layer)
        for layer in layers:
            forward = [k for k, g in self.layers.groups[layer].items() if g.band in ("forward", "dropout")]
            if "zc" in forward:  # the batch's mean and variance come between z and z - mean
                forward[forward.index("zc"):forward.index("zc")] = ["mu", "var"]
            keys += present(forward, layer)
        keys += [(kind, 0, step) for kind in conv if kind.startswith("te_")]
        for layer in layers:
            keys += present([k for k, g in self.layers.groups[layer].items() if g.band == "test"], layer)
        for layer in reversed(layers):
            keys += present(("dA", "dzbn", "dgamma", "dbeta", "dz", "dx", "dW", "db"), layer)
        keys += [(kind, 0, step) for kind in ("cdz", "dK", "dkb") if kind in conv]
        keys += [(kind, 0, step) for kind in self.training.kinds() if step in self.training.steps_of(kind)]
        return keys

    def derived_keys(self) -> list[tuple[str, int, int]]:
        """Every block that holds formulas (the cells the checker compares), in the order they are computed."""
        s = self.structure
        keys = []
        for step in range(s.steps + 1):
            keys += self._step_keys(step)
        return keys + self.derived_keys_outside_steps()

    def derived_keys_outside_steps(self) -> list[tuple[str, int, int]]:
        """The formula blocks that are not one step's: features, pictures, the gradient check."""
        keys = [("features", 0, 0)] if self.structure.features else []
        if self.boundary is not None:
            keys += self.boundary.keys()
        if self.gradcheck is not None:
            keys += self.gradcheck.keys()
        if self.digits is not None:
            keys += self.digits.keys()
        return keys

    # --- Data and Training sheets ------------------------------------------------------------
    def inputs_block(self, test: bool = False) -> Block:
        """The network's inputs of the training (or test) samples: the features, or the raw inputs."""
        return self.data.inputs(test)

    def targets_block(self, test: bool = False) -> Block:
        return self.data.targets(test)

    def hyper_block(self, name: str) -> Block:
        return self.training.hyper_block(name)

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
        if s.n_test:
            names["test_inputs"] = self.inputs_block(test=True)
            names["test_targets"] = self.targets_block(test=True)
        names["loss_history"] = self.loss_history_block()
        for kind in ("test_loss", "test_accuracy"):  # the whole column (a convolution measures the last step only)
            if kind in self.training.columns:
                names[f"{kind}_history"] = Block(TRAINING_SHEET, self.training.row(0), self.training.columns[kind][0],
                                                 s.steps + 1, 1)
        if self.digits is not None:
            names["draw_input"] = self.block("dr_x", 0, 0)
            names["draw_probabilities"] = self.block("dr_prob", 0, 0)
        last = s.n_layers
        if self.conv is not None:
            names["kernels_init"], names["kernels_final"] = self.block("K", 0, 0), self.block("K", 0, s.steps)
            kb_last = self.conv.steps_of("kb")[-1]
            names["kernel_bias_init"], names["kernel_bias_final"] = self.block("kb", 0, 0), self.block("kb", 0, kb_last)
        names["outputs_init"] = self.block("a", last, 0)
        names["outputs_final"] = self.block("a", last, s.steps)
        for layer in range(1, last + 1):
            names[f"W{layer}_init"] = self.block("W", layer, 0)
            names[f"b{layer}_init"] = self.block("b", layer, 0)
            names[f"W{layer}_final"] = self.block("W", layer, s.steps)
            b_steps = self.layers.steps_of("b", layer)
            names[f"b{layer}_final"] = self.block("b", layer, b_steps[-1])
        return names

    # --- size ------------------------------------------------------------------------------
    def _count(self, keys) -> int:
        return sum(self.block(*key).count for key in keys)

    def formula_count(self) -> int:
        """How many formula cells the workbook will hold: one step's count per kind of step (the first, the
        last, those between) and batch size, times how many steps are like it (fast for 100,000 steps)."""
        s = self.structure
        total = self._count(self.derived_keys_outside_steps())
        counts: dict[tuple, int] = {}
        for step in range(s.steps + 1):
            kind = (step == 0, step == 1, step == s.steps, s.batch_size_at(step))
            if kind not in counts:
                counts[kind] = self._count(self._step_keys(step))
            total += counts[kind]
        return total

    def last_row(self) -> int:
        """The last row used by any sheet (the layer sheets' final block, or the Training table)."""
        s = self.structure
        layer_rows = self.layers.block_top(s.steps) + self.layers.block_height - 1
        rows = max(layer_rows, self.training.row(s.steps), DATA_FIRST_ROW + self.data.rows)
        if self.boundary is not None:
            points = self.boundary.block("bd_px", 0, 0)
            rows = max(rows, points.row + points.nrows)
        if self.digits is not None:
            rows = max(rows, self.digits.last_row())
        if self.conv is not None:
            rows = max(rows, self.conv.last_row())
        return rows

    def last_column(self) -> int:
        dense = max(self.layers.last_column(layer) for layer in range(1, self.structure.n_layers + 1))
        return max(dense, self.conv.last_column()) if self.conv is not None else dense

    def describe(self, key: tuple[str, int, int], i: int, j: int) -> str:
        return describe(self, key, i, j)
