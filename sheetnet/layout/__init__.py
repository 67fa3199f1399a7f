"""Where every quantity lives: the one map from (kind, layer, step) to a block of cells.

The writer, the reference's checker and readback share only this. May import: sheetnet.model,
sheetnet.cellref, sheetnet.errors.
"""

from sheetnet.layout.cells import Block, layer_sheet, quote_sheet
from sheetnet.layout.network import (
    DATA_FIRST_ROW,
    DATA_SHEET,
    FIRST_BLOCK_ROW,
    META_SHEET,
    TRAINING_SHEET,
    Layout,
)

__all__ = ["Block", "DATA_FIRST_ROW", "DATA_SHEET", "FIRST_BLOCK_ROW", "META_SHEET", "TRAINING_SHEET", "Layout",
           "layer_sheet", "quote_sheet"]
