import { SchedulerError, StoreError, StoreTimeoutError } from "@sched/core/adapter";
import { errorLabelsOf, redact, sanitizedError } from "./redact.js";
import type { ServerDescription } from "./server.js";

/** The server's code of a duplicate key (a unique index, or `_id`). */
export const DUPLICATE_KEY = 11000;

/**
 * Server codes meaning the node is not (any more) the primary or is going away: the operation did
 * not run there and may be retried on the new primary. NotWritablePrimary (10107),
 * NotPrimaryNoSecondaryOk (13435), NotPrimaryOrSecondary (13436), PrimarySteppedDown (189),
 * InterruptedDueToReplStateChange (11602), ShutdownInProgress (91), InterruptedAtShutdown (11600).
 */
const NOT_PRIMARY_CODES = new Set([10107, 13435, 13436, 189, 11602, 91, 11600]);
/** Server codes of a time limit: MaxTimeMSExpired (50). */
const TIME_LIMIT_CODES = new Set([50]);
/** Driver error classes meaning the deployment cannot be reached or dropped the connection. */
const CONNECTION_ERROR_NAMES = new Set([
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoServerSelectionError",
  "MongoTopologyClosedError",
  "PoolClearedError",
  "PoolClearedOnNetworkError",
  "MongoPoolClearedError",
]);

/** The numeric server code of a driver error, when it has one. */
export function serverCodeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/** Whether `err` is a duplicate key (code 11000), as a single error or inside a bulk write's errors. */
export function isDuplicateKeyError(err: unknown): boolean {
  return duplicateKeyErrorsOf(err).length > 0;
}

/** What a duplicate-key error tells of the key: the index's key pattern, the value, the message. */
export interface DuplicateKeyError {
  keyPattern?: unknown;
  keyValue?: unknown;
  errmsg?: unknown;
}

/** The duplicate-key errors (code 11000) of `err`: itself, and each of a bulk write's errors. */
export function duplicateKeyErrorsOf(err: unknown): DuplicateKeyError[] {
  const writeErrors = (err as { writeErrors?: unknown } | null)?.writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors === undefined ? [] : [writeErrors];
  return [err, ...list].filter((item) => serverCodeOf(item) === DUPLICATE_KEY) as DuplicateKeyError[];
}

/** Whether `err` says the deployment cannot be reached or dropped the connection. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (CONNECTION_ERROR_NAMES.has(err.name)) return true;
  return errorLabelsOf(err).includes("ResetPool");
}

/** Whether `err` says the node was not (or stopped being) the primary: a step-down or a shutdown. */
export function isNotPrimaryError(err: unknown): boolean {
  const code = serverCodeOf(err);
  if (code !== undefined && NOT_PRIMARY_CODES.has(code)) return true;
  return err instanceof Error && /not (writable )?primary|NotWritablePrimary/i.test(err.message);
}

/**
 * Whether the operation that failed with `err` did not take effect in a way that makes running it
 * again safe and useful: a step-down, a dropped connection, a `RetryableWriteError` or
 * `TransientTransactionError` label. Callers retry only operations that are idempotent or guarded by
 * a compare-and-set.
 */
export function isTransientError(err: unknown): boolean {
  const labels = errorLabelsOf(err);
  if (labels.includes("RetryableWriteError") || labels.includes("TransientTransactionError")) return true;
  return isNotPrimaryError(err) || isConnectionError(err);
}

/**
 * Wraps a driver error as a {@link StoreError} whose message names the operation, the deployment's
 * hosts and why it failed, and whose `cause` is a sanitized copy of the driver's error
 * (`sanitizedError`): neither holds the URL, a password or a document. Errors that are already
 * `SchedulerError`s pass through. A time limit of the server (`maxTimeMS`, code 50) or the driver
 * (`MongoOperationTimeoutError`) is a `StoreTimeoutError` (`STORE_TIMEOUT`) for `operation` after
 * `timeoutMs`, when given.
 *
 * @param err - what the driver threw.
 * @param operation - what failed, e.g. `ping`, `claimDueJobs`, `acquire the lease`.
 * @param server - the deployment's description (`MongoConnection.server()`).
 * @param timeoutMs - the time limit the operation ran with, if any (ms).
 * @returns a `StoreError` (code `STORE_ERROR`): `MongoDB at h1:27017 is unreachable (ping): …` for a
 *   connection failure, `MongoDB <operation> failed at <hosts>: the node is not the primary …` for a
 *   step-down, otherwise `MongoDB <operation> failed at <hosts>: <reason>`; or a `StoreTimeoutError`.
 */
export function storeError(
  err: unknown,
  operation: string,
  server: ServerDescription,
  timeoutMs?: number,
): SchedulerError {
  if (err instanceof SchedulerError) return err;
  const code = serverCodeOf(err);
  if (
    timeoutMs !== undefined &&
    ((code !== undefined && TIME_LIMIT_CODES.has(code)) ||
      (err instanceof Error && err.name === "MongoOperationTimeoutError"))
  ) {
    return new StoreTimeoutError(operation, timeoutMs);
  }
  const reason = redact(reasonOf(err), server.secrets);
  const cause = sanitizedError(err, server.secrets);
  if (isConnectionError(err)) {
    return new StoreError(`MongoDB at ${server.address} is unreachable (${operation}): ${reason}`, { cause });
  }
  if (isNotPrimaryError(err)) {
    return new StoreError(
      `MongoDB ${operation} failed at ${server.address}: the node is not the primary (a step-down or a failover; the call may be retried): ${reason}`,
      { cause },
    );
  }
  return new StoreError(`MongoDB ${operation} failed at ${server.address}: ${reason}`, { cause });
}

/** An error's message with its code in brackets: `E11000 duplicate key error … [11000]`. */
function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return code === undefined || code === null || code === "" ? message : `${message} [${String(code)}]`;
}
