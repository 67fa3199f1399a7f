"""Where the pictures of a 2-input network live: the decision boundary, each neuron, and their passes.

A G x G grid of input points spans the data's range (10% margin; 1 on each side when every sample
has the same value). The hidden sheet `Grid passes` holds the grid's axes, its points and two
forward passes over them (evaluation mode): through the initial and through the final parameters.
The `Boundary` sheet shows the network's output at each point as a coloured grid, before and after
training; the `Neurons` sheet shows each hidden neuron's activation (final parameters) the same way.

Keys: ("bd_range", 0, 0) 2x3 [[low x1, high x1, step x1], [low x2, high x2, step x2]];
("bd_x1", 0, 0) Gx1 and ("bd_x2", 0, 0) Gx1 axes; ("bd_px", 0, 0) points x 2 (raw x1, x2);
("bd_feat", 0, 0) their features when the network takes features; the passes'
("bd_z", l, v), ("bd_a", l, v) and softmax helpers for v = 0 (initial) and 1 (final);
("bd_class", c, 0) the data points of class c (for the chart); on Boundary ("bd_grid", 0, v) G x G,
("bd_xtick", t, v) one x1 label per tick above each grid, ("bd_ytick", 0, 0) Gx1 x2 labels; on Neurons
("nr_grid", l, j) G x G for neuron j (from 0) of hidden layer l.
"""

from __future__ import annotations

from sheetnet.layout.cells import Block
from sheetnet.layout.passes import pass_columns

BOUNDARY_SHEET = "Boundary"
PASSES_SHEET = "Grid passes"
NEURONS_SHEET = "Neurons"
PREFIX = "bd_"
GRID_TOP = 7  # Boundary: title, explanation, legend rows, grid titles (5), x1 labels (6)
TICK_EVERY = 5  # an x1 label every 5 columns, merged across them
PASSES_TOP = 6  # Grid passes: range (rows 3-4), then the table of points from row 6
POINTS_COL = 5  # Grid passes: axes in B and C, points in E:F, then the two passes
PICTURES_PER_ROW = 4
MAX_NEURON_PICTURES = 24  # deeper layers are drawn while the sheet stays readable


def has_boundary(structure) -> bool:
    return structure.n_raw == 2 and structure.boundary_grid > 0


class BoundaryLayout:
    def __init__(self, structure):
        self.structure = structure
        s = structure
        self.grid = s.boundary_grid
        self.points = self.grid * self.grid
        self.ticks = [TICK_EVERY * t for t in range(self.grid // TICK_EVERY)]  # a label every 5 columns
        self.grid_cols = {0: 2, 1: 2 + self.grid + 2}
        self.pass_cols = {}
        self.feature_col = POINTS_COL + 3  # the grid points' features, when the network takes features
        col = self.feature_col + (len(s.features) + 1 if s.features else 0)
        for variant in (0, 1):
            self.pass_cols[variant], col = pass_columns(s, col)
            col += 1
        self.class_members = list(s.class_points or ())
        self.n_classes = len(self.class_members)
        self.class_col = col
        self.neurons = self._neuron_pictures()

    def _neuron_pictures(self) -> list[tuple[int, int]]:
        """(hidden layer, neuron) of every Neurons picture: the first hidden layer, then deeper ones while
        the count stays readable."""
        s = self.structure
        shown: list[tuple[int, int]] = []
        for layer in range(1, s.n_layers):
            if shown and len(shown) + s.width(layer) > MAX_NEURON_PICTURES:
                break
            shown += [(layer, j) for j in range(s.width(layer))]
        return shown

    def picture_origin(self, index: int) -> tuple[int, int]:
        """(title row, first column) of the index-th neuron picture."""
        row = 4 + (index // PICTURES_PER_ROW) * (self.grid + 3)
        col = 2 + (index % PICTURES_PER_ROW) * (self.grid + 2)
        return row, col

    def block(self, kind: str, layer: int, variant: int) -> Block:
        if kind == "bd_range":
            return Block(PASSES_SHEET, 3, 2, 2, 3)
        if kind in ("bd_x1", "bd_x2"):
            return Block(PASSES_SHEET, PASSES_TOP, 2 if kind == "bd_x1" else 3, self.grid, 1)
        if kind == "bd_px":
            return Block(PASSES_SHEET, PASSES_TOP, POINTS_COL, self.points, 2)
        if kind == "bd_feat":
            return Block(PASSES_SHEET, PASSES_TOP, self.feature_col, self.points, len(self.structure.features))
        if kind == "bd_class":
            members = self.class_members[layer]
            return Block(PASSES_SHEET, PASSES_TOP, self.class_col + 3 * layer, max(len(members), 1), 2)
        if kind == "bd_grid":
            return Block(BOUNDARY_SHEET, GRID_TOP, self.grid_cols[variant], self.grid, self.grid)
        if kind == "bd_xtick":
            return Block(BOUNDARY_SHEET, GRID_TOP - 1, self.grid_cols[variant] + self.ticks[layer], 1, 1)
        if kind == "bd_ytick":
            return Block(BOUNDARY_SHEET, GRID_TOP, 1, self.grid, 1)
        if kind == "nr_grid":
            row, col = self.picture_origin(self.neurons.index((layer, variant)))
            return Block(NEURONS_SHEET, row + 1, col, self.grid, self.grid)
        col, width = self.pass_cols[variant][(kind[len(PREFIX):], layer)]
        return Block(PASSES_SHEET, PASSES_TOP, col, self.points, width)

    def keys(self) -> list[tuple[str, int, int]]:
        keys = [("bd_range", 0, 0), ("bd_x1", 0, 0), ("bd_x2", 0, 0), ("bd_px", 0, 0)]
        if self.structure.features:
            keys.append(("bd_feat", 0, 0))
        for variant in (0, 1):
            keys += [(PREFIX + kind, layer, variant) for kind, layer in self.pass_cols[variant]]
        keys += [("bd_class", c, 0) for c in range(self.n_classes) if self.class_members[c]]
        keys += [("bd_grid", 0, 0), ("bd_grid", 0, 1), ("bd_ytick", 0, 0)]
        keys += [("bd_xtick", t, v) for v in (0, 1) for t in range(len(self.ticks))]
        keys += [("nr_grid", layer, j) for layer, j in self.neurons]
        return keys
