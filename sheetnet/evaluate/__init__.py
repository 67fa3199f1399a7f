"""Get the value of every formula cell of a workbook: read the .xlsx safely, then an engine
(sheetnet's fast engine, the `formulas` package, LibreOffice headless, formualizer or IronCalc, or the saved
values).

May import: sheetnet.errors, sheetnet.cellref, sheetnet.files. Knows nothing about networks.
"""
