"""Screen every part of a workbook before any parser, engine or application sees it.

A workbook from a stranger is refused, with one line naming what and where, when any part:
- declares a DOCTYPE or an ENTITY (entity expansion: "billion laughs"), anywhere, in any encoding;
- links to another file: an external link part wherever it is stored (found by its relationship type,
  its content type or its root element), or a formula that refers to another workbook (`[1]Sheet1!A1`,
  `'C:\\x\\[a.xlsx]Sheet1'!A1`) or to another program (DDE: `cmd|'/c calc'!A1`);
- calls a function that reaches outside the file (WEBSERVICE, FILTERXML, HYPERLINK, INDIRECT, CALL,
  REGISTER.ID, RTD, DDE, ...), with or without Excel's `_xlfn.`/`_xlws.` prefixes, in a cell, a defined
  name, a conditional format, a validation rule or a chart.
So no engine (the fast one, `formulas`, LibreOffice) can be made to read another file or the network:
the file never reaches them. Every check is one pass over the part's bytes (the formulas of a part are
examined by their distinct shapes; one by one only when that finds something, to name it).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from sheetnet.errors import SheetnetError
from sheetnet.evaluate import xmlscreen
from sheetnet.evaluate.formula_scan import SEPARATOR, FormulaScan, scan_formulas
from sheetnet.evaluate.xmltext import unescape

REACHING_OUT = ("WEBSERVICE", "FILTERXML", "HYPERLINK", "INDIRECT", "CALL", "REGISTER.ID", "REGISTER", "RTD",
                "DDE", "DDEAUTO", "EXEC", "INFO", "CELL", "IMAGE", "STOCKHISTORY", "ENCODEURL",
                "GETPIVOTDATA", "SQL.REQUEST", "EVALUATE")
_CALL = re.compile(r"(?<![A-Za-z0-9_])(?:_xlfn\.|_xlws\.|_xlfn\._xlws\.)?(" +
                   "|".join(re.escape(name) for name in REACHING_OUT) + r")\s*\(", re.I)
_STRING = re.compile(r'"(?:[^"]|"")*"')
# A reference into another workbook: [1]Sheet!A1, '[a.xlsx]Sheet'!A1, 'C:\path\[a.xlsx]Sheet'!A1
_EXTERNAL_REFERENCE = re.compile(r"\[[^\]]*\][^!]*!|\[\d+\]")
# Elements that hold formula text, in any part: cells, names, conditional formats, validations, charts
_FORMULA_ELEMENT = re.compile(rb"<((?:[\w.-]+:)?(?:f|formula|formula1|formula2|definedName))\b[^>]*>([^<]*)</\1\s*>")
_ELEMENT_ROLE = {"f": "formula", "definedName": "defined name", "formula": "conditional format",
                 "formula1": "validation rule", "formula2": "validation rule"}
_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)
_EXTERNAL_LINK_PART = re.compile(rb"relationships/externalLink|externalLink\+xml|<(?:\w+:)?externalLink[\s>]|"
                                 rb"relationships/oleObject", re.I)
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_OUTSIDE = re.compile(rb"TargetMode\s*=\s*[\"']External", re.I)
_HYPERLINK = re.compile(rb"Type\s*=\s*[\"'][^\"']*/hyperlink[\"']")


def _text_of(data: bytes) -> bytes:
    """The part's characters as UTF-8 bytes, whatever its encoding (a UTF-16 part cannot hide a DOCTYPE)."""
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace").encode("utf-8")
    if data[:2] in (b"<\x00", b"\x00<"):
        return data.decode("utf-16-le" if data[0] else "utf-16-be", errors="replace").encode("utf-8")
    return data


def formula_problem(formula: str) -> str | None:
    """What in a formula reaches outside the file, if anything (strings aside: "HYPERLINK(" in text is text)."""
    code = _STRING.sub('""', formula)
    match = _CALL.search(code)
    if match:
        return f"calls {match.group(1).upper()}, which reaches outside the file"
    if _EXTERNAL_REFERENCE.search(code):
        return "refers to another workbook"
    if "|" in code:
        return "asks another program for data (DDE)"
    return None


def _links_outside(name: str, text: bytes) -> bool:
    """An external link part, its content type or relationship, or any relationship to something outside the
    package other than a cell's web hyperlink (which no engine follows)."""
    if (name.endswith(".rels") or name == "[Content_Types].xml" or b"xternalLink" in text) and \
            _EXTERNAL_LINK_PART.search(text):
        return True
    if name.endswith(".rels"):
        return any(_OUTSIDE.search(rel) and not _HYPERLINK.search(rel) for rel in _RELATIONSHIP.findall(text))
    return False


_ZERO_DIGITS = bytes.maketrans(b"123456789", b"000000000")


def _all_harmless(joined: bytes, separator: bytes, count: int) -> bool:
    """Every formula of a part (`count` of them, joined by `separator`) examined by its distinct shapes:
    digits play no part in any rule above, so a million formulas of a few dozen shapes are a few dozen
    examinations. A part with a character reference (which could spell a digit or anything else) or a
    separator inside a formula, or with a shape that has a problem, is examined formula by formula, which
    also names the one."""
    if b"&#" in joined or joined.count(separator) != count - 1:
        return False
    shapes = set(joined.translate(_ZERO_DIGITS).split(separator))
    return all(formula_problem(unescape(shape.decode("utf-8", errors="replace"))) is None for shape in shapes)


_ODD_F = re.compile(rb"<f(?![>A-Za-z0-9_])")  # an element named f written in any way but <f>
_PREFIXED = re.compile(rb"<[\w.-]+:(?:f|formula|formula1|formula2|definedName)\b")


def _plain_formulas(text: bytes) -> FormulaScan | None:
    """The part's formulas when every formula element in it is a plain <f>BODY</f> (formula_scan finds those
    with numpy); None when it may hold any other (a name, a rule, a prefixed or attributed f)."""
    if b"<formula" in text or b"<definedName" in text or _ODD_F.search(text):
        return None
    if (b":f" in text or b":definedName" in text) and _PREFIXED.search(text):
        return None
    return scan_formulas(text)


def screen_part(name: str, data: bytes, path: Path) -> FormulaScan | None:
    """Refuse a part that could make any reader or engine expand entities or reach outside the file.
    Returns the part's plain formulas when it found them with formula_scan, for the reader to reuse."""
    encoding = xmlscreen.encoding_problem(data)
    if encoding:
        raise SheetnetError(f"{path}: refused: {name} {encoding}; spreadsheets write UTF-8 or UTF-16")
    text = _text_of(data)
    if _DECLARATION.search(text):
        raise SheetnetError(f"{path}: refused: {name} declares a DOCTYPE/ENTITY (entity expansion is refused "
                            f"before any parsing)")
    if _links_outside(name, text):
        raise SheetnetError(f"{path}: refused: {name} links to another file (sheetnet opens only the file "
                            f"it is given; remove the external links)")
    if xmlscreen.unusual(text):  # read as the engines' XML parsers read it
        problem = xmlscreen.parsed_problem(text, formula_problem)
        if problem:
            raise SheetnetError(f"{path}: refused: {name} {problem}")
        return None
    scan = _plain_formulas(text) if b"<f>" in text else None
    if scan is not None and (not len(scan.rows) or _all_harmless(scan.joined, SEPARATOR.encode(), len(scan.rows))):
        return scan if text is data else None
    elements = _FORMULA_ELEMENT.findall(text)
    if scan is None and (not elements or _all_harmless(b"\x00".join(body for _, body in elements), b"\x00",
                                                       len(elements))):
        return None
    for tag, raw in elements:  # one by one: something was found, or the scan's shapes could not be trusted
        formula = unescape(raw.decode("utf-8", errors="replace"))
        problem = formula_problem(formula)
        if problem:
            role = _ELEMENT_ROLE[tag.decode().split(":")[-1]]
            raise SheetnetError(f"{path}: refused: a {role} in {name} {problem}: "
                                f"{formula[:60].replace(chr(10), ' ')!r}")
    return None
