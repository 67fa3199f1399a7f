"""The network's own sheets: Data (the samples), one sheet per layer (a block per step), Training."""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from sheetnet.layout import DATA_FIRST_ROW, DATA_SHEET, FIRST_BLOCK_ROW, TRAINING_SHEET, layer_sheet
from sheetnet.model.problem import Structure
from sheetnet.sheets.charts import training_charts
from sheetnet.sheets.rawrows import RAW_FROM_STEP
from sheetnet.sheets.styles import GROUP_FONT, SUBTITLE_FONT, TITLE_FONT
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




def write_data(writer) -> None:
    s, p = writer.structure, writer.problem
    ws = writer.wb.active
    ws.title = DATA_SHEET
    writer.text(ws, 1, 1, f"Data: {s.n_samples} samples of the {s.dataset} dataset", TITLE_FONT)
    writer.text(ws, 2, 1, "One row per sample: inputs x, then targets y. Yellow cells are yours "
               "to edit; every other sheet recomputes from them.", SUBTITLE_FONT)
    header = DATA_FIRST_ROW - 1
    writer.text(ws, header, 1, "sample", style="header")
    inputs, targets = writer.layout.inputs_block(), writer.layout.targets_block()
    for j, name in enumerate(s.input_names):
        writer.text(ws, header, inputs.col + j, name, style="header")
    for j, name in enumerate(s.target_names):
        writer.text(ws, header, targets.col + j, name, style="header")
    for i in range(s.n_samples):
        writer.text(ws, DATA_FIRST_ROW + i, 1, i + 1, style="label")
    for block, values in ((inputs, p.inputs), (targets, p.targets)):
        for i, j, row, col in block.cells():
            writer.put(ws, row, col, float(values[i, j]), "input")
    ws.freeze_panes = ws.cell(row=DATA_FIRST_ROW, column=2)
    for col in range(1, targets.col + targets.ncols):
        ws.column_dimensions[get_column_letter(col)].width = 11

def _layer_headers(writer, ws, layer: int) -> None:
    """Title, explanation, and the group and column names above the blocks of a layer sheet."""
    s, layout = writer.structure, writer.layout
    fan_in, width = s.fan_in(layer), s.width(layer)
    kind = "output layer" if layer == s.n_layers else "hidden layer"
    writer.text(ws, 1, 1, f"Layer {layer} ({kind}): {fan_in} inputs -> {width} neurons, "
                f"{s.activation(layer)}", TITLE_FONT)
    writer.text(ws, 2, 1, "One block of rows per training step (red label). Left to right: "
                "parameters, forward pass, backward pass, gradients. Step k+1's parameters are "
                "computed from step k's parameters and gradients.", SUBTITLE_FONT)
    inputs_names = neuron_names(s, layer - 1)
    names = neuron_names(s, layer)
    for kind_name, group in layout.groups[layer].items():
        title = activation_title(s, layer) if kind_name == "a" else GROUP_TITLES[kind_name]
        writer.text(ws, 3, group.col, title, GROUP_FONT)
        if kind_name.endswith("W"):
            columns = inputs_names
        elif group.ncols == 1:
            columns = ["loss" if kind_name == "loss_terms" else kind_name.replace("_", " ")]
        else:
            columns = names
        if kind_name == "loss_terms" and group.ncols > 1:
            columns = [f"loss {n}" for n in names]
        for j, name in enumerate(columns):
            writer.text(ws, 4, group.col + j, name, style="header")
    writer.text(ws, 4, 1, "step", style="header")
    writer.text(ws, 4, 2, "neuron", style="header")
    writer.text(ws, 4, layout.sample_label_column(layer), "sample", style="header")


def _inputs_at(writer, kind: str, layer: int, step: int):
    """The editable numbers of a block (initial parameters, dropout masks), or None for formulas."""
    p = writer.problem
    if kind == "mask":
        return p.masks[(layer, step)]
    if kind in ("W", "b") and step == 0:
        return p.weights[layer - 1] if kind == "W" else p.biases[layer - 1][:, None]
    return None


def _layer_step(writer, ws, layer: int, step: int) -> None:
    """One step's block of a layer sheet: labels, then every quantity of the step."""
    s, layout = writer.structure, writer.layout
    top = layout.block_top(step)
    writer.text(ws, top, 1, f"step {step}", style="step")
    for j, name in enumerate(neuron_names(s, layer)):
        writer.text(ws, top + j, 2, name, style="label")
    sample_col = layout.sample_label_column(layer)
    for i, sample in enumerate(s.samples_at(step)):
        writer.text(ws, top + i, sample_col, sample + 1, style="label")
    for kind in layout.groups[layer]:
        if not layout.has(kind, layer, step):
            continue
        block = layout.block(kind, layer, step)
        values = _inputs_at(writer, kind, layer, step)
        if values is None:
            writer.write_block(ws, (kind, layer, step), block)
            continue
        for i, j, row, col in block.cells():
            writer.put(ws, row, col, float(values[i, j]), "input")


def write_layer(writer, layer: int) -> None:
    """A layer sheet: one block of rows per training step."""
    s, layout = writer.structure, writer.layout
    ws = writer.wb.create_sheet(layer_sheet(layer))
    _layer_headers(writer, ws, layer)
    for step in range(s.steps + 1):
        writer.raw_now = step >= RAW_FROM_STEP
        _layer_step(writer, ws, layer, step)
    writer.raw_now = False
    ws.freeze_panes = ws.cell(row=FIRST_BLOCK_ROW, column=3)
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 8
    groups = layout.groups[layer]
    last_col = max(g.col + g.ncols for g in groups.values())
    for col in range(3, last_col):
        ws.column_dimensions[get_column_letter(col)].width = 10
    ws.column_dimensions[get_column_letter(layout.sample_label_column(layer))].width = 7


def write_training(writer) -> None:
    s, layout, p = writer.structure, writer.layout, writer.problem
    ws = writer.wb.create_sheet(TRAINING_SHEET)
    writer.text(ws, 1, 1, f"Training: {s.steps} steps of {s.optimizer}, loss = {s.loss}", TITLE_FONT)
    writer.text(ws, 2, 1, "Hyper-parameters (yellow, editable) and the loss after each step. "
               "Change the learning rate and watch every step recompute.", SUBTITLE_FONT)
    for name in layout.hyper_names:
        block = layout.hyper_block(name)
        writer.text(ws, block.row, 1, name, style="label")
        writer.put(ws, block.row, block.col, float(p.hyper[name]), "input").number_format = "General"
        writer.text(ws, block.row, 3, HYPER_TEXT[name], SUBTITLE_FONT)
    header = layout.loss_header_row
    titles = {"step": ["step"], "loss": ["loss"], "accuracy": ["accuracy"], "bc1": ["1-β1^t"],
              "bc2": ["1-β2^t"], "gnorm": [f"‖dL/dW{layer}‖" for layer in range(1, s.n_layers + 1)]}
    columns = layout.training_columns()
    for kind, (col, width) in columns.items():
        for j in range(width):
            writer.text(ws, header, col + j, titles[kind][j], style="header")
    for step in range(s.steps + 1):
        writer.raw_now = step >= RAW_FROM_STEP
        row = header + 1 + step
        writer.text(ws, row, 1, step, style="label")
        for kind in columns:
            if kind != "step" and layout.has(kind, 0, step):
                writer.write_block(ws, (kind, 0, step), layout.block(kind, 0, step))
    writer.raw_now = False
    ws.freeze_panes = ws.cell(row=header + 1, column=2)
    ws.column_dimensions["A"].width = 14
    last_col = max(col + width for col, width in columns.values())
    for col in range(2, last_col):
        ws.column_dimensions[get_column_letter(col)].width = 12
    if s.steps >= 1:
        training_charts(writer, ws, columns, last_col + 1)
