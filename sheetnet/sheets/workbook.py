"""Write a Problem as a workbook of live formulas: Data, one sheet per layer, Training.

The layout says where each quantity goes, `emit` says which formula it gets, `styles` and `notes`
make it readable. Inputs are plain numbers styled as editable; everything else is a formula.
"""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from sheetnet.files import normalize_xlsx, write_atomic
from sheetnet.layout import (
    DATA_FIRST_ROW,
    DATA_SHEET,
    FIRST_BLOCK_ROW,
    META_SHEET,
    TRAINING_SHEET,
    Block,
    Layout,
    layer_sheet,
)
from sheetnet.model.problem import Problem, Structure
from sheetnet.sheets.about import write_about
from sheetnet.sheets.boundary import write_boundary
from sheetnet.sheets.formulas import formula_for
from sheetnet.sheets.gradcheck import write_gradient_check
from sheetnet.sheets.notes import note_for
from sheetnet.sheets.rawrows import RAW_FROM_STEP, RawRows
from sheetnet.sheets.styles import (
    GROUP_FONT,
    KIND_ROLES,
    SUBTITLE_FONT,
    TITLE_FONT,
    named_styles,
    style_name,
)
from sheetnet.units.activations import ACTIVATIONS

HYPER_TEXT = {
    "learning_rate": "step size of every update: new = old - learning_rate * gradient",
    "momentum": "momentum: how much of the previous velocity each step keeps",
    "beta1": "Adam: decay of the first moment (mean of gradients)",
    "beta2": "Adam: decay of the second moment (mean of squared gradients)",
    "epsilon": "Adam: added to the denominator so it is never 0",
    "l2_penalty": "L2 penalty ([training] l2): l2_penalty * sum of squared weights is added to the loss",
    "leaky_slope": "leaky ReLU: slope for negative z",
    "dropout_rate": "dropout: the share of hidden neurons switched off (masks are fixed, seeded cells)",
}

GROUP_TITLES = {
    "W": "W (row = neuron's weights)", "b": "b", "vel_W": "velocity of W", "vel_b": "vel b",
    "m_W": "Adam m of W", "m_b": "m b", "v_W": "Adam v of W", "v_b": "v b",
    "x": "x (this step's batch)", "mask": "dropout mask (1 = kept)", "ad": "a after dropout",
    "z": "z = W·a_prev + b", "max": "max z", "exp": "exp(z - max)", "sum": "sum exp",
    "loss_terms": "loss per sample", "correct": "right?", "dA": "dL/da", "dz": "dL/dz", "dW": "dL/dW", "db": "dL/db",
}


def neuron_names(structure: Structure, layer: int) -> list[str]:
    """Column names for layer `layer`'s neurons (layer 0 = the inputs)."""
    s = structure
    if layer == 0:
        return list(s.input_names)
    if layer == s.n_layers:
        return [f"ŷ {name}" for name in s.target_names]
    prefix = "h" if s.n_layers == 2 else f"h{layer}."
    return [f"{prefix}{j + 1}" for j in range(s.width(layer))]


def activation_title(structure: Structure, layer: int) -> str:
    return ACTIVATIONS[structure.activation(layer)].title


class Writer:
    def __init__(self, problem: Problem, progress=None):
        self.progress = progress or (lambda done: None)
        self.problem = problem
        self.structure = problem.structure
        self.layout = Layout(problem.structure)
        self.wb = Workbook()
        for style in named_styles():
            self.wb.add_named_style(style)
        self.noted: set[str] = set()
        self.formula_count = 0
        self.raw = RawRows()
        self.raw_now = False  # True while writing steps that bypass openpyxl

    # --- helpers ------------------------------------------------------------------------
    def _put(self, ws, row: int, col: int, value, role: str):
        if self.raw_now:
            self.raw.add(ws.title, row, col, value, role)
            return None
        cell = ws.cell(row=row, column=col, value=value)
        cell.style = style_name(role)
        self.raw.remember_style(role, cell)
        return cell

    def _text(self, ws, row: int, col: int, value, font=None, style: str | None = None):
        if self.raw_now:
            self.raw.add(ws.title, row, col, value, style)
            return None
        cell = ws.cell(row=row, column=col, value=value)
        if style:
            cell.style = style_name(style)
            self.raw.remember_style(style, cell)
        if font is not None:
            cell.font = font
        return cell

    def _note(self, cell, key: str, text: str) -> None:
        if key in self.noted:
            return
        self.noted.add(key)
        comment = Comment(text, "sheetnet")
        comment.width, comment.height = 320, 140
        cell.comment = comment

    def _write_block(self, ws, key, block: Block) -> None:
        formula = formula_for(self.layout, key)
        role = KIND_ROLES[key[0]]
        self.formula_count += block.nrows * block.ncols
        self.progress(self.formula_count)
        if self.raw_now:
            self.raw.add_block(ws.title, block, formula, role)
            return
        for i, j, row, col in block.cells():
            self._put(ws, row, col, formula(i, j), role)
        note = note_for(self.structure, key[0], key[1])
        if note:
            self._note(ws.cell(row=block.row, column=block.col), *note)

    # --- sheets --------------------------------------------------------------------------
    def data_sheet(self) -> None:
        s, p = self.structure, self.problem
        ws = self.wb.active
        ws.title = DATA_SHEET
        self._text(ws, 1, 1, f"Data: {s.n_samples} samples of the {s.dataset} dataset", TITLE_FONT)
        self._text(ws, 2, 1, "One row per sample: inputs x, then targets y. Yellow cells are yours "
                   "to edit; every other sheet recomputes from them.", SUBTITLE_FONT)
        header = DATA_FIRST_ROW - 1
        self._text(ws, header, 1, "sample", style="header")
        inputs, targets = self.layout.inputs_block(), self.layout.targets_block()
        for j, name in enumerate(s.input_names):
            self._text(ws, header, inputs.col + j, name, style="header")
        for j, name in enumerate(s.target_names):
            self._text(ws, header, targets.col + j, name, style="header")
        for i in range(s.n_samples):
            self._text(ws, DATA_FIRST_ROW + i, 1, i + 1, style="label")
        for block, values in ((inputs, p.inputs), (targets, p.targets)):
            for i, j, row, col in block.cells():
                self._put(ws, row, col, float(values[i, j]), "input")
        ws.freeze_panes = ws.cell(row=DATA_FIRST_ROW, column=2)
        for col in range(1, targets.col + targets.ncols):
            ws.column_dimensions[get_column_letter(col)].width = 11

    def layer_sheet(self, layer: int) -> None:
        s, layout = self.structure, self.layout
        ws = self.wb.create_sheet(layer_sheet(layer))
        fan_in, width = s.fan_in(layer), s.width(layer)
        kind = "output layer" if layer == s.n_layers else "hidden layer"
        self._text(ws, 1, 1, f"Layer {layer} ({kind}): {fan_in} inputs -> {width} neurons, "
                   f"{s.activation(layer)}", TITLE_FONT)
        self._text(ws, 2, 1, "One block of rows per training step (red label). Left to right: "
                   "parameters, forward pass, backward pass, gradients. Step k+1's parameters are "
                   "computed from step k's parameters and gradients.", SUBTITLE_FONT)
        groups = layout.groups[layer]
        inputs_names = neuron_names(s, layer - 1)
        names = neuron_names(s, layer)
        for kind_name, group in groups.items():
            title = activation_title(s, layer) if kind_name == "a" else GROUP_TITLES[kind_name]
            self._text(ws, 3, group.col, title, GROUP_FONT)
            if kind_name.endswith("W"):
                columns = inputs_names
            elif group.ncols == 1:
                columns = ["loss" if kind_name == "loss_terms" else kind_name.replace("_", " ")]
            else:
                columns = names
            if kind_name == "loss_terms" and group.ncols > 1:
                columns = [f"loss {n}" for n in names]
            for j, name in enumerate(columns):
                self._text(ws, 4, group.col + j, name, style="header")
        self._text(ws, 4, 1, "step", style="header")
        self._text(ws, 4, 2, "neuron", style="header")
        sample_col = layout.sample_label_column(layer)
        self._text(ws, 4, sample_col, "sample", style="header")
        for step in range(s.steps + 1):
            self.raw_now = step >= RAW_FROM_STEP
            top = layout.block_top(step)
            self._text(ws, top, 1, f"step {step}", style="step")
            for j in range(width):
                self._text(ws, top + j, 2, names[j], style="label")
            for i, sample in enumerate(s.samples_at(step)):
                self._text(ws, top + i, sample_col, sample + 1, style="label")
            for kind_name in groups:
                if not layout.has(kind_name, layer, step):
                    continue
                block = layout.block(kind_name, layer, step)
                if kind_name == "mask":
                    values = self.problem.masks[(layer, step)]
                    for i, j, row, col in block.cells():
                        self._put(ws, row, col, float(values[i, j]), "input")
                    continue
                if kind_name in ("W", "b") and step == 0:
                    p = self.problem
                    values = p.weights[layer - 1] if kind_name == "W" else p.biases[layer - 1][:, None]
                    for i, j, row, col in block.cells():
                        self._put(ws, row, col, float(values[i, j]), "input")
                    continue
                self._write_block(ws, (kind_name, layer, step), block)
        self.raw_now = False
        ws.freeze_panes = ws.cell(row=FIRST_BLOCK_ROW, column=3)
        ws.column_dimensions["A"].width = 8
        ws.column_dimensions["B"].width = 8
        last_col = max(g.col + g.ncols for g in groups.values())
        for col in range(3, last_col):
            ws.column_dimensions[get_column_letter(col)].width = 10
        ws.column_dimensions[get_column_letter(sample_col)].width = 7

    def training_sheet(self) -> None:
        s, layout, p = self.structure, self.layout, self.problem
        ws = self.wb.create_sheet(TRAINING_SHEET)
        self._text(ws, 1, 1, f"Training: {s.steps} steps of {s.optimizer}, loss = {s.loss}", TITLE_FONT)
        self._text(ws, 2, 1, "Hyper-parameters (yellow, editable) and the loss after each step. "
                   "Change the learning rate and watch every step recompute.", SUBTITLE_FONT)
        for name in layout.hyper_names:
            block = layout.hyper_block(name)
            self._text(ws, block.row, 1, name, style="label")
            self._put(ws, block.row, block.col, float(p.hyper[name]), "input").number_format = "General"
            self._text(ws, block.row, 3, HYPER_TEXT[name], SUBTITLE_FONT)
        header = layout.loss_header_row
        titles = {"step": ["step"], "loss": ["loss"], "accuracy": ["accuracy"], "bc1": ["1-β1^t"],
                  "bc2": ["1-β2^t"], "gnorm": [f"‖dL/dW{layer}‖" for layer in range(1, s.n_layers + 1)]}
        columns = layout.training_columns()
        for kind, (col, width) in columns.items():
            for j in range(width):
                self._text(ws, header, col + j, titles[kind][j], style="header")
        for step in range(s.steps + 1):
            self.raw_now = step >= RAW_FROM_STEP
            row = header + 1 + step
            self._text(ws, row, 1, step, style="label")
            for kind in columns:
                if kind != "step" and layout.has(kind, 0, step):
                    self._write_block(ws, (kind, 0, step), layout.block(kind, 0, step))
        self.raw_now = False
        ws.freeze_panes = ws.cell(row=header + 1, column=2)
        ws.column_dimensions["A"].width = 14
        last_col = max(col + width for col, width in columns.values())
        for col in range(2, last_col):
            ws.column_dimensions[get_column_letter(col)].width = 12
        if s.steps >= 1:
            self._training_charts(ws, columns, last_col + 1)

    def _line_chart(self, ws, title: str, y_title: str, col: int, width: int, count: int, first_row: int):
        chart = LineChart()
        chart.title = title
        chart.y_axis.title = y_title
        chart.x_axis.title = "step"
        for j in range(width):
            chart.add_data(Reference(ws, min_col=col + j, min_row=first_row - 1, max_row=first_row + count - 1),
                           titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=first_row, max_row=first_row + count - 1))
        for series in chart.series:
            series.smooth = False
        chart.legend = chart.legend if width > 1 else None
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.height, chart.width = 7, 15
        return chart

    def _training_charts(self, ws, columns, chart_col: int) -> None:
        """Loss, accuracy and per-layer gradient norms over the steps: live charts of the table."""
        s, layout = self.structure, self.layout
        first = layout.loss_header_row + 1
        anchor_col = get_column_letter(chart_col)
        charts = [self._line_chart(ws, "Loss per step", "loss", columns["loss"][0], 1, s.steps + 1, first)]
        charts[0].y_axis.number_format = "0.00"
        if "accuracy" in columns:
            accuracy = self._line_chart(ws, "Accuracy per step", "share classified right",
                                        columns["accuracy"][0], 1, s.steps + 1, first)
            accuracy.y_axis.scaling.min, accuracy.y_axis.scaling.max = 0, 1
            charts.append(accuracy)
        gnorm_col, width = columns["gnorm"]
        gradients = self._line_chart(ws, "Gradient size per layer (log scale)", "‖dL/dW‖", gnorm_col, width,
                                     s.steps, first)
        gradients.y_axis.scaling.logBase = 10
        gradients.y_axis.number_format = "0.0E+0"
        charts.append(gradients)
        for index, chart in enumerate(charts):
            ws.add_chart(chart, f"{anchor_col}{layout.loss_header_row + index * 15}")

    def meta_sheet(self) -> None:
        ws = self.wb.create_sheet(META_SHEET)
        ws["A1"] = "sheetnet structure (do not edit)"
        ws["A2"] = self.structure.to_json()
        ws.sheet_state = "hidden"

    def print_setup(self) -> None:
        """Landscape, one page wide: printing or a PDF export shows each sheet whole across."""
        for ws in self.wb.worksheets:
            ws.page_setup.orientation = "landscape"
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True

    def names(self) -> None:
        for name, block in self.layout.defined_names().items():
            self.wb.defined_names[name] = DefinedName(name, attr_text=block.absolute())

    def build(self) -> Workbook:
        self.formula_total = self.layout.formula_count()
        self.data_sheet()
        for layer in range(1, self.structure.n_layers + 1):
            self.layer_sheet(layer)
        self.training_sheet()
        extra = []
        if self.layout.boundary is not None:
            write_boundary(self)
            extra.append("Boundary")
        if self.layout.gradcheck is not None:
            write_gradient_check(self)
            extra.append("Gradient check")
        write_about(self, extra)
        self.meta_sheet()
        self.print_setup()
        self.names()
        self.wb.active = 0
        return self.wb


def workbook_bytes(problem: Problem, progress=None) -> tuple[bytes, int]:
    """The .xlsx file for a problem, and its number of formula cells."""
    writer = Writer(problem, progress)
    wb = writer.build()
    buffer = io.BytesIO()
    wb.save(buffer)
    sheet_parts = {ws.title: f"xl/worksheets/sheet{i}.xml" for i, ws in enumerate(wb.worksheets, start=1)}
    return normalize_xlsx(buffer.getvalue(), writer.raw.splice(sheet_parts)), writer.formula_count


def write_workbook(problem: Problem, path: str | Path, force: bool = False, progress=None) -> int:
    """Write the workbook atomically; returns the number of formula cells."""
    data, count = workbook_bytes(problem, progress)
    write_atomic(Path(path), data, force=force)
    return count


__all__ = ["write_workbook", "workbook_bytes"]
