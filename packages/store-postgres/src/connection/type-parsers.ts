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
  getTypeParser: (oid: number): TextParser => DEFAULT_PARSERS.get(oid) ?? asText,
} as const;
