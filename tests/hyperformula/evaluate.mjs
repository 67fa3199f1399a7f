// Evaluate a workbook's cells with HyperFormula, for tests/test_engines.py.
// stdin: {"names": [[name, reference]], "sheets": [{"name", "rows", "cols", "constants": [[row, col, value]],
//         "formulas": [[row, col, text]]}]}, rows and columns counted from 1 as in the file.
// stdout: {"values": [[value of each formula cell, in the order given]]}; an error is {"error": "#DIV/0!"}.
import { readFileSync } from 'node:fs';
import { HyperFormula } from 'hyperformula';

const input = JSON.parse(readFileSync(0, 'utf8'));
const maxRows = Math.max(1, ...input.sheets.map((s) => s.rows));
const maxColumns = Math.max(1, ...input.sheets.map((s) => s.cols));
// IEEE arithmetic as Excel and LibreOffice do it: no rounding of results, no snapping of sums to zero.
const hf = HyperFormula.buildEmpty({
  licenseKey: 'gpl-v3', smartRounding: false, precisionEpsilon: 0, maxRows, maxColumns,
});
const ids = input.sheets.map((sheet) => hf.getSheetId(hf.addSheet(sheet.name)));
for (const [name, reference] of input.names) {
  hf.addNamedExpression(name, '=' + reference);
}
hf.batch(() => {
  input.sheets.forEach((sheet, k) => {
    const grid = Array.from({ length: sheet.rows }, () => new Array(sheet.cols).fill(null));
    for (const [row, col, value] of sheet.constants) grid[row - 1][col - 1] = value;
    for (const [row, col, text] of sheet.formulas) grid[row - 1][col - 1] = text.startsWith('=') ? text : '=' + text;
    hf.setSheetContent(ids[k], grid);
  });
});
const values = input.sheets.map((sheet, k) => sheet.formulas.map(([row, col]) => {
  const value = hf.getCellValue({ sheet: ids[k], row: row - 1, col: col - 1 });
  if (value !== null && typeof value === 'object') return { error: value.value };
  return value;
}));
process.stdout.write(JSON.stringify({ values }));
