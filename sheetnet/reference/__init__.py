"""The numpy reference: every quantity a workbook shows, computed from the maths.

May import: sheetnet.model only. It never sees a formula, and never imports sheetnet.sheets,
sheetnet.units or sheetnet.layout.
"""

from sheetnet.reference.training import Trace, loss_history, run

__all__ = ["Trace", "loss_history", "run"]
