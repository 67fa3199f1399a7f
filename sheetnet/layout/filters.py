"""Where the Filters sheet puts a convolution's pictures of the drawn digit.

At the top the Draw sheet's digit as the network reads it (grey level / 16); below it one panel per filter, two
panels side by side: the kernel before training and after, the map of the drawing under the final kernel, and
that map max-pooled. Every cell is a formula; the Draw sheet's dense pass reads the pooled maps from here.

Keys: ("fl_img", 0, 0) the image; ("fl_kernel", f, v) filter f's kernel, v = 0 initial, 1 final;
("fl_z", f, 0) its map of the drawing; ("fl_p", f, 0) the map max-pooled.
"""

from __future__ import annotations

from sheetnet.layout.cells import Block

FILTERS_SHEET = "Filters"
IMAGE_TOP = 6
PANELS_PER_ROW = 2


class FiltersLayout:
    def __init__(self, structure):
        s = self.structure = structure
        self.k = s.conv_kernel
        self.maps = s.map_shape
        self.pooled = s.pooled_shape
        self.image = s.image_shape
        # a panel: kernel before | kernel after | map | pooled, a blank column between, two after the kernels
        self.offsets = {"before": 0, "after": self.k + 1, "map": 2 * self.k + 3,
                        "pooled": 2 * self.k + 5 + self.maps[1]}
        self.panel_width = self.offsets["pooled"] + self.pooled[1] + 3
        self.panel_height = max(self.k, self.maps[0]) + 2  # a label row above, a blank row below
        self.panels_top = IMAGE_TOP + self.image[0] + 3

    def origin(self, f: int) -> tuple[int, int]:
        """Row and column of filter f's panel's first picture row and first column."""
        row = self.panels_top + (f // PANELS_PER_ROW) * self.panel_height + 1
        col = 2 + (f % PANELS_PER_ROW) * self.panel_width
        return row, col

    def block(self, kind: str, f: int, variant: int) -> Block:
        if kind == "fl_img":
            return Block(FILTERS_SHEET, IMAGE_TOP, 2, *self.image)
        row, col = self.origin(f)
        if kind == "fl_kernel":
            return Block(FILTERS_SHEET, row, col + self.offsets["after" if variant else "before"], self.k, self.k)
        if kind == "fl_z":
            return Block(FILTERS_SHEET, row, col + self.offsets["map"], *self.maps)
        if kind == "fl_p":
            return Block(FILTERS_SHEET, row, col + self.offsets["pooled"], *self.pooled)
        raise KeyError((kind, f, variant))

    def keys(self) -> list[tuple[str, int, int]]:
        filters = range(self.structure.conv_filters)
        return [("fl_img", 0, 0), *[("fl_kernel", f, v) for f in filters for v in (0, 1)],
                *[("fl_z", f, 0) for f in filters], *[("fl_p", f, 0) for f in filters]]

    def last_row(self) -> int:
        return self.origin(self.structure.conv_filters - 1)[0] + self.panel_height

    def last_column(self) -> int:
        return 1 + PANELS_PER_ROW * self.panel_width
