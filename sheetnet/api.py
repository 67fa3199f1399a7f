"""The library behind the CLI: build a workbook from a config, check a workbook with an engine."""

from __future__ import annotations

from pathlib import Path

from . import check as checker
from . import engines, plan, readback, workbook
from .config import Config
from .errors import SheetnetError


def build(cfg: Config, out: str | Path, force: bool = False) -> int:
    """Write the workbook for a config; returns its number of formula cells."""
    problem = plan.build_problem(cfg)
    return workbook.write_workbook(problem, out, force=force)


def evaluate(path: str | Path, engine: str) -> engines.Values:
    if engine == "formulas":
        return engines.evaluate_formulas(path)
    if engine == "saved":
        return engines.read_saved(path)
    if engine == "libreoffice":
        from . import libreoffice

        return libreoffice.evaluate(path)
    raise SheetnetError(f"unknown engine {engine!r}; choose one of {', '.join(engines.ENGINES)}")


def check(path: str | Path, engine: str = "formulas") -> checker.Report:
    """Evaluate every formula with `engine` and compare with the reference computed from the file's inputs."""
    problem = readback.read_problem(path)
    live = readback.formula_cells(path)
    values = evaluate(path, engine)
    report = checker.compare(problem, values, path, formula_cells=live)
    if engine == "saved" and report.compared == 0 and report.missing:
        raise SheetnetError(
            f"{path}: has no saved values: it was never opened and saved by a spreadsheet application "
            f"(save it from Excel or LibreOffice, or use --engine formulas or --engine libreoffice)"
        )
    return report
