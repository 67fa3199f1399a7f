"""Write the decision-boundary sheet: a live picture of what the network computes over its input plane.

Every grid cell is a forward pass (formulas) through the initial or the final parameters of the
Layer sheets, so editing a weight or the learning rate redraws the picture.
"""

from __future__ import annotations

from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.utils import get_column_letter

from sheetnet.layout.boundary import BOUNDARY_SHEET
from sheetnet.sheets.forward import ForwardPass
from sheetnet.sheets.refs import Refs
from sheetnet.sheets.styles import GROUP_FONT, SUBTITLE_FONT, TITLE_FONT

CLASS_COLOURS = ("2E75B6", "C55A11", "548235", "7030A0", "BF9000", "808080")


def boundary_pass(layout, variant: int) -> ForwardPass:
    """The forward pass behind every grid point: evaluation mode, initial (0) or final (1) parameters."""
    s = layout.structure
    refs = Refs(layout, BOUNDARY_SHEET)
    points = layout.boundary.block("bd_px", 0, 0)
    step = 0 if variant == 0 else s.steps

    def params(layer: int):
        return layout.block("W", layer, step), layout.block("b", layer, step if s.train_biases else 0)

    return ForwardPass(layout, refs, "bd_", variant, lambda i: refs.row(points, i), params, absolute_params=True)


def _formula(writer, key):
    layout = writer.layout
    s = layout.structure
    bl = layout.boundary
    refs = Refs(layout, BOUNDARY_SHEET)
    kind, layer, variant = key
    data = layout.inputs_block()
    grid = bl.grid
    if kind == "bd_range":
        def bounds(i: int, j: int) -> str:
            col = refs.fixed(data, 0, i, s.n_samples - 1, i)
            base = f"{'MIN' if j == 0 else 'MAX'}({col})"
            sign = "-" if j == 0 else "+"
            return f"={base}{sign}0.1*(MAX({col})-MIN({col}))"
        return bounds
    span = bl.block("bd_range", 0, 0)
    low1, high1 = refs.fixed(span, 0, 0), refs.fixed(span, 0, 1)
    low2, high2 = refs.fixed(span, 1, 0), refs.fixed(span, 1, 1)
    if kind == "bd_x1":
        return lambda i, j: f"={low1}+{j}/{grid - 1}*({high1}-{low1})"
    if kind == "bd_x2":
        return lambda i, j: f"={high2}-{i}/{grid - 1}*({high2}-{low2})"
    if kind == "bd_px":
        x1, x2 = bl.block("bd_x1", 0, 0), bl.block("bd_x2", 0, 0)
        return lambda p, j: f"={refs.fixed(x1, 0, p % grid)}" if j == 0 else f"={refs.fixed(x2, p // grid, 0)}"
    if kind == "bd_class":
        members = bl.class_members[layer]
        return lambda i, j: f"={refs.fixed(data, members[i], j)}"
    if kind == "bd_grid":
        last = s.n_layers
        if s.activation(last) == "softmax":
            z = bl.block("bd_z", last, variant)

            def predicted(i: int, j: int) -> str:
                p = i * grid + j
                row = refs.row(z, p)
                text = str(s.sizes[-1] - 1)
                for c in range(s.sizes[-1] - 2, -1, -1):
                    text = f"IF({refs.cell(z, p, c)}=MAX({row}),{c},{text})"
                return "=" + text
            return predicted
        out = bl.block("bd_a", last, variant)
        return lambda i, j: f"={refs.cell(out, i * grid + j)}"
    return boundary_pass(layout, variant).formula(kind[len("bd_"):], layer)


def write_boundary(writer) -> None:
    layout = writer.layout
    s = layout.structure
    bl = layout.boundary
    ws = writer.wb.create_sheet(BOUNDARY_SHEET)
    writer.text(ws, 1, 1, "Decision boundary: what the network outputs over the input plane", TITLE_FONT)
    what = ("the predicted class (index of the largest output)" if s.activation(s.n_layers) == "softmax"
            else "the network's output")
    writer.text(ws, 2, 1, f"Each coloured cell is {what} for the inputs x1 (columns) and x2 (rows): a forward "
                 "pass in formulas through the Layer sheets' parameters, before (left) and after training "
                 "(right). Edit a weight or the learning rate and the picture redraws.", SUBTITLE_FONT)
    writer.text(ws, 4, 2, "x1 from, to", style="label")
    writer.text(ws, 5, 2, "x2 from, to", style="label")
    writer.text(ws, GRID_TITLE_ROW, bl.grid_cols[0], "with the initial parameters (step 0)", GROUP_FONT)
    writer.text(ws, GRID_TITLE_ROW, bl.grid_cols[1], f"after training (step {s.steps})", GROUP_FONT)
    writer.text(ws, bl.points_top - 2, 2, "Grid points and the forward pass behind each grid cell "
                 "(initial parameters, then final):", GROUP_FONT)
    for key in bl.keys():
        block = bl.block(*key)
        formula = _formula(writer, key)
        role = {"bd_grid": "forward", "bd_class": "forward"}.get(key[0], "forward")
        writer.formula_count += block.nrows * block.ncols
        for i, j, row, col in block.cells():
            cell = ws.cell(row=row, column=col, value=formula(i, j))
            cell.style = f"sheetnet {role}"
            if key[0] in ("bd_grid", "bd_x1", "bd_range"):
                cell.number_format = "0.0" if key[0] != "bd_grid" else "0.00"
    for variant in (0, 1):
        grid = bl.block("bd_grid", 0, variant)
        if s.activation(s.n_layers) == "softmax":
            top = s.sizes[-1] - 1
            rule = ColorScaleRule(start_type="num", start_value=0, start_color="9DC3E6", mid_type="num",
                                  mid_value=top / 2, mid_color="FFFFFF", end_type="num", end_value=top,
                                  end_color="F4B183")
        else:
            rule = ColorScaleRule(start_type="num", start_value=0, start_color="5B9BD5", mid_type="num",
                                  mid_value=0.5, mid_color="FFFFFF", end_type="num", end_value=1,
                                  end_color="ED7D31")
        ws.conditional_formatting.add(grid.area(), rule)
    for col in range(1, bl.grid_cols[1] + bl.grid + 1):
        ws.column_dimensions[get_column_letter(col)].width = 4.2
    ws.column_dimensions["A"].width = 6
    if bl.n_classes:
        _scatter(ws, bl)


GRID_TITLE_ROW = 6


def _scatter(ws, bl) -> None:
    chart = ScatterChart()
    chart.title = "The data, by class"
    chart.style = 13
    chart.x_axis.title = "x1"
    chart.y_axis.title = "x2"
    for c, members in enumerate(bl.class_members):
        if not members:
            continue
        block = bl.block("bd_class", c, 0)
        xs = Reference(ws, min_col=block.col, min_row=block.row, max_row=block.row + block.nrows - 1)
        ys = Reference(ws, min_col=block.col + 1, min_row=block.row, max_row=block.row + block.nrows - 1)
        series = Series(ys, xs, title=f"class {c}")
        series.marker.symbol = "circle"
        series.marker.size = 7
        colour = CLASS_COLOURS[c % len(CLASS_COLOURS)]
        series.marker.graphicalProperties.solidFill = colour
        series.marker.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.noFill = True
        chart.series.append(series)
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.height, chart.width = 9, 12
    ws.add_chart(chart, f"{get_column_letter(bl.grid_cols[1] + bl.grid + 1)}{GRID_TITLE_ROW}")
