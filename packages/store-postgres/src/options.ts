import {
  assertKnownOptions,
  assertLogger,
  ConfigError,
  type Duration,
  describeValue,
  type ForeignNames,
  type Logger,
  parseDuration,
} from "@sched/core/adapter";
import type pg from "pg";
import { checkConnectionString, checkPoolMode, type PoolMode } from "./connection/pool.js";
import type { StatementLimits } from "./connection/statement-limits.js";

/** Options of {@link PostgresStore}. Give `connectionString` or `pool` (or neither, for `pg`'s `PG*` defaults). */
export interface PostgresStoreOptions {
  /** A `postgres://` URL; the store creates its own pool from it and closes it in `close()`. */
  connectionString?: string;
  /**
   * A pool you own: the store uses it and leaves it open in `close()`. Its own settings apply
   * (`connectionTimeoutMillis`, `statement_timeout`, `query_timeout`): the store's `poolSize`,
   * `poolConfig` and timeouts are for the pool it creates.
   */
  pool?: pg.Pool;
  /** The schema of the store's tables; default `"public"`. Lowercase letters, digits and `_`. */
  schema?: string;
  /** Prefix of the store's table names; default `"scheduler_"`. Lowercase letters, digits and `_`, or empty. */
  tablePrefix?: string;
  /**
   * Push events with LISTEN/NOTIFY (default `true`): statements that make jobs available, and the
   * cancel of a running job, send a NOTIFY, and `subscribe()` LISTENs on one dedicated
   * connection. With `false`, `subscribe()` only hears this store's own changes: other instances
   * find jobs by polling, and a job cancelled elsewhere is aborted at its next lease renewal.
   */
  notify?: boolean;
  /**
   * How the server at `connectionString` (or `pool`'s) pools connections (PgBouncer's
   * `pool_mode`): `"session"` (default) for PostgreSQL itself or a pooler in session mode,
   * `"transaction"` for PgBouncer (or pgcat, Supavisor, RDS Proxy) in transaction mode. With
   * `"transaction"` the store relies on no session state there: the pool it creates sends no
   * `statement_timeout` at connection start (PgBouncer refuses it; set the server-side limit on
   * the role instead, see the README's "Behind PgBouncer"), and it never LISTENs through that
   * pool: it LISTENs on `listenConnectionString`, or, without one, other instances' changes are
   * found by polling (`capabilities.pushedEvents` is then `false`). Every statement of the store
   * is one transaction, so nothing else changes.
   */
  poolMode?: PoolMode;
  /**
   * A `postgres://` URL that reaches PostgreSQL directly (or through a session-mode pool), for the
   * one connection that LISTENs for other instances' wake-ups and cancels; every statement still
   * runs on `connectionString` or `pool`. Use it behind a transaction pool (`poolMode:
   * "transaction"`), where LISTEN does not work. Default: the LISTEN connection goes where the
   * pool goes (none with `poolMode: "transaction"`). The other settings of the pool's connections
   * (`poolConfig`: ssl, a password the URL lacks) apply to it too; the URL's own values win.
   * Refused with `notify: false`, which listens nowhere.
   */
  listenConnectionString?: string;
  /**
   * Most connections of the pool the store creates; default `poolConfig.max`, else 10. Ignored with
   * `pool`. The scheduler keeps about two statements in flight (a claim and a batch of
   * acknowledgements) plus occasional maintenance, so a few connections serve many workers.
   */
  poolSize?: number;
  /** More settings of the pool the store creates (ssl, keep-alive, …). Ignored with `pool`. */
  poolConfig?: Omit<pg.PoolConfig, "connectionString">;
  /**
   * The `application_name` of the connections the store opens (visible in `pg_stat_activity`);
   * default `poolConfig.application_name` (or the passed pool's), else `sched-<random>`. A name in
   * the connection string takes precedence, as always with `pg`. 1 to 63 printable ASCII
   * characters (what the server keeps of it as `application_name`).
   */
  applicationName?: string;
  /**
   * Run {@link PostgresStore.migrate} on first use instead of failing with
   * `MigrationRequiredError` when the tables are missing or behind; default `false`.
   */
  autoMigrate?: boolean;
  /**
   * The longest the store waits to open a connection, or for a free one of its pool, before the
   * call fails with `StoreTimeoutError` (`STORE_TIMEOUT`); default `poolConfig.connectionTimeoutMillis`,
   * else `"5s"`. `0` waits for ever. Ignored with `pool`.
   */
  connectionTimeout?: Duration;
  /**
   * The longest one statement may run: the server cancels it then (`statement_timeout`, which
   * frees its locks), and the store gives up 1 s later if the server does not answer at all (a
   * server that hangs, or a network that dropped it), closing that connection. Either way the call
   * fails with `StoreTimeoutError` (`STORE_TIMEOUT`). Default `poolConfig.statement_timeout`, else
   * `"10s"`; `0` waits for ever. Ignored with `pool`. `migrate()` has its own, `migrationTimeout`.
   * With `poolMode: "transaction"` only the client's limit (1 s later) applies: the server's is the
   * role's own `statement_timeout`.
   */
  statementTimeout?: Duration;
  /**
   * The longest one statement of {@link PostgresStore.migrate} may run, its wait for another
   * instance's migration included (a migration may rewrite a large table), and the longest the
   * store's vacuum of the jobs table may run (see `vacuumEvery`); default `"15m"`. `0`
   * waits for ever. Ignored with `pool`.
   */
  migrationTimeout?: Duration;
  /**
   * After how many jobs ended through this store (completed, failed or dead) it runs `VACUUM` on
   * the jobs table, in the background on a connection of its own (not one of the pool's, so a small pool is never held up by it; count one more connection per instance); also after a cleanup that deleted
   * jobs. Default `10000`; `0` leaves vacuuming to autovacuum. Each job leaves two dead row versions
   * behind (claims and completions cannot be HOT updates), which slow every claim until a vacuum
   * removes them; autovacuum comes at most once a minute by default. After a vacuum that took `d`,
   * the next waits at least 9·`d` (a vacuum reads every index whole, so it costs more the more
   * finished jobs are kept): at most about a tenth of the time is spent vacuuming. A vacuum blocks no claim,
   * enqueue or acknowledgement, and skips a table that another vacuum holds; it is bounded by
   * `migrationTimeout` (a vacuum after a large cleanup may outlast any other statement). Needs a
   * role that may vacuum the tables (their owner, the database's owner, a superuser, or on
   * PostgreSQL 17 a role with MAINTAIN on them): for any other role the store checks once, does not
   * vacuum, and says so through `logger`. See the README's "Roles and privileges" and "Table layout
   * and maintenance".
   */
  vacuumEvery?: number;
  /**
   * Where the store says, once, that it leaves the jobs table's vacuum to autovacuum because its
   * role may not vacuum the table (see `vacuumEvery`); default none.
   */
  logger?: Logger;
}

/** Every option of {@link PostgresStoreOptions}, for the check of unknown names. */
const OPTION_NAMES = [
  "connectionString",
  "pool",
  "schema",
  "tablePrefix",
  "notify",
  "poolMode",
  "listenConnectionString",
  "poolSize",
  "poolConfig",
  "applicationName",
  "autoMigrate",
  "connectionTimeout",
  "statementTimeout",
  "migrationTimeout",
  "vacuumEvery",
  "logger",
] as const satisfies ReadonlyArray<keyof PostgresStoreOptions>;

/** The longest timer Node.js keeps (about 24.8 days). */
const MAX_TIMEOUT_MS = 2_147_483_647;
/** How much longer than the server's statement timeout the client waits for an answer. */
export const CLIENT_GRACE_MS = 1_000;

/** The time limits of a store, in ms; `0` for none. */
export interface Timeouts extends StatementLimits {
  /** One statement of `migrate()`, on the server. */
  readonly migrationMs: number;
}

/** Names other queues' PostgreSQL options have, with the option of a store meant (pg-boss's `max`). */
const FOREIGN_OPTION_NAMES: ForeignNames = { max: "poolSize", maxPoolSize: "poolSize" };

/**
 * Refuses an unknown option name and an option of the wrong type, naming it. (The identifiers and
 * the connection settings are checked further by the code that uses them.)
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the option.
 */
export function checkOptions(options: PostgresStoreOptions): void {
  assertKnownOptions(options, OPTION_NAMES, "", FOREIGN_OPTION_NAMES);
  for (const name of ["connectionString", "schema", "tablePrefix", "applicationName"] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== "string") {
      throw new ConfigError(name, `expected a string, got ${describeValue(value)}`);
    }
  }
  // The server refuses the startup packet of a name with NUL, and cuts one past 63 bytes.
  const appName = options.applicationName;
  if (
    appName !== undefined &&
    (appName.length === 0 || appName.length > 63 || /[^\x20-\x7e]/.test(appName))
  ) {
    throw new ConfigError(
      "applicationName",
      `expected 1 to 63 printable ASCII characters, got ${appName.length === 0 ? "an empty string" : `a string of ${appName.length} characters`}`,
    );
  }
  for (const name of ["notify", "autoMigrate"] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== "boolean") {
      throw new ConfigError(name, `expected true or false, got ${describeValue(value)}`);
    }
  }
  checkPoolMode(options.poolMode);
  checkConnectionString(options.listenConnectionString, "listenConnectionString");
  if (options.listenConnectionString !== undefined && options.notify === false) {
    throw new ConfigError(
      "listenConnectionString",
      "has no use with notify: false, which listens nowhere; remove one of them",
    );
  }
  const { vacuumEvery } = options;
  if (vacuumEvery !== undefined && !(Number.isSafeInteger(vacuumEvery) && vacuumEvery >= 0)) {
    throw new ConfigError(
      "vacuumEvery",
      `expected a whole number of jobs, 0 or more, got ${describeValue(vacuumEvery)}`,
    );
  }
  if (options.logger !== undefined) assertLogger(options.logger, "logger");
  const { poolConfig } = options;
  if (
    poolConfig !== undefined &&
    (poolConfig === null || typeof poolConfig !== "object" || Array.isArray(poolConfig))
  ) {
    throw new ConfigError(
      "poolConfig",
      `expected an object of pg.Pool settings, got ${describeValue(poolConfig)}`,
    );
  }
  if (poolConfig !== undefined && "connectionString" in poolConfig) {
    throw new ConfigError("poolConfig", "give the connection string as connectionString, not in poolConfig");
  }
}

/** The timeouts of `options`, each checked. @throws ConfigError naming a bad one. */
export function resolveTimeouts(options: PostgresStoreOptions): Timeouts {
  const config = options.poolConfig ?? {};
  const connectMs = timeout(options, "connectionTimeout", config.connectionTimeoutMillis ?? 5_000);
  const statementMs = timeout(options, "statementTimeout", poolStatementTimeout(config) ?? 10_000);
  const migrationMs = timeout(options, "migrationTimeout", 15 * 60_000);
  const explicitQuery = options.statementTimeout === undefined ? config.query_timeout : undefined;
  return {
    connectMs,
    statementMs,
    queryMs: explicitQuery ?? (statementMs === 0 ? 0 : statementMs + CLIENT_GRACE_MS),
    migrationMs,
  };
}

function poolStatementTimeout(config: Omit<pg.PoolConfig, "connectionString">): number | undefined {
  const value = config.statement_timeout;
  return value === false ? 0 : value;
}

function timeout(
  options: PostgresStoreOptions,
  name: "connectionTimeout" | "statementTimeout" | "migrationTimeout",
  fallback: number,
): number {
  const value = options[name];
  const expected = `expected a duration from 0 to ${MAX_TIMEOUT_MS}ms, such as "5s" or 5000 (a string needs a unit)`;
  let ms: number;
  try {
    ms = value === undefined ? fallback : parseDuration(value, name);
  } catch {
    // parseDuration's message quotes the value, which may be anything (a connection string put
    // in the wrong option): never echo it.
    throw new ConfigError(name, `${expected}, got ${describeValue(value)}`);
  }
  if (!(ms >= 0 && ms <= MAX_TIMEOUT_MS))
    throw new ConfigError(name, `${expected}, got ${describeValue(value)}`);
  // pg takes whole milliseconds; round up so that a limit is never shorter than asked.
  return Math.ceil(ms);
}
