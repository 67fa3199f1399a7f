"""Where the decision-boundary sheet keeps each quantity (2-input networks only).

A G x G grid of input points spans the data's range (10% margin). For each point, a forward pass
through the initial parameters and one through the final parameters; each grid cell shows the
output (one output) or the predicted class (softmax), coloured by a colour scale.

Keys: ("bd_range", 0, 0) 2x2 [[min x1, max x1], [min x2, max x2]]; ("bd_x1", 0, 0) 1xG axis;
("bd_x2", 0, 0) Gx1 axis; ("bd_px", 0, 0) points x 2; ("bd_a", layer, v) points x width for hidden
layers, ("bd_z", L, v) points x outputs, ("bd_out", 0, v) points x 1 and ("bd_grid", 0, v) G x G,
for v = 0 (initial parameters) and 1 (final); ("bd_class", c, 0) the data points of class c.
"""

from __future__ import annotations

from sheetnet.layout.cells import Block

BOUNDARY_SHEET = "Boundary"
GRID_TOP = 8


def has_boundary(structure) -> bool:
    return structure.sizes[0] == 2 and structure.boundary_grid > 0


class BoundaryLayout:
    def __init__(self, structure):
        self.structure = structure
        s = structure
        self.grid = s.boundary_grid
        self.points_top = GRID_TOP + self.grid + 4
        self.points = self.grid * self.grid
        self.variant_width = sum(s.sizes[1:-1]) + s.sizes[-1] + 1
        self.grid_cols = {0: 2, 1: 2 + self.grid + 1}
        self.point_cols = {0: 4, 1: 4 + self.variant_width + 1}
        self.class_members = list(s.class_points or ())
        self.n_classes = len(self.class_members)
        self.class_col = self.point_cols[1] + self.variant_width + 1

    def block(self, kind: str, layer: int, variant: int) -> Block:
        s = self.structure
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
        col = self.point_cols[variant]
        if kind == "bd_a":
            col += sum(s.sizes[1:layer])
            return Block(sheet, self.points_top, col, self.points, s.sizes[layer])
        if kind == "bd_z":
            return Block(sheet, self.points_top, col + sum(s.sizes[1:-1]), self.points, s.sizes[-1])
        if kind == "bd_out":
            return Block(sheet, self.points_top, col + self.variant_width - 1, self.points, 1)
        if kind == "bd_class":
            members = self.class_members[layer]
            return Block(sheet, self.points_top, self.class_col + 3 * layer, max(len(members), 1), 2)
        raise KeyError((kind, layer, variant))

    def keys(self) -> list[tuple[str, int, int]]:
        s = self.structure
        keys = [("bd_range", 0, 0), ("bd_x1", 0, 0), ("bd_x2", 0, 0), ("bd_px", 0, 0)]
        for variant in (0, 1):
            keys += [("bd_a", layer, variant) for layer in range(1, s.n_layers)]
            keys += [("bd_z", s.n_layers, variant), ("bd_out", 0, variant), ("bd_grid", 0, variant)]
        keys += [("bd_class", c, 0) for c in range(self.n_classes) if self.class_members[c]]
        return keys
