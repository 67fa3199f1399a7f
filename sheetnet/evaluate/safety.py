"""What a workbook from someone else may carry that sheetnet must never run or follow.

sheetnet never executes anything in a workbook: the fast and formulas engines only compute
formulas, and refuse functions they do not know. LibreOffice is a full application, so a workbook
with macros, external links or functions that reach outside the file (WEBSERVICE and friends) is
not handed to it at all.
"""

from __future__ import annotations

import re

from sheetnet.errors import SheetnetError
from sheetnet.evaluate.xlsx import Package

REACHING_OUT = ("WEBSERVICE", "FILTERXML", "HYPERLINK", "RTD", "DDE", "CALL", "REGISTER", "REGISTER.ID",
                "INFO", "CELL", "INDIRECT", "OFFSET", "IMAGE", "STOCKHISTORY")
_CALL = re.compile(r"(?<![A-Za-z0-9_.])(" + "|".join(re.escape(name) for name in REACHING_OUT) + r")\s*\(", re.I)


def notes(package: Package) -> list[str]:
    """Things present in the file that sheetnet ignores, said once."""
    found = []
    if package.has_macros:
        found.append("the file contains VBA macros: ignored, never run")
    if package.external_links:
        found.append(f"the file has {package.external_links} external link(s): ignored, never followed")
    return found


def reaching_out(package: Package) -> str | None:
    """The first cell whose formula calls a function that reaches outside the file, if any."""
    for name in package.sheet_order:
        sheet = package.sheets[name]
        for row, col, text in zip(sheet.formula_rows.tolist(), sheet.formula_cols.tolist(), sheet.formula_texts,
                                  strict=True):
            match = _CALL.search(text)
            if match:
                from sheetnet.cellref import column_letters

                return f"{name}!{column_letters(col)}{row} calls {match.group(1).upper()}"
    return None


def refuse_for_libreoffice(package: Package) -> None:
    """LibreOffice would run what we cannot vouch for: refuse instead."""
    if package.has_macros:
        raise SheetnetError(f"{package.path}: contains VBA macros; refusing to open it in LibreOffice "
                            f"(use --engine fast, which never runs anything)")
    if package.external_links:
        raise SheetnetError(f"{package.path}: links to other files; refusing to open it in LibreOffice")
    where = reaching_out(package)
    if where:
        raise SheetnetError(f"{package.path}: {where}, which reaches outside the file; refusing to open it in "
                            f"LibreOffice")
