"""The library behind the CLI: build a workbook from a config, check a workbook with an engine; and
the commands' own work (regenerate, predict and export, the examples).

May import every folder (model, layout, sheets, evaluate, reference, verify) but not the CLI.
"""

from __future__ import annotations

from pathlib import Path

from sheetnet.errors import SheetnetError
from sheetnet.evaluate import engines
from sheetnet.evaluate.xlsx import read_package
from sheetnet.model.config import Config
from sheetnet.verify import compare as checker
from sheetnet.verify import readback
from sheetnet.verify.report import Report


def prepare(cfg: Config):
    """The problem a config describes and the size of its workbook (refused if no spreadsheet holds it)."""
    from sheetnet.layout import Layout, size
    from sheetnet.model import plan

    problem = plan.build_problem(cfg, check=lambda structure: size.check(size.measure(Layout(structure))))
    measured = size.measure(Layout(problem.structure))
    warnings = size.check(measured)
    return problem, measured, warnings


def write(problem, out: str | Path, force: bool = False, progress=None) -> int:
    """Write a problem's workbook, its About sheet's things to try measured first; returns its formula cells."""
    from sheetnet.api import lessons
    from sheetnet.sheets import workbook

    return workbook.write_workbook(problem, out, force=force, progress=progress, measured=lessons.measured(problem))


def build(cfg: Config, out: str | Path, force: bool = False, progress=None) -> int:
    """Write the workbook for a config; returns its number of formula cells."""
    from sheetnet.files import check_writable

    check_writable(Path(out), force)
    problem, _, _ = prepare(cfg)
    return write(problem, out, force=force, progress=progress)


def check(path: str | Path, engine: str = "fast", progress=None, limit: int = 10) -> Report:
    """Evaluate every formula with `engine` and compare with the reference computed from the file's inputs."""
    from sheetnet.evaluate import safety

    package = read_package(path)
    problem = readback.problem_from_package(package)
    if engine == "libreoffice":
        safety.refuse_for_libreoffice(package)
    values = engines.evaluate(path, engine, package, progress)
    report = checker.compare(problem, values, path, package, limit=limit)
    report.notes = safety.notes(package)
    if engine == "saved" and report.compared == 0 and report.missing:
        raise SheetnetError(
            f"{path}: has no saved values: it was never opened and saved by a spreadsheet application "
            f"(save it from Excel or LibreOffice, or use --engine fast or --engine libreoffice)"
        )
    return report
