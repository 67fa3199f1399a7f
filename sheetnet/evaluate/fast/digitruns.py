"""The digit runs of every formula at once: each formula's skeleton (digits hidden) and the runs' values.

Formulas of one shape differ only in their digits (row numbers, mostly), so a million formulas become a few
dozen skeletons and one integer array. numpy does it over the UTF-8 bytes of all formulas joined (a digit is
one byte there, and no byte of a multi-byte character is a digit); the regular expression DIGITS gives the
same result, and is used when a run is longer than 15 digits (it splits such runs; int64 holds 18).
"""

from __future__ import annotations

import numpy as np

from sheetnet.evaluate.formula_scan import SEPARATOR

from .references import DIGITS

RUN = "\x01"  # stands for one digit run in a skeleton


class FormulaTexts:
    """Formula texts joined into UTF-8 bytes (SEPARATOR between), each one decoded only when asked for: a
    million of them would otherwise be a million Python strings."""

    def __init__(self, encoded: bytes):
        self.encoded = encoded
        separators = np.flatnonzero(np.frombuffer(encoded, dtype=np.uint8) == ord(SEPARATOR))
        self.bounds = np.concatenate([[-1], separators, [len(encoded)]])

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def __getitem__(self, index) -> str:
        index = int(index)
        return self.encoded[self.bounds[index] + 1:self.bounds[index + 1]].decode("utf-8")


def _by_regex(encoded: bytes) -> tuple[list[str], np.ndarray]:
    joined = encoded.decode("utf-8")
    numbers = DIGITS.findall(joined)
    values = np.array(numbers, dtype=np.int64) if numbers else np.zeros(0, np.int64)
    return DIGITS.sub(RUN, joined).split(SEPARATOR), values


def skeletons_and_numbers(encoded: bytes) -> tuple[list[str], np.ndarray]:
    """(skeleton of each formula, value of each digit run in order) for formulas joined by SEPARATOR."""
    data = np.frombuffer(encoded, dtype=np.uint8)
    digit = (data >= 48) & (data <= 57)
    first = digit.copy()
    first[1:] &= ~digit[:-1]
    starts = np.flatnonzero(first)
    last = digit.copy()
    last[:-1] &= ~digit[1:]
    lengths = np.flatnonzero(last) + 1 - starts
    del first, last
    if len(lengths) and lengths.max() > 15:
        return _by_regex(encoded)
    marked = data.copy()
    marked[starts] = ord(RUN)
    keep = ~digit
    del digit
    keep[starts] = True
    skeletons = marked[keep].tobytes().decode("utf-8").split(SEPARATOR)
    del marked, keep
    numbers = np.zeros(len(starts), dtype=np.int64)
    for offset in range(int(lengths.max()) if len(lengths) else 0):  # Horner's rule, one digit place a pass
        more = lengths > offset
        digits = data[np.minimum(starts + offset, len(data) - 1)].astype(np.int64) - 48
        numbers = np.where(more, numbers * 10 + digits, numbers)
    return skeletons, numbers
