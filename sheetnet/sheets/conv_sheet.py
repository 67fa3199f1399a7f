"""The Conv sheet: a convolution's kernels, each sample's image and maps, and their gradients, step by step."""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from sheetnet.layout import FIRST_BLOCK_ROW
from sheetnet.layout.conv import CONV_SHEET, KERNELS, SAMPLES, TEST_KINDS, TEST_SHEET
from sheetnet.model.optimizers import OPTIMIZERS
from sheetnet.sheets.about import update_words
from sheetnet.sheets.headers import BAND_LEGEND, plural
from sheetnet.sheets.styles import SUBTITLE_FONT, TITLE_FONT
from sheetnet.units.activations import ACTIVATIONS

TILE_TITLES = {"cx": "image", "cz": "z, filter {f}", "cp": "max pool {f}", "cdz": "dL/dz, filter {f}"}
TILE_WIDTH = 9  # characters: a map's numbers (General, 9 wide: -0.123457) side by side


def _parameter_headers(structure) -> dict[str, list[str]]:
    """The kernels band's column headers: K r1c1 ... (row and column in the kernel), bias, and the same for the
    gradients and every optimizer state."""
    k = structure.conv_kernel
    places = [f"r{r + 1}c{c + 1}" for r in range(k) for c in range(k)]
    titles = {f"{state.name}_{param}": state.title for state in OPTIMIZERS[structure.optimizer].states
              for param in ("K", "kb")}
    headers = {"K": [f"K {p}" for p in places], "kb": ["bias"], "dK": [f"dL/dK {p}" for p in places],
               "dkb": ["dL/dbias"]}
    for kind, title in titles.items():
        headers[kind] = [f"{title} {p}" for p in places] if kind.endswith("_K") else [f"{title} bias"]
    return headers


def _step(writer, ws, step: int, headers) -> None:
    s, layout = writer.structure, writer.layout
    conv = layout.conv
    top = conv.header_row(step, KERNELS)
    writer.text(ws, top, 1, f"step {s.global_step(step)}", style="step")
    writer.text(ws, top, 2, "filter", style="header")
    for kind, (col, _) in conv.parameters.items():
        if layout.has(kind, 0, step) or step == 0:
            for j, text in enumerate(headers.get(kind, [])):
                writer.text(ws, top, col + j, text, style="header")
    for f in range(s.conv_filters):
        writer.text(ws, top + 1 + f, 2, f"filter {f + 1}", style="label")
        writer.text(ws, top, conv.kernel_tiles_col + f * (s.conv_kernel + 1), f"kernel {f + 1}", style="header")
    samples_row = conv.header_row(step, SAMPLES)
    writer.text(ws, samples_row, 1, "samples", style="step")
    _tile_headers(writer, ws, samples_row, [kind for kind in conv.tiles if layout.has(kind, 0, step)],
                  s.samples_at(step))
    p = writer.problem  # step 0's kernels, biases and (a continued workbook's) optimizer state are input cells
    starts = {"K": p.kernels, "kb": p.kernel_bias[:, None], **{kind: value for (kind, layer), value in p.states.items()
                                                               if layer == 0}}
    for kind in conv.kinds():
        if kind in TEST_KINDS or not layout.has(kind, 0, step):
            continue
        block = layout.block(kind, 0, step)
        if step == 0 and kind in starts:
            for i, j, row, col in block.cells():
                writer.put(ws, row, col, float(starts[kind][i, j]), "input")
            continue
        writer.write_block(ws, (kind, 0, step), block)


def _tile_headers(writer, ws, row: int, kinds, samples) -> None:
    """A samples band's header row (the title over each tile: image, each filter's map, ...) and each sample's
    label beside its tile's first row."""
    s, conv = writer.structure, writer.layout.conv
    writer.text(ws, row, 2, "sample", style="header")
    for kind in kinds:
        col, _, _, pitch = conv.tiles[kind]
        for f in range(1 if kind == "cx" else s.conv_filters):
            writer.text(ws, row, col + f * pitch, TILE_TITLES[kind].format(f=f + 1), style="header")
    for n, sample in enumerate(samples):
        writer.text(ws, row + 1 + n * s.image_shape[0], 2, f"sample {sample + 1}", style="label")


def write_conv(writer) -> None:
    """One block of rows per training step: the kernels band, then one tile of rows per sample."""
    s = writer.structure
    ws = writer.wb.create_sheet(CONV_SHEET)
    h, w = s.image_shape
    oh, ow = s.map_shape
    ph, pw = s.pooled_shape
    act = ACTIVATIONS[s.conv_activation].title.replace("a = ", "")
    writer.text(ws, 1, 1, f"Convolution: {plural(s.conv_filters, 'filter')} of {s.conv_kernel}x{s.conv_kernel} "
                f"on {h}x{w} images -> {oh}x{ow} maps -> max pool {s.pool}x{s.pool} -> {ph}x{pw}, then {act} "
                f"(on Layer 1)", TITLE_FONT)
    writer.text(ws, 2, 1, "One block per step: the kernels (one row each, and the same as k x k tiles) with their "
                "gradients, then each sample's image, its maps z, the maps max-pooled, and the maps' gradients. "
                f"Step k+1's kernels are step k's {update_words(s.optimizer)}.", SUBTITLE_FONT)
    writer.text(ws, 3, 1, BAND_LEGEND, SUBTITLE_FONT)
    headers = _parameter_headers(s)
    for step in range(s.steps + 1):
        with writer.rows_of_step(step):
            _step(writer, ws, step, headers)
    ws.freeze_panes = ws.cell(row=FIRST_BLOCK_ROW, column=3)
    ws.column_dimensions["A"].width = 9
    ws.column_dimensions["B"].width = max(10, len(f"sample {s.n_samples}") + 2)
    widths = {}
    for kind, (col, _) in writer.layout.conv.parameters.items():
        for j, text in enumerate(headers.get(kind, [])):
            widths[col + j] = max(10, len(text) + 1)
    for col in range(3, writer.layout.conv.last_column() + 1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = widths.get(col, TILE_WIDTH)


def write_conv_test(writer) -> None:
    """The held-out samples through the kernels of each step they are measured at (the last)."""
    s, layout = writer.structure, writer.layout
    conv = layout.conv
    ws = writer.wb.create_sheet(TEST_SHEET)
    writer.text(ws, 1, 1, f"Convolution of the {plural(s.n_test, 'held-out sample')}, with the kernels of step "
                f"{' and '.join(str(s.global_step(step)) for step in s.test_steps)}", TITLE_FONT)
    writer.text(ws, 2, 1, "The same formulas as the Conv sheet's, on samples never trained on: their image, maps and "
                "pooled maps. Layer 1's test rows read the pooled maps; the Training sheet shows the test loss and "
                "accuracy of these steps.", SUBTITLE_FONT)
    writer.text(ws, 3, 1, BAND_LEGEND, SUBTITLE_FONT)
    for step in s.test_steps:
        with writer.rows_of_step(step):
            top = conv.test_top(step)
            writer.text(ws, top, 1, f"step {s.global_step(step)}", style="step")
            _tile_headers(writer, ws, top, [kind[3:] for kind in TEST_KINDS], s.test_samples)
            for kind in TEST_KINDS:
                writer.write_block(ws, (kind, 0, step), layout.block(kind, 0, step))
    ws.freeze_panes = f"C{FIRST_BLOCK_ROW}"  # not ws.cell(): that would make a row the raw rows write again
    ws.column_dimensions["A"].width = 9
    ws.column_dimensions["B"].width = max(10, len(f"sample {s.n_samples + s.n_test}") + 2)
    for col in range(3, conv.last_col + 1):
        ws.column_dimensions[get_column_letter(col)].width = TILE_WIDTH
