"""Where a layer sheet keeps each quantity: one block of rows per training step, in bands.

Every step's block stacks bands, each under a header row that names its columns:
- parameters (one row per neuron): W, b, the gradients dL/dW and dL/db, the optimizer's state;
- forward (one row per sample of the step's batch): [x], z, [softmax helpers], a; the output layer
  adds the target y beside the prediction, the loss and right/wrong;
- dropout (with dropout only; one row per sample): the mask and a after dropout;
- backward (one row per sample): dL/da and dL/dz;
with batch normalization a hidden layer's parameters band adds gamma, beta, their gradients, the batch's mean and
variance of z and the running mean and variance; its forward band z - mean, zhat and gamma * zhat + beta between z
and a; its backward band dL/d(gamma * zhat + beta) between dL/da and dL/dz;
- test (with a test set; one row per held-out sample): the same forward pass with the same parameters
  in evaluation mode (no dropout), the test sample's target, loss and right/wrong.
All layer sheets use the same rows for the same step (the bands are as tall as the widest layer and the
largest batch), so a formula referring to another layer's sheet keeps one relative shape every step.
"""

from __future__ import annotations

from dataclasses import dataclass

from sheetnet.model.options import NORM_PARAMETERS, PER_SAMPLE_LOSSES, ROW_ACTIVATIONS, state_names, state_of
from sheetnet.model.problem import Structure

FIRST_BLOCK_ROW = 4  # rows 1-3: title, explanation, colour legend
FIRST_COLUMN = 3  # A: the step and band names, B: what each row is (neuron or sample)
PARAMETERS, FORWARD, DROPOUT, BACKWARD, TEST = "parameters", "forward", "dropout", "backward", "test"
TEST_PREFIX = "te_"


@dataclass(frozen=True)
class Group:
    """A column group of one band of a layer sheet: one kind of quantity."""

    kind: str
    band: str
    col: int
    ncols: int


class LayerLayout:
    """The bands and column groups of every layer sheet, and the rows of every step's block."""

    def __init__(self, structure: Structure):
        self.structure = structure
        s = structure
        self.bands = (PARAMETERS, FORWARD, *((DROPOUT,) if s.dropout else ()), BACKWARD, *((TEST,) if s.n_test else ()))
        heights = {PARAMETERS: max(s.sizes[1:]), FORWARD: s.max_batch, DROPOUT: s.max_batch, BACKWARD: s.max_batch,
                   TEST: s.n_test}
        self.band_offset: dict[str, int] = {}
        offset = 0
        for band in self.bands:
            self.band_offset[band] = offset
            offset += 1 + heights[band]
        self.block_height = offset + 1  # a blank row between steps
        self.groups = {layer: self._groups(layer) for layer in range(1, s.n_layers + 1)}

    def block_top(self, step: int) -> int:
        return FIRST_BLOCK_ROW + step * self.block_height

    def header_row(self, step: int, band: str) -> int:
        return self.block_top(step) + self.band_offset[band]

    def first_row(self, step: int, band: str) -> int:
        return self.header_row(step, band) + 1

    def has_grad_a(self, layer: int) -> bool:
        """dL/da is its own block for hidden layers, and for an mse output that is not linear."""
        s = self.structure
        return layer < s.n_layers or (s.loss == "mse" and s.activation(layer) != "linear")

    def _groups(self, layer: int) -> dict[str, Group]:
        s = self.structure
        fan_in, width = s.fan_in(layer), s.width(layer)
        output = layer == s.n_layers
        norm = s.normalised(layer)
        trained = ["W", "b", *(NORM_PARAMETERS if norm else ())] if s.train_biases else \
            ["W", *(NORM_PARAMETERS if norm else ())]
        kinds = {
            PARAMETERS: [("W", fan_in), ("b", 1), *([("gamma", 1), ("beta", 1)] if norm else []), ("dW", fan_in)]
            + ([("db", 1)] if s.train_biases else []) + ([("dgamma", 1), ("dbeta", 1)] if norm else []),
            FORWARD: [],
            DROPOUT: [],
            TEST: [],
            BACKWARD: ([("dA", width)] if self.has_grad_a(layer) else []) + ([("dzbn", width)] if norm else [])
            + [("dz", width)] + ([("dx", fan_in)] if layer == 1 and s.conv else []),
        }
        for state in state_names(s.optimizer):
            kinds[PARAMETERS] += [(f"{state}_{param}", fan_in if param == "W" else 1) for param in trained]
        if norm:
            kinds[PARAMETERS] += [("mu", 1), ("var", 1), ("rmean", 1), ("rvar", 1)]
        if layer == 1 and (s.copies_batches or s.conv):  # the batch's inputs, or the pooled maps flattened
            kinds[FORWARD].append(("x", fan_in))
        kinds[FORWARD].append(("z", width))
        if norm:
            kinds[FORWARD] += [("zc", width), ("zhat", width), ("zbn", width)]
        kinds[FORWARD] += [(h, width if h == "exp" else 1) for h in ROW_ACTIVATIONS.get(s.activation(layer), ())]
        kinds[FORWARD].append(("a", width))
        if s.dropout and not output:
            kinds[DROPOUT] += [("mask", width), ("ad", width)]
        if output:
            kinds[FORWARD] += [("y", width), ("loss_terms", 1 if s.loss in PER_SAMPLE_LOSSES else width)]
            if s.classification:
                kinds[FORWARD].append(("correct", 1))
        if s.n_test:  # the forward pass again, on the held-out samples
            kinds[TEST] = [(TEST_PREFIX + kind, ncols) for kind, ncols in kinds[FORWARD] if kind != "x" or s.conv]
        groups = {}
        for band, entries in kinds.items():
            col = FIRST_COLUMN
            for kind, ncols in entries:
                groups[kind] = Group(kind, band, col, ncols)
                col += ncols
        return groups

    def steps_of(self, kind: str, layer: int):
        """The steps at which a kind of block exists on a layer."""
        s = self.structure
        if kind in ("W", "gamma", "beta", "mu", "var", "rmean", "rvar"):
            return range(s.steps + 1)
        if kind == "b":
            return range(s.steps + 1) if s.train_biases else range(1)
        if state_of(kind):
            return range(0 if s.carries_state else 1, s.steps + 1)
        if self.groups[layer][kind].band == TEST:
            return s.test_steps
        if self.groups[layer][kind].band in (FORWARD, DROPOUT):
            return range(s.steps + 1)
        return range(s.steps)  # gradients: dA, dz, dW, db

    def rows_of(self, kind: str, layer: int, step: int) -> tuple[int, int]:
        """(first row, number of rows) of a block: one row per neuron, or per sample of the step's batch."""
        group = self.groups[layer][kind]
        s = self.structure
        count = {PARAMETERS: s.width(layer), TEST: s.n_test}.get(group.band, s.batch_size_at(step))
        return self.first_row(step, group.band), count

    def last_column(self, layer: int) -> int:
        return max(g.col + g.ncols - 1 for g in self.groups[layer].values())
