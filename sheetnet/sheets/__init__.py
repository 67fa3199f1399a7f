"""Write the workbook: formulas (through the units), styles, notes, charts, the learner's sheets.

May import: sheetnet.model, sheetnet.layout, sheetnet.units, sheetnet.files, sheetnet.cellref,
sheetnet.errors, openpyxl. Never sheetnet.reference or sheetnet.verify.
"""
