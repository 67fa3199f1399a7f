"""The screen reads XML as a parser does (issue 25, classes 1, 2 and 10): every spelling of a reaching-out formula
or an external link that an XML parser (openpyxl inside `formulas`, LibreOffice) would read as one is refused,
whatever CDATA, comments, processing instructions, character references, prefixes, spaces or encodings hide it;
random spellings of the same XML screen the same (hypothesis)."""

from __future__ import annotations

import codecs
import re

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetnet.cli import main

from .conftest import build, rewrite_parts

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LAYER_1 = "xl/worksheets/sheet3.xml"


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return build(tmp_path_factory.mktemp("clean"), training={"steps": 1})


def _rewrite(source, target, part: str, change) -> None:
    rewrite_parts(source, target, {part: change})


def _with_formula_element(source, target, element: str) -> None:
    """The first formula of Layer 1 replaced by `element` (a whole <f>...</f>, spelt as given)."""
    _rewrite(source, target, LAYER_1, lambda data: re.sub(rb"<f>[^<]*</f>", element.encode(), data, count=1))


def _refused(path) -> str:
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2, result.output
    assert "refused" in result.output and len(result.output.strip().splitlines()) == 1, result.output
    return result.output


@pytest.mark.parametrize("element", [
    '<f>WEB<!-- a comment -->SERVICE("http://example.invalid/")</f>',
    '<f><![CDATA[WEBSERVICE("http://example.invalid/")]]></f>',
    '<f>WEB<![CDATA[SERVICE]]>("http://example.invalid/")</f>',
    '<f>WEB<?pi data?>SERVICE("http://example.invalid/")</f>',
    '<f>&#87;EBSERVICE("http://example.invalid/")</f>',
    '<f>WEBSERVICE("http://example.invalid/")</f >',
    f'<x-y:f xmlns:x-y="{MAIN}">WEBSERVICE("http://example.invalid/")</x-y:f>',
    f'<x.y:f xmlns:x.y="{MAIN}">WEBSERVICE("http://example.invalid/")</x.y:f>',
])
def test_a_reaching_out_formula_is_refused_however_it_is_spelt(clean, tmp_path, element):
    hostile = tmp_path / "hostile.xlsx"
    _with_formula_element(clean, hostile, element)
    assert "WEBSERVICE" in _refused(hostile)


def test_cdata_in_a_defined_name_is_read_as_a_parser_reads_it(clean, tmp_path):
    hostile = tmp_path / "hostile.xlsx"
    _rewrite(clean, hostile, "xl/workbook.xml", lambda data: data.replace(
        b"</definedNames>", b'<definedName name="grab"><![CDATA[WEBSERVICE("http://example.invalid/")]]>'
                            b"</definedName></definedNames>", 1))
    assert "defined name" in _refused(hostile)


def _rels_with(source, target, relationship: str, encoding: str = "utf-8") -> None:
    def change(data: bytes) -> bytes:
        text = data.decode("utf-8").replace("</Relationships>", relationship + "</Relationships>", 1)
        if encoding == "utf-8":
            return text.encode()
        text = text.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"')
        bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-32-le": codecs.BOM_UTF32_LE, "cp500": b""}[encoding]
        return bom + text.encode(encoding)
    _rewrite(source, target, "xl/worksheets/_rels/sheet3.xml.rels", change)


LINK = '<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" ' \
       'Target="http://example.invalid/pixel.png" {mode}/>'


@pytest.mark.parametrize("mode", ['TargetMode="Ext&#101;rnal"', 'TargetMode="&#69;xternal"',
                                  'Extra="1" TargetMode = "External" Other="2"', "TargetMode='External'",
                                  'TargetMode="External "'])
def test_a_linked_picture_is_refused_however_its_relationship_is_spelt(clean, tmp_path, mode):
    hostile = tmp_path / "hostile.xlsx"
    _rels_with(clean, hostile, LINK.format(mode=mode))
    assert "links to another file" in _refused(hostile)


@pytest.mark.parametrize("encoding, words", [("utf-16-le", "links to another file"), ("utf-32-le", "UTF-32"),
                                             ("cp500", "EBCDIC")])
def test_a_relationship_part_in_another_encoding_is_decoded_or_refused(clean, tmp_path, encoding, words):
    hostile = tmp_path / "hostile.xlsx"
    _rels_with(clean, hostile, LINK.format(mode='TargetMode="External"'), encoding)
    assert words in _refused(hostile)


def test_a_doctype_in_a_utf32_part_is_refused(clean, tmp_path):
    hostile = tmp_path / "hostile.xlsx"
    text = '<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE x [<!ENTITY a "b">]><sst xmlns="' + MAIN + '"/>'
    _rewrite(clean, hostile, "docProps/app.xml", lambda data: codecs.BOM_UTF32_LE + text.encode("utf-32-le"))
    assert "UTF-32" in _refused(hostile)


def test_an_external_link_part_under_any_name_is_refused(clean, tmp_path):
    """Declared only through [Content_Types].xml, its part named like anything but an external link."""
    hostile = tmp_path / "hostile.xlsx"
    _rewrite(clean, hostile, "[Content_Types].xml", lambda data: data.replace(
        b"</Types>", b'<Override PartName="/xl/notes.xml" ContentType="application/vnd.openxmlformats-'
                     b'officedocument.spreadsheetml.extern&#97;lLink+xml"/></Types>', 1))
    assert "external link" in _refused(hostile)


PIECES = ["W", "E", "B", "S", "E", "R", "V", "I", "C", "E", "("]


def _spelt(cuts: list[int], style: str) -> str:
    """WEBSERVICE( with the chosen style inserted at the cut positions."""
    out = ""
    for i, piece in enumerate(PIECES):
        if i in cuts and style == "comment":
            out += "<!---->"
        elif i in cuts and style == "pi":
            out += "<?x?>"
        if i in cuts and style == "charref":
            out += f"&#{ord(piece)};"
        elif i in cuts and style == "cdata":
            out += f"<![CDATA[{piece}]]>"
        else:
            out += piece
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(0, len(PIECES) - 1), max_size=4, unique=True),
       style=st.sampled_from(["comment", "pi", "charref", "cdata"]),
       prefix=st.sampled_from(["", "x-y", "a.b", "s"]), space=st.booleans())
def test_random_spellings_of_the_same_formula_screen_the_same(clean, tmp_path_factory, cuts, style, prefix, space):
    tag = f"{prefix}:f" if prefix else "f"
    declaration = f' xmlns:{prefix}="{MAIN}"' if prefix else ""
    element = f'<{tag}{declaration}>{_spelt(cuts, style)}"http://example.invalid/")</{tag}{" " if space else ""}>'
    hostile = tmp_path_factory.mktemp("spelt") / "hostile.xlsx"
    _with_formula_element(clean, hostile, element)
    assert "WEBSERVICE" in _refused(hostile)


@pytest.mark.parametrize("element", ['<f><!-- harmless -->1+1</f>', "<f>&#49;+1</f>"])
def test_an_unusual_spelling_of_a_harmless_formula_is_not_called_hostile(clean, tmp_path, element):
    """The careful path refuses what reaches out, not every odd spelling: such a file gets no 'refused'."""
    odd = tmp_path / "odd.xlsx"
    _with_formula_element(clean, odd, element)
    result = CliRunner().invoke(main, ["check", str(odd)])
    assert "refused" not in result.output
