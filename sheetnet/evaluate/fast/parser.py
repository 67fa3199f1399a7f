"""Parse a formula shape (references already replaced by ¤, numbered here left to right) into a small tree of tuples.

Excel's precedence, loosest first: comparison (= <> < > <= >=), & , + -, * /, ^, %, then unary
minus, which binds tighter than ^ (so =-2^2 is 4). ^ is left-associative (2^3^2 is 64).

Nodes: ("num", float) ("str", text) ("bool", bool) ("err", text) ("ref", k) ("neg", x) ("pct", x)
("bin", op, left, right) ("call", NAME, (args...)) ("missing",) for an omitted argument.
"""

from __future__ import annotations

import re

from .references import PLACEHOLDER


class FormulaSyntaxError(ValueError):
    pass


_TOKENS = re.compile(
    r"""\s*(?:
    (?P<ref>""" + PLACEHOLDER + r""")
    |(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<str>"(?:[^"]|"")*")
    |(?P<err>\#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A))
    |(?P<func>[A-Za-z_][A-Za-z0-9_.]*)\s*\(
    |(?P<name>[A-Za-z_\\][A-Za-z0-9_.]*)
    |(?P<op><>|<=|>=|[-+*/^&=<>%(),])
    )""",
    re.X,
)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKENS.match(text, pos)
        if match is None or match.end() == pos:
            raise FormulaSyntaxError(f"cannot read the formula from {text[pos:pos + 20]!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    COMPARISONS = ("=", "<>", "<", ">", "<=", ">=")

    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0
        self.refs = 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self):
        token = self.peek()
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        kind, text = self.take()
        if text != value:
            raise FormulaSyntaxError(f"expected {value!r}, found {text!r}")

    def binary(self, operators, operand):
        left = operand()
        while self.peek()[0] == "op" and self.peek()[1] in operators:
            op = self.take()[1]
            left = ("bin", op, left, operand())
        return left

    def comparison(self):
        return self.binary(self.COMPARISONS, self.concat)

    def concat(self):
        return self.binary(("&",), self.additive)

    def additive(self):
        return self.binary(("+", "-"), self.multiplicative)

    def multiplicative(self):
        return self.binary(("*", "/"), self.power)

    def power(self):
        return self.binary(("^",), self.unary)

    def unary(self):
        kind, text = self.peek()
        if kind == "op" and text in ("-", "+"):
            self.take()
            operand = self.unary()
            return ("neg", operand) if text == "-" else operand
        return self.percent()

    def percent(self):
        node = self.primary()
        while self.peek() == ("op", "%"):
            self.take()
            node = ("pct", node)
        return node

    def primary(self):
        kind, text = self.take()
        if kind == "num":
            return ("num", float(text))
        if kind == "str":
            return ("str", text[1:-1].replace('""', '"'))
        if kind == "err":
            return ("err", text)
        if kind == "ref":
            self.refs += 1
            return ("ref", self.refs - 1)
        if kind == "name":
            if text.upper() in ("TRUE", "FALSE"):
                return ("bool", text.upper() == "TRUE")
            raise FormulaSyntaxError(f"unknown name {text!r}")
        if kind == "func":
            return self.call(text.upper())
        if (kind, text) == ("op", "("):
            node = self.comparison()
            self.expect(")")
            return node
        raise FormulaSyntaxError(f"unexpected {text or 'end of formula'!r}")

    def call(self, name: str):
        args = []
        if self.peek() == ("op", ")"):
            self.take()
            return ("call", name, ())
        while True:
            if self.peek()[1] in (",", ")") and self.peek()[0] == "op":
                args.append(("missing",))
            else:
                args.append(self.comparison())
            kind, text = self.take()
            if text == ")":
                return ("call", name, tuple(args))
            if text != ",":
                raise FormulaSyntaxError(f"expected ',' or ')' in {name}(), found {text!r}")


def parse(shape: str):
    """The tree of a formula shape; the leading '=' is optional."""
    text = shape[1:] if shape.startswith("=") else shape
    parser = _Parser(tokenize(text))
    node = parser.comparison()
    if parser.pos != len(parser.tokens):
        raise FormulaSyntaxError(f"unexpected {parser.peek()[1]!r} after the formula")
    return node
