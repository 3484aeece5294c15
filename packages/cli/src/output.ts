/** Where a command writes: standard output for results, standard error for messages. */
export interface Output {
  /** Writes a result line (or several) to standard output. */
  out(text: string): void;
  /** Writes a message to standard error: progress, hints, errors. */
  err(text: string): void;
}

/** A column of {@link renderTable}: its header and how to read a row's cell. */
export interface Column<Row> {
  header: string;
  cell(row: Row): string;
  /** Right-aligned (numbers); left-aligned by default. */
  numeric?: boolean;
}

/**
 * Renders rows as a plain-text table: a header line and one line per row, columns separated by
 * two spaces and padded to their widest cell; the last column is not padded. `empty` is printed
 * instead when there are no rows.
 */
export function renderTable<Row>(
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  empty: string,
): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((row) => columns.map((column) => oneLine(column.cell(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => (line[i] as string).length)),
  );
  const render = (line: readonly string[]): string =>
    line
      .map((cell, i) => {
        const width = widths[i] as number;
        if (columns[i]?.numeric) return cell.padStart(width);
        return i === line.length - 1 ? cell : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [render(columns.map((column) => column.header)), ...cells.map(render)].join("\n");
}

/** Renders `value` as indented JSON (dates as ISO strings). */
export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Renders `[label, value]` pairs as aligned `label  value` lines. */
export function renderFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width + 1)}  ${value}`).join("\n");
}

/** `text` on one line, control characters shown as spaces, cut to `max` characters with an ellipsis. */
export function oneLine(text: string, max = 200): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
