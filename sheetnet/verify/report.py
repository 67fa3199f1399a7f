"""The check's report: how many cells were compared, the largest errors, and the cells that differ."""

from __future__ import annotations

from dataclasses import dataclass, field

from sheetnet.layout import quote_sheet


@dataclass
class Mismatch:
    sheet: str
    cell: str
    quantity: str
    expected: float
    got: object

    def __str__(self) -> str:
        got = f"{self.got:.12g}" if isinstance(self.got, float) else repr(self.got)
        return f"{quote_sheet(self.sheet)}!{self.cell}: {self.quantity}: expected {self.expected:.12g}, got {got}"


@dataclass
class Report:
    path: str
    engine: str
    compared: int = 0
    max_abs_error: float = 0.0
    max_share: float = 0.0  # the largest difference as a share of that cell's tolerance (1 = at the limit)
    mismatches: list[Mismatch] = field(default_factory=list)
    mismatch_count: int = 0
    not_formulas: list[str] = field(default_factory=list)
    not_formula_count: int = 0
    missing: int = 0
    diverged_at: int | None = None
    limit: int = 10
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.mismatch_count == 0 and not self.not_formula_count and self.compared > 0

    def verdict(self) -> str:
        if self.compared == 0 and self.missing:
            return (f"FAIL {self.path}: no values to compare ({self.missing} formula cells are empty; "
                    f"a file never saved by a spreadsheet application has no saved values)")
        head = "OK" if self.ok else "FAIL"
        text = (f"{head} {self.path}: {self.compared:,} cells compared with the numpy reference "
                f"(engine {self.engine}); the largest difference is {100 * self.max_share:.2g}% of its cell's "
                f"tolerance ({self.max_abs_error:.1e} absolute)")
        if self.mismatch_count:
            text += f"; {self.mismatch_count:,} differ"
        if self.not_formula_count:
            text += f"; {self.not_formula_count:,} cells that should hold formulas hold plain values"
        if self.diverged_at is not None:
            agreement = "reference and engine agree" if self.ok else "see the differences below"
            cause = "the learning rate is too large" if self.diverged_at else "inputs or weights this large overflow"
            text += (f"; training diverged at step {self.diverged_at} ({cause}; {agreement}; "
                     f"what the steps after it overflow to is not compared)")
        return text

    def details(self) -> list[str]:
        lines = [f"  note: {note}" for note in self.notes]
        lines += [f"  {m}" for m in self.mismatches[: self.limit]]
        if self.mismatch_count > self.limit:
            lines.append(f"  ... and {self.mismatch_count - self.limit:,} more")
        if self.not_formulas:
            shown = ", ".join(self.not_formulas[: self.limit])
            lines.append(f"  not formulas: {shown}" + (" ..." if self.not_formula_count > self.limit else ""))
        return lines
