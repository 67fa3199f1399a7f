"""Write the gradient-check sheet: a finite-difference estimate beside the analytic gradient, live."""

from __future__ import annotations

from openpyxl.workbook.defined_name import DefinedName

from sheetnet.layout.gradcheck import GRADCHECK_SHEET
from sheetnet.model.problem import CHOICE_NAMES
from sheetnet.sheets.forward import ForwardPass
from sheetnet.sheets.refs import Refs, Samples
from sheetnet.sheets.styles import GROUP_FONT, SUBTITLE_FONT, TITLE_FONT

CHOICE_TEXT = {
    "gc_layer": "layer of the parameter to nudge (1 = Layer 1)",
    "gc_neuron": "neuron (row of W)",
    "gc_input": "input (column of W); 0 picks the neuron's bias",
    "gc_epsilon": "epsilon: the nudge, +epsilon and -epsilon",
}
RESULT_TEXT = ("loss with +epsilon", "loss with -epsilon", "finite difference (L+ - L-) / (2 epsilon)",
               "analytic gradient from backpropagation (step 0)", "relative difference")


def gradcheck_pass(layout, variant: int) -> ForwardPass:
    """Step 0's forward pass and loss with the nudged parameters (+epsilon: 0, -epsilon: 1), dropout included."""
    s = layout.structure
    gl = layout.gradcheck
    refs = Refs(layout, GRADCHECK_SHEET)
    samples = Samples(refs, s.samples_at(0))

    def params(layer: int):
        return gl.block("gc_W", layer, variant), gl.block("gc_b", layer, variant)

    masks = (lambda layer: layout.block("mask", layer, 0)) if s.dropout else None
    return ForwardPass(layout, refs, "gc_", variant, samples.row, params, masks=masks, samples=samples)


def _analytic(layout, refs) -> str:
    """Backpropagation's gradient of the chosen parameter: every dL/dW and dL/db times its selector."""
    s, gl = layout.structure, layout.gradcheck
    parts = []
    for m in range(1, s.n_layers + 1):
        sel, fan_in = gl.block("gc_sel", m, 0), s.fan_in(m)
        dw = layout.block("dW", m, 0)
        parts.append(f"SUMPRODUCT({refs.whole(dw)},{refs.area_of(sel, 0, 0, sel.nrows - 1, fan_in - 1)})")
        if s.train_biases:
            parts.append(f"SUMPRODUCT({refs.whole(layout.block('db', m, 0))},{refs.col(sel, fan_in)})")
    return "=" + "+".join(parts)


def _formula(layout, key):
    s = layout.structure
    gl = layout.gradcheck
    refs = Refs(layout, GRADCHECK_SHEET)
    kind, layer, variant = key
    sign = "+" if variant == 0 else "-"
    if kind == "gc_sel":
        fan_in = s.fan_in(layer)
        return lambda j, i: (f"=IF(AND(gc_layer={layer},gc_neuron={j + 1},gc_input="
                             f"{i + 1 if i < fan_in else 0}),1,0)")
    if kind in ("gc_W", "gc_b"):
        sel = gl.block("gc_sel", layer, 0)
        if kind == "gc_W":
            w0 = layout.block("W", layer, 0)
            return lambda j, i: f"={refs.cell(w0, j, i)}{sign}gc_epsilon*{refs.cell(sel, j, i)}"
        b0 = layout.block("b", layer, 0)
        return lambda j, _: f"={refs.cell(b0, j)}{sign}gc_epsilon*{refs.cell(sel, j, s.fan_in(layer))}"
    if kind == "gc_result":
        result = gl.block("gc_result", 0, 0)
        weights = {v: [gl.block("gc_W", m, v) for m in range(1, s.n_layers + 1)] for v in (0, 1)}
        rows = ["=" + gradcheck_pass(layout, 0).loss(weights[0]), "=" + gradcheck_pass(layout, 1).loss(weights[1]),
                f"=({refs.cell(result, 0)}-{refs.cell(result, 1)})/(2*gc_epsilon)", _analytic(layout, refs),
                f"=ABS({refs.cell(result, 2)}-{refs.cell(result, 3)})/MAX(ABS({refs.cell(result, 2)}),"
                f"ABS({refs.cell(result, 3)}),1E-12)"]
        return lambda i, _: rows[i]
    return gradcheck_pass(layout, variant).formula(kind[len("gc_"):], layer)


def write_gradient_check(writer) -> None:
    layout = writer.layout
    s = layout.structure
    gl = layout.gradcheck
    ws = writer.wb.create_sheet(GRADCHECK_SHEET)
    writer.text(ws, 1, 1, "Gradient check: is backpropagation right? Nudge one parameter and watch the loss",
                 TITLE_FONT)
    writer.text(ws, 2, 1, "Pick a parameter (yellow). The sheet recomputes the step-0 loss with it nudged by "
                 "+epsilon and -epsilon; (L+ - L-) / (2 epsilon) should match the gradient backpropagation "
                 "put in the Layer sheets (dL/dW, dL/db at step 0) to about six digits.", SUBTITLE_FONT)
    for name in CHOICE_NAMES:
        block = gl.choice_block(name)
        writer.text(ws, block.row, 1, f"{name}: {CHOICE_TEXT[name]}", style="label")
        writer.put(ws, block.row, block.col, float(writer.problem.choices[name]), "input").number_format = "General"
        writer.wb.defined_names[name] = DefinedName(name, attr_text=block.absolute())
    result = gl.block("gc_result", 0, 0)
    for i, text in enumerate(RESULT_TEXT):
        writer.text(ws, result.row + i, 1, text, style="label")
    for layer in range(1, s.n_layers + 1):
        sel = gl.block("gc_sel", layer, 0)
        writer.text(ws, sel.row - 1, sel.col, f"Layer {layer}: 1 marks the chosen parameter (last column: bias)",
                     GROUP_FONT)
        writer.text(ws, sel.row - 1, gl.block("gc_W", layer, 0).col, "W, b nudged +epsilon", GROUP_FONT)
        writer.text(ws, sel.row - 1, gl.block("gc_W", layer, 1).col, "W, b nudged -epsilon", GROUP_FONT)
    writer.text(ws, gl.forward_top - 1, 2, "Forward pass and loss terms of step 0 with the nudged parameters "
                 "(+epsilon, then -epsilon):", GROUP_FONT)
    for key in gl.keys():
        block = gl.block(*key)
        formula = _formula(layout, key)
        role = "gradient" if key[0] == "gc_result" else ("loss" if key[0] == "gc_loss_terms" else "forward")
        writer.formula_count += block.nrows * block.ncols
        for i, j, row, col in block.cells():
            writer.put(ws, row, col, formula(i, j), role)
    for i in (0, 1):  # the two losses differ in the sixth digit or later: show enough of them
        ws.cell(row=result.row + i, column=result.col).number_format = "0.0000000000"
    for i in (2, 3, 4):
        ws.cell(row=result.row + i, column=result.col).number_format = "0.000000E+00"
    ws.column_dimensions["A"].width = 50
    ws.column_dimensions["B"].width = 14
