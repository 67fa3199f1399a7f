"""The network's own sheets: Data (the samples), one sheet per layer (a block per step), Training."""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from sheetnet.layout import DATA_FIRST_ROW, DATA_SHEET, FIRST_BLOCK_ROW, TRAINING_SHEET, layer_sheet
from sheetnet.layout.layers import FORWARD, PARAMETERS, TEST
from sheetnet.model.options import hyper_records
from sheetnet.sheets.about import update_words
from sheetnet.sheets.charts import training_charts
from sheetnet.sheets.headers import BAND_LEGEND, column_headers, penalty_words, plural, row_names
from sheetnet.sheets.styles import SUBTITLE_FONT, TITLE_FONT
from sheetnet.units.activations import ACTIVATIONS

MIN_WIDTH = 10  # characters: General numbers such as -0.12345678 or -1.234E-05 fit without ###
BAND_NAMES = {PARAMETERS: "neuron", FORWARD: "sample", "dropout": "sample", "backward": "sample", TEST: "sample"}
TRAINING_TITLES = {"step": "step", "loss": "loss", "test_loss": "test loss", "accuracy": "accuracy",
                   "test_accuracy": "test accuracy", "bc1": "1-β1^t", "bc2": "1-β2^t",
                   "lr": "learning rate", "tnorm": "‖gradient‖", "clip": "clip factor"}


def _data_headers(writer, ws) -> list[tuple[int, str]]:
    s, data = writer.structure, writer.layout.data
    header = DATA_FIRST_ROW - 1
    raw_names = s.raw_names if s.features else s.input_names
    columns = [(1, "sample")] + ([(data.set_col, "set")] if data.set_col else [])
    columns += [(data.raw_col + j, name) for j, name in enumerate(raw_names)]
    columns += [(data.feature_col + j, name) for j, name in enumerate(s.features)]
    columns += [(data.target_col + j, name) for j, name in enumerate(s.target_names)]
    for col, name in columns:
        writer.text(ws, header, col, name, style="header")
    return columns


def write_data(writer) -> None:
    s, p, data = writer.structure, writer.problem, writer.layout.data
    ws = writer.wb.active
    ws.title = DATA_SHEET
    held_out = f", {plural(s.n_test, 'sample')} held out as a test set" if s.n_test else ""
    writer.text(ws, 1, 1, f"Data: {plural(s.n_samples, 'training sample')} of the {s.dataset} dataset{held_out}",
                TITLE_FONT)
    writer.text(ws, 2, 1, "One row per sample: inputs x, then targets y. Yellow cells are yours to edit; every other "
                "sheet recomputes from them." + (" Test samples are never trained on: every step measures the "
                                                  "network on them." if s.n_test else ""), SUBTITLE_FONT)
    columns = _data_headers(writer, ws)
    for i in range(data.rows):
        writer.text(ws, DATA_FIRST_ROW + i, 1, i + 1, style="label")
        if data.set_col:
            writer.text(ws, DATA_FIRST_ROW + i, data.set_col, "test" if i >= s.n_samples else "train", style="label")
    for block, values in ((data.raw(), p.inputs), (data.all_targets(), p.targets)):
        for i, j, row, col in block.cells():
            writer.put(ws, row, col, float(values[i, j]), "input")
    if s.features:
        writer.write_block(ws, ("features", 0, 0), data.features())
    ws.freeze_panes = ws.cell(row=DATA_FIRST_ROW, column=2)
    for col, name in columns[1:]:
        ws.column_dimensions[get_column_letter(col)].width = max(MIN_WIDTH, len(name) + 2)


def _headers(writer, layer: int) -> dict[str, list[tuple[int, str]]]:
    """Per band, every (column, header) of a layer sheet's block."""
    s = writer.structure
    headers: dict[str, list[tuple[int, str]]] = {}
    for kind, group in writer.layout.layers.groups[layer].items():
        for j, text in enumerate(column_headers(s, kind, layer)):
            headers.setdefault(group.band, []).append((group.col + j, text))
    return headers


def _inputs_at(writer, kind: str, layer: int, step: int):
    """The editable numbers of a block (initial parameters, dropout masks), or None for formulas."""
    p = writer.problem
    if kind == "mask":
        return p.masks[(layer, step)]
    if kind in ("W", "b") and step == 0:
        return p.weights[layer - 1] if kind == "W" else p.biases[layer - 1][:, None]
    if kind in ("gamma", "beta", "rmean", "rvar") and step == 0:
        return p.norms[(kind, layer)]
    if step == 0 and (kind, layer) in p.states:  # a continued workbook: the optimizer's state it starts from
        return p.states[(kind, layer)]
    return None


def _layer_step(writer, ws, layer: int, step: int, headers) -> None:
    """One step's block of a layer sheet: each band's header row and row labels, then every quantity."""
    s, layers = writer.structure, writer.layout.layers
    for band, columns in headers.items():
        row = layers.header_row(step, band)
        writer.text(ws, row, 1, f"step {s.global_step(step)}" if band == PARAMETERS else band, style="step")
        writer.text(ws, row, 2, BAND_NAMES[band], style="header")
        for col, text in columns:
            writer.text(ws, row, col, text, style="header")
        first = layers.first_row(step, band)
        samples = s.test_samples if band == TEST else s.samples_at(step)
        labels = row_names(s, layer) if band == PARAMETERS else [f"sample {sample + 1}" for sample in samples]
        for i, label in enumerate(labels):
            writer.text(ws, first + i, 2, label, style="label")
    for kind in layers.groups[layer]:
        if not writer.layout.has(kind, layer, step):
            continue
        block = writer.layout.block(kind, layer, step)
        values = _inputs_at(writer, kind, layer, step)
        if values is None:
            writer.write_block(ws, (kind, layer, step), block)
            continue
        for i, j, row, col in block.cells():
            writer.put(ws, row, col, float(values[i, j]), "input")


def write_layer(writer, layer: int) -> None:
    """A layer sheet: one block of rows per training step."""
    s = writer.structure
    ws = writer.wb.create_sheet(layer_sheet(layer))
    kind = "output layer" if layer == s.n_layers else "hidden layer"
    title = ACTIVATIONS[s.activation(layer)].title
    writer.text(ws, 1, 1, f"Layer {layer}, the {kind}: {plural(s.fan_in(layer), 'input')} -> "
                f"{plural(s.width(layer), 'neuron')}, {title}", TITLE_FONT)
    norm = " (batch-normalised)" if s.normalised(layer) else ""
    writer.text(ws, 2, 1, f"One block of rows per training step: the parameters with their gradients, the "
                f"forward pass{norm} (one row per sample), the backward pass. Step k+1's parameters are step k's "
                f"{update_words(s.optimizer)}.", SUBTITLE_FONT)
    writer.text(ws, 3, 1, BAND_LEGEND, SUBTITLE_FONT)
    headers = _headers(writer, layer)
    for step in range(s.steps + 1):
        with writer.rows_of_step(step):
            _layer_step(writer, ws, layer, step, headers)
    ws.freeze_panes = ws.cell(row=FIRST_BLOCK_ROW, column=3)
    ws.column_dimensions["A"].width = 9  # the band labels: "backward" is the longest
    ws.column_dimensions["B"].width = max(10, len(f"sample {s.n_samples}") + 2)
    widths: dict[int, int] = {}
    for columns in headers.values():
        for col, text in columns:  # a header is bold but short: one character of margin
            widths[col] = max(widths.get(col, MIN_WIDTH), len(text) + 1)
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width


def _training_headers(writer) -> list[tuple[int, str]]:
    s = writer.structure
    headers = []
    for kind, (col, _) in writer.layout.training.columns.items():
        if kind == "gnorm":
            texts = [f"‖dL/dW{layer}‖" for layer in range(1, s.n_layers + 1)]
        elif kind == "gplot":
            texts = [f"chart ‖dW{layer}‖" for layer in range(1, s.n_layers + 1)]
        elif kind == "loss" and penalty_words(s):
            texts = [f"loss + {penalty_words(s)}"]  # what the cell holds: compared with a loss without it, it is not
        else:
            texts = [TRAINING_TITLES[kind]]
        headers += [(col + j, text) for j, text in enumerate(texts)]
    return headers


def write_training(writer) -> None:
    s, layout, p = writer.structure, writer.layout, writer.problem
    ws = writer.wb.create_sheet(TRAINING_SHEET)
    writer.text(ws, 1, 1, f"Training: {plural(s.steps, 'step')} of {s.optimizer}, loss = {s.loss}", TITLE_FONT)
    writer.text(ws, 2, 1, "Hyper-parameters (yellow, editable) and the loss after each step. Change the learning "
                "rate and watch every step recompute. Click a step number to see that step's block.", SUBTITLE_FONT)
    records = hyper_records(s.optimizer, s.schedule)
    for name in layout.hyper_names:
        block = layout.hyper_block(name)
        writer.text(ws, block.row, 1, name, style="label")
        writer.put(ws, block.row, block.col, float(p.hyper[name]), "input")
        writer.text(ws, block.row, 3, records[name].text, SUBTITLE_FONT)
    training = layout.training
    for col, text in _training_headers(writer):
        writer.text(ws, training.header_row, col, text, style="header")
    for step in range(s.steps + 1):
        with writer.rows_of_step(step):
            row = training.row(step)
            writer.text(ws, row, 1, s.global_step(step), style="link")
            writer.link(ws, row, 1, f"'{layer_sheet(1)}'!A{layout.layers.block_top(step)}")
            for kind in training.kinds():
                if layout.has(kind, 0, step):
                    writer.write_block(ws, (kind, 0, step), layout.block(kind, 0, step))
    ws.freeze_panes = ws.cell(row=training.header_row + 1, column=2)
    ws.column_dimensions["A"].width = 16
    for col, text in _training_headers(writer)[1:]:
        ws.column_dimensions[get_column_letter(col)].width = max(12, len(text) + 2)
    if "gplot" in training.columns:  # the chart's floored copy of the gradient sizes: charted, not shown
        col, width = training.columns["gplot"]
        for j in range(width):
            ws.column_dimensions[get_column_letter(col + j)].hidden = True
    if s.steps >= 1:
        training_charts(writer, ws, training.last_column() + 2)
