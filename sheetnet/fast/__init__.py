"""sheetnet's own formula evaluator: parse each formula shape once, evaluate level by level with numpy."""
