import { redact, sanitizedError as sanitizedCopy } from "@sched/core/adapter";

/**
 * Copies of driver errors that are safe to throw and log. An ioredis reply error carries the
 * command that failed, arguments included (`err.command.args`): for the `HELLO … AUTH` or `AUTH`
 * of a connection that is the password, for a script call the whole payload. Nothing of it may
 * reach an error thrown or logged, so the cause of every `StoreError` made of a driver error is
 * such a copy, made by `sanitizedError` of `@sched/core/adapter` with the rule below.
 */

export { redact };

/**
 * A copy of `err` to keep as a cause (see `sanitizedError` in `@sched/core/adapter`), with a failed
 * command reduced to its name: its arguments may hold a password or a payload.
 */
export function sanitizedError(err: unknown, secrets: readonly string[]): Error {
  return sanitizedCopy(err, secrets, {
    keep: (key, value) =>
      key === "command" && typeof (value as { name?: unknown } | null)?.name === "string"
        ? { name: (value as { name: string }).name }
        : undefined,
  });
}
