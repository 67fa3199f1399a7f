"""sheetnet: neural networks that train themselves in live spreadsheet formulas, cross-checked with numpy."""

import os

# openpyxl writes different (equally valid) XML when lxml is installed. sheetnet's output is the same bytes
# whatever else is installed, so openpyxl's own writer is used always (sheets/workbook.py checks it).
os.environ["OPENPYXL_LXML"] = "False"

__version__ = "0.1.0"
