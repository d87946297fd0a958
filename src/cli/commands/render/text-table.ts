export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number;
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right';
  /** Longer values are cut with an ellipsis. */
  maxWidth?: number;
}

function fit(text: string, maxWidth: number | undefined): string {
  if (maxWidth === undefined || text.length <= maxWidth) return text;
  return `${text.slice(0, Math.max(0, maxWidth - 1))}…`;
}

/** A plain text table: a header line, then one line per row, columns two spaces apart. */
export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((column) => fit(String(column.value(row)), column.maxWidth)));
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...cells.map((line) => line[index].length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, index) =>
        columns[index].align === 'right' ? value.padStart(widths[index]) : value.padEnd(widths[index]),
      )
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

/** `key  value` lines with the keys aligned, for one record. */
export function renderFields(fields: readonly [string, string][]): string {
  const width = Math.max(0, ...fields.map(([name]) => name.length));
  return fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
}
