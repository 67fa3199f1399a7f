"""Where the Data sheet keeps the samples: one row each, training samples first, then the held-out ones.

Columns: the sample's number, its set (train or test, when there is a test set), the raw inputs (yours
to edit), the computed features (formulas of the raw inputs, when the network takes features) and the
targets. The network reads its inputs from the features when there are any, else from the raw inputs.
"""

from __future__ import annotations

from sheetnet.layout.cells import Block
from sheetnet.model.problem import Structure

DATA_SHEET = "Data"
DATA_FIRST_ROW = 5


class DataLayout:
    def __init__(self, structure: Structure):
        s = structure
        self.structure = s
        self.rows = s.n_samples + s.n_test
        self.set_col = 2 if s.n_test else None
        self.raw_col = 3 if s.n_test else 2
        self.feature_col = self.raw_col + s.n_raw
        self.target_col = self.feature_col + len(s.features)

    def raw(self) -> Block:
        """The editable inputs of every sample."""
        return Block(DATA_SHEET, DATA_FIRST_ROW, self.raw_col, self.rows, self.structure.n_raw)

    def features(self) -> Block:
        """The computed inputs of every sample (formulas; only with features)."""
        return Block(DATA_SHEET, DATA_FIRST_ROW, self.feature_col, self.rows, len(self.structure.features))

    def _rows(self, col: int, width: int, test: bool) -> Block:
        s = self.structure
        first, count = (s.n_samples, s.n_test) if test else (0, s.n_samples)
        return Block(DATA_SHEET, DATA_FIRST_ROW + first, col, count, width)

    def inputs(self, test: bool = False) -> Block:
        """What the network takes, for the training (or the test) samples."""
        col = self.feature_col if self.structure.features else self.raw_col
        return self._rows(col, self.structure.sizes[0], test)

    def targets(self, test: bool = False) -> Block:
        return self._rows(self.target_col, self.structure.sizes[-1], test)

    def all_targets(self) -> Block:
        return Block(DATA_SHEET, DATA_FIRST_ROW, self.target_col, self.rows, self.structure.sizes[-1])
