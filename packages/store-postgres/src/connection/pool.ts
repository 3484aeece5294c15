import { randomBytes } from "node:crypto";
import { ConfigError, describeValue, settlesWithin } from "@sched/core/adapter";
import pg from "pg";
import { readConnectionString } from "./connection-string.js";
import type { StatementLimits } from "./statement-limits.js";
import { isConnectionError, isTimeout } from "./store-error.js";

/** How the store connects: the connection options of `PostgresStoreOptions`. */
export interface ConnectionOptions extends ConnectionChoice {
  poolSize?: number | undefined;
  poolConfig?: Omit<pg.PoolConfig, "connectionString"> | undefined;
  applicationName?: string | undefined;
  poolMode?: PoolMode | undefined;
}

/**
 * How the server at the connection string (or the pool's) hands out server sessions, in
 * PgBouncer's terms (`pool_mode`): `"session"` when each connection is a session of its own
 * (PostgreSQL itself, or a pooler in session mode), `"transaction"` when a connection gets a server
 * session only for the length of each transaction (PgBouncer, pgcat, Supavisor, Odyssey or RDS
 * Proxy in transaction mode). Through a transaction pool nothing may rely on session state: no
 * setting sent at connection start (PgBouncer refuses `statement_timeout` there), no `LISTEN`, no
 * session advisory lock, no named prepared statement.
 */
export type PoolMode = "session" | "transaction";

/** The pool modes, for checks and messages. */
export const POOL_MODES: readonly PoolMode[] = ["session", "transaction"];

/**
 * Refuses a `poolMode` that is not one of {@link POOL_MODES}.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming `poolMode`.
 */
export function checkPoolMode(value: unknown): asserts value is PoolMode | undefined {
  if (value === undefined || POOL_MODES.includes(value as PoolMode)) return;
  throw new ConfigError("poolMode", `expected "session" or "transaction", got ${describeValue(value)}`);
}

/**
 * Refuses a connection string `pg` could not use as a server address (see
 * {@link readConnectionString}), or a value that is not a string, without echoing it.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming `field`.
 */
export function checkConnectionString(value: unknown, field: string): void {
  if (value === undefined) return;
  if (typeof value !== "string") throw new ConfigError(field, `expected a string, got ${typeof value}`);
  assertUsable(value, field, "");
}

/**
 * How long `close()` lets connections end cleanly (the server acknowledges the goodbye) before it
 * destroys their sockets: a server that hangs never acknowledges it.
 */
export const CLOSE_GRACE_MS = 1_000;

/** The store's pool, and what it needs to know about it. */
export interface StoreConnection {
  /** The pool every statement runs on. */
  readonly pool: pg.Pool;
  /** The settings of a dedicated client (the LISTEN connection) to the same server. */
  readonly clientConfig: pg.ClientConfig;
  /** The `application_name` of the connections the store opens. */
  readonly applicationName: string;
  /**
   * Ends the pool when the store created it, within about {@link CLOSE_GRACE_MS} even when the
   * server hangs; otherwise only detaches what the store attached.
   */
  close(): Promise<void>;
}

/** The settings of `connectionString` and `pool` of a package's options. */
export interface ConnectionChoice {
  connectionString?: string | undefined;
  pool?: pg.Pool | undefined;
}

/**
 * Refuses connection options `pg` could not use: both a pool and a connection string, a
 * connection string that is not a string, a pool that is not a `pg.Pool`, or a connection string
 * (given, or the pool's) that `pg` cannot parse or would not read as a server (see
 * {@link readConnectionString}). Never echoes the string.
 *
 * @throws ConfigError (`CONFIG_INVALID`) whose field is `connectionString` or `pool`.
 */
export function checkConnectionChoice(options: ConnectionChoice): void {
  if (options.pool !== undefined && options.connectionString !== undefined) {
    throw new ConfigError("pool", "give either a pool or a connectionString, not both");
  }
  if (options.connectionString !== undefined) {
    if (typeof options.connectionString !== "string") {
      throw new ConfigError("connectionString", `expected a string, got ${typeof options.connectionString}`);
    }
    assertUsable(options.connectionString, "connectionString", "");
  }
  if (options.pool !== undefined) {
    if (!isPool(options.pool)) throw new ConfigError("pool", "expected a pg.Pool");
    const poolString = (options.pool.options as pg.ClientConfig).connectionString;
    if (typeof poolString === "string") assertUsable(poolString, "pool", "its connectionString ");
  }
}

/**
 * The `pg` settings for `limits` (pg reads 0 as "no limit" for each of them). `pg` sends
 * `statement_timeout` as a startup parameter, which a transaction pool refuses (PgBouncer closes
 * the connection with `unsupported startup parameter: statement_timeout`) or, told to ignore it,
 * would not apply: with `poolMode` `"transaction"` it is left out, and the server-side limit is
 * the role's or database's own (`ALTER ROLE ... SET statement_timeout`) or a `SET LOCAL` inside a
 * transaction.
 */
export function limitSettings(limits: StatementLimits, poolMode: PoolMode = "session"): pg.ClientConfig {
  return {
    connectionTimeoutMillis: limits.connectMs,
    statement_timeout: poolMode === "transaction" ? 0 : limits.statementMs,
    query_timeout: limits.queryMs,
  };
}

/** A pool a package created: it ends it, and can cut its connections when the server hangs. */
export interface OwnedPool {
  readonly pool: pg.Pool;
  /** Destroys the socket of every connection of the pool: statements in flight fail at once. */
  destroyConnections(): void;
  /**
   * Ends the pool within about 2 × {@link CLOSE_GRACE_MS} even when the server hangs: the sockets
   * of connections that did not end after the first grace are destroyed.
   */
  end(): Promise<void>;
}

/**
 * What each new connection of a pool the packages make runs first, whatever the database's, role's
 * or connection string's defaults: timestamps in ISO form (the only one `pg` parses), and, on a
 * session pool, statements at READ COMMITTED (under REPEATABLE READ or SERIALIZABLE concurrent
 * claims and completions fail with serialization errors and are retried). Behind a transaction
 * pool only DateStyle is set: PgBouncer keeps it per client, while a default isolation set there
 * would stay on a server connection other clients get next.
 */
export function sessionSettings(poolMode: PoolMode = "session"): string {
  return poolMode === "transaction"
    ? "SET DateStyle TO ISO"
    : "SET DateStyle TO ISO; SET default_transaction_isolation TO 'read committed'";
}

/**
 * Creates a pool with `config` that keeps track of its clients, so that {@link OwnedPool.end} can
 * destroy the sockets that do not end, and gives each new connection the settings of
 * {@link sessionSettings} for `poolMode`. Opens no connection.
 */
export function createPool(config: pg.PoolConfig, poolMode: PoolMode = "session"): OwnedPool {
  const settings = sessionSettings(poolMode);
  const clients = new Set<pg.Client>();
  /** The pool's clients, kept so that their sockets can be destroyed. */
  class TrackedClient extends pg.Client {
    constructor(clientConfig?: string | pg.ClientConfig) {
      super(clientConfig);
      clients.add(this);
      this.once("end", () => clients.delete(this));
    }
  }
  /** Connections whose settings ran in `onConnect`, before they were handed out. */
  const settled = new WeakSet<object>();
  const pool = new pg.Pool({
    ...config,
    Client: TrackedClient as unknown as new () => pg.ClientBase,
    // pg-pool 3.14 (pg 8.23) and later await this before handing the connection out.
    onConnect: async (client: pg.ClientBase) => {
      await client.query(settings);
      settled.add(client);
    },
  } as unknown as pg.PoolConfig);
  pool.on("remove", (client) => clients.delete(client as pg.Client));
  // An earlier pg-pool has no onConnect: queued before the first statement the connection is
  // handed out for (see sessionSettings).
  pool.on("connect", (client) => {
    if (!settled.has(client)) client.query(settings).catch(() => {});
  });
  const destroyConnections = (): void => {
    for (const client of clients) destroySocket(client);
  };
  return {
    pool,
    destroyConnections,
    end: async () => {
      const ended = pool.end().catch(() => {});
      if (await settlesWithin(ended, CLOSE_GRACE_MS)) return;
      // The server does not acknowledge (it hangs, or the network dropped it): statements in flight
      // fail at once, and the pool is done.
      destroyConnections();
      await settlesWithin(ended, CLOSE_GRACE_MS);
    },
  };
}

/**
 * Sets up the store's pool: the one passed in (left open by `close()`), or one made from the
 * connection string (ended by `close()`). Opens no connection.
 *
 * @throws ConfigError (`CONFIG_INVALID`) for both a pool and a connection string, a pool that is
 *   not a `pg.Pool`, a bad `poolSize`, or a connection string (given, or the pool's) that `pg`
 *   cannot parse or would not read as a server (see {@link readConnectionString}); the field is
 *   `connectionString` or `pool`, and the string is never echoed.
 */
export function openConnection(options: ConnectionOptions, timeouts: StatementLimits): StoreConnection {
  checkConnectionChoice(options);
  if (options.poolSize !== undefined && !(Number.isInteger(options.poolSize) && options.poolSize > 0)) {
    throw new ConfigError("poolSize", `expected a positive integer, got ${describeValue(options.poolSize)}`);
  }
  const randomName = (): string => `sched-${randomBytes(4).toString("hex")}`;
  if (options.pool !== undefined) {
    const pool = options.pool;
    const clientConfig = { ...(pool.options as pg.ClientConfig) };
    // pg requires an 'error' listener on a pool (an idle client the server drops emits one): add
    // a harmless one while the store is open if the application has none, so it cannot crash.
    const guard = pool.listenerCount("error") === 0 ? () => {} : null;
    if (guard) pool.on("error", guard);
    return {
      pool,
      clientConfig,
      applicationName: options.applicationName ?? clientConfig.application_name ?? randomName(),
      close: async () => {
        if (guard) pool.off("error", guard);
      },
    };
  }
  const applicationName = options.applicationName ?? options.poolConfig?.application_name ?? randomName();
  const clientConfig: pg.ClientConfig = {
    keepAlive: true,
    ...options.poolConfig,
    application_name: applicationName,
    connectionString: options.connectionString,
    ...limitSettings(timeouts, options.poolMode),
  };
  const owned = createPool(
    { ...clientConfig, max: options.poolSize ?? options.poolConfig?.max ?? 10 },
    options.poolMode,
  );
  // The pool has already discarded a broken idle client; the next statement opens a new one.
  owned.pool.on("error", () => {});
  return { pool: owned.pool, clientConfig, applicationName, close: owned.end };
}

/** Destroys the socket of a client (its statements in flight fail, its `end` event follows). */
export function destroySocket(client: pg.Client): void {
  (client as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
}

/** Refuses a connection string `pg` could not use as a server address, without echoing it. */
function assertUsable(connectionString: string, field: string, subject: string): void {
  // pg ignores an empty string (and uses the PG* variables): so does the store.
  if (connectionString === "") return;
  const target = readConnectionString(connectionString);
  if (!target.usable) throw new ConfigError(field, `${subject}${target.problem}`);
}

/** Anything that runs a query: a `pg` `Client`, a `PoolClient`. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/** Clients that have already served a call: a failure on one of them may only mean it went stale. */
const usedClients = new WeakSet<pg.PoolClient>();

/**
 * Runs `work` on a client checked out of `pool`, then returns the client.
 *
 * Unlike `pool.query`, a statement the server refused (a unique violation, say) keeps the
 * connection: only a broken connection is discarded. While the client is out, an `error` it
 * emits (the server terminated the backend) is caught here instead of reaching the process as
 * an unhandled `error` event.
 *
 * A connection that died while it sat idle in the pool (server restart, `pg_terminate_backend`,
 * a proxy's idle timeout) fails the first statement sent on it; `pg` only notices when it next
 * reads from the socket. So when a *reused* client fails with a connection error, `work` runs
 * again on another client, up to the pool's size. Every statement of the store is a single
 * autocommit statement, and one that failed this way did not run, or was rolled back with its
 * backend. (Only a connection lost in the instant between a commit and its reply could make it run
 * twice; each statement tolerates that: a second claim leaves the first batch to lease recovery,
 * a second completion or renewal matches nothing, a second insert fails on the duplicate id.)
 * A failure on a fresh connection is reported at once (the server is down).
 *
 * A timeout (the connection could not be opened in time, or a statement got no answer) is never
 * retried: the server hangs, and another try would only double the wait. A connection whose
 * statement timed out on the client is discarded (its answer may still come, on that connection).
 * Retries stop once the call has taken `budgetMs` (0: no limit), so a call that keeps finding
 * broken connections still ends. A call still waiting for a client when `abandon` is aborted fails
 * with its reason at once.
 */
export async function withPoolClient<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  budgetMs = 0,
  abandon?: AbortSignal,
): Promise<T> {
  const attempts = (pool.options.max ?? 10) + 1;
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    const client = await connectUnless(pool, abandon);
    const reused = usedClients.has(client);
    usedClients.add(client);
    let broken: Error | undefined;
    const onError = (err: Error): void => {
      broken ??= err;
    };
    client.on("error", onError);
    try {
      return await work(client);
    } catch (err) {
      if (isTimeout(err) !== null) {
        // A statement the server cancelled itself leaves a usable connection; one the client gave
        // up on does not.
        if (isTimeout(err) !== "server") broken ??= toError(err);
        throw err;
      }
      if (isConnectionError(err) || !(err instanceof Error)) broken ??= toError(err);
      const outOfTime = budgetMs > 0 && performance.now() - started >= budgetMs;
      if (broken === undefined || !reused || attempt >= attempts || outOfTime) throw err;
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
  }
}

/**
 * Runs `work` in one transaction on a client of `pool`: `begin` (default `BEGIN`; it may carry
 * `SET LOCAL` settings in the same round trip), then `work`, then `COMMIT`; on any failure a
 * `ROLLBACK` and the client is discarded rather than returned to the pool (it may be broken, or an
 * answer may still come). A connection lost while the client is out of the pool is an `'error'`
 * event on the client, which ends the process when nothing listens: it is listened to for the
 * whole call. No retry: the caller decides.
 *
 * @throws whatever `pool.connect()`, the statements or `work` throw (driver errors as they come).
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  begin = "BEGIN",
): Promise<T> {
  const client = await pool.connect();
  let failure: Error | true | undefined;
  const onError = (err: Error): void => {
    failure ??= err;
  };
  client.on("error", onError);
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    failure ??= err instanceof Error ? err : true;
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.off("error", onError);
    client.release(failure);
  }
}

/** Runs one statement on a pooled connection (see {@link withPoolClient}). */
export function queryPool<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  config: pg.QueryConfig,
  budgetMs = 0,
  abandon?: AbortSignal,
): Promise<pg.QueryResult<R>> {
  return withPoolClient(pool, (client) => client.query<R>(config), budgetMs, abandon);
}

/**
 * A client of `pool`, or the abort reason of `signal` when it is aborted first (the owner is
 * closing: `pool.end()` leaves a caller waiting for a client until the pool's connection timeout);
 * a client that arrives after that goes back to the pool at once.
 */
function connectUnless(pool: pg.Pool, signal: AbortSignal | undefined): Promise<pg.PoolClient> {
  if (signal === undefined) return pool.connect();
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    pool.connect().then(
      (client) => {
        signal.removeEventListener("abort", onAbort);
        if (settled) client.release();
        else {
          settled = true;
          resolve(client);
        }
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        if (settled) return;
        settled = true;
        reject(err);
      },
    );
  });
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** Whether `value` looks like a pool rather than one connection (it cannot hold a transaction). */
export function isPool(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { totalCount?: unknown }).totalCount === "number" &&
    typeof (value as { idleCount?: unknown }).idleCount === "number"
  );
}

/**
 * Whether `client` is certainly outside a transaction block: no query of it is in flight or
 * queued (`readyForQuery`), and the server's last ReadyForQuery said idle (`"I"`, from
 * `getTransactionStatus()`, which `pg` has had since 8.21; PostgreSQL protocol, ReadyForQuery
 * message). False whenever that cannot be told: an older `pg`, another client shape, or a `BEGIN`
 * sent and not yet answered (a caller may queue it without awaiting).
 */
export function isOutsideTransaction(client: Queryable): boolean {
  const status = client as { readyForQuery?: unknown; getTransactionStatus?: unknown };
  if (status.readyForQuery !== true || typeof status.getTransactionStatus !== "function") return false;
  try {
    return (status.getTransactionStatus as () => unknown).call(client) === "I";
  } catch {
    return false;
  }
}

/** Whether `value` can run a query: a `pg` client (or anything shaped like one). */
export function isQueryable(value: unknown): value is Queryable {
  return typeof value === "object" && value !== null && typeof (value as Queryable).query === "function";
}
