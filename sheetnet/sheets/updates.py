"""Parameter updates on the Layer sheets: the optimizer's state cells and the new W and b of each step."""

from __future__ import annotations

from types import SimpleNamespace

from sheetnet.layout import Layout
from sheetnet.model.optimizers import WEIGHT_KINDS, optimizer
from sheetnet.model.options import TRAINED, state_of
from sheetnet.sheets.refs import Formula, Refs
from sheetnet.units import batch_norm


def update_formula(refs: Refs, kind: str, layer: int, step: int) -> Formula:
    """Parameters at `step` (>= 1) and the optimizer state that produced them: kind is a trained parameter
    (W, b, gamma, beta) or one of its states (m_W, v_gamma, ...); or a running statistic of batch normalization."""
    layout = refs.layout
    s = layout.structure
    if kind in ("rmean", "rvar"):
        return _running(refs, kind, layer, step)
    record = optimizer(s.optimizer)
    param = kind if kind in TRAINED else state_of(kind)[1]
    grad = layout.block("d" + param, layer, step - 1)
    old = layout.block(param, layer, step - 1)
    clip = refs.cell(layout.block("clip", 0, step - 1)) if s.clip else None

    def gradient(i: int, j: int) -> str:
        """The gradient the optimizer uses: as computed, or times the step's clipping factor."""
        return refs.cell(grad, i, j) if clip is None else f"({refs.cell(grad, i, j)}*{clip})"

    if kind not in TRAINED:
        state = next(unit for unit in record.states if kind == f"{unit.name}_{param}")
        if step == 1 and not s.carries_state:
            return lambda i, j: "=" + state.first_formula(SimpleNamespace(g=gradient(i, j)))
        prev = layout.block(kind, layer, step - 1)
        return lambda i, j: "=" + state.next_formula(SimpleNamespace(g=gradient(i, j), prev=refs.cell(prev, i, j)))
    states = {unit.name: layout.block(f"{unit.name}_{param}", layer, step) for unit in record.states}
    columns = {column.name: refs.cell(layout.block(column.name, 0, step)) for column in record.columns}
    rate = refs.cell(layout.block("lr", 0, step - 1)) if s.schedule != "constant" else "learning_rate"
    return lambda i, j: "=" + record.update_formula(SimpleNamespace(
        old=refs.cell(old, i, j), g=gradient(i, j), lr=rate, column=columns, weight=param in WEIGHT_KINDS,
        state={name: refs.cell(block, i, j) for name, block in states.items()}))


def _running(refs: Refs, kind: str, layer: int, step: int) -> Formula:
    """A running statistic after step - 1's training pass: the previous one moved towards that pass's statistic."""
    layout = refs.layout
    previous = layout.block(kind, layer, step - 1)
    batch = layout.block("mu" if kind == "rmean" else "var", layer, step - 1)
    if kind == "rmean":
        return lambda j, _: "=" + batch_norm.running_mean(refs.cell(previous, j), refs.cell(batch, j))
    count = layout.structure.batch_size_at(step - 1)
    return lambda j, _: "=" + batch_norm.running_variance(refs.cell(previous, j), refs.cell(batch, j), count)


def column_formula(layout: Layout, kind: str, step: int) -> Formula:
    """An optimizer's per-step cell on the Training sheet (Adam's bias corrections)."""
    column = next(unit for unit in optimizer(layout.structure.optimizer).columns if unit.name == kind)
    step_cell = f"A{layout.block(kind, 0, step).row}"
    return lambda i, j: "=" + column.formula(step_cell)
