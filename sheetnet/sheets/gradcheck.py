"""Write the gradient-check sheet: a finite-difference estimate beside the analytic gradient, live."""

from __future__ import annotations

from openpyxl.formatting.rule import Rule
from openpyxl.styles import Font
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from sheetnet.layout.gradcheck import GRADCHECK_SHEET
from sheetnet.model.problem import CHOICE_NAMES
from sheetnet.sheets.forward import ForwardPass
from sheetnet.sheets.headers import column_headers, neuron_names
from sheetnet.sheets.refs import Refs, Samples

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
    return ForwardPass(layout, refs, "gc_", variant, samples.row, params, masks=masks, samples=samples,
                       norm=lambda layer: (layout.block("gamma", layer, 0), layout.block("beta", layer, 0)),
                       stats=lambda layer: (gl.block("gc_mu", layer, variant), gl.block("gc_var", layer, variant)))


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
    if kind == "gc_status":  # 0: a parameter of the network; 1: no such layer; 2: no such neuron or input
        chosen = "+".join(f"SUM({refs.whole(gl.block('gc_sel', m, 0))})" for m in range(1, s.n_layers + 1))
        layers = ",".join(f"gc_layer={m}" for m in range(1, s.n_layers + 1))
        return lambda i, j: f"=IF({chosen}=1,0,IF(OR({layers}),2,1))"
    if kind == "gc_result":
        result = gl.block("gc_result", 0, 0)
        weights = {v: [gl.block("gc_W", m, v) for m in range(1, s.n_layers + 1)] for v in (0, 1)}
        rows = ["=" + gradcheck_pass(layout, 0).loss(weights[0]), "=" + gradcheck_pass(layout, 1).loss(weights[1]),
                f"=({refs.cell(result, 0)}-{refs.cell(result, 1)})/(2*gc_epsilon)", _analytic(layout, refs),
                f"=ABS({refs.cell(result, 2)}-{refs.cell(result, 3)})/MAX(ABS({refs.cell(result, 2)}),"
                f"ABS({refs.cell(result, 3)}),1e-12)"]
        return lambda i, _: rows[i]
    return gradcheck_pass(layout, variant).formula(kind[len("gc_"):], layer)


def _headers(writer, ws) -> None:
    """Column names above every block, so that no title needs to run across the numbers."""
    s, gl = writer.structure, writer.layout.gradcheck
    for layer in range(1, s.n_layers + 1):
        sel = gl.block("gc_sel", layer, 0)
        inputs = neuron_names(s, layer - 1)
        writer.text(ws, sel.row - 1, 1, f"layer {layer}: 1 marks the chosen parameter; the nudged W and b",
                    style="label")
        for j, name in enumerate([*inputs, "b"]):
            writer.text(ws, sel.row - 1, sel.col + j, f"pick {name}", style="header")
        for variant, sign in ((0, "+ε"), (1, "-ε")):
            w = gl.block("gc_W", layer, variant)
            for j, name in enumerate([*(f"W·{n}" for n in inputs), "b"]):
                writer.text(ws, sel.row - 1, w.col + j, f"{name} {sign}", style="header")
    writer.text(ws, gl.forward_top - 1, 1, "step 0's forward pass and loss terms with the nudged parameters",
                style="label")
    for variant, sign in ((0, "+ε"), (1, "-ε")):
        for (kind, layer), (col, width) in gl.pass_cols[variant].items():
            names = column_headers(s, kind, layer)
            for j in range(width):
                writer.text(ws, gl.forward_top - 1, col + j, f"{names[j]} {sign}", style="header")


def _status(writer, ws) -> None:
    """The choice's status, in words (a number format), and the results greyed out when there is no such parameter."""
    s, gl = writer.structure, writer.layout.gradcheck
    status = gl.block("gc_status", 0, 0)
    cell = ws.cell(row=status.row, column=status.col)
    cell.number_format = (f'[=0]"✓ that is a parameter of the network";[=1]"no such layer: pick 1 to {s.n_layers}";'
                          '"no such neuron or input in that layer"')
    ws.merge_cells(start_row=status.row, start_column=status.col, end_row=status.row, end_column=status.col + 6)
    result = gl.block("gc_result", 0, 0)
    flag = f"${status.cell().rstrip('0123456789')}${status.row}"
    style = DifferentialStyle(font=Font(color="808080"), numFmt=NumberFormat(numFmtId=190, formatCode='"n/a"'))
    ws.conditional_formatting.add(result.area(), Rule(type="expression", formula=[f"{flag}<>0"], dxf=style))


def write_gradient_check(writer) -> None:
    layout = writer.layout
    gl = layout.gradcheck
    ws = writer.titled_sheet(
        GRADCHECK_SHEET, "Gradient check: is backpropagation right? Nudge one parameter and watch the loss",
        "Pick a parameter (yellow). The sheet recomputes the step-0 loss with it nudged by +epsilon and -epsilon; "
        "(L+ - L-) / (2 epsilon) should match the gradient backpropagation put in the Layer sheets (dL/dW, dL/db "
        "at step 0) to about six digits.")
    for name in CHOICE_NAMES:
        block = gl.choice_block(name)
        writer.text(ws, block.row, 1, f"{name}: {CHOICE_TEXT[name]}", style="label")
        writer.put(ws, block.row, block.col, float(writer.problem.choices[name]), "input")
        writer.wb.defined_names[name] = DefinedName(name, attr_text=block.absolute())
    writer.text(ws, gl.block("gc_status", 0, 0).row, 1, "is that a parameter of the network?", style="label")
    result = gl.block("gc_result", 0, 0)
    for i, text in enumerate(RESULT_TEXT):
        writer.text(ws, result.row + i, 1, text, style="label")
    _headers(writer, ws)
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
    _status(writer, ws)
    ws.column_dimensions["A"].width = 62
    ws.column_dimensions["B"].width = 16
    last = max(col + width for cols in gl.pass_cols.values() for col, width in cols.values())
    for col in range(3, last + 1):
        ws.column_dimensions[get_column_letter(col)].width = 12
