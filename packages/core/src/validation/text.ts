import { InvalidArgumentError } from "../errors.js";

/** `String.prototype.isWellFormed` / `toWellFormed` (ES2024, in Node.js 20), not in the compiled lib. */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

const wellFormed = (text: string): WellFormed => text as unknown as WellFormed;

/** U+0000, which PostgreSQL cannot keep in text or jsonb. */
const NUL = "\u0000";

/** The longest error message recorded for a failed attempt, in UTF-16 code units (8 KiB of ASCII). */
export const MAX_ERROR_LENGTH = 8 * 1024;

/**
 * Why `text` cannot be stored as given by every store, or `null` when it can: it must be
 * well-formed Unicode (no lone UTF-16 surrogate, which UTF-8 cannot encode) and must not contain
 * U+0000 (which PostgreSQL refuses).
 */
export function unstorableReason(text: string): string | null {
  if (text.includes(NUL)) return "contains U+0000 (NUL), which not every store can keep";
  if (!wellFormed(text).isWellFormed()) return "contains a lone UTF-16 surrogate (not well-formed Unicode)";
  return null;
}

/**
 * Checks that a user-given string can be stored and returned unchanged by every store.
 *
 * @throws InvalidArgumentError naming `field` when it contains U+0000 or a lone surrogate.
 */
export function assertStorableString(text: string, field: string): void {
  if (isStorable(text)) return;
  throw new InvalidArgumentError(field, unstorableReason(text) as string);
}

/**
 * Whether every store keeps `text` unchanged: no U+0000 (which PostgreSQL refuses) and no lone
 * UTF-16 surrogate (which UTF-8 cannot encode, so two texts would become one). Two scans of the
 * string and no allocation, so a caller can build the field's name only for an error. Exported
 * from `@sched/core` as `isStorableText`, for tools that take text from people (an HTTP query, a
 * leader's name).
 */
export function isStorable(text: string): boolean {
  return !text.includes(NUL) && wellFormed(text).isWellFormed();
}

/**
 * Makes an outcome text (an error message) storable by every store, so that a failure is always
 * recorded: U+0000 and lone surrogates become U+FFFD, and text longer than `maxLength` code
 * units is cut, ending with "… (truncated)".
 */
export function storableText(text: string, maxLength = MAX_ERROR_LENGTH): string {
  let out = text.length > maxLength ? `${text.slice(0, maxLength)}… (truncated)` : text;
  if (out.includes(NUL)) out = out.replaceAll(NUL, "\ufffd");
  return wellFormed(out).isWellFormed() ? out : wellFormed(out).toWellFormed();
}

/** A string plain enough to quote in an error: it cannot be a URL or carry credentials. */
const PLAIN_WORD = /^[A-Za-z0-9_.+-]{1,32}$/;

/**
 * Whether `text` may be quoted in an error message: at most 32 letters, digits and `_ . + -`, so
 * never a connection string or a URL (which hold `:`, `/` or `@`).
 */
export function isPlainWord(text: string): boolean {
  return PLAIN_WORD.test(text);
}

/**
 * Describes a value for an error message without quoting a string that could hold a secret: a
 * value given in the wrong place (a connection string as a duration) must not reach a log.
 * Numbers (`NaN` as `NaN`), booleans, `null`, `undefined`, bigints, Dates and plain words
 * ({@link isPlainWord}) are shown; any other string is described by its length, any other value
 * by its type. It never throws, whatever the value (a `Symbol`, an object without a prototype).
 *
 * @example `describeValue("postgres://u:pw@h/db")` is `"a string of 20 characters"`; `describeValue("soon")` is `'"soon"'`.
 */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    if (isPlainWord(value)) return JSON.stringify(value);
    return `a string of ${value.length} character${value.length === 1 ? "" : "s"}`;
  }
  if (value === null || value === undefined || typeof value === "boolean") return String(value);
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "bigint") return `the bigint ${value}`;
  let array: boolean;
  let date: boolean;
  try {
    array = Array.isArray(value);
    date = !array && value instanceof Date;
  } catch {
    // A revoked proxy, or a proxy whose getPrototypeOf trap throws: it cannot be looked into.
    return "a proxy that cannot be read";
  }
  if (array) return "an array";
  if (date) {
    let ms: number;
    try {
      ms = (value as Date).getTime();
    } catch {
      // Object.create(Date.prototype) passes instanceof, and its getTime() throws.
      return "an object";
    }
    return Number.isNaN(ms) ? "an invalid Date" : `the Date ${new Date(ms).toISOString()}`;
  }
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
