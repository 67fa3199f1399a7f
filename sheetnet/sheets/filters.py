"""The Filters sheet: each kernel before and after training, and what it sees in the digit on the Draw sheet.

The drawn digit (grey level / 16) is convolved with each final kernel here, in live cells: a map per filter (red
where the kernel's pattern is in the drawing, blue where its opposite is), then max pooling. Draw a stroke on the
Draw sheet and the maps move with it; the Draw sheet's dense pass reads the pooled maps from this sheet.
"""

from __future__ import annotations

from openpyxl.formatting.rule import ColorScaleRule

from sheetnet.layout.filters import FILTERS_SHEET
from sheetnet.sheets.refs import CellView, Refs
from sheetnet.sheets.styles import GROUP_FONT
from sheetnet.units.activations import ACTIVATIONS

GREY_LEVELS = 16
NEGATIVE, WHITE, POSITIVE, INK = "2E75B6", "FFFFFF", "C00000", "000000"


def filters_formula(layout, key):
    """The formula writer of one Filters block, and the Draw pass's inputs (the pooled maps, activated)."""
    s, dl = layout.structure, layout.digits
    fl = dl.filters
    kind, f, variant = key
    refs = Refs(layout, FILTERS_SHEET)
    k = s.conv_kernel
    if kind == "fl_img":
        grid = dl.block("dr_x", 0, 0)
        return lambda i, j: f"={refs.fixed(grid, i, j)}/{GREY_LEVELS}"
    if kind == "fl_kernel":
        kernels = layout.block("K", 0, s.steps if variant else 0)
        return lambda i, j: f"={refs.fixed(kernels, f, i * k + j)}"
    if kind == "fl_z":
        image, kernel = fl.block("fl_img", 0, 0), fl.block("fl_kernel", f, 1)
        bias = layout.block("kb", 0, s.steps if s.train_biases else 0)
        return lambda i, j: (f"=SUMPRODUCT({refs.fixed(image, i, j, i + k - 1, j + k - 1)},"
                             f"{refs.fixed(kernel, 0, 0, k - 1, k - 1)})+{refs.fixed(bias, f)}")
    if kind == "fl_p":
        z, p = fl.block("fl_z", f, 0), s.pool
        return lambda i, j: f"=MAX({refs.fixed(z, i * p, j * p, i * p + p - 1, j * p + p - 1)})"
    if kind == "dr_in":  # the dense pass of the drawing reads the pooled maps through the activation
        draw = Refs(layout, dl.block("dr_in", 0, 0).sheet)
        rows, cols = s.pooled_shape
        forward = ACTIVATIONS[s.conv_activation].forward

        def formula(i: int, m: int) -> str:
            f, rest = divmod(m, rows * cols)
            cell = draw.fixed(fl.block("fl_p", f, 0), rest // cols, rest % cols)
            return "=" + forward(CellView(lambda name, _i, _j: cell, i, m))
        return formula
    raise KeyError(key)


def _scale(ws, area: str) -> None:
    """Blue below 0, white at 0, red above: a kernel's weights and a map's values."""
    ws.conditional_formatting.add(area, ColorScaleRule(start_type="min", start_color=NEGATIVE, mid_type="num",
                                                       mid_value=0, mid_color=WHITE, end_type="max",
                                                       end_color=POSITIVE))


def write_filters(writer, put) -> None:
    """`put(ws, key, role)` writes a block's formulas (the digits sheets' writer) and returns the block."""
    s, fl = writer.structure, writer.layout.digits.filters
    ws = writer.titled_sheet(
        FILTERS_SHEET, "Filters: what each kernel looks for, and what it finds in your drawing",
        f"Each filter's {s.conv_kernel}x{s.conv_kernel} kernel before and after training (red weights: ink there "
        f"raises z; blue: lowers it), then its map of the digit on the Draw sheet: one SUMPRODUCT of the kernel "
        f"with each window, red where the kernel's pattern is. Max pooling keeps the strongest of each "
        f"{s.pool}x{s.pool}.")
    writer.text(ws, 3, 1, "Draw on the Draw sheet and watch which filters fire. The kernels are the Conv sheet's "
                f"(step 0 and step {s.steps}); edit them there.", GROUP_FONT)
    image = put(ws, ("fl_img", 0, 0), "picture")
    writer.text(ws, image.row - 1, image.col, "your drawing / 16", GROUP_FONT)
    ws.conditional_formatting.add(image.area(), ColorScaleRule(start_type="num", start_value=0,
                                                               start_color=WHITE, end_type="num", end_value=1,
                                                               end_color=INK))
    for f in range(s.conv_filters):
        before, after = put(ws, ("fl_kernel", f, 0), "picture"), put(ws, ("fl_kernel", f, 1), "picture")
        seen, pooled = put(ws, ("fl_z", f, 0), "picture"), put(ws, ("fl_p", f, 0), "picture")
        writer.text(ws, before.row - 1, before.col, f"filter {f + 1}: before | after", GROUP_FONT)
        writer.text(ws, seen.row - 1, seen.col, "its map | pooled", GROUP_FONT)
        _scale(ws, f"{before.area()} {after.area()}")
        _scale(ws, f"{seen.area()} {pooled.area()}")
    notes = {"fl_img": "The Draw sheet's grid / 16: the image the network reads.",
             "fl_kernel": "A kernel weight from the Conv sheet: ='Conv'!cell (left: step 0, right: the last step).",
             "fl_z": "The final kernel slid over your drawing: =SUMPRODUCT(window, kernel) + bias, as on the Conv "
                     "sheet. Red where the drawing has the kernel's pattern.",
             "fl_p": "Max pooling: the largest value of each window of the map. The Draw sheet's pass reads these, "
                     "through the activation."}
    for kind, text in notes.items():
        block = fl.block(kind, 0, 1 if kind == "fl_kernel" else 0)
        writer.note(ws.cell(row=block.row, column=block.col), kind, text)
    for col in range(2, fl.last_column() + 1):
        ws.column_dimensions[ws.cell(row=1, column=col).column_letter].width = 2.6
    for row in range(image.row, fl.last_row() + 1):
        ws.row_dimensions[row].height = 15
    ws.sheet_view.showGridLines = False
