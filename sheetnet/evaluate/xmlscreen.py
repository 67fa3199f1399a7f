"""The screen's careful path: a part read as an XML parser reads it, for every spelling the fast path cannot vouch
for.

The fast path (screen.py) examines a part's bytes with regular expressions, which is right for the XML spreadsheets
write: UTF-8 or UTF-16, no CDATA, no comments, no processing instructions but the declaration, no character
references, plain element names. Anything else can make a formula or a link read differently by a regular
expression and by the XML parsers inside the engines (`formulas` through openpyxl, LibreOffice): `<f>WEB<!---->
SERVICE(...)</f>`, `<![CDATA[...]]>`, `</f >`, `<x-y:f>`, `TargetMode="Ext&#101;rnal"`. Such a part is parsed here
(defusedxml: no DTD, no entities) and its formulas and relationships are screened as the parser gives them. A part
in any encoding but UTF-8 or UTF-16 (UTF-32, EBCDIC, an XML declaration naming another) is refused: no spreadsheet
writes one, and a parser that decodes it differently from the screen could see a DOCTYPE the screen did not.
"""

from __future__ import annotations

import codecs
import re

from defusedxml import ElementTree as SafeET

FORMULA_TAGS = {"f": "formula", "definedName": "defined name", "formula": "conditional format",
                "formula1": "validation rule", "formula2": "validation rule"}
_DECLARED = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
_UNUSUAL = re.compile(rb"<!\[CDATA\[|<!--|&#|</[^>]*\s>|<[\w.-]*[.-][\w.-]*:|(?<!^)<\?")
_TEXT_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "us-ascii", "ascii"}


def encoding_problem(data: bytes) -> str | None:
    """Why a part's encoding is refused, or None for UTF-8 or UTF-16 (with or without a byte order mark)."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) or data[:4] in (b"<\x00\x00\x00",
                                                                                 b"\x00\x00\x00<"):
        return "is written in UTF-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or data[:2] in (b"<\x00", b"\x00<"):
        return None
    if data.startswith(b"\x4c\x6f\xa7\x94"):  # "<?xm" in EBCDIC
        return "is written in EBCDIC"
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    if body.lstrip(b" \t\r\n")[:1] != b"<":  # EBCDIC without a declaration ('<' is 0x4C there), or not XML at all
        return "is not UTF-8 or UTF-16 XML (EBCDIC, or another encoding?)"
    declared = _DECLARED.match(body)
    if declared and declared.group(1).decode("ascii", "replace").strip().lower() not in _TEXT_ENCODINGS:
        return f"declares the encoding {declared.group(1).decode('ascii', 'replace')[:20]!r}"
    return None


def unusual(text: bytes) -> bool:
    """Whether a part (as UTF-8) holds a construct the fast path's regular expressions cannot read as a parser
    does: CDATA, a comment, a character reference, a processing instruction after the start, a closing tag with
    space before its '>', an element prefix with '.' or '-'."""
    return _UNUSUAL.search(text.lstrip(codecs.BOM_UTF8)) is not None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parsed_problem(text: bytes, formula_problem) -> str | None:
    """What a parser's reading of the part reveals: a formula that reaches out (`formula_problem(text)` says what),
    an external link, a relationship to anything outside the package but a web hyperlink; None if nothing."""
    try:
        root = SafeET.fromstring(text)
    except Exception as exc:  # defusedxml refuses DTDs and entities; ElementTree refuses malformed XML
        return f"is not valid XML ({type(exc).__name__})"
    for element in root.iter():
        name = _local(element.tag) if isinstance(element.tag, str) else ""
        if name == "externalLink":
            return "is an external link"
        if name in FORMULA_TAGS:
            formula = "".join(element.itertext())
            problem = formula_problem(formula)
            if problem:
                return f"holds a {FORMULA_TAGS[name]} that {problem}: {formula[:60]!r}"
        attributes = {_local(key): value for key, value in element.attrib.items()}
        if name == "Relationship":
            kind = attributes.get("Type", "")
            if "externalLink" in kind or "oleObject" in kind:
                return "links to another file"
            if attributes.get("TargetMode", "").strip().lower() == "external" and not kind.endswith("/hyperlink"):
                return "links to another file"
        if name == "Override" and "externalLink" in attributes.get("ContentType", ""):
            return "declares an external link"
    return None
