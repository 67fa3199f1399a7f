"""Cells that hold text from users (column names, a lesson, a try's reason) as text.

openpyxl makes any string that starts with "=" a formula. A CSV column named "=WEBSERVICE(...)" must not become
one: every label, title and name is written through `literal_cell`, formulas only through the formula writers.
"""

from __future__ import annotations


def literal_cell(ws, row: int, col: int, value):
    """A cell holding `value` as a plain value: a string starting with "=" is a string, not a formula."""
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"  # openpyxl writes it as an inline string
    return cell
