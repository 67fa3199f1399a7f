"""Datasets: built-in, seeded toy problems, a user's CSV file, or inline rows.

Every dataset is returned rounded to 4 decimals: the numbers a learner reads in the Data sheet
are exactly the numbers every engine computes with (a spreadsheet stores 15 significant digits).
"""

from __future__ import annotations

import csv
import gzip
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sheetnet.errors import SheetnetError
from sheetnet.files import read_text
from sheetnet.model.text import check_text

DECIMALS = 4
MAX_CSV_BYTES = 64 << 20
# Samples of a generated dataset unless `n` says otherwise: with full-batch training a 2-4-1 network
# over 200 steps is then about 80,000 formula cells, a workbook a spreadsheet opens in seconds.
DEFAULT_N = 16


@dataclass(frozen=True)
class Dataset:
    inputs: np.ndarray  # samples x inputs
    targets: np.ndarray  # samples x outputs
    input_names: tuple[str, ...]
    target_names: tuple[str, ...]
    name: str


def _names(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i + 1}" for i in range(count))


def xor() -> Dataset:
    """The four corners of the unit square, target 1 where exactly one input is 1."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    return Dataset(x, y, ("x1", "x2"), ("y",), "xor")


def exam(n: int, noise: float, seed: int) -> Dataset:
    """Hours studied (0-10) and prior knowledge (1-10) -> passed (1) or failed (0).

    A student passes when a weighted score of the two, blurred by `noise`, clears a bar.
    """
    rng = np.random.default_rng(seed)
    hours = rng.uniform(0, 10, n)
    knowledge = rng.uniform(1, 10, n)
    score = 0.6 * hours + 0.4 * knowledge + rng.normal(0, noise * 10, n)
    passed = (score > 5.0).astype(float)
    x = np.round(np.column_stack([hours, knowledge]), DECIMALS)
    return Dataset(x, passed[:, None], ("hours", "knowledge"), ("passed",), "exam")


def _labels_to_targets(labels: np.ndarray, classes: int, one_hot: bool) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class labels 0..k-1 as targets: one-hot columns (softmax) or one 0/1 column (two classes)."""
    if one_hot:
        return np.eye(classes)[labels], tuple(f"class {c}" for c in range(classes))
    return labels[:, None].astype(float), ("y",)


def _finish(name: str, points: np.ndarray, labels: np.ndarray, classes: int, one_hot: bool) -> Dataset:
    targets, target_names = _labels_to_targets(labels, classes, one_hot)
    return Dataset(np.round(points, DECIMALS), targets, ("x1", "x2"), target_names, name)


def circles(n: int, noise: float, seed: int, one_hot: bool = False) -> Dataset:
    """Two rings: inner (class 1, radius 0.5) inside outer (class 0, radius 1)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(labels == 1, 0.5, 1.0)
    points = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]) + rng.normal(0, noise, (n, 2))
    return _finish("circles", points, labels, 2, one_hot)


def moons(n: int, noise: float, seed: int, one_hot: bool = False) -> Dataset:
    """Two interleaving half circles (the classic 'moons')."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    t = rng.uniform(0, np.pi, n)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)])
    points = np.where(labels[:, None] == 0, upper, lower) + rng.normal(0, noise, (n, 2))
    return _finish("moons", points, labels, 2, one_hot)


def spiral(n: int, noise: float, seed: int, classes: int = 2, one_hot: bool = False) -> Dataset:
    """`classes` arms of a spiral winding out from the centre, one class per arm."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    r = rng.uniform(0.05, 1.0, n)
    angle = labels * (2 * np.pi / classes) + r * 4.0 + rng.normal(0, noise, n)
    points = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    return _finish("spiral", points, labels, classes, one_hot)


def gauss(n: int, noise: float, seed: int, classes: int = 2, one_hot: bool = False) -> Dataset:
    """`classes` Gaussian blobs with centres on a circle of radius 1; `noise` scales their spread."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    angle = labels * (2 * np.pi / classes)
    centres = np.column_stack([np.cos(angle), np.sin(angle)])
    points = centres + rng.normal(0, 0.3 + noise, (n, 2))
    return _finish("gauss", points, labels, classes, one_hot)


DIGITS_FILE = Path(__file__).parent / "data" / "digits.csv.gz"
DIGITS_TOTAL = 1797
DIGIT_SIDE = 8  # each digit is an 8x8 image of grey levels 0..16
DIGIT_LEVELS = 16


def digit_names() -> tuple[str, ...]:
    """Pixel columns, row by row: r1c1 .. r8c8 would read as cell addresses, so p11 .. p88 (row, column)."""
    return tuple(f"p{r + 1}{c + 1}" for r in range(DIGIT_SIDE) for c in range(DIGIT_SIDE))


def digits(n: int, seed: int) -> Dataset:
    """`n` of the 1,797 UCI handwritten digits, drawn in a seeded random order (so that consecutive rows are
    already a shuffled mini-batch); grey levels scaled from 0..16 to 0..1; one-hot targets, one per digit."""
    if not 1 <= n <= DIGITS_TOTAL:
        raise SheetnetError(f"[data] digits has {DIGITS_TOTAL} samples: n must be 1 to {DIGITS_TOTAL}, got {n}")
    with gzip.open(DIGITS_FILE, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",")
    order = np.random.default_rng(seed).permutation(len(table))[:n]
    chosen = table[order]
    labels = chosen[:, -1].astype(int)
    return Dataset(chosen[:, :-1] / DIGIT_LEVELS, np.eye(10)[labels], digit_names(),
                   tuple(f"digit {d}" for d in range(10)), "digits")


BUILTIN_DESCRIPTIONS = {
    "xor": "the four corners of the unit square; target 1 where exactly one input is 1 (n and noise ignored)",
    "exam": "hours studied and prior knowledge -> passed (1) or failed (0)",
    "circles": "a small ring inside a large ring; 2 classes",
    "moons": "two interleaving half circles; 2 classes",
    "spiral": "arms of a spiral, one class per arm (as many arms as softmax outputs, else 2)",
    "gauss": "Gaussian blobs on a circle, one class per blob (as many as softmax outputs, else 2)",
    "digits": "1,797 handwritten digits, 8x8 grey levels scaled to 0..1, 10 classes (UCI; CC BY 4.0); "
              "n picks a seeded subset",
}


def _parse_number(text: str, where: str) -> float:
    cleaned = text.strip()
    try:
        value = float(cleaned)
    except ValueError:
        if "," in cleaned and cleaned.replace(",", ".", 1).replace("-", "", 1).replace(".", "", 1).isdigit():
            raise SheetnetError(
                f"{where}: {text!r} uses a decimal comma; write decimals with a point (3.5)"
            ) from None
        raise SheetnetError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise SheetnetError(f"{where}: {text!r} is not a finite number")
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def from_csv(path: str | Path, outputs: int) -> Dataset:
    """Read a CSV file: one row per sample, the last `outputs` columns are the targets.

    A first row that is not all numbers is taken as a header and names the columns.
    """
    path = Path(path)
    text = read_text(path, MAX_CSV_BYTES, "a data file")
    try:
        rows = [row for row in csv.reader(text.splitlines()) if any(cell.strip() for cell in row)]
    except csv.Error as exc:  # a field longer than the csv module's limit (131,072 characters), a stray quote
        reason = "a field is longer than 131,072 characters" if "field limit" in str(exc) else str(exc)
        raise SheetnetError(f"{path}: not a data file sheetnet can read ({reason})") from None
    if not rows:
        raise SheetnetError(f"{path}: the data file is empty")
    if len(rows[0]) == 1 and ";" in rows[0][0]:
        raise SheetnetError(f"{path}: columns are separated by ';'; use commas")
    header = None
    if not all(_is_number(cell) for cell in rows[0]):
        header, rows = [cell.strip() for cell in rows[0]], rows[1:]
        for column, name in enumerate(header, start=1):
            check_text(f"{path}: the header of column {column}", name)
    if not rows:
        raise SheetnetError(f"{path}: the data file has a header but no data rows")
    width = len(header) if header else len(rows[0])
    if width <= outputs:
        raise SheetnetError(
            f"{path}: {width} column(s) cannot hold inputs and {outputs} target column(s)"
        )
    values = []
    first_line = 2 if header else 1
    for offset, row in enumerate(rows):
        line = first_line + offset
        if len(row) != width:
            raise SheetnetError(f"{path}: line {line} has {len(row)} columns, expected {width}")
        values.append([_parse_number(cell, f"{path}: line {line}") for cell in row])
    table = np.array(values, dtype=float)
    n_inputs = width - outputs
    names = header or list(_names("x", n_inputs)) + list(_names("y", outputs))
    return Dataset(
        table[:, :n_inputs], table[:, n_inputs:], tuple(names[:n_inputs]), tuple(names[n_inputs:]),
        path.stem,
    )


def from_rows(inputs, targets) -> Dataset:
    """Inline rows from a config: inputs (samples x inputs), targets (samples x outputs)."""
    for name, table in (("inputs", inputs), ("targets", targets)):
        widths = {len(row) for row in table}
        if len(widths) != 1:
            raise SheetnetError(f"[data] {name}: every row needs the same number of values")
    x = np.array(inputs, dtype=float)
    y = np.array(targets, dtype=float)
    if len(x) != len(y):
        raise SheetnetError(f"[data] {len(x)} input rows but {len(y)} target rows")
    return Dataset(x, y, _names("x", x.shape[1]), _names("y", y.shape[1]), "inline")
