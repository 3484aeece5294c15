import { SchedulerError, SOCKET_ERROR_CODES, StoreError, StoreTimeoutError } from "@sched/core/adapter";
import { codeOf, type RedisConnection, reasonOf } from "./open.js";
import { redact, sanitizedError } from "./redact.js";

/** Error codes meaning the server cannot be reached or dropped the connection. */
const CONNECTION_CODES = new Set(SOCKET_ERROR_CODES);
/**
 * Messages meaning the same, from ioredis, from a Cluster and from a client made through
 * Sentinels (no Sentinel answers, or the server was demoted to a replica at a failover).
 */
const CONNECTION_MESSAGE =
  /max retries per request|Connection is closed|connect ETIMEDOUT|Stream isn't writeable|ECONNREFUSED|LOADING|CLUSTERDOWN|Failed to refresh slots cache|None of startup nodes|All sentinels are unreachable|^READONLY\b/i;

/** Whether `err` says the connection is unusable (as opposed to a command the server refused). */
export function isConnectionError(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined && CONNECTION_CODES.has(code)) return true;
  return err instanceof Error && CONNECTION_MESSAGE.test(err.message);
}

/**
 * Wraps a driver error as a {@link StoreError} whose message names the operation, the server's
 * address and why it failed, and whose `cause` is a sanitized copy of the driver's error
 * (`sanitizedError`): neither holds a password, the URL or a command's arguments. Errors that are
 * already `SchedulerError`s pass through.
 *
 * @param err - what the driver threw.
 * @param operation - what failed, e.g. `ping`, `claimDueJobs`, `acquire the lease`.
 * @param connection - the client's connection: its server description, and its last socket error,
 *   used as the reason of a connection failure when `err` carries no code of its own, as ioredis's
 *   "max retries per request" does not.
 * @param commandTimeoutMs - given, a command ioredis timed out (`Command timed out`) is a
 *   `StoreTimeoutError` (`STORE_TIMEOUT`) for `operation` after that many ms; absent, it is a
 *   `StoreError` like any other failure.
 * @returns a `StoreError` (code `STORE_ERROR`): `Redis at 127.0.0.1:6390 is unreachable (ping):
 *   connect ECONNREFUSED 127.0.0.1:6390 [ECONNREFUSED]` for a connection failure, otherwise
 *   `Redis <operation> failed at <address>: <reason>`.
 */
export function storeError(
  err: unknown,
  operation: string,
  connection: Pick<RedisConnection, "server" | "lastConnectionError">,
  commandTimeoutMs?: number,
): SchedulerError {
  if (err instanceof SchedulerError) return err;
  if (commandTimeoutMs !== undefined && err instanceof Error && err.message === "Command timed out") {
    return timeoutError(operation, commandTimeoutMs, connection);
  }
  const server = connection.server();
  const connectionFailure = isConnectionError(err);
  const lastConnectionError = connection.lastConnectionError();
  const reason =
    connectionFailure && codeOf(err) === undefined && lastConnectionError !== undefined
      ? lastConnectionError
      : reasonOf(err);
  const message = redact(reason, server.secrets);
  // The driver's error may carry the password (the arguments of the AUTH that failed): the cause
  // kept is a sanitized copy.
  const cause = sanitizedError(err, server.secrets);
  if (connectionFailure) {
    return new StoreError(`Redis at ${server.address} is unreachable (${operation}): ${message}`, { cause });
  }
  return new StoreError(`Redis ${operation} failed at ${server.address}: ${message}`, { cause });
}

/**
 * The `StoreTimeoutError` of a call Redis did not answer within `timeoutMs`, naming the server and,
 * when the client could not connect (a refused Sentinel password, a primary name the Sentinels do
 * not know, a server that refuses the connection), the last connection error, redacted: a timeout
 * alone would not say why.
 *
 * @returns a `StoreTimeoutError` (code `STORE_TIMEOUT`) whose operation reads e.g.
 *   `ping (Redis at primary "mymaster" via Sentinel 127.0.0.1:26379; last connection error: …)`.
 */
export function timeoutError(
  operation: string,
  timeoutMs: number,
  connection: Pick<RedisConnection, "server" | "lastConnectionError">,
): StoreTimeoutError {
  const server = connection.server();
  const last = connection.lastConnectionError();
  const detail = last === undefined ? "" : `; last connection error: ${redact(last, server.secrets)}`;
  return new StoreTimeoutError(`${operation} (Redis at ${server.address}${detail})`, timeoutMs);
}
