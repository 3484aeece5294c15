import { redact, sanitizedError as sanitizedCopy } from "@sched/core/adapter";

/**
 * Copies of driver errors that are safe to throw and log. A driver error may quote the connection
 * string (a failed server selection names its seeds; an authentication failure its user), and a
 * server error carries the command or the document that failed (`errorResponse`, `keyValue`,
 * `writeErrors[].op`): a payload. None of it may reach an error thrown or logged, so the cause of
 * every `StoreError` made of a driver error is such a copy, made by `sanitizedError` of
 * `@sched/core/adapter` with the rule below.
 */

export { redact };

/**
 * A copy of `err` to keep as a cause (see `sanitizedError` in `@sched/core/adapter`) that keeps the
 * driver's error labels: the driver keeps them (`RetryableWriteError`, `TransientTransactionError`)
 * in a private set read through `hasErrorLabel`, and the copy keeps that method working.
 */
export function sanitizedError(err: unknown, secrets: readonly string[]): Error {
  return sanitizedCopy(err, secrets, {
    extend: (original, define) => {
      const labels = errorLabelsOf(original);
      if (labels.length > 0) {
        define("errorLabels", labels);
        define("hasErrorLabel", (label: string) => labels.includes(label));
      }
    },
  });
}

/** The error labels of a driver error (`errorLabels`), or none. */
export function errorLabelsOf(err: unknown): string[] {
  const labels = (err as { errorLabels?: unknown } | null)?.errorLabels;
  return Array.isArray(labels) ? labels.filter((label): label is string => typeof label === "string") : [];
}
