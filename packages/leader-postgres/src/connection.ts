import { StoreError } from "@sched/core";
import pg, { type Pool } from "pg";

/** Where the leader connects, for messages: `host:port` and the secrets messages must not contain. */
export interface ServerDescription {
  /** `host:port` (or a socket directory), or a generic phrase when it cannot be told. */
  readonly address: string;
  /** Strings to strip from any text we log or throw: the password and the connection string. */
  readonly secrets: readonly string[];
}

const DEFAULT_HOST = "localhost";
const DEFAULT_PORT = 5432;

/**
 * Describes the server of a connection string or of a pool's options without its password. Only
 * URL-form connection strings are parsed; anything else is named generically.
 */
export function describeServer(
  connectionString: string | undefined,
  pool: Pool | undefined,
): ServerDescription {
  const options = pool?.options;
  const secrets: string[] = [];
  const text = connectionString ?? options?.connectionString;
  if (typeof options?.password === "string" && options.password !== "") secrets.push(options.password);
  if (text !== undefined && text !== "") {
    secrets.push(text);
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { address: "the PostgreSQL server of the connection string", secrets };
    }
    if (url.password !== "") secrets.push(url.password, decodeURIComponent(url.password));
    // A `host` query parameter (e.g. a socket directory) overrides the URL's host.
    const host = url.searchParams.get("host") || url.hostname || DEFAULT_HOST;
    const port = url.searchParams.get("port") || url.port || String(DEFAULT_PORT);
    return { address: `${host}:${port}`, secrets };
  }
  const host = options?.host ?? process.env.PGHOST ?? DEFAULT_HOST;
  const port = options?.port ?? process.env.PGPORT ?? DEFAULT_PORT;
  return { address: `${host}:${port}`, secrets };
}

/** Removes every secret of `server` from `text`. */
export function redact(text: string, server: ServerDescription): string {
  let result = text;
  // Longest first, so the connection string goes before the password it contains.
  for (const secret of [...server.secrets].sort((a, b) => b.length - a.length)) {
    result = result.split(secret).join("***");
  }
  return result;
}

/** The SQLSTATE of a PostgreSQL error, or the Node.js code of a socket error. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Wraps a failure of `action` as a {@link StoreError} whose message names the server by
 * `host:port` and never contains the password. The original error stays the `cause`.
 */
export function toStoreError(err: unknown, action: string, server: ServerDescription): StoreError {
  const detail = err instanceof Error ? err.message : String(err);
  const code = errorCode(err);
  const suffix = code !== undefined && !detail.includes(code) ? ` (${code})` : "";
  return new StoreError(
    `PostgresLeader could not ${action} on PostgreSQL at ${server.address}: ${redact(detail, server)}${suffix}`,
    { cause: err },
  );
}

/**
 * Creates the pool the leader owns when given a connection string. The leader runs one statement
 * at a time, so two connections are plenty; `timeoutMs` bounds both connecting and each
 * statement, since a renewal slower than the local lease is worthless. Idle connections do not
 * keep the process alive.
 */
export function createOwnedPool(connectionString: string | undefined, timeoutMs: number): Pool {
  return new pg.Pool({
    connectionString,
    max: 2,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    keepAlive: true,
    allowExitOnIdle: true,
    // Names the leader's sessions in pg_stat_activity unless the connection string names them.
    fallback_application_name: "sched-leader-postgres",
  });
}
