import textParsers from "pg-types/lib/textParsers.js";

/** A parser of one type's text form. */
type TextParser = (value: string) => unknown;

/** pg-types' own parsers of the text forms, as `pg` has them before an application changes any. */
const DEFAULT_PARSERS = new Map<number, TextParser>();
textParsers.init((oid, parse) => {
  DEFAULT_PARSERS.set(oid, parse);
});

/** What `pg` gives a type it has no parser for: the text as sent. */
const asText: TextParser = (value) => value;

/**
 * The `types` of every statement the `@sched` packages send: `pg`'s default parsers, whatever the
 * application set with `pg.types.setTypeParser` (which changes them for every pool in the
 * process). An application that reads timestamps as text, `int8` as numbers or `json` as text
 * keeps doing so on its own statements, and the store still reads `Date`s, strings and objects.
 * Only the text format is read (no statement asks for binary results).
 */
export const DEFAULT_TYPES = {
  getTypeParser: (oid: number): TextParser => PARSERS.get(oid) ?? asText,
} as const;

/** `timestamptz` and `timestamp`: the types of every time the store reads. */
const TIMESTAMP_OIDS = [1184, 1114];

/** Why a timestamp in `text` cannot be read, and what to do. */
export function unreadableTimeMessage(text: string): string {
  return `a timestamp came as ${JSON.stringify(text)}, not in ISO form: a statement on this connection set DateStyle, and the store reads dates only as ISO; run SET DateStyle TO ISO after changing it, or give the store a pool of its own`;
}

/**
 * A timestamp a statement of {@link LEASING_TYPES} could not read (see {@link strictTimestamp}),
 * in place of its `Date`, so that the row's other columns are still read.
 */
export class UnreadableTime {
  constructor(readonly text: string) {}
}

/**
 * A timestamp parser that refuses text `pg` cannot read. `pg` reads timestamps only as DateStyle
 * ISO writes them, and gives `null` for any other form: a job's run time or lease would then be
 * read as absent. The store checks DateStyle when it starts (migrator.ts#assertSessionSettings),
 * but a statement of the application on a pool it shares with the store may set another DateStyle
 * on one of the connections later; a statement that reads a time there then fails, saying why,
 * instead of returning a job without its times. With `lenient`, the time is read as an
 * {@link UnreadableTime} instead of failing the statement.
 */
function strictTimestamp(parse: TextParser, lenient: boolean): TextParser {
  return (value) => {
    const parsed = parse(value);
    if (parsed !== null) return parsed;
    if (lenient) return new UnreadableTime(value);
    throw new Error(unreadableTimeMessage(value));
  };
}

/** {@link DEFAULT_PARSERS}, with {@link strictTimestamp} for timestamps. */
function parsers(lenient: boolean): Map<number, TextParser> {
  const map = new Map<number, TextParser>(DEFAULT_PARSERS);
  for (const oid of TIMESTAMP_OIDS) {
    const parse = DEFAULT_PARSERS.get(oid);
    if (parse) map.set(oid, strictTimestamp(parse, lenient));
  }
  return map;
}

const PARSERS = parsers(false);
const LEASING_PARSERS = parsers(true);

/**
 * {@link DEFAULT_TYPES} for the statements that lease jobs (claims): a time that cannot be read
 * comes as an {@link UnreadableTime}, and the rest of the row is read. Such a claim has committed
 * its leases; the store reads the jobs' refs and hands them back at once, instead of failing the
 * statement and leaving them leased to expire as lost leases (a job due while the DateStyle was
 * wrong would die of lost leases without ever running).
 */
export const LEASING_TYPES = {
  getTypeParser: (oid: number): TextParser => LEASING_PARSERS.get(oid) ?? asText,
} as const;
