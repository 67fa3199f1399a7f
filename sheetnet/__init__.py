"""sheetnet: neural networks that train themselves in live spreadsheet formulas, cross-checked with numpy."""

__version__ = "0.1.0"
