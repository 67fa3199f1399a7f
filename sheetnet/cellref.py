"""A1 column letters <-> numbers (1-based), without importing openpyxl on the checking path."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number
