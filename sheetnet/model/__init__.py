"""What the user asks for, as data: config -> dataset -> plan -> Problem (structure + editable numbers).

May import: sheetnet.errors and the standard library, numpy. Nothing here knows about cells or formulas.
"""
