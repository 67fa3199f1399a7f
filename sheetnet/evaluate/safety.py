"""What a workbook from someone else may carry that sheetnet must never run.

Links to other files and functions that reach outside the file are refused for every engine when the
workbook is read (`screen`). VBA macros cannot run in the fast engine, `formulas` or the saved values,
so those only note them; LibreOffice is a full application, so a workbook with macros is not handed to it.
"""

from __future__ import annotations

from sheetnet.errors import SheetnetError
from sheetnet.evaluate.xlsx import Package


def notes(package: Package) -> list[str]:
    """Things present in the file that sheetnet ignores, said once."""
    return ["the file contains VBA macros: ignored, never run"] if package.has_macros else []


def refuse_for_libreoffice(package: Package) -> None:
    """LibreOffice would run what we cannot vouch for: refuse instead."""
    if package.has_macros:
        raise SheetnetError(f"{package.path}: contains VBA macros; refusing to open it in LibreOffice "
                            f"(use --engine fast, which never runs anything)")
