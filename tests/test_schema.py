"""Every example is a schema-valid package, as written and after LibreOffice has recalculated and saved it.

Two audits: `openxml-audit` (PyPI; the Open XML SDK's schema and semantic checks in Python) and a structural
audit of our own (content types, relationship targets, row and cell order, style indexes, worksheet element
order) that also runs on files the SDK port accepts. Each has a control test that shows it sees a fault.

Documented false positive of openxml-audit 0.8: it reports the children of a `<font>` in styles.xml (b, i, sz,
color, name) as "unexpected" when they are not in its order, but CT_Font is an unordered choice in the schema
(ECMA-376 Part 1, 18.8.22), and Excel, LibreOffice and openpyxl write them in different orders.
Its warnings (e.g. that Excel moves inline strings into a shared-strings table when it saves) are not errors.

A file LibreOffice 7.4 has saved carries two findings of LibreOffice's own making, accepted there only: it writes
no theme part (the SDK requires the workbook's theme relationship; Excel opens such files) and it gives every
comment shape of a legacy VML drawing the id `shape_0` and repeats the `_x0000_t202` shape type in each drawing.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

import pytest

from sheetnet.api.examples import example_configs

from .conftest import REPO, example_params

openxml_audit = pytest.importorskip("openxml_audit")

EXAMPLES = list(example_configs())
_FONT_CHILD = re.compile(r"/styleSheet\[1\]/fonts\[1\]/font\[\d+\]$")
_NS = {
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
}
_WORKSHEET_ORDER = [
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr", "sheetProtection",
    "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate", "customSheetViews", "mergeCells",
    "phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins",
    "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors",
    "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst",
]


_LIBREOFFICE_OWN = (
    re.compile(r"^/xl/workbook\.xml .*relationship type '[^']*/relationships/theme' is missing"),
    re.compile(r"^/xl/drawings/vmlDrawing\d+\.vml .*Attribute 'id' should have unique value"),
)


def schema_errors(path: Path, saved_by_libreoffice: bool = False) -> list[str]:
    """openxml-audit's errors, less the documented false positive (and LibreOffice's own, in a file it saved)."""
    validator = openxml_audit.OpenXmlValidator(max_errors=0)
    result = validator.validate(str(path))
    errors = []
    for error in result.errors:
        if error.severity.value != "error":
            continue
        if (error.part_uri == "/xl/styles.xml" and _FONT_CHILD.search(error.path or "")
                and error.description.startswith("Unexpected element")):
            continue
        text = f"{error.part_uri} {error.path}: {error.description}"
        if not (saved_by_libreoffice and any(pattern.search(text) for pattern in _LIBREOFFICE_OWN)):
            errors.append(text)
    return errors


def _column(reference: str) -> int:
    number = 0
    for letter in re.match(r"[A-Z]+", reference).group():
        number = number * 26 + ord(letter) - 64
    return number


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _worksheet_problems(name: str, data: bytes, styles: int) -> list[str]:
    import io
    import xml.etree.ElementTree as ET

    problems, last_row, last_col = [], 0, 0
    for event, element in ET.iterparse(io.BytesIO(data), events=("start", "end")):
        tag = _local(element.tag)
        if event == "start" and tag == "row":
            row = int(element.get("r"))
            if row <= last_row:
                problems.append(f"{name}: row {row} after row {last_row}")
            last_row, last_col = row, 0
        elif event == "end" and tag == "c":
            reference = element.get("r")
            col, row = _column(reference), int(re.search(r"\d+", reference).group())
            if row != last_row:
                problems.append(f"{name}: cell {reference} inside row {last_row}")
            if col <= last_col:
                problems.append(f"{name}: cell {reference} after column {last_col} of its row")
            last_col = col
            if int(element.get("s", "0")) >= styles:
                problems.append(f"{name}: cell {reference} uses style {element.get('s')} of {styles}")
            element.clear()
        elif event == "end" and tag == "row":
            element.clear()
    root = ET.fromstring(re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData/>", data, flags=re.S))
    order = [_local(child.tag) for child in root]
    known = [tag for tag in order if tag in _WORKSHEET_ORDER]
    if [tag for tag in order if tag not in _WORKSHEET_ORDER]:
        problems.append(f"{name}: unknown worksheet elements {set(order) - set(_WORKSHEET_ORDER)}")
    if known != sorted(known, key=_WORKSHEET_ORDER.index):
        problems.append(f"{name}: worksheet elements out of the schema's order: {order}")
    return problems


def structural_problems(path: Path) -> list[str]:
    """Our own audit of a package: what a loader relies on and a schema check may not look at."""
    import xml.etree.ElementTree as ET

    problems = []
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
    types = ET.fromstring(parts["[Content_Types].xml"])
    defaults = {d.get("Extension").lower() for d in types.findall("ct:Default", _NS)}
    overrides = {o.get("PartName").lstrip("/") for o in types.findall("ct:Override", _NS)}
    for name in parts:
        if name != "[Content_Types].xml" and name not in overrides and name.rsplit(".", 1)[-1].lower() not in defaults:
            problems.append(f"{name}: no content type")
    problems += [f"{name}: content type for a part that does not exist" for name in overrides - set(parts)]
    for name, data in parts.items():
        if not name.endswith(".rels"):
            continue
        source_folder = posixpath.dirname(posixpath.dirname(name))  # xl/_rels/workbook.xml.rels -> xl
        for relationship in ET.fromstring(data).findall("rel:Relationship", _NS):
            if relationship.get("TargetMode") == "External":
                problems.append(f"{name}: an external relationship to {relationship.get('Target')}")
                continue
            target = relationship.get("Target")
            if target.startswith("/"):
                problems.append(f"{name}: absolute target {target} (IronCalc 0.9 cannot follow it)")
                target = target.lstrip("/")
            else:
                target = posixpath.normpath(posixpath.join(source_folder, target))
            if target not in parts:
                problems.append(f"{name}: target {relationship.get('Target')} is not in the package")
    styles = ET.fromstring(parts["xl/styles.xml"])
    cell_xfs = styles.find("s:cellXfs", _NS)
    xfs = cell_xfs.findall("s:xf", _NS)
    if int(cell_xfs.get("count", len(xfs))) != len(xfs):
        problems.append(f"xl/styles.xml: cellXfs count {cell_xfs.get('count')} but {len(xfs)} formats")
    counts = {kind: len(styles.find(f"s:{kind}s", _NS).findall(f"s:{kind}", _NS))
              for kind in ("font", "fill", "border")}
    formats = {int(f.get("numFmtId")) for f in styles.iter(f"{{{_NS['s']}}}numFmt")}
    for index, xf in enumerate(xfs):
        for kind, count in counts.items():
            if int(xf.get(f"{kind}Id", "0")) >= count:
                problems.append(f"xl/styles.xml: cell format {index} names {kind} {xf.get(f'{kind}Id')} of {count}")
        number_format = int(xf.get("numFmtId", "0"))
        if number_format >= 164 and number_format not in formats:
            problems.append(f"xl/styles.xml: cell format {index} names number format {number_format}, not defined")
    for name, data in parts.items():
        if re.fullmatch(r"xl/worksheets/[^/]+\.xml", name):
            problems += _worksheet_problems(name, data, len(xfs))
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_passes_both_audits(name):
    path = REPO / "workbooks" / f"{name}.xlsx"
    assert structural_problems(path) == []
    assert schema_errors(path) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", example_params())
def test_every_example_passes_both_audits_after_a_libreoffice_round_trip(soffice, libreoffice_copy, name):
    path = libreoffice_copy(name)
    assert structural_problems(path) == []
    assert schema_errors(path, saved_by_libreoffice=True) == []


def _edited(source: Path, out: Path, part: str, edit) -> Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            copy.writestr(item, edit(data) if item.filename == part else data)
    return out


@pytest.mark.slow  # the control of the audits above, which are slow too
def test_the_schema_audit_sees_a_missing_required_element(tmp_path):
    """A scatter chart without <scatterStyle>, which CT_ScatterChart requires, is an error."""
    source = REPO / "workbooks" / "xor.xlsx"
    with zipfile.ZipFile(source) as archive:
        chart = next(name for name in archive.namelist()
                     if name.startswith("xl/charts/") and b"<scatterStyle" in archive.read(name))
    broken = _edited(source, tmp_path / "broken.xlsx", chart,
                     lambda data: re.sub(rb"<scatterStyle[^>]*/>", b"", data, count=1))
    assert schema_errors(source) == []
    assert any(chart in error for error in schema_errors(broken))


@pytest.mark.parametrize("fault, expected", [
    (lambda d: d.replace(b'<c r="B4"', b'<c r="Z4"', 1), "cell C4 after column 26"),
    (lambda d: d.replace(b'<row r="5">', b'<row r="3">', 1), "row 3 after row 4"),
    (lambda d: re.sub(rb'(<c r="B5"[^>]*?) s="\d+"', rb'\1 s="999"', d, count=1), "uses style 999"),
    (lambda d: re.sub(rb"(<sheetViews>.*?</sheetViews>)(<sheetFormatPr[^>]*/>)", rb"\2\1", d, count=1),
     "out of the schema's order"),
])
def test_the_structural_audit_sees_a_fault(tmp_path, fault, expected):
    source = REPO / "workbooks" / "exam-example.xlsx"
    assert structural_problems(source) == []
    broken = _edited(source, tmp_path / "broken.xlsx", "xl/worksheets/sheet2.xml", fault)
    assert any(expected in problem for problem in structural_problems(broken)), structural_problems(broken)


def test_the_structural_audit_sees_an_absolute_or_missing_target(tmp_path):
    source = REPO / "workbooks" / "exam-example.xlsx"
    absolute = _edited(source, tmp_path / "absolute.xlsx", "xl/_rels/workbook.xml.rels",
                       lambda d: d.replace(b'Target="worksheets/sheet1.xml"', b'Target="/xl/worksheets/sheet1.xml"'))
    missing = _edited(source, tmp_path / "missing.xlsx", "xl/_rels/workbook.xml.rels",
                      lambda d: d.replace(b'Target="worksheets/sheet1.xml"', b'Target="worksheets/sheet99.xml"'))
    assert any("absolute target" in problem for problem in structural_problems(absolute))
    assert any("sheet99.xml is not in the package" in problem for problem in structural_problems(missing))
