"""Render the top of each sheet of a real example workbook to PNG for the README.

LibreOffice recalculates the workbook and exports PDF (one page per sheet: the print area is
limited to the sheet's first rows), and pdftoppm turns the pages into PNG files.

    python scripts/render_images.py workbooks/xor.xlsx docs/images
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from sheetnet.evaluate import libreoffice

ROWS = {"About": 48, "Data": 12, "Training": 46, "Boundary": 34, "Gradient check": 30}
LAYER_ROWS = 18


def render(workbook: Path, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wb = load_workbook(workbook)  # charts are not read back by openpyxl: export them from the original
        names = []
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                continue
            rows = ROWS.get(ws.title, LAYER_ROWS)
            ws.print_area = f"A1:{get_column_letter(max(ws.max_column, 16))}{rows}"
            names.append(ws.title)
        trimmed = Path(tmp) / f"{workbook.stem}.xlsx"
        wb.save(trimmed)
        pdf = libreoffice.convert(trimmed, tmp, target="pdf")
        subprocess.run(["pdftoppm", "-png", "-r", "110", str(pdf), str(Path(tmp) / "page")], check=True)
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
