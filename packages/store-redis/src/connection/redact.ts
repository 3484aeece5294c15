/**
 * Copies of driver errors that are safe to throw and log. An ioredis reply error carries the
 * command that failed, arguments included (`err.command.args`): for the `HELLO … AUTH` or `AUTH`
 * of a connection that is the password, for a script call the whole payload. Nothing of it may
 * reach an error thrown or logged, so the cause of every `StoreError` made of a driver error is
 * such a copy.
 */

/** How deep a cause chain is copied; what lies deeper is dropped. */
const MAX_DEPTH = 5;

/** Replaces every secret in `text` by `***` (longest first, so a URL goes before its password). */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret !== "") result = result.split(secret).join("***");
  }
  return result;
}

/**
 * A copy of `err` to keep as a cause: of the same class (its prototype), with its message, stack
 * and string properties redacted, number and boolean properties kept, a failed command reduced to
 * its name, nested errors (its cause, an `AggregateError`'s errors) copied the same way, and every
 * other property dropped. Anything that is not an `Error` becomes an `Error` with its text.
 */
export function sanitizedError(err: unknown, secrets: readonly string[], depth = 0): Error {
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
  define("message", redact(err.message, secrets));
  define("stack", redact(err.stack ?? "", secrets));
  if (err.name !== Object.getPrototypeOf(err)?.name) define("name", err.name);
  for (const [key, value] of Object.entries(err)) {
    if (typeof value === "string") define(key, redact(value, secrets));
    else if (typeof value === "number" || typeof value === "boolean") define(key, value);
    else if (key === "command" && typeof (value as { name?: unknown } | null)?.name === "string") {
      // The command's name says what failed; its arguments may hold a password or a payload.
      define(key, { name: (value as { name: string }).name });
    } else if (value instanceof Error && depth < MAX_DEPTH) {
      define(key, sanitizedError(value, secrets, depth + 1));
    } else if (Array.isArray(value) && value.every((item) => item instanceof Error) && depth < MAX_DEPTH) {
      define(
        key,
        value.map((item) => sanitizedError(item, secrets, depth + 1)),
      );
    }
  }
  if (err instanceof AggregateError && depth < MAX_DEPTH) {
    define(
      "errors",
      err.errors.map((item: unknown) => sanitizedError(item, secrets, depth + 1)),
    );
  }
  if (err.cause !== undefined && depth < MAX_DEPTH) {
    Object.defineProperty(copy, "cause", {
      value: sanitizedError(err.cause, secrets, depth + 1),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  return copy;
}
