"""The sheets of an image classifier (the digits): Draw, Test digits and Weights, in live cells.

`Draw`: the student types grey levels into an 8x8 grid; one row of formulas below runs the trained network
on it (the final parameters of the Layer sheets, evaluation mode), and beside the grid the ten probabilities,
a bar chart of them and the digit it reads follow at once. `Test digits`: held-out digits drawn from their
Data cells, each with its true digit, the digit the last step's test pass reads and how sure it is; the
misread ones in red. `Weights`: what each first-layer neuron looks for, its 64 incoming weights as a picture,
before and after training. Every picture cell is a formula; the colours are conditional formats.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import ColorScaleRule, DataBarRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import absolute_coordinate, get_column_letter

from sheetnet.layout.digits import (
    DRAW_LEFT,
    DRAW_SHEET,
    DRAW_TOP,
    GALLERY_PER_ROW,
    GALLERY_SHEET,
    PASS_COL,
    PASS_ROW,
    PROB_COL,
    READ_COL,
    WEIGHT_PAIRS_PER_ROW,
    WEIGHTS_SHEET,
)
from sheetnet.sheets.filters import FILTERS_SHEET, filters_formula, write_filters
from sheetnet.sheets.forward import ForwardPass, running_stats
from sheetnet.sheets.headers import column_headers, neuron_names
from sheetnet.sheets.refs import Refs
from sheetnet.sheets.styles import GROUP_FONT, SUBTITLE_FONT

GREY_LEVELS = 16  # a digit's pixels are 0..16; the network takes level / 16
INK = "000000"
PAPER = "FFFFFF"
WRONG_FILL = PatternFill("solid", fgColor="F8CBAD")
NEGATIVE, POSITIVE = "2E75B6", "C00000"  # weights: blue below 0, red above, white at 0


def argmax_formula(cells: list[str], row: str) -> str:
    """The index (from 0) of the first largest of `cells`: IF(c0=MAX(row),0,IF(c1=MAX(row),1,...))."""
    text = str(len(cells) - 1)
    for c in range(len(cells) - 2, -1, -1):
        text = f"IF({cells[c]}=MAX({row}),{c},{text})"
    return "=" + text


def draw_pass(layout) -> ForwardPass:
    """The drawing through the final parameters, in evaluation mode (running statistics, no dropout)."""
    s = layout.structure
    refs = Refs(layout, DRAW_SHEET)
    pixels = layout.digits.block("dr_in", 0, 0)
    step = s.steps

    def params(layer: int):
        return layout.block("W", layer, step), layout.block("b", layer, step if s.train_biases else 0)

    return ForwardPass(layout, refs, "dr_", 1, lambda i: refs.row(pixels, 0), params, absolute_params=True,
                       norm=lambda layer: (layout.block("gamma", layer, step), layout.block("beta", layer, step)),
                       stats=running_stats(layout, step))


def digit_formula(layout, key):
    """The formula writer of one block of the three sheets."""
    s, dl = layout.structure, layout.digits
    kind, layer, index = key
    last = s.n_layers
    if kind.startswith("fl_") or (kind == "dr_in" and s.conv):
        return filters_formula(layout, key)
    if kind == "dr_in":
        refs, grid, side = Refs(layout, DRAW_SHEET), dl.block("dr_x", 0, 0), dl.side
        return lambda i, j: f"={refs.fixed(grid, j // side, j % side)}/{GREY_LEVELS}"
    if kind == "dr_prob":
        refs, out = Refs(layout, DRAW_SHEET), dl.block("dr_a", last, 1)
        return lambda i, j: f"={refs.fixed(out, 0, i)}"
    if kind == "dr_pred":
        refs, z = Refs(layout, DRAW_SHEET), dl.block("dr_z", last, 1)
        cells = [refs.fixed(z, 0, c) for c in range(s.sizes[-1])]
        return lambda i, j: argmax_formula(cells, refs.fixed_row(z, 0))
    if kind.startswith("dr_"):
        return draw_pass(layout).formula(kind[3:], layer)
    if kind.startswith("gl_"):
        return _gallery_formula(layout, kind, layer)
    if kind == "wp_img":
        refs, weights, side = Refs(layout, WEIGHTS_SHEET), layout.block("W", 1, 0 if index == 0 else s.steps), dl.side
        return lambda i, j: f"={refs.fixed(weights, layer, i * side + j)}"
    raise KeyError(key)


def _gallery_formula(layout, kind: str, t: int):
    s, dl = layout.structure, layout.digits
    refs = Refs(layout, GALLERY_SHEET)
    sample = dl.shown[t]
    if kind == "gl_img":
        data, side = layout.data.raw(), dl.side
        return lambda i, j: f"={refs.fixed(data, sample, i * side + j)}"
    if kind == "gl_true":
        targets = layout.data.all_targets()
        cells = [refs.fixed(targets, sample, c) for c in range(s.sizes[-1])]
        return lambda i, j: argmax_formula(cells, refs.fixed_row(targets, sample))
    last, test_row = s.n_layers, t  # the test pass's rows are the test samples in order
    if kind == "gl_pred":
        z = layout.block("te_z", last, s.steps)
        cells = [refs.fixed(z, test_row, c) for c in range(s.sizes[-1])]
        return lambda i, j: argmax_formula(cells, refs.fixed_row(z, test_row))
    a = layout.block("te_a", last, s.steps)
    return lambda i, j: f"=MAX({refs.fixed_row(a, test_row)})"


def _write(writer, ws, key, role: str, number_format: str | None = None):
    block = writer.layout.block(*key)
    writer.put_formulas(ws, block, digit_formula(writer.layout, key), role, number_format)
    return block


def _square_cells(ws, first_col: int, cols: int, first_row: int, rows: int, width: float, height: float) -> None:
    for col in range(first_col, first_col + cols):
        ws.column_dimensions[get_column_letter(col)].width = width
    for row in range(first_row, first_row + rows):
        ws.row_dimensions[row].height = height


def _picture_cells(ws, last_col: int, tops: list[int], side: int) -> None:
    """Small square cells from column B to `last_col`, and `side` rows from each picture's top row."""
    _square_cells(ws, 2, last_col - 2, 1, 0, 2.4, 15)
    for top in tops:
        for row in range(top, top + side):
            ws.row_dimensions[row].height = 15


def _grey(ws, area: str, high: float) -> None:
    """White at 0, black at `high`: the digits' own look."""
    ws.conditional_formatting.add(area, ColorScaleRule(start_type="num", start_value=0, start_color=PAPER,
                                                       end_type="num", end_value=high, end_color=INK))


def write_draw(writer) -> None:
    s, layout = writer.structure, writer.layout
    dl = layout.digits
    ws = writer.titled_sheet(DRAW_SHEET, "Draw a digit: the network you trained reads it",
                             "Type 16 into cells to draw, 0 to erase (any grey level 0-16 in between). The grid is "
                             "an 8x8 digit as the data has them; click a cell to see its number.")
    writer.text(ws, 3, 1, f"The network reads it with its parameters after training (step {s.steps} of the Layer "
                "sheets): change the learning rate or a weight there and its reading changes too.", SUBTITLE_FONT)
    grid = dl.block("dr_x", 0, 0)
    for i, j, row, col in grid.cells():
        cell = writer.put(ws, row, col, float(writer.problem.drawing[i, j]), "input")
        cell.number_format = ";;;"
    _square_cells(ws, DRAW_LEFT, dl.side, DRAW_TOP, s.sizes[-1], 3.6, 22)  # the grid and the ten probabilities
    _grey(ws, grid.area(), GREY_LEVELS)
    writer.note(ws.cell(row=grid.row, column=grid.col), "dr_x",
                "Your drawing: grey levels 0 (white) to 16 (black), as the digits' own pixels. The network takes "
                "each level divided by 16, row by row (the row of formulas below).")
    ws.column_dimensions[get_column_letter(DRAW_LEFT + dl.side)].width = 3
    writer.text(ws, DRAW_TOP - 1, READ_COL, "it reads", style="header")
    ws.merge_cells(start_row=DRAW_TOP - 1, start_column=READ_COL, end_row=DRAW_TOP - 1, end_column=READ_COL + 1)
    read = _write(writer, ws, ("dr_pred", 0, 0), "forward", "0")
    top = ws.cell(row=read.row, column=read.col)
    top.font = Font(name="Calibri", size=72, bold=True, color="1F3864")
    top.alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=read.row, start_column=read.col, end_row=read.row + 5, end_column=read.col + 1)
    writer.note(top, "dr_pred", "The digit whose output z is the largest (the first, on a tie): "
                "IF(z0=MAX(z),0,IF(z1=MAX(z),1,...)).")
    writer.text(ws, DRAW_TOP - 1, PROB_COL - 1, "digit", style="header")
    writer.text(ws, DRAW_TOP - 1, PROB_COL, "probability", style="header")
    for c in range(s.sizes[-1]):
        writer.text(ws, DRAW_TOP + c, PROB_COL - 1, str(c), style="label")
    probs = _write(writer, ws, ("dr_prob", 0, 0), "forward", "0.0%")
    ws.conditional_formatting.add(probs.area(), DataBarRule(start_type="num", start_value=0, end_type="num",
                                                            end_value=1, color="5B9BD5"))
    writer.note(ws.cell(row=probs.row, column=probs.col), "dr_prob",
                "The softmax output of the pass below for each digit: how sure the network is.")
    chart = BarChart()
    chart.type = "col"
    chart.title = "How sure it is, per digit"
    chart.style = 10
    chart.legend = None
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    chart.y_axis.number_format = "0%"
    chart.y_axis.title = "probability"
    chart.x_axis.title = "digit"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.add_data(Reference(ws, min_col=PROB_COL, min_row=probs.row, max_row=probs.row + probs.nrows - 1))
    chart.set_categories(Reference(ws, min_col=PROB_COL - 1, min_row=probs.row, max_row=probs.row + probs.nrows - 1))
    chart.height, chart.width = 7.5, 13
    ws.add_chart(chart, f"{get_column_letter(PROB_COL + 2)}{DRAW_TOP - 1}")
    _write_draw_pass(writer, ws)
    for col in (READ_COL, READ_COL + 1, PROB_COL - 1, PROB_COL):
        ws.column_dimensions[get_column_letter(col)].width = max(ws.column_dimensions[get_column_letter(col)].width
                                                                 or 0, 11)
    ws.sheet_view.showGridLines = False


def _write_draw_pass(writer, ws) -> None:
    """One row of formulas: the inputs (level / 16), then each layer's z, helpers and a."""
    s, dl = writer.structure, writer.layout.digits
    writer.text(ws, PASS_ROW - 2, PASS_COL, "The forward pass of your drawing (final parameters, evaluation "
                "mode): scroll right to follow it from the pixels to the probabilities.", GROUP_FONT)
    block = _write(writer, ws, ("dr_in", 0, 0), "forward")
    for j, name in enumerate(neuron_names(s, 0)):
        writer.text(ws, PASS_ROW - 1, block.col + j, f"x {name}", style="header")
    writer.note(ws.cell(row=block.row, column=block.col), "dr_in", "The network's input: a grey level / 16.")
    for kind, layer in dl.pass_cols:
        key = ("dr_" + kind, layer, 1)
        block = _write(writer, ws, key, "forward")
        for j, text in enumerate(column_headers(s, kind, layer)):
            writer.text(ws, PASS_ROW - 1, block.col + j, text, style="header")
    for col in range(PASS_COL, dl.pass_end):
        ws.column_dimensions[get_column_letter(col)].width = 11


def write_gallery(writer) -> None:
    s, dl = writer.structure, writer.layout.digits
    ws = writer.titled_sheet(
        GALLERY_SHEET, "Test digits: what the trained network reads",
        f"Held-out digits (never trained on), from the Data sheet, with their true digit, the digit the network "
        f"reads after step {s.steps} and how sure it is (from the output Layer sheet's test pass). Misread ones "
        "are red.")
    side = dl.side
    for t in range(len(dl.shown)):
        image = _write(writer, ws, ("gl_img", t, 0), "picture")
        _grey(ws, image.area(), 1)
        labels = []
        for kind, fmt in (("gl_true", '"true "0'), ("gl_pred", '"reads "0'), ("gl_prob", "0%")):
            block = _write(writer, ws, (kind, t, 0), "forward", fmt)
            span = 2 if kind == "gl_prob" else 3
            ws.merge_cells(start_row=block.row, start_column=block.col, end_row=block.row,
                           end_column=block.col + span - 1)
            cell = ws.cell(row=block.row, column=block.col)
            cell.alignment = Alignment(horizontal="center")
            cell.font = Font(name="Calibri", size=9)
            labels.append(cell.coordinate)
        misread = f"{absolute_coordinate(labels[0])}<>{absolute_coordinate(labels[1])}"
        ws.conditional_formatting.add(f"{labels[0]}:{labels[2]}", FormulaRule(formula=[misread], fill=WRONG_FILL))
    last_col = dl.gallery_origin(min(len(dl.shown), GALLERY_PER_ROW) - 1)[1] + side
    _picture_cells(ws, last_col, [dl.gallery_origin(t)[0] for t in range(len(dl.shown))], side)
    notes = {"gl_img": "A held-out digit: its Data cells (grey levels / 16), drawn by a colour scale.",
             "gl_true": "The true digit: the position of the 1 in the sample's one-hot target.",
             "gl_pred": "The digit the network reads: its largest output z at the last step's test pass.",
             "gl_prob": "How sure it is: the largest softmax output at the last step's test pass."}
    for kind, text in notes.items():
        block = dl.block(kind, 0, 0)
        writer.note(ws.cell(row=block.row, column=block.col), kind, text)
    ws.sheet_view.showGridLines = False


def write_weights(writer) -> None:
    s, dl = writer.structure, writer.layout.digits
    ws = writer.titled_sheet(
        WEIGHTS_SHEET, "Weights: the strokes each first-layer neuron looks for",
        f"Each neuron's {dl.pixels} incoming weights, one per pixel, drawn where the pixel is: red where ink raises "
        f"its z, blue where ink lowers it, white near 0. Left: before training (step 0); right: after (step "
        f"{s.steps}).")
    names = neuron_names(s, 1)
    side = dl.side
    for j in range(dl.neurons):
        initial = _write(writer, ws, ("wp_img", j, 0), "picture")
        final = _write(writer, ws, ("wp_img", j, 1), "picture")
        writer.text(ws, initial.row - 1, initial.col, f"{names[j]}: before | after", GROUP_FONT)
        area = f"{initial.area()} {final.area()}"
        ws.conditional_formatting.add(area, ColorScaleRule(
            start_type="min", start_color=NEGATIVE, mid_type="num", mid_value=0, mid_color=PAPER,
            end_type="max", end_color=POSITIVE))
    last_col = dl.weights_origin(min(dl.neurons, WEIGHT_PAIRS_PER_ROW) - 1, 1)[1] + side
    _picture_cells(ws, last_col, [dl.weights_origin(j, 0)[0] for j in range(dl.neurons)], side)
    block = dl.block("wp_img", 0, 0)
    writer.note(ws.cell(row=block.row, column=block.col), "wp_img",
                "A weight of Layer 1 (row = this neuron's), placed at its pixel: ='Layer 1'!cell.")
    ws.sheet_view.showGridLines = False


def write_digit_sheets(writer) -> list[str]:
    """The three sheets (the gallery only with a test set); their names, for the About sheet."""
    write_draw(writer)
    sheets = [DRAW_SHEET]
    if writer.layout.digits.shown:
        write_gallery(writer)
        sheets.append(GALLERY_SHEET)
    if writer.structure.conv:  # the kernels and the maps of the drawing stand where the first layer's weights would
        write_filters(writer, lambda ws, key, role: _write(writer, ws, key, role))
        return [*sheets, FILTERS_SHEET]
    write_weights(writer)
    return [*sheets, WEIGHTS_SHEET]
