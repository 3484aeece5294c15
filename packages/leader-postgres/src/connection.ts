import { ConfigError, StoreError } from "@sched/core/adapter";
import pg, { type Pool } from "pg";
import { readConnectionString } from "./connection-string.js";
import { redactError } from "./redact-error.js";

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
 * Refuses a connection string `pg` could not use as a server address: one given as
 * `connectionString`, or the one `pool` was made from. Never echoes it.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming `connectionString` (or `pool`) when the string
 *   does not parse as a URL the way `pg` parses it (e.g. `postgres://host:notaport/db`), or does
 *   not start with `scheme://`, so that `pg` would not read a server from it.
 */
export function assertUsableConnectionString(
  connectionString: string | undefined,
  pool: Pool | undefined,
): void {
  const [text, field, subject] =
    connectionString !== undefined
      ? [connectionString, "connectionString", ""]
      : [pool?.options?.connectionString, "pool", "its connectionString "];
  // pg ignores an empty string (and uses the PG* variables): so does the leader.
  if (typeof text !== "string" || text === "") return;
  const target = readConnectionString(text);
  if (!target.usable) throw new ConfigError(field, `${subject}${target.problem}`);
}

/**
 * Describes the server of a connection string or of a pool's options without its password,
 * reading host and port the way `pg` does: a connection string's host and port win over the
 * pool's `host` and `port`, even when it names none (then `PGHOST` / `PGPORT`, or
 * `localhost:5432`).
 */
export function describeServer(
  connectionString: string | undefined,
  pool: Pool | undefined,
): ServerDescription {
  const options = pool?.options;
  const secrets: string[] = [];
  const text = connectionString ?? options?.connectionString;
  if (typeof options?.password === "string" && options.password !== "") secrets.push(options.password);
  let host: string | undefined = options?.host;
  let port: string | number | undefined = options?.port;
  if (text !== undefined && text !== "") {
    secrets.push(text);
    const target = readConnectionString(text);
    // The constructor refuses an unusable string; a message must still not guess a server.
    if (!target.usable) return { address: "the server of an unusable connection string", secrets };
    secrets.push(...target.secrets.filter((secret) => secret !== ""));
    host = target.host;
    port = target.port;
  }
  const hostName = host || process.env.PGHOST || DEFAULT_HOST;
  // An IPv6 address in brackets, so that its port stays apart: [::1]:5432.
  const shownHost = hostName.includes(":") && !hostName.startsWith("/") ? `[${hostName}]` : hostName;
  return { address: `${shownHost}:${port || process.env.PGPORT || DEFAULT_PORT}`, secrets };
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
 * `host:port` and never contains the password. The original error stays the `cause` (a copy
 * without the secrets, should it ever hold one).
 */
export function toStoreError(err: unknown, action: string, server: ServerDescription): StoreError {
  const detail = err instanceof Error ? err.message : String(err);
  const code = errorCode(err);
  const suffix = code !== undefined && !detail.includes(code) ? ` (${code})` : "";
  return new StoreError(
    `PostgresLeader could not ${action} on PostgreSQL at ${server.address}: ${redact(detail, server)}${suffix}`,
    {
      cause: redactError(
        err,
        [...server.secrets].sort((a, b) => b.length - a.length),
      ),
    },
  );
}

/** The pool a leader owns, and a way to cut its connections when the server hangs. */
export interface OwnedPool {
  readonly pool: Pool;
  /** Destroys the socket of every connection of the pool: statements in flight fail at once. */
  destroyConnections(): void;
}

/**
 * Creates the pool the leader owns when given a connection string. The leader runs one statement
 * at a time, so two connections are plenty; `timeoutMs` bounds connecting and each statement, on
 * the client and on the server (`statement_timeout`, which also frees the row lock of a renewal
 * the client gave up on), since a renewal slower than the local lease is worthless. Idle
 * connections do not keep the process alive.
 */
export function createOwnedPool(connectionString: string | undefined, timeoutMs: number): OwnedPool {
  const clients = new Set<pg.Client>();
  /** The pool's clients, kept so that their sockets can be destroyed. */
  class TrackedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      clients.add(this);
      this.once("end", () => clients.delete(this));
    }
  }
  const pool = new pg.Pool({
    connectionString,
    max: 2,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    keepAlive: true,
    allowExitOnIdle: true,
    // Names the leader's sessions in pg_stat_activity unless the connection string names them.
    fallback_application_name: "sched-leader-postgres",
    Client: TrackedClient as unknown as new () => pg.ClientBase,
  });
  pool.on("remove", (client) => clients.delete(client as pg.Client));
  return {
    pool,
    destroyConnections: () => {
      for (const client of clients) {
        (client as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
      }
    },
  };
}
