"""Where the Training sheet keeps the hyper-parameters (named cells) and one row per step."""

from __future__ import annotations

from sheetnet.layout.cells import Block
from sheetnet.model.options import column_names
from sheetnet.model.problem import Structure

TRAINING_SHEET = "Training"
HYPER_FIRST_ROW = 4
# cells of each update k -> k+1 (steps 0 .. K-1): its learning rate (with a schedule), the total gradient norm and
# the clipping factor (with clip_norm)
PER_UPDATE_COLUMNS = ("lr", "tnorm", "clip")


class TrainingLayout:
    """Hyper-parameter rows on top; below them a table: step, loss, accuracy, optimizer columns,
    the gradient size of each layer and the same floored for the log-scale chart."""

    def __init__(self, structure: Structure):
        self.structure = structure
        s = structure
        self.hyper_names = s.hyper_names()
        self.header_row = HYPER_FIRST_ROW + len(self.hyper_names) + 1
        kinds = [("step", 1), ("loss", 1)]
        if s.n_test:
            kinds.append(("test_loss", 1))
        if s.classification:
            kinds.append(("accuracy", 1))
            if s.n_test:
                kinds.append(("test_accuracy", 1))
        kinds += [(column, 1) for column in column_names(s.optimizer)]
        if s.steps:
            kinds += [(column, 1) for column in PER_UPDATE_COLUMNS if self._shows(column)]
            kinds += [("gnorm", s.n_layers), ("gplot", s.n_layers)]
        self.columns: dict[str, tuple[int, int]] = {}
        col = 1
        for kind, width in kinds:
            self.columns[kind] = (col, width)
            col += width

    def _shows(self, column: str) -> bool:
        s = self.structure
        return s.schedule != "constant" if column == "lr" else s.clip

    def hyper_block(self, name: str) -> Block:
        return Block(TRAINING_SHEET, HYPER_FIRST_ROW + self.hyper_names.index(name), 2, 1, 1)

    def row(self, step: int) -> int:
        return self.header_row + 1 + step

    def steps_of(self, kind: str):
        s = self.structure
        if kind in ("test_loss", "test_accuracy"):
            return s.test_steps
        if kind in column_names(s.optimizer):
            return range(1, s.steps + 1)
        if kind in ("gnorm", "gplot", *PER_UPDATE_COLUMNS):
            return range(s.steps)
        return range(s.steps + 1)

    def block(self, kind: str, step: int) -> Block:
        if kind not in self.columns or kind == "step" or step not in self.steps_of(kind):
            raise KeyError((kind, 0, step))
        col, width = self.columns[kind]
        return Block(TRAINING_SHEET, self.row(step), col, 1, width)

    def kinds(self) -> list[str]:
        return [kind for kind in self.columns if kind != "step"]

    def last_column(self) -> int:
        return max(col + width - 1 for col, width in self.columns.values())
