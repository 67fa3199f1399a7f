"""Dependency levels of formula cells: which can be computed together, and in which order.

Edges come from each group's references, vectorised; Kahn's algorithm, one frontier at a time,
gives each cell its level. A cell left without a level sits on a cycle, and is named.
"""

from __future__ import annotations

import numpy as np

from sheetnet.errors import SheetnetError
from sheetnet.evaluate.values import GridValues

from .references import column_letters


def cell_name(sheet: str, row: int, col: int) -> str:
    quoted = sheet if sheet.isalnum() else f"'{sheet}'"
    return f"{quoted}!{column_letters(col)}{row}"


def dependency_levels(groups: list, grid: GridValues, sheet_names: list[str], path) -> np.ndarray:
    """Every formula cell's level: 0 when it reads no formula cell, else one more than the deepest it reads."""
    offsets = np.cumsum([0] + [len(g.rows) for g in groups])
    total = int(offsets[-1])
    ids = {}
    for i, name in enumerate(sheet_names):
        ids[i] = np.full(grid.values[name.upper()].shape, -1, dtype=np.int64)
    for g, group in enumerate(groups):
        cell_ids = np.arange(offsets[g], offsets[g + 1])
        for sheet in np.unique(group.sheets):
            mask = group.sheets == sheet
            ids[int(sheet)][group.rows[mask], group.cols[mask]] = cell_ids[mask]
    sources, targets = [], []
    for g, group in enumerate(groups):
        cell_ids = np.arange(offsets[g], offsets[g + 1])
        for k, (sheet, height, width) in enumerate(group.ref_specs):
            if sheet < 0:
                continue
            r = group.ref_rows[:, k][:, None, None] + np.arange(height)[None, :, None]
            c = group.ref_cols[:, k][:, None, None] + np.arange(width)[None, None, :]
            covered = ids[sheet][r, c].reshape(len(cell_ids), -1)
            keep = covered >= 0
            sources.append(covered[keep])
            targets.append(np.broadcast_to(cell_ids[:, None], covered.shape)[keep])
    src = np.concatenate(sources) if sources else np.zeros(0, np.int64)
    dst = np.concatenate(targets) if targets else np.zeros(0, np.int64)
    return _kahn(src, dst, total, groups, offsets, sheet_names, path)

def _kahn(src, dst, total, groups, offsets, sheet_names, path) -> np.ndarray:
    """Kahn's algorithm a frontier at a time; a cell never reached sits on a cycle."""
    indegree = np.bincount(dst, minlength=total)
    order = np.argsort(src, kind="stable")
    dst_sorted = dst[order]
    out_count = np.bincount(src, minlength=total)
    starts = np.concatenate([[0], np.cumsum(out_count)[:-1]])
    level = np.full(total, -1, dtype=np.int64)
    frontier = np.flatnonzero(indegree == 0)
    depth = 0
    while frontier.size:
        level[frontier] = depth
        counts = out_count[frontier]
        edges = int(counts.sum())
        if edges == 0:
            break
        first = np.repeat(starts[frontier] - (np.cumsum(counts) - counts), counts)
        reached = dst_sorted[first + np.arange(edges)]
        unique, hits = np.unique(reached, return_counts=True)
        indegree[unique] -= hits
        frontier = unique[indegree[unique] == 0]
        depth += 1
    if (level < 0).any():
        cell = int(np.flatnonzero(level < 0)[0])
        g = int(np.searchsorted(offsets, cell, side="right") - 1)
        group, i = groups[g], cell - offsets[g]
        where = cell_name(sheet_names[group.sheets[i]], int(group.rows[i]), int(group.cols[i]))
        raise SheetnetError(f"{path}: circular reference involving {where}")
    return level
