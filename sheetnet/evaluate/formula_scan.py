"""Find every plain formula cell of a sheet's XML with numpy over its bytes: no Python object per cell.

A million formula cells are the bulk of a large workbook, and each one is written the same way by every
writer we know (openpyxl, Excel, LibreOffice): `<c r="AB12" ...><f>BODY</f>...</c>`. This scan finds the
`<f>` tags, proves each directly follows its cell's start tag and runs to its `</f>` with no tag between,
decodes the cell references arithmetically, and joins the bodies into one text. Anything else (shared or
array formulas, attributes on `<f>`, an address that is not `letters digits`) returns None, and the caller
reads the sheet with its general parser instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEPARATOR = "\x02"  # between two formulas in `FormulaScan.joined` (XML text cannot hold it)
_LT, _QUOTE, _EQUALS = 60, 34, 61
_WINDOW = 11  # at most 3 letters, 7 digits and the closing quote of r="..."


@dataclass
class FormulaScan:
    rows: np.ndarray
    cols: np.ndarray
    joined: bytes  # "=BODY" of each formula cell in document order, SEPARATOR between; still XML-escaped


def _find(arr: np.ndarray, pattern: bytes) -> np.ndarray:
    """Start of every occurrence of `pattern` (whose first byte never occurs inside it again)."""
    hits = np.flatnonzero(arr[: len(arr) - len(pattern) + 1] == pattern[0])
    for offset, byte in enumerate(pattern[1:], start=1):
        hits = hits[arr[hits + offset] == byte]
    return hits


def _references(arr: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Row and column numbers of the addresses that begin at `starts` (just after `r="`): letters then digits
    then the closing quote, read one character place at a time for all cells at once (Horner's rule)."""
    count = len(starts)
    cols, rows = np.zeros(count, np.int64), np.zeros(count, np.int64)
    letters, digits = np.zeros(count, np.int8), np.zeros(count, np.int8)
    ended, ok = np.zeros(count, bool), np.ones(count, bool)
    last = len(arr) - 1
    for offset in range(_WINDOW):
        byte = arr[np.minimum(starts + offset, last)].astype(np.int64)
        letter = ~ended & (digits == 0) & (byte >= 65) & (byte <= 90)
        digit = ~ended & (letters > 0) & (byte >= 48) & (byte <= 57)
        cols = np.where(letter, cols * 26 + byte - 64, cols)
        rows = np.where(digit, rows * 10 + byte - 48, rows)
        letters += letter
        digits += digit
        ending = ~ended & ~letter & ~digit
        ok &= ~ending | (byte == _QUOTE)
        ended |= ending
    ok &= ended & (letters <= 3) & (digits >= 1) & (digits <= 7)
    return (rows, cols) if ok.all() else None


def _is_at(arr: np.ndarray, positions: np.ndarray, pattern: bytes) -> bool:
    """Whether `pattern` starts at every one of `positions`."""
    if len(positions) and (positions.min() < 0 or positions.max() + len(pattern) > len(arr)):
        return False
    return all((arr[positions + offset] == byte).all() for offset, byte in enumerate(pattern))


def scan_formulas(data: bytes) -> FormulaScan | None:
    """The plain formula cells of one sheet part, or None when it holds a formula in any other layout."""
    arr = np.frombuffer(data, dtype=np.uint8)
    opens = _find(arr, b"<f>")
    other = _find(arr, b"<f")
    other = other[other + 2 < len(arr)]
    if np.isin(arr[other + 2], np.frombuffer(b" \t\r\n/", np.uint8)).any():  # <f t="shared" ...>, <f/>
        return None
    if len(opens) == 0:
        return FormulaScan(np.zeros(0, np.int64), np.zeros(0, np.int64), b"")
    tags = np.flatnonzero(arr == _LT)
    at = np.searchsorted(tags, opens)  # tags[at] is the <f> itself
    if at.min() == 0 or at.max() + 1 >= len(tags):
        return None
    closes = tags[at + 1]  # the next tag after <f> must be its </f>
    cell_tags = tags[at - 1]  # and the tag before it the cell's start, `<c r="...` ending right at <f>
    if not (_is_at(arr, closes, b"</f>") and _is_at(arr, cell_tags, b'<c r="') and _is_at(arr, opens - 1, b">")) \
            or (arr[opens - 2] == ord("/")).any():
        return None
    references = _references(arr, cell_tags + 6)
    if references is None:
        return None
    rows, cols = references
    # The bodies with "=" in place of each <f>'s ">" and SEPARATOR in place of each </f>'s "<".
    edges = np.zeros(len(arr) + 1, dtype=np.int8)
    edges[opens + 2] = 1
    edges[closes + 1] = -1
    inside = np.cumsum(edges[:-1], dtype=np.int8) > 0
    marked = arr.copy()
    marked[opens + 2] = _EQUALS
    marked[closes] = ord(SEPARATOR)
    inside[closes] = True
    joined = marked[inside].tobytes()[:-1]
    return FormulaScan(rows.astype(np.int64), cols.astype(np.int64), joined)
