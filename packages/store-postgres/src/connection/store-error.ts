import { SchedulerError, SOCKET_ERROR_CODES, StoreError, StoreTimeoutError } from "@sched/core/adapter";
import { readConnectionString } from "./connection-string.js";
import { redact, redactError } from "./redact-error.js";
import type { StatementLimits } from "./statement-limits.js";

/** Where the store connects, for messages: `host:port`, never credentials. */
export interface ConnectionTarget {
  /** `host:port`, e.g. `127.0.0.1:5432`. */
  readonly address: string;
  /** Strings that must never appear in a message (the password, the full connection string). */
  readonly secrets: readonly string[];
  /**
   * The limits named by timeout errors, in ms: opening a connection, one statement on the server,
   * and the client's wait for its answer.
   */
  readonly timeouts?: StatementLimits;
}

/** Settings of a `pg` pool or client that say where it connects. */
interface ConnectionSettings {
  connectionString?: string | undefined;
  host?: string | undefined;
  port?: number | string | undefined;
  password?: unknown;
}

/**
 * Describes where `settings` connect, reading host and port the way `pg` does: a connection
 * string's host and port win over `host` and `port`, even when it names none (then `PGHOST` /
 * `PGPORT`, or `localhost:5432`).
 */
export function connectionTarget(
  settings: ConnectionSettings,
  timeouts?: ConnectionTarget["timeouts"],
): ConnectionTarget {
  let host = settings.host;
  let port = settings.port;
  const secrets: string[] = [];
  if (typeof settings.password === "string" && settings.password.length > 0) secrets.push(settings.password);
  if (settings.connectionString) {
    secrets.push(settings.connectionString);
    const target = readConnectionString(settings.connectionString);
    if (!target.usable) {
      // openConnection refuses such a string; a message must still not guess a server.
      return { address: "the server of an unusable connection string", secrets, timeouts };
    }
    secrets.push(...target.secrets);
    host = target.host;
    port = target.port;
  }
  const hostName = host || process.env.PGHOST || "localhost";
  // An IPv6 address in brackets, so that its port stays apart: [::1]:5432.
  const shownHost = hostName.includes(":") && !hostName.startsWith("/") ? `[${hostName}]` : hostName;
  // Nothing said where to connect (`connectionString: process.env.DATABASE_URL` with the variable
  // unset): the message says so, or it names a server nobody chose.
  const unset = !settings.connectionString && !settings.host && !process.env.PGHOST;
  return {
    address: `${shownHost}:${port || process.env.PGPORT || 5432}${unset ? " (pg's default: no connectionString, host or PGHOST was given)" : ""}`,
    // Longest first, so that the connection string is replaced before the password inside it.
    secrets: [...new Set(secrets)].filter((secret) => secret !== "").sort((a, b) => b.length - a.length),
    timeouts,
  };
}

/** Node.js socket errors and SQLSTATEs meaning the server cannot be reached or dropped us. */
const CONNECTION_CODES = new Set([
  ...SOCKET_ERROR_CODES,
  "57P01", // admin_shutdown (pg_terminate_backend)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
]);

/**
 * PgBouncer's refusal of a setting `pg` sent at connection start (`statement_timeout`, which a
 * store or leader sends unless told it is behind a transaction pool).
 */
const POOLER_REFUSED_SETTING = /unsupported startup parameter/i;

/** What to do about {@link POOLER_REFUSED_SETTING}, appended to the message. */
const POOL_MODE_HINT =
  '; behind PgBouncer in transaction mode set poolMode: "transaction" (SCHEDULER_POSTGRES_POOL_MODE=transaction), which sends no statement_timeout at connection start';

/** Messages of `pg`'s own errors (which have no code) about a lost connection (timeouts included). */
const CONNECTION_MESSAGE =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|connection timeout/i;

/** Messages of `pg`'s errors for a connection that could not be opened in time (pool, client). */
const CONNECT_TIMEOUT_MESSAGE =
  /^(?:timeout exceeded when trying to connect|Connection terminated due to connection timeout|timeout expired)$/;

/**
 * Whether `err` is a timeout, and whose: `connect` (no connection within `connectionTimeoutMillis`,
 * or no free one in the pool), `client` (no answer within `query_timeout`: the connection is
 * unusable), `server` (the server cancelled the statement at `statement_timeout`); `null` otherwise.
 */
export function isTimeout(err: unknown): "connect" | "client" | "server" | null {
  if (!(err instanceof Error)) return null;
  if (err.message === "Query read timeout") return "client";
  if (codeOf(err) === "57014" && /statement timeout/i.test(err.message)) return "server";
  if (CONNECT_TIMEOUT_MESSAGE.test(err.message)) return "connect";
  return null;
}

/** Whether `err` says the connection is unusable (as opposed to a statement the server refused). */
export function isConnectionError(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined && (CONNECTION_CODES.has(code) || code.startsWith("08"))) return true;
  return err instanceof Error && code === undefined && CONNECTION_MESSAGE.test(err.message);
}

/** The SQLSTATE or Node.js error code of `err`, if any. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Wraps a driver error as a {@link StoreError} (the original as `cause`) whose message names the
 * operation and, for connection failures, the server's `host:port`, but never a password or the
 * connection string (see {@link redactError} for the cause). A timeout is a
 * {@link StoreTimeoutError} (`STORE_TIMEOUT`) naming the limit it hit. Errors that are already
 * `SchedulerError`s pass through.
 */
export function storeError(err: unknown, operation: string, target: ConnectionTarget): SchedulerError {
  if (err instanceof SchedulerError) return err;
  const cause = redactError(err, target.secrets);
  const timeout = isTimeout(err);
  if (timeout !== null && target.timeouts !== undefined) {
    const { connectMs, statementMs, queryMs } = target.timeouts;
    const ms = timeout === "connect" ? connectMs : timeout === "server" ? statementMs : queryMs;
    const error = new StoreTimeoutError(`${operation} (PostgreSQL at ${target.address})`, ms);
    // Set as the standard `cause` is (own, not enumerable): the constructor takes none.
    Object.defineProperty(error, "cause", { value: cause, writable: true, configurable: true });
    return error;
  }
  const message = redact(err instanceof Error ? err.message : String(err), target.secrets);
  const code = codeOf(err);
  const suffix =
    (code === undefined ? "" : ` [${code}]`) + (POOLER_REFUSED_SETTING.test(message) ? POOL_MODE_HINT : "");
  if (isConnectionError(err)) {
    // A pooler that refuses a startup setting was reached: it said no.
    const state = POOLER_REFUSED_SETTING.test(message) ? "refused the connection" : "is unreachable";
    return new StoreError(`PostgreSQL at ${target.address} ${state} (${operation}): ${message}${suffix}`, {
      cause,
    });
  }
  return new StoreError(`PostgreSQL ${operation} failed (at ${target.address}): ${message}${suffix}`, {
    cause,
  });
}
