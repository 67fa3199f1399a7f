"""Evaluate every formula of a workbook: group cells by shape, order them by dependency level,
compute each (shape, level) group with one set of numpy operations.

1. Each formula becomes (shape, references); cells with the same shape and the same referenced
   sheets and range sizes form a group with per-cell coordinate arrays. Each shape is parsed once.
2. Dependency edges come from the references, vectorised per group; Kahn's algorithm, a frontier
   at a time, gives every cell its level (a cell with no formula inputs is level 0).
3. Level by level, each group's cells at that level are computed together.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from sheetnet.errors import SheetnetError
from sheetnet.evaluate.formula_scan import SEPARATOR
from sheetnet.evaluate.values import ERROR_CODES, GridValues
from sheetnet.evaluate.xlsx import Package

from . import functions as fx
from .digitruns import RUN, FormulaTexts, skeletons_and_numbers
from .levels import cell_name, dependency_levels
from .parser import FormulaSyntaxError, parse
from .references import MAX_ROW, Ref, parse_reference, row_runs, split_formula

REF_ERROR = ERROR_CODES["#REF!"]
MAX_GRID_CELLS = 400_000_000  # a dense grid beyond this is an absurd workbook, not a network


@dataclass
class Group:
    shape: str
    ref_specs: tuple  # per reference: (sheet index or -1, height, width)
    sheets: list = field(default_factory=list)  # the cell's own sheet index
    rows: list = field(default_factory=list)
    cols: list = field(default_factory=list)
    ref_rows: list = field(default_factory=list)  # per cell: tuple of top rows, one per reference
    ref_cols: list = field(default_factory=list)
    tree: object = None
    single_sheet: str | None = None  # upper-case name when every cell of the group is on one sheet


class Evaluator:
    def __init__(self, package: Package, progress=None):
        self.package = package
        self.progress = progress or (lambda phase, done, total: None)
        self.sheet_names = list(package.sheet_order)
        self.sheet_index = {name.upper(): i for i, name in enumerate(self.sheet_names)}
        self.names: dict[str, Ref] = {}
        for name, text in package.defined_names.items():
            ref = parse_reference(text)
            if ref is not None and ref.sheet is not None:
                self.names[name.upper()] = ref

    # --- 1. shapes and groups -----------------------------------------------------------
    def _groups(self) -> list[Group]:
        """Group formulas by shape without a Python step per reference.

        All formula texts are joined into one string: numpy hides their digits (giving each
        formula's skeleton) and collects the digit runs' values (digitruns.py). A skeleton's first
        formula tells which digit runs are row numbers; numpy turns the rest into per-reference row arrays.
        """
        joined, owner_sheet, rows, cols = [], [], [], []
        for sheet_id, name in enumerate(self.sheet_names):
            sheet = self.package.sheets[name]
            if len(sheet.formula_rows):
                joined.append(sheet.joined)
            owner_sheet.append(np.full(len(sheet.formula_rows), sheet_id, dtype=np.int64))
            rows.append(sheet.formula_rows)
            cols.append(sheet.formula_cols)
        groups: dict[tuple, list] = {}
        if not joined:
            return []
        owner_sheet, rows, cols = np.concatenate(owner_sheet), np.concatenate(rows), np.concatenate(cols)
        texts = FormulaTexts(SEPARATOR.join(joined).encode("utf-8"))
        del joined
        skeletons, numbers = skeletons_and_numbers(texts.encoded)
        skeleton_ids: dict[str, int] = {}
        ids = np.array([skeleton_ids.setdefault(sk, len(skeleton_ids)) for sk in skeletons], dtype=np.int64)
        run_counts = np.array([sk.count(RUN) for sk in skeleton_ids], dtype=np.int64)[ids]
        run_start = np.concatenate([[0], np.cumsum(run_counts)[:-1]])
        order = np.argsort(ids, kind="stable")
        bounds = np.flatnonzero(np.diff(ids[order])) + 1
        for cells in np.split(order, bounds):
            exemplar = texts[cells[0]]
            slots, other_runs, run_count = row_runs(exemplar, self.names)
            table = numbers[run_start[cells][:, None] + np.arange(run_count)[None, :]]
            others = table[:, list(other_runs)]
            if other_runs and not (others == others[0]).all():
                _, variant = np.unique(others, axis=0, return_inverse=True)
                variant = variant.reshape(-1)
                parts = [np.flatnonzero(variant == v) for v in range(int(variant.max()) + 1)]
            else:
                parts = [np.arange(len(cells))]
            for part in parts:
                chosen = cells[part]
                shape, template = split_formula(texts[chosen[0]], self.names)
                for sheet_id in np.unique(owner_sheet[chosen]):
                    here = owner_sheet[chosen] == sheet_id
                    self._add_bucket(groups, int(sheet_id), shape, template, slots,
                                     rows[chosen][here], cols[chosen][here], table[part][here])
        result = []
        for (shape, specs), parts in groups.items():
            group = Group(shape, specs)
            group.sheets = np.concatenate([p[0] for p in parts]).astype(np.int32)
            group.rows = np.concatenate([p[1] for p in parts])
            group.cols = np.concatenate([p[2] for p in parts])
            group.ref_rows = np.concatenate([p[3] for p in parts])
            group.ref_cols = np.concatenate([p[4] for p in parts])
            if (group.sheets == group.sheets[0]).all():
                group.single_sheet = self.sheet_names[int(group.sheets[0])].upper()
            self._compile(group)
            result.append(group)
        return result

    def _add_bucket(self, groups, sheet_id, shape, template, slots, rows, cols, table) -> None:
        """Cells of one shape: per-reference top rows and heights from the digit table."""
        n = len(rows)
        count = len(template)
        top = np.zeros((n, count), dtype=np.int64)
        height = np.zeros((n, count), dtype=np.int64)
        left = np.zeros((n, count), dtype=np.int64)
        sheets, widths = [], []
        for k, (ref, (run1, run2)) in enumerate(zip(template, slots, strict=True)):
            if run1 < 0:
                first = np.full(n, ref.row1)
                last = np.full(n, ref.row2)
            else:
                first = table[:, run1]
                last = table[:, run2] if run2 >= 0 else first
            top[:, k] = np.minimum(first, last)
            height[:, k] = np.abs(last - first) + 1
            left[:, k] = ref.col1
            widths.append(ref.col2 - ref.col1 + 1)
            sheets.append(sheet_id if ref.sheet is None else self.sheet_index.get(ref.sheet.upper(), -1))
        bad = ((top < 1) | (top + height - 1 > MAX_ROW)).any(axis=1)
        if bad.any():
            where = cell_name(self.sheet_names[sheet_id], int(rows[bad][0]), int(cols[bad][0]))
            raise SheetnetError(f"{self.package.path}: {where}: a reference outside the sheet")
        if count == 0 or (height == height[0]).all():
            combos, inverse = height[:1], np.zeros(n, dtype=np.int64)
        else:
            combos, inverse = np.unique(height, axis=0, return_inverse=True)
            inverse = inverse.reshape(-1)
        for c, combo in enumerate(combos):
            mask = inverse == c
            specs = tuple((sheets[k], int(combo[k]), widths[k]) for k in range(count))
            groups.setdefault((shape, specs), []).append(
                (np.full(int(mask.sum()), sheet_id), rows[mask], cols[mask], top[mask], left[mask])
            )

    def _compile(self, group: Group) -> None:
        where = cell_name(self.sheet_names[group.sheets[0]], int(group.rows[0]), int(group.cols[0]))
        try:
            group.tree = parse(group.shape)
        except FormulaSyntaxError as exc:
            raise SheetnetError(f"{self.package.path}: {where}: formula not understood ({exc})") from None
        self._check_functions(group.tree, where)

    def _check_functions(self, node, where: str) -> None:
        kind = node[0]
        if kind == "call":
            name, args = node[1], node[2]
            if name in ("TRUE", "FALSE", "PI") and not args:
                return
            if name not in fx.FUNCTIONS:
                raise SheetnetError(
                    f"{self.package.path}: {where}: function {name} is not supported by the fast engine "
                    f"(supported: {', '.join(sorted(fx.FUNCTIONS))}); try --engine formulas or libreoffice"
                )
            low, high = fx.ARITY.get(name, (1, 255))
            if not low <= len(args) <= high:
                raise SheetnetError(f"{self.package.path}: {where}: {name} takes {low} to {high} arguments")
            for arg in args:
                self._check_functions(arg, where)
        elif kind == "bin":
            if node[1] == "&":
                raise SheetnetError(f"{self.package.path}: {where}: text concatenation (&) is not supported")
            self._check_functions(node[2], where)
            self._check_functions(node[3], where)
        elif kind in ("neg", "pct"):
            self._check_functions(node[1], where)
        elif kind == "str":
            raise SheetnetError(f"{self.package.path}: {where}: text values in formulas are not supported")

    # --- grids -------------------------------------------------------------------------
    def _grids(self, groups: list[Group]) -> GridValues:
        rows = [self.package.sheets[n].max_row for n in self.sheet_names]
        cols = [self.package.sheets[n].max_col for n in self.sheet_names]
        for group in groups:
            for k, (sheet, height, width) in enumerate(group.ref_specs):
                if sheet >= 0:
                    rows[sheet] = max(rows[sheet], int(group.ref_rows[:, k].max()) + height - 1)
                    cols[sheet] = max(cols[sheet], int(group.ref_cols[:, k].max()) + width - 1)
        grid = GridValues("fast")
        for i, name in enumerate(self.sheet_names):
            if (rows[i] + 1) * (cols[i] + 1) > MAX_GRID_CELLS:
                raise SheetnetError(f"{self.package.path}: sheet '{name}' spans {rows[i]:,} rows x {cols[i]:,} "
                                    f"columns: too large to evaluate")
            grid.add_sheet(name, rows[i], cols[i])
            grid.set_all(name, self.package.sheets[name].constants)
        return grid

    # --- 3. evaluation -------------------------------------------------------------------
    def _gather(self, grid: GridValues, group: Group, k: int, cells: np.ndarray):
        sheet, height, width = group.ref_specs[k]
        n = len(cells)
        if sheet < 0:
            codes = np.full((n, height, width), REF_ERROR, dtype=np.int8)
            return fx.Range(np.zeros((n, height, width)), codes)
        name = self.sheet_names[sheet].upper()
        values, codes = grid.values[name], grid.codes[name]
        rows, cols = group.ref_rows[cells, k], group.ref_cols[cells, k]
        logical = grid.logical.get(name)
        if height == 1 and width == 1:
            flags = None if logical is None else logical[rows, cols][:, None, None]
            return fx.Range(values[rows, cols][:, None, None], codes[rows, cols][:, None, None], flags)
        r = rows[:, None, None] + np.arange(height)[None, :, None]
        c = cols[:, None, None] + np.arange(width)[None, None, :]
        return fx.Range(values[r, c], codes[r, c], None if logical is None else logical[r, c])

    def _eval(self, node, grid, group, cells, in_range_function: bool = False, in_array: bool = False):
        """A node's value for every cell of a group. Arguments of range functions keep their ranges; inside
        SUMPRODUCT (an array context) a one-argument function works cell by cell, as in SUMPRODUCT(ABS(A1:B2))."""
        kind = node[0]
        n = len(cells)
        if kind == "ref":
            value = self._gather(grid, group, node[1], cells)
            return value if in_range_function else fx.as_scalar(value)
        if kind == "num":
            return fx.Scalar(np.full(n, node[1]), np.zeros(n, np.int8))
        if kind == "bool":
            return fx.Scalar(np.full(n, float(node[1])), np.zeros(n, np.int8), np.ones(n, dtype=bool))
        if kind == "err":
            return fx.Scalar(np.zeros(n), np.full(n, ERROR_CODES[node[1]], np.int8))
        if kind == "neg":
            return fx.negate(self._eval(node[1], grid, group, cells))
        if kind == "pct":
            return fx.percent(self._eval(node[1], grid, group, cells))
        if kind == "bin":
            left = self._eval(node[2], grid, group, cells)
            right = self._eval(node[3], grid, group, cells)
            return fx.binary(node[1], left, right)
        if kind == "call" and node[1] in ("TRUE", "FALSE") and not node[2]:
            return self._eval(("bool", node[1] == "TRUE"), grid, group, cells)
        if kind == "call" and node[1] == "PI" and not node[2]:
            return self._eval(("num", np.pi), grid, group, cells)
        if kind == "call" and in_array and node[1] in fx.ELEMENTWISE:
            return fx.elementwise(node[1], self._eval(node[2][0], grid, group, cells, True, True))
        if kind == "call":
            name, args = node[1], node[2]
            ranged, array = name in fx.RANGE_FUNCTIONS, name == "SUMPRODUCT"
            values = [None if arg[0] == "missing" else self._eval(arg, grid, group, cells, ranged, array)
                      for arg in args]
            if name in ("IF",):
                return fx.fn_if(*values)
            return fx.FUNCTIONS[name](*[v for v in values if v is not None])
        raise SheetnetError(f"unsupported formula element {kind}")

    def run(self) -> GridValues:
        groups = self._groups()
        grid = self._grids(groups)
        if not groups:
            return grid
        level = dependency_levels(groups, grid, self.sheet_names, self.package.path)
        offsets = np.cumsum([0] + [len(g.rows) for g in groups])
        tasks = defaultdict(list)
        for g, group in enumerate(groups):
            cell_levels = level[offsets[g]:offsets[g + 1]]
            order = np.argsort(cell_levels, kind="stable")
            sorted_levels = cell_levels[order]
            bounds = np.flatnonzero(np.diff(sorted_levels)) + 1
            for chunk in np.split(order, bounds):
                tasks[int(cell_levels[chunk[0]])].append((group, chunk))
        done, total = 0, int(offsets[-1])
        for depth in sorted(tasks):
            for group, cells in tasks[depth]:
                result = fx.as_scalar(self._eval(group.tree, grid, group, cells))
                codes = result.codes
                if result.logical is not None and result.logical.any():
                    grid.mark_logical(group, cells, result.logical, self.sheet_names)
                if group.single_sheet is not None:
                    name = group.single_sheet
                    rows, cols = group.rows[cells], group.cols[cells]
                    grid.values[name][rows, cols] = result.values
                    grid.codes[name][rows, cols] = codes
                    done += len(cells)
                    continue
                sheets = group.sheets[cells]
                for sheet in np.unique(sheets):
                    mask = sheets == sheet
                    name = self.sheet_names[int(sheet)].upper()
                    rows, cols = group.rows[cells][mask], group.cols[cells][mask]
                    grid.values[name][rows, cols] = result.values[mask]
                    grid.codes[name][rows, cols] = codes[mask]
                done += len(cells)
            self.progress("evaluating", done, total)
        return grid


def evaluate_package(package: Package, progress=None) -> GridValues:
    """Every cell's value: constants as stored, formulas as computed here (an overflow is #NUM!, not a warning)."""
    with np.errstate(all="ignore"):
        return Evaluator(package, progress).run()
