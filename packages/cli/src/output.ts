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
  // Every label and value on its one line: a metadata key with a line break must not print a
  // line that reads as another field.
  const lines = fields.map(([label, value]) => [
    oneLine(label, Number.POSITIVE_INFINITY),
    oneLine(value, Number.POSITIVE_INFINITY),
  ]);
  const width = Math.max(...lines.map(([label]) => (label as string).length));
  return lines.map(([label, value]) => `${`${label}:`.padEnd(width + 1)}  ${value}`).join("\n");
}

/**
 * `text` on one line (line breaks and tabs as spaces), the other characters a terminal acts on
 * written as their escapes ({@link terminalSafe}, here so that a table's columns are measured as
 * printed), cut to `max` characters with an ellipsis.
 */
export function oneLine(text: string, max = 200): string {
  const flat = terminalSafe(text.replace(/[\r\n\t]+/g, " "));
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * The characters a terminal acts on rather than shows: the C0 controls but line feed and tab (an
 * escape starts cursor moves, colours, window titles and OSC 8 links; a carriage return rewrites
 * the line), DEL, the C1 controls (U+009B is an escape of its own), and the bidirectional
 * formatting characters that reorder the text after them (Unicode UAX #9: U+061C, U+200E, U+200F,
 * U+202A to U+202E, U+2066 to U+2069).
 */
const TERMINAL_CONTROLS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is matched
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every character a terminal would act on ({@link TERMINAL_CONTROLS}) written as its
 * escape, `\u001b` for ESC: what `sched` prints shows job data (names, groups, unique keys,
 * metadata, errors, payloads) as text, whoever wrote it, and never moves the cursor, retitles the
 * window or reorders the line. In JSON output such a character can only stand inside a string,
 * where the escape is the same character to a JSON parser.
 */
export function terminalSafe(text: string): string {
  return text.replace(TERMINAL_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Line breaks: a message is one line. */
const LINE_BREAKS = /[\n\u2028\u2029]/g;

/**
 * `text` as one line of a message, whole (unlike {@link oneLine}): {@link terminalSafe}, with line
 * feeds and line and paragraph separators escaped too (`\n`, `\u2028`), so that an error quoting
 * input (a host name, an id) cannot print a second line that passes for another message.
 */
export function messageLine(text: string): string {
  return terminalSafe(text).replace(LINE_BREAKS, (c) =>
    c === "\n" ? "\\n" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
