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

/**
 * A timestamp parser that refuses text `pg` cannot read. `pg` reads timestamps only as DateStyle
 * ISO writes them, and gives `null` for any other form: a job's run time or lease would then be
 * read as absent. The store checks DateStyle when it starts (migrator.ts#assertSessionSettings),
 * but a statement of the application on a pool it shares with the store may set another DateStyle
 * on one of the connections later; a statement that reads a time there then fails, saying why,
 * instead of returning a job without its times.
 */
function strictTimestamp(parse: TextParser): TextParser {
  return (value) => {
    const parsed = parse(value);
    if (parsed === null) {
      throw new Error(
        `a timestamp came as ${JSON.stringify(value)}, not in ISO form: a statement on this connection set DateStyle, and the store reads dates only as ISO; run SET DateStyle TO ISO after changing it, or give the store a pool of its own`,
      );
    }
    return parsed;
  };
}

/** {@link DEFAULT_PARSERS}, with {@link strictTimestamp} for timestamps. */
const PARSERS = new Map<number, TextParser>(DEFAULT_PARSERS);
for (const oid of TIMESTAMP_OIDS) {
  const parse = DEFAULT_PARSERS.get(oid);
  if (parse) PARSERS.set(oid, strictTimestamp(parse));
}
