/**
 * Copies of driver errors that are safe to throw and log: a driver error may quote the connection
 * string or the password (an ioredis reply error keeps the arguments of the `AUTH` that failed), or
 * carry the command or document that failed (a payload). Stores keep such a copy as the cause of
 * every `StoreError` made of a driver error.
 */

/** How deep a cause chain is copied; what lies deeper is dropped. */
const MAX_DEPTH = 5;

/**
 * `text` with every one of `secrets` replaced by `***`, longest first (so that a URL goes before
 * the password inside it). Empty secrets are ignored.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret !== "") result = result.split(secret).join("***");
  }
  return result;
}

/** What a backend adds to {@link sanitizedError}'s rules. */
export interface SanitizeRules {
  /**
   * For a property the common rules would drop (not a string, number, boolean or error): the value
   * to keep instead (e.g. a failed command reduced to its name), or `undefined` to drop it.
   */
  keep?(key: string, value: unknown): unknown;
  /** Adds properties to the copy after the common ones (e.g. a driver's error labels). */
  extend?(original: Error, define: (key: string, value: unknown) => void): void;
}

/**
 * A copy of `err` to keep as a cause: of the same class (its prototype), with its message, stack
 * and string properties redacted (see {@link redact}), number and boolean properties kept, nested
 * errors (its cause, an `AggregateError`'s errors, error-valued properties) copied the same way
 * down to 5 levels, what `rules` keeps or adds, and every other property dropped. Anything that is
 * not an `Error` becomes an `Error` with its text, redacted.
 */
export function sanitizedError(
  err: unknown,
  secrets: readonly string[],
  rules: SanitizeRules = {},
  depth = 0,
): Error {
  if (!(err instanceof Error)) return new Error(redact(String(err), secrets));
  const copy = Object.create(Object.getPrototypeOf(err) as object) as Error;
  const define = (key: string, value: unknown): void => {
    Object.defineProperty(copy, key, {
      value,
      writable: true,
      configurable: true,
      enumerable: key !== "stack" && key !== "message",
    });
  };
  const nested = (value: unknown): Error => sanitizedError(value, secrets, rules, depth + 1);
  define("message", redact(err.message, secrets));
  define("stack", redact(err.stack ?? "", secrets));
  if (err.name !== Object.getPrototypeOf(err)?.name) define("name", err.name);
  for (const [key, value] of Object.entries(err)) {
    if (typeof value === "string") define(key, redact(value, secrets));
    else if (typeof value === "number" || typeof value === "boolean") define(key, value);
    else if (value instanceof Error) {
      if (depth < MAX_DEPTH) define(key, nested(value));
    } else if (Array.isArray(value) && value.length > 0 && value.every((item) => item instanceof Error)) {
      if (depth < MAX_DEPTH) define(key, value.map(nested));
    } else {
      const kept = rules.keep?.(key, value);
      if (kept !== undefined) define(key, kept);
    }
  }
  if (err instanceof AggregateError && depth < MAX_DEPTH) define("errors", err.errors.map(nested));
  rules.extend?.(err, define);
  if (err.cause !== undefined && depth < MAX_DEPTH) {
    Object.defineProperty(copy, "cause", {
      value: nested(err.cause),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  return copy;
}
