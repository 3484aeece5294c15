/**
 * Copies of driver errors that are safe to throw and log. A driver error may quote the connection
 * string (a failed server selection names its seeds; an authentication failure its user), and a
 * server error carries the command or the document that failed (`errorResponse`, `keyValue`,
 * `writeErrors[].op`): a payload. None of it may reach an error thrown or logged, so the cause of
 * every `StoreError` made of a driver error is such a copy.
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
 * and string properties redacted, number and boolean properties kept, its error labels kept, nested
 * errors (its cause) copied the same way, and every other property (the server's reply, the
 * document of a duplicate key, the write errors and their operations) dropped. Anything that is not
 * an `Error` becomes an `Error` with its text.
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
    else if (value instanceof Error && depth < MAX_DEPTH)
      define(key, sanitizedError(value, secrets, depth + 1));
  }
  // The driver keeps error labels (`RetryableWriteError`, `TransientTransactionError`) in a private
  // set read through `hasErrorLabel`: the copy keeps that method working.
  const labels = errorLabelsOf(err);
  if (labels.length > 0) {
    define("errorLabels", labels);
    define("hasErrorLabel", (label: string) => labels.includes(label));
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

/** The error labels of a driver error (`errorLabels`), or none. */
export function errorLabelsOf(err: unknown): string[] {
  const labels = (err as { errorLabels?: unknown } | null)?.errorLabels;
  return Array.isArray(labels) ? labels.filter((label): label is string => typeof label === "string") : [];
}
