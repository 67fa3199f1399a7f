"""The formulas of the pictures of a 2-input network: the grid, its two forward passes, each picture's cells.

Every picture cell is a forward pass (formulas, on the hidden sheet `Grid passes`) through the
initial or the final parameters of the Layer sheets, so editing a weight or the learning rate
redraws them. `pictures` writes the sheets; this module says what each cell computes.
"""

from __future__ import annotations

from sheetnet.layout.boundary import BOUNDARY_SHEET, NEURONS_SHEET, PASSES_SHEET
from sheetnet.sheets.forward import ForwardPass, running_stats
from sheetnet.sheets.refs import Refs, features_formula


def boundary_pass(layout, variant: int) -> ForwardPass:
    """The forward pass behind every grid point: evaluation mode, initial (0) or final (1) parameters."""
    s = layout.structure
    refs = Refs(layout, PASSES_SHEET)
    points = layout.boundary.block("bd_feat" if s.features else "bd_px", 0, 0)
    step = 0 if variant == 0 else s.steps

    def params(layer: int):
        return layout.block("W", layer, step), layout.block("b", layer, step if s.train_biases else 0)

    return ForwardPass(layout, refs, "bd_", variant, lambda i: refs.row(points, i), params, absolute_params=True,
                       norm=lambda layer: (layout.block("gamma", layer, step), layout.block("beta", layer, step)),
                       stats=running_stats(layout, step))


def _axes(layout, refs: Refs, kind: str):
    """The grid's range (a 10% margin, or 1 on each side of data with no spread) and its axes."""
    bl = layout.boundary
    grid = bl.grid
    span = bl.block("bd_range", 0, 0)
    if kind == "bd_range":
        data = layout.data.raw()

        def bounds(i: int, j: int) -> str:
            col = refs.fixed(data, 0, i, data.nrows - 1, i)
            margin = f"IF(MAX({col})=MIN({col}),1,0.1*(MAX({col})-MIN({col})))"
            if j == 2:
                return f"=({refs.fixed(span, i, 1)}-{refs.fixed(span, i, 0)})/{grid - 1}"
            return f"=MIN({col})-{margin}" if j == 0 else f"=MAX({col})+{margin}"
        return bounds
    if kind == "bd_x1":
        return lambda i, j: f"={refs.fixed(span, 0, 0)}+{i}*{refs.fixed(span, 0, 2)}"
    if kind == "bd_x2":  # top row first: x2 falls down the picture, as on a graph
        return lambda i, j: f"={refs.fixed(span, 1, 1)}-{i}*{refs.fixed(span, 1, 2)}"
    x1, x2 = bl.block("bd_x1", 0, 0), bl.block("bd_x2", 0, 0)
    return lambda p, j: f"={refs.fixed(x1, p % grid)}" if j == 0 else f"={refs.fixed(x2, p // grid)}"


def _shown(layout, refs: Refs, variant: int):
    """A grid cell's value: the network's output at that point, or the predicted class (softmax)."""
    s, bl = layout.structure, layout.boundary
    grid, last = bl.grid, s.n_layers
    if s.activation(last) != "softmax":
        out = bl.block("bd_a", last, variant)
        return lambda i, j: f"={refs.cell(out, i * grid + j)}"
    z = bl.block("bd_z", last, variant)

    def predicted(i: int, j: int) -> str:
        p = i * grid + j
        row = refs.row(z, p)
        text = str(s.sizes[-1] - 1)
        for c in range(s.sizes[-1] - 2, -1, -1):
            text = f"IF({refs.cell(z, p, c)}=MAX({row}),{c},{text})"
        return "=" + text
    return predicted


def picture_formula(layout, key):
    """The formula writer for one block of the pictures' sheets."""
    bl = layout.boundary
    kind, layer, variant = key
    grid = bl.grid
    if kind in ("bd_range", "bd_x1", "bd_x2", "bd_px"):
        return _axes(layout, Refs(layout, PASSES_SHEET), kind)
    if kind == "bd_feat":
        refs, points = Refs(layout, PASSES_SHEET), bl.block("bd_px", 0, 0)
        return features_formula(refs, points, layout.structure.features)
    if kind == "bd_class":
        refs, data, members = Refs(layout, PASSES_SHEET), layout.data.raw(), bl.class_members[layer]
        return lambda i, j: f"={refs.fixed(data, members[i], j)}"
    if kind == "bd_grid":
        return _shown(layout, Refs(layout, BOUNDARY_SHEET), variant)
    if kind == "bd_xtick":
        refs, axis = Refs(layout, BOUNDARY_SHEET), bl.block("bd_x1", 0, 0)
        return lambda i, j: f"={refs.fixed(axis, bl.ticks[layer])}"
    if kind == "bd_ytick":
        refs, axis = Refs(layout, BOUNDARY_SHEET), bl.block("bd_x2", 0, 0)
        return lambda i, j: f"={refs.fixed(axis, i)}"
    if kind == "nr_grid":
        refs, activations = Refs(layout, NEURONS_SHEET), bl.block("bd_a", layer, 1)
        return lambda i, j: f"={refs.fixed(activations, i * grid + j, variant)}"
    return boundary_pass(layout, variant).formula(kind[len("bd_"):], layer)


def class_point_rows(layout, c: int) -> tuple[str, str]:
    """Absolute references (from another sheet) to the x1 and x2 columns of class c's data points."""
    block = layout.boundary.block("bd_class", c, 0)
    refs = Refs(layout, BOUNDARY_SHEET)
    return (refs.fixed(block, 0, 0, block.nrows - 1, 0), refs.fixed(block, 0, 1, block.nrows - 1, 1))

