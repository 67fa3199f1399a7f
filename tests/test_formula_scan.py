"""The numpy scans of the read path give what the general parser and regular expressions give."""

from __future__ import annotations

import random
import zipfile

import numpy as np
import pytest

from sheetnet.evaluate.fast.digitruns import FormulaTexts, _by_regex, skeletons_and_numbers
from sheetnet.evaluate.formula_scan import SEPARATOR, _references, scan_formulas
from sheetnet.evaluate.sheetcells import parse_general

from .conftest import REPO


@pytest.mark.parametrize("name", ["xor", "digits", "softmax-spiral"])
def test_the_scan_reads_every_sheet_as_the_general_parser_does(name, tmp_path):
    with zipfile.ZipFile(REPO / "workbooks" / f"{name}.xlsx") as archive:
        parts = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    for data in parts:
        scan = scan_formulas(data)
        general = parse_general("s", data, [], tmp_path)
        assert scan is not None
        assert scan.rows.tolist() == general.formula_rows.tolist()
        assert scan.cols.tolist() == general.formula_cols.tolist()
        from sheetnet.evaluate.xmltext import unescape

        texts = unescape(scan.joined.decode()).split(SEPARATOR) if len(scan.rows) else []
        assert texts == general.formula_texts


@pytest.mark.parametrize("address, expected", [
    (b'A1"', (1, 1)), (b'XFD1048576"', (1048576, 16384)), (b'AA10"', (10, 27)), (b'ZZZ9"', (9, 18278)),
    (b'A"', None), (b'1A"', None), (b'ABCD1"', None), (b'A12345678"', None), (b'a1"', None), (b'A1B"', None),
    (b'A1 ', None), (b'$A$1"', None),
])
def test_addresses_are_decoded_or_refused(address, expected):
    found = _references(np.frombuffer(address + b"    ", np.uint8), np.array([0]))
    assert (None if found is None else (int(found[0][0]), int(found[1][0]))) == expected


@pytest.mark.parametrize("sheet", [
    b'<sheetData><row r="1"><c r="A1"><f t="shared" ref="A1:A2" si="0">B1</f></c></row></sheetData>',
    b'<sheetData><row r="1"><c r="A1"><f/></c></row></sheetData>',
    b'<sheetData><row r="1"><c s="1" r="A1"><f>B1</f></c></row></sheetData>',  # r not first
    b'<sheetData><row r="1"><c r="A1"><v>1</v><f>B1</f></c></row></sheetData>',  # a tag between
    b'<sheetData><row r="1"><c r="A1"><f>B1<x/></f></c></row></sheetData>',  # a tag inside
    b'<sheetData><row r="1"><c r="a1"><f>B1</f></c></row></sheetData>',
])
def test_any_other_layout_goes_to_the_general_parser(sheet):
    assert scan_formulas(sheet) is None


def test_a_plain_sheet_is_scanned():
    scan = scan_formulas(b'<sheetData><row r="2"><c r="B2" s="3"><f>SUM(A1:A2)&gt;0</f><v>1</v></c>'
                         b'<c r="C2"><f>"&lt;"</f></c></row></sheetData>')
    assert scan.rows.tolist() == [2, 2] and scan.cols.tolist() == [2, 3]
    assert scan.joined == b'=SUM(A1:A2)&gt;0' + SEPARATOR.encode() + b'="&lt;"'


def test_digit_runs_agree_with_the_regular_expression():
    generator = random.Random(1)
    for _ in range(2000):
        formulas = ["".join(generator.choice("0123456789AB$é€=+(),:!'x") for _ in range(generator.randint(0, 40)))
                    for _ in range(generator.randint(1, 6))]
        joined = "\x02".join(formulas).encode()
        skeletons, numbers = skeletons_and_numbers(joined)
        expected_skeletons, expected_numbers = _by_regex(joined)
        assert skeletons == expected_skeletons and numbers.tolist() == expected_numbers.tolist()
    long_run = "=A" + "1" * 20
    assert skeletons_and_numbers(long_run.encode())[1].tolist() == [111111111111111, 11111]


def test_formula_texts_are_decoded_one_at_a_time():
    texts = FormulaTexts("=A1\x02=SUM(B1:B2)\x02=\"é\"".encode())
    assert len(texts) == 3 and [texts[k] for k in range(3)] == ["=A1", "=SUM(B1:B2)", '="é"']


@pytest.mark.parametrize("escaped, text", [("a&amp;lt;b", "a&lt;b"), ("&lt;&gt;&quot;&apos;&amp;", "<>\"'&"),
                                           ("&amp;amp;", "&amp;"), ("&#60;&#x3E;", "<>"), ("&foo; &lt", "&foo; &lt")])
def test_xml_text_is_unescaped_once(escaped, text):
    from sheetnet.evaluate.xmltext import unescape

    assert unescape(escaped) == text


@pytest.mark.parametrize("sheet", [
    b'<sheetData><row r="1"><c r="A1"><f>1+&#2;2</f></c></row></sheetData>',  # the scan's path
    b'<sheetData><row r="1"><c s="1" r="A1"><f>1+&#2;2</f></c></row></sheetData>',  # the general parser's
])
def test_a_formula_spelling_the_separator_is_refused(tmp_path, sheet):
    from sheetnet.errors import SheetnetError
    from sheetnet.evaluate.xlsx import _parse_sheet

    with pytest.raises(SheetnetError, match="control character"):
        _parse_sheet("Sheet1", sheet, [], tmp_path / "x.xlsx")
