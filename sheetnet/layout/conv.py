"""Where the Conv sheet keeps a convolution's quantities: one block of rows per training step.

A step's block has two bands:
- kernels (one row per filter): the kernels K (each row one k x k kernel, row by row) and their biases, the
  gradients dL/dK and dL/dkb, the optimizer's state; beside them the same kernels as k x k tiles, which is the
  shape a window of the image is multiplied by;
- samples (one tile of image-height rows per sample of the step's batch): the image, each filter's map z (one
  k x k window times the kernel, plus the bias, per position), each map max-pooled, and each map's gradient.
Tiles stand on a pitch of the image's height (down) and the map's width + 1 (across), so a tile of a map and the
image's window under it are the same number of rows apart for every sample: a kernel weight's gradient is one
SUMPRODUCT of a filter's gradient tiles over the whole batch with the image tiles shifted by that weight's place.
"""

from __future__ import annotations

from sheetnet.layout.cells import Block, Tiles
from sheetnet.model.options import state_names, state_of
from sheetnet.model.problem import Structure

CONV_SHEET = "Conv"
TEST_SHEET = "Conv test"  # the held-out samples through the kernels of the steps they are measured at
FIRST_BLOCK_ROW = 4
FIRST_COLUMN = 3
KERNELS, SAMPLES = "kernels", "samples"
MAP_KINDS = ("kt", "cx", "cz", "cp", "cdz")  # tiled blocks: kernels, images, maps, pooled maps, map gradients
TEST_KINDS = ("te_cx", "te_cz", "te_cp")


class ConvLayout:
    """The bands and column groups of the Conv sheet, and the rows of every step's block."""

    def __init__(self, structure: Structure):
        s = self.structure = structure
        self.filters, self.k, self.pool = s.conv_filters, s.conv_kernel, s.pool
        self.image = s.image_shape
        self.maps = s.map_shape
        self.pooled = s.pooled_shape
        self.kernel_rows = max(self.filters, self.k)
        self.block_height = 2 + self.kernel_rows + s.max_batch * self.image[0] + 1
        trained = ("K", "kb") if s.train_biases else ("K",)
        self.parameters: dict[str, tuple[int, int]] = {}  # kind -> (first column, width) in the kernels band
        col = FIRST_COLUMN
        kinds = [("K", self.k ** 2), ("kb", 1), ("dK", self.k ** 2)] + ([("dkb", 1)] if s.train_biases else [])
        kinds += [(f"{state}_{param}", self.k ** 2 if param == "K" else 1)
                  for state in state_names(s.optimizer) for param in trained]
        for kind, width in kinds:
            self.parameters[kind] = (col, width)
            col += width
        self.kernel_tiles_col = col + 1
        oh, ow = self.maps
        ph, pw = self.pooled
        h, w = self.image
        self.tiles: dict[str, tuple[int, int, int, int]] = {}  # kind -> (first column, tile rows, cols, pitch cols)
        col = FIRST_COLUMN
        for kind, rows, cols, pitch, count in (("cx", h, w, w, 1), ("cz", oh, ow, ow + 1, self.filters),
                                               ("cp", ph, pw, pw + 1, self.filters),
                                               ("cdz", ph * self.pool, pw * self.pool, ow + 1, self.filters)):
            self.tiles[kind] = (col, rows, cols, pitch)
            col += pitch * count + (1 if pitch == cols else 0)
        self.last_col = col - 1

    def kinds(self) -> list[str]:
        return [*self.parameters, "kt", *self.tiles, *(TEST_KINDS if self.structure.n_test else ())]

    def test_top(self, step: int) -> int:
        """The header row of the Conv test sheet's block for a measured step."""
        return FIRST_BLOCK_ROW + self.structure.test_steps.index(step) * (2 + self.structure.n_test * self.image[0])

    def block_top(self, step: int) -> int:
        return FIRST_BLOCK_ROW + step * self.block_height

    def header_row(self, step: int, band: str) -> int:
        return self.block_top(step) + (0 if band == KERNELS else 1 + self.kernel_rows)

    def steps_of(self, kind: str):
        s = self.structure
        if kind in TEST_KINDS:
            return s.test_steps
        if kind in ("K", "kb", "kt", "cx", "cz", "cp"):
            return range(s.steps + 1) if kind != "kb" or s.train_biases else range(1)
        if state_of(kind):  # a continued workbook starts from its optimizer's state: input cells at step 0
            return range(0 if s.carries_state else 1, s.steps + 1)
        return range(s.steps)  # gradients: dK, dkb, cdz

    def block(self, kind: str, step: int) -> Block:
        if step not in self.steps_of(kind):
            raise KeyError((kind, 0, step))
        s = self.structure
        if kind in self.parameters:
            col, width = self.parameters[kind]
            return Block(CONV_SHEET, self.header_row(step, KERNELS) + 1, col, self.filters, width)
        if kind == "kt":
            return Tiles(CONV_SHEET, self.header_row(step, KERNELS) + 1, self.kernel_tiles_col, self.k,
                         self.filters * (self.k + 1) - 1, self.k, self.k, self.k, self.k + 1)
        test = kind in TEST_KINDS
        base = kind[3:] if test else kind
        col, rows, cols, pitch = self.tiles[base]
        h = self.image[0]
        count = s.n_test if test else s.batch_size_at(step)
        across = 1 if base == "cx" else self.filters
        return Tiles(TEST_SHEET if test else CONV_SHEET, (self.test_top(step) if test else
                                                          self.header_row(step, SAMPLES)) + 1, col,
                     (count - 1) * h + rows, (across - 1) * pitch + cols, rows, cols, h, pitch)

    def parameter_gradients(self) -> list[str]:
        return ["dK", "dkb"] if self.structure.train_biases else ["dK"]

    def last_row(self) -> int:
        return self.block_top(self.structure.steps) + self.block_height - 1

    def last_column(self) -> int:
        return max(self.last_col, self.kernel_tiles_col + self.filters * (self.k + 1) - 2)
