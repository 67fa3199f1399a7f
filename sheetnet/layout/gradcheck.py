"""Where the gradient-check sheet keeps each quantity.

The learner picks one parameter (layer, neuron, input; input 0 is the bias) and epsilon. The sheet
nudges that parameter by +epsilon and -epsilon (selector cells are 1 only at the chosen one),
repeats the step-0 forward pass and loss for both (training mode: step 0's dropout masks), and
shows (L+ - L-) / (2 epsilon) beside the analytic gradient from the Layer sheets.

Keys (variant v: 0 = +epsilon, 1 = -epsilon): ("gc_sel", l, 0) out x (in+1); ("gc_W", l, v),
("gc_b", l, v); the pass's ("gc_z", l, v), ("gc_a", l, v), ("gc_ad", l, v), softmax helpers and
("gc_loss_terms", L, v), one row per sample of step 0's batch; ("gc_result", 0, 0) 5 x 1:
L+, L-, finite difference, analytic gradient, relative difference; ("gc_status", 0, 0) 0 when the
choice names a parameter of the network, 1 for no such layer, 2 for no such neuron or input.
"""

from __future__ import annotations

from sheetnet.layout.cells import Block
from sheetnet.layout.passes import pass_columns
from sheetnet.model.problem import CHOICE_NAMES

GRADCHECK_SHEET = "Gradient check"
STATUS_ROW = 9
RESULT_TOP = 11
PARAMS_TOP = 19
PREFIX = "gc_"


class GradcheckLayout:
    def __init__(self, structure):
        self.structure = structure
        s = structure
        self.batch = s.batch_size_at(0)
        self.param_rows = {}
        row = PARAMS_TOP
        for layer in range(1, s.n_layers + 1):
            self.param_rows[layer] = row
            row += s.width(layer) + 1
        self.forward_top = row + 2
        self.pass_cols = {}
        col = 2
        for variant in (0, 1):
            self.pass_cols[variant], col = pass_columns(s, col, masks=s.dropout, loss=True, gap=1)
            col += 1

    def choice_block(self, name: str) -> Block:
        return Block(GRADCHECK_SHEET, 4 + CHOICE_NAMES.index(name), 2, 1, 1)

    def block(self, kind: str, layer: int, variant: int) -> Block:
        s = self.structure
        sheet = GRADCHECK_SHEET
        if kind == "gc_result":
            return Block(sheet, RESULT_TOP, 2, 5, 1)
        if kind == "gc_status":
            return Block(sheet, STATUS_ROW, 2, 1, 1)
        if kind in ("gc_sel", "gc_W", "gc_b", "gc_mu", "gc_var"):
            fan_in, width = s.fan_in(layer), s.width(layer)
            row = self.param_rows[layer]
            if kind == "gc_sel":
                return Block(sheet, row, 2, width, fan_in + 1)
            if kind in ("gc_mu", "gc_var") and not s.normalised(layer):
                raise KeyError((kind, layer, variant))
            stride = fan_in + (4 if s.normalised(layer) else 2)  # W, b [, the batch's mean and variance], a gap
            start = 2 + fan_in + 2 + variant * stride
            offset = {"gc_W": 0, "gc_b": fan_in, "gc_mu": fan_in + 1, "gc_var": fan_in + 2}[kind]
            return Block(sheet, row, start + offset, width, 1 if kind != "gc_W" else fan_in)
        col, width = self.pass_cols[variant][(kind[len(PREFIX):], layer)]
        return Block(sheet, self.forward_top, col, self.batch, width)

    def keys(self) -> list[tuple[str, int, int]]:
        s = self.structure
        keys = [("gc_sel", layer, 0) for layer in range(1, s.n_layers + 1)]
        for variant in (0, 1):
            keys += [(kind, layer, variant) for layer in range(1, s.n_layers + 1) for kind in ("gc_W", "gc_b")]
        for variant in (0, 1):
            for kind, layer in self.pass_cols[variant]:
                keys.append((PREFIX + kind, layer, variant))
                if kind == "z" and s.normalised(layer):
                    keys += [("gc_mu", layer, variant), ("gc_var", layer, variant)]
        keys += [("gc_status", 0, 0), ("gc_result", 0, 0)]
        return keys
