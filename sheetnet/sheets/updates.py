"""Parameter updates on the Layer sheets: the optimizer's state cells and the new W and b of each step."""

from __future__ import annotations

from types import SimpleNamespace

from sheetnet.layout import Layout
from sheetnet.sheets.refs import Formula, Refs
from sheetnet.units.optimizers import OPTIMIZERS


def update_formula(refs: Refs, kind: str, layer: int, step: int) -> Formula:
    """Parameters at `step` (>= 1) and the optimizer state that produced them: kind is W, b or state_W/state_b."""
    layout = refs.layout
    s = layout.structure
    optimizer = OPTIMIZERS[s.optimizer]
    param = kind[-1]  # "W" or "b"
    grad = layout.block("d" + param, layer, step - 1)
    old = layout.block(param, layer, step - 1)
    if kind not in ("W", "b"):
        state = next(unit for unit in optimizer.states if kind == f"{unit.name}_{param}")
        if step == 1:
            return lambda i, j: "=" + state.first(SimpleNamespace(g=refs.cell(grad, i, j)))
        prev = layout.block(kind, layer, step - 1)
        return lambda i, j: "=" + state.next(SimpleNamespace(g=refs.cell(grad, i, j), prev=refs.cell(prev, i, j)))
    states = {unit.name: layout.block(f"{unit.name}_{param}", layer, step) for unit in optimizer.states}
    columns = {column.name: refs.cell(layout.block(column.name, 0, step)) for column in optimizer.columns}
    return lambda i, j: "=" + optimizer.update(SimpleNamespace(
        old=refs.cell(old, i, j), g=refs.cell(grad, i, j), lr="learning_rate", column=columns,
        state={name: refs.cell(block, i, j) for name, block in states.items()}))


def column_formula(layout: Layout, kind: str, step: int) -> Formula:
    """An optimizer's per-step cell on the Training sheet (Adam's bias corrections)."""
    column = next(unit for unit in OPTIMIZERS[layout.structure.optimizer].columns if unit.name == kind)
    step_cell = f"A{layout.block(kind, 0, step).row}"
    return lambda i, j: "=" + column.formula(step_cell)
