"""Check a workbook: read its inputs back into a Problem, run the reference, compare every formula
cell with an engine's value, through the layout, and report the cells that differ.

May import: sheetnet.model, sheetnet.layout, sheetnet.evaluate, sheetnet.reference, sheetnet.errors.
Never sheetnet.sheets or sheetnet.units.
"""
