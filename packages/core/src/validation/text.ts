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
  // The common case costs two scans of the string and no allocation.
  if (!text.includes(NUL) && wellFormed(text).isWellFormed()) return;
  throw new InvalidArgumentError(field, unstorableReason(text) as string);
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
