"""Excel semantics, vectorised: operators and the supported functions over arrays of cells.

A value is a pair (values, codes): float arrays and int8 error codes (values.OK, EMPTY, TEXT or
an Excel error). Scalars have shape (n,), one entry per cell being evaluated; ranges (n, h, w).
The first error met, left to right, is the result's error, as in Excel.
"""

from __future__ import annotations

import numpy as np

from sheetnet.evaluate.values import EMPTY, ERROR_CODES, FIRST_ERROR, OK, TEXT

DIV0, VALUE, NUM, NA = ERROR_CODES["#DIV/0!"], ERROR_CODES["#VALUE!"], ERROR_CODES["#NUM!"], ERROR_CODES["#N/A"]


class Scalar:
    """Per-cell values and codes; `logical` marks TRUE/FALSE results (None: all numbers)."""

    __slots__ = ("values", "codes", "logical")

    def __init__(self, values: np.ndarray, codes: np.ndarray, logical: np.ndarray | None = None):
        self.values, self.codes, self.logical = values, codes, logical


class Range:
    __slots__ = ("values", "codes", "logical")

    def __init__(self, values: np.ndarray, codes: np.ndarray, logical: np.ndarray | None = None):
        self.values, self.codes, self.logical = values, codes, logical

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape[1], self.values.shape[2]


def as_scalar(value) -> Scalar:
    """A value in a scalar position: empty is 0, text is #VALUE!, a 1x1 range its cell."""
    if isinstance(value, Range):
        if value.shape != (1, 1):
            n = value.values.shape[0]
            return Scalar(np.zeros(n), np.full(n, VALUE, dtype=np.int8))
        logical = None if value.logical is None else value.logical[:, 0, 0]
        value = Scalar(value.values[:, 0, 0], value.codes[:, 0, 0], logical)
    codes = value.codes
    if codes.any() and ((codes == EMPTY) | (codes == TEXT)).any():
        values = np.where(codes == EMPTY, 0.0, value.values)
        codes = np.where(codes == EMPTY, OK, np.where(codes == TEXT, VALUE, codes)).astype(np.int8)
        return Scalar(values, codes, value.logical)
    return value


def as_range(value) -> Range:
    if isinstance(value, Range):
        return value
    return Range(value.values[:, None, None], value.codes[:, None, None])


def first_error(*codes: np.ndarray) -> np.ndarray:
    """Element-wise: the first operand's error, else the next one's, else OK."""
    shape = codes[0].shape
    codes = [code for code in codes if code.any()]
    if not codes:
        return np.zeros(shape, dtype=np.int8)
    if len(codes) == 1:
        return codes[0].astype(np.int8, copy=False)
    result = codes[-1]
    for code in reversed(codes[:-1]):
        result = np.where(code != OK, code, result)
    return result.astype(np.int8)


def finish(values: np.ndarray, codes: np.ndarray, invalid: int = NUM) -> Scalar:
    """Non-finite results become #NUM! (overflow) unless an error is already there."""
    if np.isfinite(values).all():
        return Scalar(values, codes)
    bad = ~np.isfinite(values) & (codes == OK)
    if bad.any():
        codes = np.where(bad, invalid, codes).astype(np.int8)
        values = np.where(bad, 0.0, values)
    return Scalar(values, codes)


def _range_error(codes: np.ndarray) -> np.ndarray:
    """Per cell: the first error in a range (row by row), or OK."""
    if not codes.any():
        return np.zeros(codes.shape[0], dtype=np.int8)
    flat = codes.reshape(codes.shape[0], -1)
    is_error = flat >= FIRST_ERROR
    first = np.argmax(is_error, axis=1)
    found = is_error[np.arange(flat.shape[0]), first]
    return np.where(found, flat[np.arange(flat.shape[0]), first], OK).astype(np.int8)


def binary(op: str, left, right) -> Scalar:
    a, b = as_scalar(left), as_scalar(right)
    x, y = a.values, b.values
    codes = first_error(a.codes, b.codes)
    with np.errstate(all="ignore"):
        if op == "+":
            return finish(x + y, codes)
        if op == "-":
            return finish(x - y, codes)
        if op == "*":
            return finish(x * y, codes)
        if op == "/":
            zero = (y == 0) & (codes == OK)
            codes = np.where(zero, DIV0, codes).astype(np.int8)
            return finish(np.where(zero, 0.0, x / np.where(y == 0, 1.0, y)), codes)
        if op == "^":
            return power(Scalar(x, codes), Scalar(y, np.zeros_like(codes)))
        comparisons = {"=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater,
                       "<=": np.less_equal, ">=": np.greater_equal}
        if op in comparisons:
            result = comparisons[op](x, y)
            if a.logical is not None or b.logical is not None:
                # Excel orders types: every number is less than every logical (TRUE/FALSE).
                left = a.logical if a.logical is not None else np.zeros(len(x), bool)
                right = b.logical if b.logical is not None else np.zeros(len(y), bool)
                mixed = left != right
                by_type = comparisons[op](left.astype(float), right.astype(float))
                result = np.where(mixed, by_type, result)
            return Scalar(result.astype(float), codes, np.ones(len(x), dtype=bool))
    raise ValueError(op)


def power(base: Scalar, exponent: Scalar) -> Scalar:
    x, y = base.values, exponent.values
    codes = first_error(base.codes, exponent.codes)
    with np.errstate(all="ignore"):
        result = np.power(x, y)
    codes = np.where((codes == OK) & (x == 0) & (y == 0), NUM, codes)
    codes = np.where((codes == OK) & (x == 0) & (y < 0), DIV0, codes)
    codes = np.where((codes == OK) & (x < 0) & (y != np.round(y)), NUM, codes).astype(np.int8)
    return finish(np.where(codes == OK, result, 0.0), codes)


def negate(value) -> Scalar:
    a = as_scalar(value)
    return Scalar(-a.values, a.codes)


def percent(value) -> Scalar:
    a = as_scalar(value)
    return Scalar(a.values / 100.0, a.codes)


def _numbers(args) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(values, numeric mask, error codes) per argument, each (n, k): ranges skip text and blanks."""
    parts = []
    for arg in args:
        if isinstance(arg, Range):
            n = arg.values.shape[0]
            codes = arg.codes.reshape(n, -1)
            parts.append((arg.values.reshape(n, -1), codes == OK, _range_error(arg.codes)))
        else:
            a = as_scalar(arg)
            parts.append((a.values[:, None], (a.codes == OK)[:, None], a.codes))
    return parts


def _aggregate(args, reduce) -> Scalar:
    parts = _numbers(args)
    codes = first_error(*[p[2] for p in parts])
    values = np.concatenate([p[0] for p in parts], axis=1)
    mask = np.concatenate([p[1] for p in parts], axis=1)
    return reduce(values, mask, codes)


def fn_sum(*args) -> Scalar:
    return _aggregate(args, lambda v, m, c: finish(np.where(m, v, 0.0).sum(axis=1), c))


def fn_sumsq(*args) -> Scalar:
    return _aggregate(args, lambda v, m, c: finish(np.where(m, v * v, 0.0).sum(axis=1), c))


def fn_average(*args) -> Scalar:
    def reduce(v, m, c):
        count = m.sum(axis=1)
        c = np.where((c == OK) & (count == 0), DIV0, c).astype(np.int8)
        return finish(np.where(m, v, 0.0).sum(axis=1) / np.maximum(count, 1), c)

    return _aggregate(args, reduce)


def _extreme(args, pick) -> Scalar:
    def reduce(v, m, c):
        filled = np.where(m, v, np.inf if pick is np.min else -np.inf)
        result = pick(filled, axis=1)
        return finish(np.where(m.any(axis=1), result, 0.0), c)

    return _aggregate(args, reduce)


def fn_max(*args) -> Scalar:
    return _extreme(args, np.max)


def fn_min(*args) -> Scalar:
    return _extreme(args, np.min)


def fn_sumproduct(*args) -> Scalar:
    ranges = [as_range(arg) for arg in args]
    n = ranges[0].values.shape[0]
    if any(r.shape != ranges[0].shape for r in ranges):
        return Scalar(np.zeros(n), np.full(n, VALUE, dtype=np.int8))
    product = np.ones_like(ranges[0].values)
    for r in ranges:
        product = product * np.where(r.codes == OK, r.values, 0.0)
    codes = first_error(*[_range_error(r.codes) for r in ranges])
    return finish(product.reshape(n, -1).sum(axis=1), codes)


def fn_if(condition, when_true=None, when_false=None) -> Scalar:
    c = as_scalar(condition)
    n = c.values.shape[0]
    t = as_scalar(when_true) if when_true is not None else Scalar(np.ones(n), np.zeros(n, np.int8))
    f = as_scalar(when_false) if when_false is not None else Scalar(np.zeros(n), np.zeros(n, np.int8))
    truth = c.values != 0
    values = np.where(truth, t.values, f.values)
    codes = np.where(c.codes != OK, c.codes, np.where(truth, t.codes, f.codes)).astype(np.int8)
    if when_false is None:
        f.logical = np.ones(n, dtype=bool)  # IF(c, x) gives FALSE when c is false
    return Scalar(values, codes, _pick_logical(truth, t, f))


def _pick_logical(choose_first: np.ndarray, first: Scalar, second: Scalar) -> np.ndarray | None:
    if first.logical is None and second.logical is None:
        return None
    n = len(choose_first)
    a = first.logical if first.logical is not None else np.zeros(n, bool)
    b = second.logical if second.logical is not None else np.zeros(n, bool)
    return np.where(choose_first, a, b)


def fn_iferror(value, fallback) -> Scalar:
    v, f = as_scalar(value), as_scalar(fallback)
    failed = v.codes >= FIRST_ERROR
    return Scalar(np.where(failed, f.values, v.values), np.where(failed, f.codes, v.codes).astype(np.int8),
                  _pick_logical(~failed, v, f))


def _logical(args, combine) -> Scalar:
    parts = _numbers(args)
    codes = first_error(*[p[2] for p in parts])
    values = np.concatenate([p[0] for p in parts], axis=1) != 0
    mask = np.concatenate([p[1] for p in parts], axis=1)
    result = combine(values, mask)
    codes = np.where((codes == OK) & ~mask.any(axis=1), VALUE, codes).astype(np.int8)
    return Scalar(result.astype(float), codes, np.ones(len(result), dtype=bool))


def fn_and(*args) -> Scalar:
    return _logical(args, lambda v, m: np.where(m, v, True).all(axis=1))


def fn_or(*args) -> Scalar:
    return _logical(args, lambda v, m: np.where(m, v, False).any(axis=1))


def fn_not(value) -> Scalar:
    a = as_scalar(value)
    return Scalar((a.values == 0).astype(float), a.codes, np.ones(len(a.values), dtype=bool))


def _unary(func, domain=None):
    def apply(value) -> Scalar:
        a = as_scalar(value)
        codes = a.codes
        if domain is not None:
            codes = np.where((codes == OK) & ~domain(a.values), NUM, codes).astype(np.int8)
        with np.errstate(all="ignore"):
            result = func(np.where(codes == OK, a.values, 1.0))
        return finish(np.where(codes == OK, result, 0.0), codes)

    return apply


def fn_power(base, exponent) -> Scalar:
    return power(as_scalar(base), as_scalar(exponent))


FUNCTIONS = {
    "SUM": fn_sum,
    "SUMSQ": fn_sumsq,
    "SUMPRODUCT": fn_sumproduct,
    "AVERAGE": fn_average,
    "MAX": fn_max,
    "MIN": fn_min,
    "IF": fn_if,
    "IFERROR": fn_iferror,
    "AND": fn_and,
    "OR": fn_or,
    "NOT": fn_not,
    "ABS": _unary(np.abs),
    "EXP": _unary(np.exp),
    "LN": _unary(np.log, lambda x: x > 0),
    "LOG10": _unary(np.log10, lambda x: x > 0),
    "SQRT": _unary(np.sqrt, lambda x: x >= 0),
    "TANH": _unary(np.tanh),
    "SIN": _unary(np.sin),
    "COS": _unary(np.cos),
    "SIGN": _unary(np.sign),
    "INT": _unary(np.floor),  # Excel's INT rounds down: INT(-2.5) is -3
    "POWER": fn_power,
    "PI": None,  # PI() is a constant: the evaluator reads it as a number
}

# Arguments that may be ranges; everywhere else a range is read as a scalar.
RANGE_FUNCTIONS = {"SUM", "SUMSQ", "SUMPRODUCT", "AVERAGE", "MAX", "MIN", "AND", "OR"}
ARITY = {"IF": (1, 3), "IFERROR": (2, 2), "NOT": (1, 1), "ABS": (1, 1), "EXP": (1, 1), "LN": (1, 1),
         "LOG10": (1, 1), "SQRT": (1, 1), "TANH": (1, 1), "SIN": (1, 1), "COS": (1, 1), "SIGN": (1, 1),
         "INT": (1, 1), "POWER": (2, 2), "PI": (0, 0)}
# One-argument functions that work cell by cell on a range inside SUMPRODUCT, as in SUMPRODUCT(ABS(B5:C8)).
ELEMENTWISE = {"ABS", "EXP", "LN", "LOG10", "SQRT", "TANH", "SIN", "COS", "SIGN", "INT"}


def elementwise(name: str, value):
    """An ELEMENTWISE function of a range (inside SUMPRODUCT: every cell), or of a single value."""
    if isinstance(value, Range):
        result = FUNCTIONS[name](Scalar(value.values, value.codes))
        return Range(result.values, result.codes)
    return FUNCTIONS[name](value)
