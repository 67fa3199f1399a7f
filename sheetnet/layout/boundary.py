"""Where the decision-boundary sheet keeps each quantity (2-input networks only).

A G x G grid of input points spans the data's range (10% margin). For each point, a forward pass
through the initial parameters and one through the final parameters (evaluation mode: no dropout);
each grid cell shows the output (one output) or the predicted class (softmax), coloured by a
colour scale.

Keys: ("bd_range", 0, 0) 2x2 [[min x1, max x1], [min x2, max x2]]; ("bd_x1", 0, 0) 1xG axis;
("bd_x2", 0, 0) Gx1 axis; ("bd_px", 0, 0) points x 2; for v = 0 (initial parameters) and 1
(final): the pass's ("bd_z", l, v), ("bd_a", l, v) and softmax helpers per layer, and
("bd_grid", 0, v) G x G; ("bd_class", c, 0) the data points of class c.
"""

from __future__ import annotations

from sheetnet.layout.cells import Block
from sheetnet.layout.passes import pass_columns

BOUNDARY_SHEET = "Boundary"
GRID_TOP = 8
PREFIX = "bd_"


def has_boundary(structure) -> bool:
    return structure.sizes[0] == 2 and structure.boundary_grid > 0


class BoundaryLayout:
    def __init__(self, structure):
        self.structure = structure
        self.grid = structure.boundary_grid
        self.points_top = GRID_TOP + self.grid + 4
        self.points = self.grid * self.grid
        self.grid_cols = {0: 2, 1: 2 + self.grid + 1}
        self.pass_cols = {}
        col = 4
        for variant in (0, 1):
            self.pass_cols[variant], col = pass_columns(structure, col)
            col += 1
        self.class_members = list(structure.class_points or ())
        self.n_classes = len(self.class_members)
        self.class_col = col

    def block(self, kind: str, layer: int, variant: int) -> Block:
        sheet = BOUNDARY_SHEET
        if kind == "bd_range":
            return Block(sheet, 4, 3, 2, 2)
        if kind == "bd_x1":
            return Block(sheet, GRID_TOP - 1, 2, 1, self.grid)
        if kind == "bd_x2":
            return Block(sheet, GRID_TOP, 1, self.grid, 1)
        if kind == "bd_px":
            return Block(sheet, self.points_top, 2, self.points, 2)
        if kind == "bd_grid":
            return Block(sheet, GRID_TOP, self.grid_cols[variant], self.grid, self.grid)
        if kind == "bd_class":
            members = self.class_members[layer]
            return Block(sheet, self.points_top, self.class_col + 3 * layer, max(len(members), 1), 2)
        col, width = self.pass_cols[variant][(kind[len(PREFIX):], layer)]
        return Block(sheet, self.points_top, col, self.points, width)

    def keys(self) -> list[tuple[str, int, int]]:
        keys = [("bd_range", 0, 0), ("bd_x1", 0, 0), ("bd_x2", 0, 0), ("bd_px", 0, 0)]
        for variant in (0, 1):
            keys += [(PREFIX + kind, layer, variant) for kind, layer in self.pass_cols[variant]]
            keys.append(("bd_grid", 0, variant))
        keys += [("bd_class", c, 0) for c in range(self.n_classes) if self.class_members[c]]
        return keys
