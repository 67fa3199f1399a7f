"""What the user asks for, as data: config -> dataset -> plan -> Problem (structure + editable numbers).

May import: sheetnet.errors, sheetnet.files (capped reading), the standard library and numpy. Nothing
here knows about cells or formulas.
"""
