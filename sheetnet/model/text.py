"""Text a user gave (column names, a lesson, a try's reason): what a workbook may hold of it.

A spreadsheet cell cannot hold the C0 control characters but tab, line feed and carriage return (XML 1.0 forbids
them: openpyxl refuses them, a hand-made file with them is damaged). Such text is refused with one line naming
where it came from, before anything is written. That text is written as a string, never as a formula, even when
it starts with "=", is the writer's part (sheets/workbook.py).
"""

from __future__ import annotations

import re

from sheetnet.errors import SheetnetError

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_character(text: str) -> str | None:
    """The first control character of `text` as U+XXXX, or None."""
    found = CONTROL.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def check_text(where: str, text: str) -> None:
    """Refuse text a cell cannot hold, naming where it came from."""
    found = control_character(text)
    if found is not None:
        raise SheetnetError(f"{where} holds a control character ({found}), which a spreadsheet cell cannot hold: "
                            f"remove it")


def printable(text: str) -> str:
    """`text` with every control character shown as an escape (\\x1b): a file name in a cell or a message."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}", text)
