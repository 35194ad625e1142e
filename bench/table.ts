/**
 * Plain-text and markdown tables for the rows that are not ops/s cases (HTTP, memory): a header,
 * rows of cells, and group headings between them.
 */

/** A row of cells, or a group heading. */
export type TableRow = readonly string[] | { readonly group: string };

export interface Table {
  readonly columns: readonly string[];
  /** Columns (by index) whose cells are text, aligned left; the others are numbers, aligned right. */
  readonly left: ReadonlySet<number>;
  readonly rows: readonly TableRow[];
}

export function textTable({ columns, left, rows }: Table): string {
  const widths = columns.map((title, i) => Math.max(title.length, ...rows.map((row) => (Array.isArray(row) ? (row as string[])[i]!.length : 0))));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (left.has(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [line(columns), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of rows) out.push(Array.isArray(row) ? line(row as string[]) : `\n${(row as { group: string }).group}`);
  return out.join('\n');
}

export function markdownTable({ columns, left, rows }: Table): string {
  const out = [`| ${columns.join(' | ')} |`, `| ${columns.map((_, i) => (left.has(i) ? '---' : '---:')).join(' | ')} |`];
  for (const row of rows) {
    out.push(Array.isArray(row) ? `| ${(row as string[]).join(' | ')} |` : `| **${(row as { group: string }).group}** |${' |'.repeat(columns.length - 1)}`);
  }
  return out.join('\n');
}
