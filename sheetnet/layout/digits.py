"""Where the sheets of an image classifier (the digits) live: Draw, Test digits and Weights.

`Draw`: an 8x8 grid of editable grey levels 0..16, the network's forward pass of it through the final
parameters (evaluation mode) in one row below, the ten probabilities in a column beside the grid and the
digit it reads in large type. `Test digits`: held-out digits as small pictures of their Data cells, each with
its true digit, the digit the trained network reads and that probability (from the last step's test pass on
the output Layer sheet). `Weights`: each first-layer neuron's 64 incoming weights as an 8x8 picture, before
and after training.

Keys: ("dr_x", 0, 0) side x side grey levels (input cells); ("dr_in", 0, 0) 1 x side^2 their network inputs
(level / 16); the pass ("dr_z", l, 1), ("dr_a", l, 1), softmax's helpers ... (index 1: final parameters, as
the pictures of the 2-input networks); ("dr_prob", 0, 0) 10 x 1; ("dr_pred", 0, 0) 1 x 1.
("gl_img", t, 0) side x side; ("gl_true", t, 0), ("gl_pred", t, 0), ("gl_prob", t, 0) 1 x 1 for shown digit t.
("wp_img", j, v) side x side: neuron j (from 0) of layer 1, v = 0 initial, 1 final.
"""

from __future__ import annotations

from sheetnet.layout.cells import Block
from sheetnet.layout.filters import FiltersLayout
from sheetnet.layout.passes import pass_columns

DRAW_SHEET = "Draw"
GALLERY_SHEET = "Test digits"
WEIGHTS_SHEET = "Weights"
DRAW_TOP = 6  # the grid's first row: title, instructions (2 rows), a gap, column labels
DRAW_LEFT = 2
READ_COL = 12  # the digit the network reads, in large type, right of the grid
PROB_COL = 15  # the ten probabilities (digit labels in the column before)
PASS_ROW = 21  # the forward pass: a header row above it
PASS_COL = 12
GALLERY_TOP = 5
GALLERY_PER_ROW = 6
MAX_GALLERY = 24
WEIGHTS_TOP = 5
WEIGHT_PAIRS_PER_ROW = 4
MAX_WEIGHT_PICTURES = 32


def has_digit_sheets(structure) -> bool:
    return structure.image_side > 0


class DigitsLayout:
    def __init__(self, structure):
        self.structure = s = structure
        self.side = s.image_side
        self.pixels = self.side * self.side
        self.inputs = s.sizes[0]  # what the dense pass reads: the pixels, or the pooled maps of a convolution
        self.pass_cols, self.pass_end = pass_columns(s, PASS_COL + self.inputs)
        self.shown = s.test_samples[:MAX_GALLERY] if s.n_test else ()
        # a convolution's first dense layer reads pooled maps, not pixels: its kernels are pictured instead
        self.neurons = 0 if s.conv else min(s.width(1), MAX_WEIGHT_PICTURES)
        self.filters = FiltersLayout(s) if s.conv else None

    # --- Test digits: picture t's top-left cell; its three labels sit on the row above it ----------------
    def gallery_origin(self, t: int) -> tuple[int, int]:
        row = GALLERY_TOP + (t // GALLERY_PER_ROW) * (self.side + 3)
        col = 2 + (t % GALLERY_PER_ROW) * (self.side + 1)
        return row + 1, col

    # --- Weights: neuron j's initial picture; the final one is to its right ------------------------------
    def weights_origin(self, j: int, variant: int) -> tuple[int, int]:
        row = WEIGHTS_TOP + (j // WEIGHT_PAIRS_PER_ROW) * (self.side + 3)
        col = 2 + (j % WEIGHT_PAIRS_PER_ROW) * (2 * self.side + 3) + variant * (self.side + 1)
        return row + 1, col

    def block(self, kind: str, layer: int, index: int) -> Block:
        side = self.side
        if kind == "dr_x":
            return Block(DRAW_SHEET, DRAW_TOP, DRAW_LEFT, side, side)
        if kind == "dr_in":
            return Block(DRAW_SHEET, PASS_ROW, PASS_COL, 1, self.inputs)
        if kind.startswith("fl_") and self.filters is not None:
            return self.filters.block(kind, layer, index)
        if kind == "dr_prob":
            return Block(DRAW_SHEET, DRAW_TOP, PROB_COL, self.structure.sizes[-1], 1)
        if kind == "dr_pred":
            return Block(DRAW_SHEET, DRAW_TOP + 1, READ_COL, 1, 1)
        if kind.startswith("dr_"):
            col, width = self.pass_cols[(kind[3:], layer)]
            return Block(DRAW_SHEET, PASS_ROW, col, 1, width)
        if kind == "gl_img":
            row, col = self.gallery_origin(layer)
            return Block(GALLERY_SHEET, row, col, side, side)
        if kind in ("gl_true", "gl_pred", "gl_prob"):
            row, col = self.gallery_origin(layer)
            offset = {"gl_true": 0, "gl_pred": 3, "gl_prob": 6}[kind]
            return Block(GALLERY_SHEET, row - 1, col + offset, 1, 1)
        if kind == "wp_img":
            row, col = self.weights_origin(layer, index)
            return Block(WEIGHTS_SHEET, row, col, side, side)
        raise KeyError((kind, layer, index))

    def draw_keys(self) -> list[tuple[str, int, int]]:
        keys = self.filters.keys() if self.filters is not None else []
        keys += [("dr_in", 0, 0)]
        keys += [("dr_" + kind, layer, 1) for kind, layer in self.pass_cols]
        return keys + [("dr_prob", 0, 0), ("dr_pred", 0, 0)]

    def keys(self) -> list[tuple[str, int, int]]:
        """Every formula block of the three sheets, in the order they are computed."""
        keys = self.draw_keys()
        for t in range(len(self.shown)):
            keys += [("gl_img", t, 0), ("gl_true", t, 0), ("gl_pred", t, 0), ("gl_prob", t, 0)]
        keys += [("wp_img", j, v) for j in range(self.neurons) for v in (0, 1)]
        return keys

    def last_row(self) -> int:
        return max(PASS_ROW, *(self.gallery_origin(t)[0] + self.side for t in range(len(self.shown))),
                   self.weights_origin(max(self.neurons - 1, 0), 1)[0] + self.side,
                   self.filters.last_row() if self.filters is not None else 0)
