"""Render the first screen of each sheet of a workbook to PNG, as a learner sees it at 100% zoom.

A copy of the workbook gets, for every visible sheet, a print area of one 1920 x 1080 screen
(the columns and rows that fit, by the sheet's own widths and heights) printed to
fit on one A3 page; LibreOffice recalculates the copy and exports PDF (one page per sheet), and
pdftoppm turns the pages into PNG files at a resolution that makes a page one screen wide. The
workbook's XML is edited in place, so charts, colour scales and notes are kept.

    python scripts/render_images.py workbooks/xor.xlsx docs/images
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sheetnet.evaluate import libreoffice  # noqa: E402

SCREEN_PIXELS = (1880, 1000)  # what a 1920 x 1080 screen shows of the grid, toolbars aside
DEFAULT_WIDTH, DEFAULT_HEIGHT = 8.43, 15.0  # characters, points
PAGE = '<pageSetup orientation="landscape" paperSize="8" fitToWidth="1" fitToHeight="1"/>'
DPI = 114  # an A3 landscape page (16.5 in) at 114 dpi is one screen wide: the picture is at about 100%


def _column_pixels(width: float) -> float:
    return width * 7 + 5 if width else 0.0


def _screen_area(sheet_xml: str) -> str:
    """The A1 range of the cells one screen shows, from the sheet's column widths and row heights."""
    widths, heights = {}, {}
    for tag in re.findall(r"<col [^>]*>", sheet_xml):
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        for col in range(int(attributes["min"]), int(attributes["max"]) + 1):
            widths[col] = 0.0 if attributes.get("hidden") in ("1", "true") else \
                float(attributes.get("width", DEFAULT_WIDTH))
    for tag in re.findall(r"<row [^>]*>", sheet_xml):
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        if "ht" in attributes:
            heights[int(attributes["r"])] = float(attributes["ht"])
    x, col = 0.0, 0
    while x < SCREEN_PIXELS[0]:
        col += 1
        x += _column_pixels(widths.get(col, DEFAULT_WIDTH))
    y, row = 0.0, 0
    while y < SCREEN_PIXELS[1]:
        row += 1
        y += heights.get(row, DEFAULT_HEIGHT) * 4 / 3
    letters = ""
    number = col - 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return f"$A$1:${letters}${row - 1}"


def _screen_copy(source: Path, target: Path) -> list[str]:
    """A copy of the workbook whose visible sheets each print their first screen on one page."""
    names = []
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        workbook = zin.read("xl/workbook.xml").decode()
        sheets = re.findall(r'<sheet ([^>]*)/>', workbook)
        areas = []
        for index, attributes in enumerate(sheets):
            name = re.search(r'name="([^"]+)"', attributes)[1]
            if 'state="hidden"' in attributes or 'state="veryHidden"' in attributes:
                continue
            xml = zin.read(f"xl/worksheets/sheet{index + 1}.xml").decode()
            quoted = "'" + name.replace("'", "''") + "'"
            areas.append(f'<definedName name="_xlnm.Print_Area" localSheetId="{index}">{quoted}!'
                         f'{_screen_area(xml)}</definedName>')
            names.append(name)
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(r"<pageSetup[^>]*/>", PAGE, data.decode()).encode()
            elif item.filename == "xl/workbook.xml":
                text = re.sub(r'<definedName name="_xlnm.Print_Area"[^<]*</definedName>', "", workbook)
                if "<definedNames>" in text:
                    text = text.replace("<definedNames>", "<definedNames>" + "".join(areas), 1)
                else:
                    text = text.replace("</sheets>", "</sheets><definedNames>" + "".join(areas) + "</definedNames>")
                data = text.encode()
            zout.writestr(item, data)
    return names


def render(workbook: Path, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / f"{workbook.stem}.xlsx"
        names = _screen_copy(workbook, copy)
        pdf = libreoffice.convert(copy, tmp, target="pdf")
        subprocess.run(["pdftoppm", "-png", "-r", str(DPI), str(pdf), str(Path(tmp) / "page")], check=True)
        pages = sorted(Path(tmp).glob("page-*.png"))
        written = []
        for name, page in zip(names, pages, strict=False):
            target = out_dir / f"{workbook.stem}-{name.lower().replace(' ', '-')}.png"
            page.replace(target)
            written.append(target)
    return written


if __name__ == "__main__":
    for path in render(Path(sys.argv[1]), Path(sys.argv[2])):
        print(path)
