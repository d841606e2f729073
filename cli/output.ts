import Table from 'cli-table3';

/** A plain table for terminals and logs; no colours so the output reads the same when piped. */
export function table(head: string[], rows: Array<Array<string | number | boolean | undefined>>): string {
  const out = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) out.push(row.map((cell) => (cell === undefined ? '' : String(cell))));
  return out.toString();
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Help text section with examples, appended to every command's --help. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}
