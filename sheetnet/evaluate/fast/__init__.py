"""sheetnet's own evaluator: formula shapes parsed once, numpy per (shape, dependency level)."""
