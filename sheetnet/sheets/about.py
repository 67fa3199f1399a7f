"""The About sheet: the lesson, the network, things to try (measured), how to read each sheet, how to check."""

from __future__ import annotations

from openpyxl.styles import Alignment

from sheetnet.layout import Layout, quote_sheet
from sheetnet.sheets.headers import plural
from sheetnet.sheets.literal import literal_cell
from sheetnet.sheets.styles import ROLES, SUBTITLE_FONT, TITLE_FONT
from sheetnet.units.losses import LOSSES

ABOUT_SHEET = "About"
TEXT_WIDTH = 120  # characters of column B: longer texts wrap, and their rows are made taller

SHEET_TEXT = {
    "Data": "one row per sample: the inputs x, then the targets y (yellow: edit them).",
    "Training": "the hyper-parameters (yellow), then one row per step: loss, accuracy, gradient sizes, with charts. "
                "Click a step number to jump to that step on Layer 1.",
    "Boundary": "what the network outputs over the whole input plane, before and after training, with the data "
                "points on it: the decision boundary.",
    "Neurons": "what each hidden neuron responds to over the input plane, after training.",
    "Gradient check": "checks one gradient against a finite difference: nudge a parameter, watch the loss move.",
    "Draw": "draw a digit in an 8x8 grid (type 16 to draw, 0 to erase): the trained network reads it at once, "
            "with its ten probabilities.",
    "Test digits": "held-out digits as pictures, each with its true digit and what the trained network reads; the "
                   "misread ones in red.",
    "Weights": "each first-layer neuron's 64 weights as a picture, before and after training: the strokes it "
               "looks for.",
    "Conv": "the convolution, one block of rows per step. A kernel is a small grid of weights; sliding it over the "
            "image and taking, at each position, the sum of kernel x pixels under it (one SUMPRODUCT) plus a bias "
            "gives a map: large where the image has the kernel's pattern, wherever it is. Max pooling keeps the "
            "largest value of each small window of the map: the pattern was there, give or take a pixel. Backward, "
            "a pooled value's gradient goes to the one cell that won its window, and each kernel weight's gradient "
            "sums, over every sample and position, the map's gradient times the pixel that weight met.",
    "Conv test": "the held-out images through the last step's kernels, as on the Conv sheet.",
    "Filters": "each kernel as a picture before and after training, and its map of the digit you draw on the Draw "
               "sheet: watch which filters fire on which strokes.",
}
LAYER_TEXT = ("the {role}: one block of rows per training step, in three bands: the parameters W (a row per neuron) "
              "and b with their gradients dL/dW and dL/db; the forward pass z = W·a + b and a = f(z), one row per "
              "sample{output}; the backward pass dL/da and dL/dz.{norm} The next block's parameters are this "
              "block's {update}.")
NORM_TEXT = (" With batch normalization the parameters band adds gamma, beta, the batch's mean and variance and "
             "the running ones, the forward band z - mean, zhat and gamma*zhat+beta, the backward band "
             "dL/d(gamma*zhat+beta).")


def update_words(optimizer: str) -> str:
    """How the next step's parameters come from this step's, in words."""
    if optimizer == "sgd":
        return "minus learning_rate times its gradients"
    return f"updated by {optimizer} from its gradients and the optimizer's state (the grey cells)"


def _network_lines(layout: Layout, formula_cells: int) -> list[tuple[str, str]]:
    s = layout.structure
    hidden = ", ".join(f"{w} {a}" for w, a in zip(s.sizes[1:-1], s.activations[:-1], strict=True))
    layers = f"hidden {'layer' if s.n_layers == 2 else 'layers'}: {hidden} -> " if hidden else ""
    inputs = plural(s.sizes[0], "input")
    if s.conv:
        (h, w), k, (oh, ow), (ph, pw) = s.image_shape, s.conv_kernel, s.map_shape, s.pooled_shape
        inputs = (f"{h}x{w} image -> {plural(s.conv_filters, 'kernel')} of {k}x{k} -> maps of {oh}x{ow} -> max pool "
                  f"{s.pool}x{s.pool} to {ph}x{pw} -> {s.conv_activation} -> {s.sizes[0]} values")
    batch = "the whole dataset every step" if s.batches is None else (
        f"mini-batches of {len(s.batches[0])} ({'a fixed shuffle' if s.shuffle else 'consecutive rows of Data'}; "
        f"step k uses batch k mod {len(s.batches)})")
    lines = [
        ("network", f"{inputs} -> {layers}{plural(s.sizes[-1], 'output')} ({s.activations[-1]})"),
        ("loss", LOSSES[s.loss].words),
        ("training", f"{plural(s.steps, 'step')} of {s.optimizer}, {batch}"),
        ("data", f"{plural(s.n_samples, 'sample')} ({s.dataset})"),
        ("initial weights", f"{s.init_scheme}" + (f", seed {s.seed}" if s.init_scheme != "explicit" else "")),
        ("formula cells", f"{formula_cells:,}: every number outside the yellow cells is a live formula"),
    ]
    if s.use_l2:
        lines.append(("L2 penalty", "l2_penalty * sum of squared weights is added to the loss"))
    if s.dropout:
        lines.append(("dropout", "fixed 0/1 masks on the hidden layers, scaled by 1 / (1 - dropout_rate)"))
    if s.schedule != "constant":
        lines.append(("schedule", f"{s.schedule}: each update's learning rate is a cell on Training (charted)"))
    if s.clip:
        lines.append(("clipping", "before each update every gradient is scaled so that their total norm is at "
                                  "most clip_norm (the norm and the factor are on Training)"))
    if s.batch_norm:
        lines.append(("batch norm", "every hidden layer normalises z over the batch (mean 0, variance 1), then "
                                    "gamma * zhat + beta, trained; test rows and pictures use the running mean and "
                                    "variance"))
    return lines


def _sheet_lines(layout: Layout, extra_sheets: list[str]) -> list[tuple[str, str]]:
    s = layout.structure
    lines = [("Data", SHEET_TEXT["Data"])]
    if s.conv:
        lines.append(("Conv", SHEET_TEXT["Conv"]))
        if s.n_test:
            lines.append(("Conv test", SHEET_TEXT["Conv test"]))
    for layer in range(1, s.n_layers + 1):
        output = layer == s.n_layers
        lines.append((f"Layer {layer}", LAYER_TEXT.format(
            role="output layer" if output else "hidden layer",
            output=", with the target y, the loss and whether it is right" if output else "",
            norm=NORM_TEXT if s.normalised(layer) else "", update=update_words(s.optimizer))))
    lines.append(("Training", SHEET_TEXT["Training"]))
    lines += [(name, SHEET_TEXT[name]) for name in extra_sheets]
    return lines


def _static_tries(layout: Layout) -> list[str]:
    x = layout.data.raw()
    lines = [f"Change an input on Data, e.g. {quote_sheet(x.sheet)}!{x.cell()}, and follow it through z and a on "
             "Layer 1.",
             "Read the cell notes (red corner): each kind of formula is explained once, on its first cell."]
    if layout.structure.optimizer == "sgd":
        lines.append("Check one update by hand on Layer 1: a weight at step 1 = the weight at step 0 - learning_rate "
                     "* its dL/dW at step 0.")
    return lines


class _Lines:
    """Appends headings and rows to the About sheet, one after another."""

    def __init__(self, ws):
        self.ws, self.row = ws, 1

    def heading(self, text: str) -> None:
        self.row += 1
        cell = literal_cell(self.ws, self.row, 1, text)
        cell.style = "sheetnet header"
        cell.alignment = Alignment(horizontal="left")
        self.ws.cell(row=self.row, column=2).style = "sheetnet header"
        self.row += 1

    def add(self, label, text: str, style: str = "label") -> None:
        if label is not None:
            cell = literal_cell(self.ws, self.row, 1, label)
            cell.style = f"sheetnet {style}"
            cell.alignment = Alignment(horizontal="right", vertical="top")
        cell = literal_cell(self.ws, self.row, 2, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        lines = 1 + len(text) // TEXT_WIDTH  # spreadsheets do not grow wrapped rows on their own
        if lines > 1:
            self.ws.row_dimensions[self.row].height = 14 * lines
        self.row += 1


def write_about(writer, extra_sheets: list[str]) -> None:
    """Fill the About sheet (the first sheet a learner sees)."""
    layout, s = writer.layout, writer.structure
    ws = writer.wb.create_sheet(ABOUT_SHEET, 0)
    ws.cell(row=1, column=1, value="A neural network that trains itself in spreadsheet formulas").font = TITLE_FONT
    ws.cell(row=2, column=1, value="Generated by sheetnet. Every weight is a cell, every neuron a formula; change a "
            "yellow cell and the whole training recomputes.").font = SUBTITLE_FONT
    lines = _Lines(ws)
    lines.row = 3
    if s.lesson:
        lines.heading("The lesson")
        lines.add(None, s.lesson)
    if writer.measured.outcome:
        lines.heading("What training does here (measured when this file was written)")
        lines.add(None, writer.measured.outcome)
    lines.heading("The network")
    for label, text in _network_lines(layout, writer.formula_total):
        lines.add(label, text)
    lines.heading("Things to try (what you will see is measured: the numbers are this workbook's)")
    for text in [*writer.measured.tries, *_static_tries(layout)]:
        lines.add("•", text)
    if writer.measured.comparison:
        lines.heading("Each optimizer on this network (the same data, initial weights and learning rate; "
                      "measured when this file was written)")
        for text in writer.measured.comparison:
            lines.add("•", text)
    lines.heading("The sheets")
    for label, text in _sheet_lines(layout, extra_sheets):
        lines.add(label, text)
    lines.heading("Colours")
    for role, (_, _, _, text) in ROLES.items():
        lines.add(1.2345 if role != "input" else 0.5, text, style=role)
    lines.heading("Checking it")
    for text in (f"Save the workbook, then run:  sheetnet check {writer.file_name} --engine saved",
                 "It recomputes every quantity with numpy from this file's own inputs and compares every cell.",
                 f"sheetnet check {writer.file_name} --engine libreoffice recalculates it in LibreOffice first.",
                 "If LibreOffice shows old numbers after an edit: Data > Calculate > Recalculate Hard "
                 "(Ctrl+Shift+F9)."):
        lines.add(None, text)
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = TEXT_WIDTH + 4
    ws.sheet_view.showGridLines = False
