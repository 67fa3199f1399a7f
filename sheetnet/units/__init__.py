"""One unit per idea on the writer side: each activation, loss, optimizer and regulariser holds its forward formula,
its backward formula, its cell note and its torch definition, side by side.

May import: sheetnet.model.options (which cells an option needs) and nothing else from sheetnet;
formula text is built from cell references given as strings, and torch is imported lazily by the
torch definitions. The numpy reference never imports this folder.

The portable subset: every formula here (and in sheetnet/sheets) must compute the same in Excel,
LibreOffice, formualizer, IronCalc and HyperFormula, which parse some legal formulas differently.
- Only the functions the fast engine implements (tests/test_workbook.py lists them); nothing volatile.
- No comparison of comparisons: IronCalc 0.9 drops the parentheses of `(a>0.5)=(b>0.5)`; write
  `IF(AND(...),...)` or arithmetic on 0/1 instead.
- Numbers in plain decimal or with a lower-case exponent (`1e-12`): HyperFormula 3.5 cannot parse `1E-12`.
- Defined names that no engine reads as a cell address: never letters then digits (`beta1` is a cell to
  HyperFormula, `l2` one to every engine); hence `beta_1`, `l2_penalty` (tests/test_workbook.py).
- Relationship targets relative to their part (sheetnet.files.relative_targets): IronCalc 0.9 cannot
  follow openpyxl's absolute ones.
- Every element the schema requires (e.g. a scatter chart's scatterStyle); tests/test_schema.py audits
  every example with openxml-audit and a structural audit, and tests/test_engines.py compares every
  formula cell of every example in each engine.
"""
