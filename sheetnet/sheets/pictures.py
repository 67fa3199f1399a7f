"""The pictures of a 2-input network, as the TensorFlow Playground draws them, in live cells.

`Boundary`: the network's output over the input plane before and after training, one colour per
class (the same in the grid, the data points and the legend), each data point marked on the grid cell
nearest to it. `Neurons`: each hidden neuron's activation over the same plane. Their forward passes
sit on the hidden sheet `Grid passes`. Picture cells hide their numbers (click one to read it) so
that the colours are the picture.
"""

from __future__ import annotations

import math

import numpy as np
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, Rule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat
from openpyxl.utils import get_column_letter

from sheetnet.layout.boundary import BOUNDARY_SHEET, GRID_TOP, NEURONS_SHEET, PASSES_SHEET, TICK_EVERY
from sheetnet.sheets.boundary import class_point_rows, picture_formula
from sheetnet.sheets.headers import neuron_names
from sheetnet.sheets.styles import GROUP_FONT, SUBTITLE_FONT
from sheetnet.units.activations import ACTIVATIONS

CLASS_FILLS = ("9DC3E6", "F4B183", "A9D18E", "C9B3E6", "FFE699", "D9D9D9")  # light: the grid's regions
CLASS_MARKS = ("1F4E79", "843C0C", "385723", "3F2A5E", "7F6000", "404040")  # dark: the data points
LOW, MIDDLE, HIGH = "5B9BD5", "FFFFFF", "ED7D31"  # one output: class 0 (low) blue, class 1 (high) orange
MARK_FORMAT_ID = 200


def _write_blocks(writer, ws, keys, role: str = "forward", number_format: str | None = None) -> None:
    for key in keys:
        writer.put_formulas(ws, writer.layout.block(*key), picture_formula(writer.layout, key), role, number_format)


def write_passes(writer) -> None:
    """The hidden sheet: the grid's range and axes, its points, and both forward passes over them."""
    bl = writer.layout.boundary
    ws = writer.wb.create_sheet(PASSES_SHEET)
    writer.text(ws, 1, 1, "The forward pass behind every picture cell (Boundary and Neurons sheets): the grid's "
                "range, its points, and the network run on each point with the initial and the final "
                "parameters (no dropout).", SUBTITLE_FONT)
    writer.text(ws, 2, 2, "from", style="header")
    writer.text(ws, 2, 3, "to", style="header")
    writer.text(ws, 2, 4, "step", style="header")
    writer.text(ws, 3, 1, "x1", style="label")
    writer.text(ws, 4, 1, "x2", style="label")
    writer.text(ws, 5, 2, "x1 axis", style="header")
    writer.text(ws, 5, 3, "x2 axis", style="header")
    points = bl.block("bd_px", 0, 0)
    writer.text(ws, 5, points.col, "point x1", style="header")
    writer.text(ws, 5, points.col + 1, "point x2", style="header")
    for variant in (0, 1):
        for (kind, layer), (col, width) in bl.pass_cols[variant].items():
            for j in range(width):
                label = "initial" if variant == 0 else "final"
                writer.text(ws, 5, col + j, f"{label} {kind}{layer}.{j + 1}", style="header")
    for c, members in enumerate(bl.class_members):
        if members:
            block = bl.block("bd_class", c, 0)
            writer.text(ws, 5, block.col, f"class {c} x1", style="header")
            writer.text(ws, 5, block.col + 1, f"class {c} x2", style="header")
    _write_blocks(writer, ws, [key for key in bl.keys() if key[0] not in ("bd_grid", "bd_xtick", "bd_ytick",
                                                                            "nr_grid")])
    for col in range(1, bl.class_col + 3 * max(bl.n_classes, 1)):
        ws.column_dimensions[get_column_letter(col)].width = 13
    ws.sheet_state = "hidden"


def _tick_format(writer) -> str:
    """Decimals for the axis labels: enough to tell ticks apart, the same on both axes."""
    bl = writer.layout.boundary
    spans = np.ptp(writer.problem.inputs[:, :2], axis=0)
    ranges = np.where(spans == 0, 2.0, 1.2 * spans)  # the grid's range: 10% margins, or 1 each side of a point
    tick = max(float(ranges.max()) / (bl.grid - 1) * TICK_EVERY, 1e-9)
    decimals = min(4, max(0, 1 - math.floor(math.log10(tick))))
    return "0" if decimals == 0 else "0." + "0" * decimals


def _grid_colours(writer, ws, area: str) -> None:
    """One output: a colour scale from class 0 (blue) through 0.5 (white) to class 1 (orange).
    Softmax: each predicted class its own colour."""
    s = writer.structure
    if s.activation(s.n_layers) != "softmax":
        ws.conditional_formatting.add(area, ColorScaleRule(
            start_type="num", start_value=0, start_color=LOW, mid_type="num", mid_value=0.5, mid_color=MIDDLE,
            end_type="num", end_value=1, end_color=HIGH))
        return
    classes = s.sizes[-1]
    if classes <= 3:  # a colour scale through the class numbers: it leaves room for the data points' dots
        ends = dict(start_type="num", start_value=0, start_color=CLASS_FILLS[0], end_type="num",
                    end_value=classes - 1, end_color=CLASS_FILLS[classes - 1])
        middle = dict(mid_type="num", mid_value=1, mid_color=CLASS_FILLS[1]) if classes == 3 else {}
        ws.conditional_formatting.add(area, ColorScaleRule(**ends, **middle))
        return
    for c in range(classes):  # more classes than a colour scale has colours: one rule each
        fill = PatternFill(start_color=CLASS_FILLS[c % 6], end_color=CLASS_FILLS[c % 6], fill_type="solid")
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=[str(c)], fill=fill))


def _point_marks(writer, ws, area: str, top: int, left: int) -> None:
    """A dot of its class's colour on the grid cell nearest to each data point (a display rule only)."""
    bl = writer.layout.boundary
    rng = f"'{PASSES_SHEET}'!"
    low1, step1, high2, step2 = (f"{rng}$B$3", f"{rng}$D$3", f"{rng}$C$4", f"{rng}$D$4")
    for c, members in enumerate(bl.class_members):
        if not members:
            continue
        xs, ys = class_point_rows(writer.layout, c)
        x1 = f"({low1}+(COLUMN()-{left})*{step1})"
        x2 = f"({high2}-(ROW()-{top})*{step2})"
        rule = (f"SUMPRODUCT((ABS({xs}-{x1})<={step1}/2)*(ABS({ys}-{x2})<={step2}/2))>0")
        style = DifferentialStyle(font=Font(color=CLASS_MARKS[c % 6], bold=True),
                                  numFmt=NumberFormat(numFmtId=MARK_FORMAT_ID + c, formatCode='"●";"●";"●"'))
        ws.conditional_formatting.add(area, Rule(type="expression", formula=[rule], dxf=style))


def _legend(writer, ws, col: int) -> None:
    """Which colour is which class, and what a dot is, right of the grids."""
    s, bl = writer.structure, writer.layout.boundary
    writer.text(ws, GRID_TOP - 2, col, "Legend", GROUP_FONT)
    softmax = s.activation(s.n_layers) == "softmax"
    classes = max(bl.n_classes, s.sizes[-1] if softmax else 2)
    row = GRID_TOP
    for c in range(classes):
        swatch = ws.cell(row=row, column=col)
        swatch.fill = PatternFill("solid", fgColor=CLASS_FILLS[c % 6] if softmax else (LOW, HIGH)[min(c, 1)])
        writer.text(ws, row, col + 1, f"class {c}" + ("" if softmax else (" (output near 0)", " (output near 1)")[
            min(c, 1)]))
        row += 1
    lines = ["● a data point, on the grid cell nearest to it (its colour: its class).",
             "The colours show " + ("the predicted class." if softmax else "the output: blue near 0, white 0.5, "
                                   "orange near 1."),
             "Click a cell to read its number; the hidden sheet 'Grid passes' (right-click a sheet tab, Show)",
             "holds the forward pass behind every cell."]
    for text in lines:
        row += 1
        writer.text(ws, row, col, text, SUBTITLE_FONT)


def _scatter(writer, ws, anchor: str) -> None:
    """The data points by class, in the grid's class colours."""
    bl = writer.layout.boundary
    passes = writer.wb[PASSES_SHEET]
    chart = ScatterChart()
    chart.title = "The data, by class"
    chart.style = 13
    chart.scatterStyle = "marker"
    chart.x_axis.title, chart.y_axis.title = "x1", "x2"
    for c, members in enumerate(bl.class_members):
        if not members:
            continue
        block = bl.block("bd_class", c, 0)
        last = block.row + block.nrows - 1
        xs = Reference(passes, min_col=block.col, min_row=block.row, max_row=last)
        ys = Reference(passes, min_col=block.col + 1, min_row=block.row, max_row=last)
        series = Series(ys, xs, title=f"class {c}")
        series.marker.symbol, series.marker.size = "circle", 7
        series.marker.graphicalProperties.solidFill = CLASS_MARKS[c % 6]
        series.marker.graphicalProperties.line.solidFill = CLASS_MARKS[c % 6]
        series.graphicalProperties.line.noFill = True
        chart.series.append(series)
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.visible_cells_only = False
    chart.height, chart.width = 9, 11
    ws.add_chart(chart, anchor)


def write_boundary(writer) -> None:
    """The Boundary sheet: the output over the plane before and after training, the data on it."""
    s, bl = writer.structure, writer.layout.boundary
    what = "the predicted class" if s.activation(s.n_layers) == "softmax" else "the network's output"
    ws = writer.titled_sheet(
        BOUNDARY_SHEET, "Decision boundary: what the network says about every point of the input plane",
        f"Each cell is {what} for the inputs x1 (across) and x2 (down), computed by the Layer sheets' parameters "
        "before and after training. Edit a weight or the learning rate and the pictures redraw.")
    for variant, title in ((0, "before training (step 0)"), (1, f"after training (step {s.steps})")):
        writer.text(ws, GRID_TOP - 2, bl.grid_cols[variant], title, GROUP_FONT)
    writer.text(ws, GRID_TOP - 1, 1, "x2 \\ x1", style="label")
    _write_blocks(writer, ws, [("bd_ytick", 0, 0)], number_format=_tick_format(writer))
    for variant in (0, 1):
        for t, tick in enumerate(bl.ticks):
            _write_blocks(writer, ws, [("bd_xtick", t, variant)], number_format=_tick_format(writer))
            cell = ws.cell(row=GRID_TOP - 1, column=bl.grid_cols[variant] + tick)
            cell.alignment = Alignment(horizontal="left")
            ws.merge_cells(start_row=GRID_TOP - 1, start_column=cell.column, end_row=GRID_TOP - 1,
                           end_column=cell.column + TICK_EVERY - 1)
    _write_blocks(writer, ws, [("bd_grid", 0, 0), ("bd_grid", 0, 1)], role="picture")
    for variant in (0, 1):
        grid = bl.block("bd_grid", 0, variant)
        _grid_colours(writer, ws, grid.area())
        _point_marks(writer, ws, grid.area(), grid.row, grid.col)
    for col in range(bl.grid_cols[0], bl.grid_cols[1] + bl.grid):
        ws.column_dimensions[get_column_letter(col)].width = 2.6
    ws.column_dimensions["A"].width = 9
    for row in range(GRID_TOP, GRID_TOP + bl.grid):
        ws.row_dimensions[row].height = 18
    legend_col = bl.grid_cols[1] + bl.grid + 1
    ws.column_dimensions[get_column_letter(legend_col)].width = 4
    _legend(writer, ws, legend_col)


def add_boundary_chart(writer) -> None:
    """The data by class as a chart, beside the legend (once the hidden sheet holding its points exists)."""
    bl = writer.layout.boundary
    if bl.n_classes:
        legend_col = bl.grid_cols[1] + bl.grid + 1
        _scatter(writer, writer.wb[BOUNDARY_SHEET], f"{get_column_letter(legend_col)}{GRID_TOP + 8}")


def _neuron_colours(ws, area: str, activation: str) -> None:
    """White at 0, orange above, blue below: fixed ends where the activation has them (sigmoid 0 to 1, tanh -1
    to 1), the picture's own largest and smallest values elsewhere."""
    if activation == "sigmoid":
        rule = ColorScaleRule(start_type="num", start_value=0, start_color=MIDDLE, end_type="num", end_value=1,
                              end_color=HIGH)
    elif activation in ("relu", "softplus"):
        rule = ColorScaleRule(start_type="num", start_value=0, start_color=MIDDLE, end_type="max", end_color=HIGH)
    elif activation == "tanh":
        rule = ColorScaleRule(start_type="num", start_value=-1, start_color=LOW, mid_type="num", mid_value=0,
                              mid_color=MIDDLE, end_type="num", end_value=1, end_color=HIGH)
    else:
        rule = ColorScaleRule(start_type="min", start_color=LOW, mid_type="num", mid_value=0, mid_color=MIDDLE,
                              end_type="max", end_color=HIGH)
    ws.conditional_formatting.add(area, rule)


def write_neurons(writer) -> None:
    """The Neurons sheet: each hidden neuron's activation over the input plane, final parameters."""
    s, bl = writer.structure, writer.layout.boundary
    ws = writer.titled_sheet(
        NEURONS_SHEET, "Neurons: what each hidden neuron responds to, over the input plane",
        f"Each picture is one neuron's activation a for the inputs x1 (across) and x2 (down), with the parameters "
        f"after training (step {s.steps}), on the same grid as the Boundary sheet: orange where it is large, white "
        "near 0, blue where it is negative.")
    for index, (layer, j) in enumerate(bl.neurons):
        row, col = bl.picture_origin(index)
        name = neuron_names(s, layer)[j]
        activation = s.activation(layer)
        writer.text(ws, row, col, f"layer {layer}, {name} ({ACTIVATIONS[activation].title[4:]})", GROUP_FONT)
        _write_blocks(writer, ws, [("nr_grid", layer, j)], role="picture")
        _neuron_colours(ws, bl.block("nr_grid", layer, j).area(), activation)
    for column in range(2, 2 + min(len(bl.neurons), 4) * (bl.grid + 2)):
        ws.column_dimensions[get_column_letter(column)].width = 1.3
    for index in range(len(bl.neurons)):
        top, _ = bl.picture_origin(index)
        for offset in range(1, bl.grid + 1):
            ws.row_dimensions[top + offset].height = 10
