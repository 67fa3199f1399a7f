"""Column groups of one forward pass laid out left to right (used by every sheet that runs the network).

A pass computes, layer by layer, z, the activation's helpers (softmax: max, exp, sum), a, a after
dropout (training with masks), and at the output the loss terms. Each sheet that runs a pass
places these groups side by side from some column, one row per input row.
"""

from __future__ import annotations

from sheetnet.model.options import PER_SAMPLE_LOSSES, ROW_ACTIVATIONS
from sheetnet.model.problem import Structure


def pass_kinds(structure: Structure, layer: int, masks: bool, loss: bool) -> list[tuple[str, int]]:
    """(kind, width) of each block one layer of a pass writes, in the order they are computed."""
    s = structure
    width = s.width(layer)
    kinds = [("z", width)]
    if s.normalised(layer):  # batch normalization: z - mean, zhat = (z - mean) / sqrt(var + eps), gamma * zhat + beta
        kinds += [("zc", width), ("zhat", width), ("zbn", width)]
    kinds += [(helper, width if helper == "exp" else 1) for helper in ROW_ACTIVATIONS.get(s.activation(layer), ())]
    kinds.append(("a", width))
    if masks and layer < s.n_layers:
        kinds.append(("ad", width))
    if loss and layer == s.n_layers:
        kinds.append(("loss_terms", 1 if s.loss in PER_SAMPLE_LOSSES else s.sizes[-1]))
    return kinds


def pass_columns(structure: Structure, first_col: int, masks: bool = False, loss: bool = False,
                 gap: int = 0) -> tuple[dict[tuple[str, int], tuple[int, int]], int]:
    """(kind, layer) -> (first column, width) for a whole pass from `first_col`; and the next free column."""
    columns = {}
    col = first_col
    for layer in range(1, structure.n_layers + 1):
        for kind, width in pass_kinds(structure, layer, masks, loss):
            columns[(kind, layer)] = (col, width)
            col += width + gap
    return columns, col
