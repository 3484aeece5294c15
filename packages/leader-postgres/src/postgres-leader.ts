import {
  assertKnownOptions,
  assertLogger,
  ConfigError,
  LeaseLeader,
  type LeaseLeaderOptions,
  parseDuration,
  readOptions,
  StoreError,
  settlesWithin,
} from "@sched/core/adapter";
import {
  CLOSE_GRACE_MS,
  type ConnectionTarget,
  checkConnectionChoice,
  checkPoolMode,
  codeOf,
  connectionTarget,
  inTransaction,
  migrateLockTable,
  type PoolMode,
  redact,
  storeError,
} from "@sched/store-postgres/connection";
import type { Pool, QueryConfig, QueryResult, QueryResultRow } from "pg";
import { createOwnedPool } from "./leader-pool.js";
import { type LeaseStatements, leaseStatements } from "./lease-statements.js";

/** Options of {@link PostgresLeader}. Give `connectionString` or `pool`, not both. */
export interface PostgresLeaderOptions extends LeaseLeaderOptions {
  /**
   * A `postgres://` URL. The leader opens (and {@link PostgresLeader.close} ends) its own small
   * pool. Without it or `pool`, the `PG*` environment variables apply, as in `pg`.
   */
  connectionString?: string;
  /** A pool to use instead, e.g. the one your `PostgresStore` uses. It is yours: `close()` leaves it open. */
  pool?: Pool;
  /** The schema of the lock table; default `"public"`. */
  schema?: string;
  /** Prefix of the lock table's name (`<prefix>locks`); default `"scheduler_"`. */
  tablePrefix?: string;
  /** The leadership to compete for: leaders with the same table and name elect one. Default `"scheduler"`. */
  name?: string;
  /** This instance's id, stored as the lease's holder; default `<hostname>-<pid>-<random>`. */
  instanceId?: string;
  /**
   * How the server at `connectionString` (or `pool`'s) pools connections (PgBouncer's
   * `pool_mode`): `"session"` (default) for PostgreSQL itself or a pooler in session mode,
   * `"transaction"` for PgBouncer (or pgcat, Supavisor, RDS Proxy) in transaction mode. The lease
   * is a row, never a session lock, so it works through either; with `"transaction"` the pool the
   * leader creates sends no `statement_timeout` at connection start (PgBouncer refuses it), and
   * each statement runs in a transaction of its own that sets it with `SET LOCAL`, so the server
   * still cancels a renewal the leader gave up on.
   */
  poolMode?: PoolMode;
}

/** Every option of {@link PostgresLeaderOptions}, for the check of unknown names. */
const OPTION_NAMES = [
  "connectionString",
  "pool",
  "schema",
  "tablePrefix",
  "name",
  "instanceId",
  "ttl",
  "logger",
  "poolMode",
] as const satisfies ReadonlyArray<keyof PostgresLeaderOptions>;

/** `undefined_table` and `invalid_schema_name`: the lock table was never migrated. */
const MISSING_TABLE_CODES = new Set(["42P01", "3F000"]);

/**
 * A {@link Leader} backed by a lease row in PostgreSQL (`<schema>.<prefix>locks`, shared with
 * `@sched/store-postgres`). The lease's TTL is judged by the database's clock; each new
 * leadership gets a strictly higher `term`. Locally, {@link isLeader} turns false once the TTL
 * minus a 10% safety margin has passed since the last successful renewal was sent, so a leader
 * that cannot renew stops before its lease can expire on the server. It is passive (no timers):
 * the runtime calls {@link acquire} every `lockRefresh`. `acquire()` rejects (with a
 * `StoreError`) only when the lock table does not exist: call {@link migrate} first.
 *
 * `close()` resolves within about 2 s even when the server hangs: after 1 s the sockets of the
 * leader's own pool are destroyed, so an acquire or release in flight fails at once (with a pool
 * of yours, they are left to finish or time out on their own).
 *
 * @example
 * ```ts
 * const leader = new PostgresLeader({ connectionString, ttl: "30s" });
 * await leader.migrate();
 * const scheduler = createScheduler({ store, leader, distributed: { enabled: true } });
 * ```
 */
export class PostgresLeader extends LeaseLeader {
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  /** Cuts the connections of the pool the leader created; nothing for a pool you gave. */
  private readonly destroyOwnedConnections: () => void;
  private readonly statements: LeaseStatements;
  private readonly server: ConnectionTarget;
  private readonly poolMode: PoolMode;
  /** The server-side limit of one statement behind a transaction pool, in ms (the local lease). */
  private readonly statementMs: number;

  /**
   * Creates a leader that does not lead until {@link acquire} succeeds. Connects lazily.
   *
   * @throws ConfigError (`CONFIG_INVALID`) naming a bad option: an unknown option name (with the
   *   known one it looks like), an option of the wrong type, an identifier, the name, the TTL, a
   *   logger without `debug`, `info`, `warn` and `error` functions, both `pool` and
   *   `connectionString`, or a `connectionString` (or the pool's) that is not a URL `pg` can parse
   *   as a server address, such as `postgres://host:notaport/db` (the string is never echoed).
   */
  constructor(given: PostgresLeaderOptions = {}) {
    // Read once: a getter or proxy that throws is a ConfigError, and the checks see what is kept.
    const options = readOptions(given, "", "option");
    assertKnownOptions(options, OPTION_NAMES);
    checkTypes(options);
    checkConnectionChoice(options);
    checkPoolMode(options.poolMode);
    super({ kind: "PostgresLeader" }, options);
    this.poolMode = options.poolMode ?? "session";
    this.statementMs = Math.ceil(this.localLeaseMs);
    this.statements = leaseStatements(options.schema ?? "public", options.tablePrefix ?? "scheduler_");
    this.server = connectionTarget(options.pool?.options ?? { connectionString: options.connectionString });
    this.ownsPool = options.pool === undefined;
    const owned =
      options.pool === undefined
        ? createOwnedPool(options.connectionString, this.statementMs, this.poolMode)
        : null;
    this.pool = owned?.pool ?? (options.pool as Pool);
    this.destroyOwnedConnections = owned?.destroyConnections ?? (() => {});
    if (this.ownsPool) {
      // An idle connection that the server closes (restart, pg_terminate_backend) is reported on
      // the pool; without a listener Node.js would crash the process. The pool replaces it.
      this.pool.on("error", (err) => {
        this.logger.debug("PostgresLeader: an idle connection failed and was discarded", {
          error: redact(err.message, this.server.secrets),
        });
      });
    }
  }

  /**
   * Creates the lock table (and its schema) if missing: the same table `@sched/store-postgres`
   * creates, so running either migration is enough. Idempotent, and safe when many instances run
   * it at once.
   *
   * @throws StoreError naming the server by `host:port` (never the password) when it fails.
   */
  async migrate(): Promise<void> {
    if (this.closed) throw new StoreError("PostgresLeader is closed; create a new one to migrate");
    await migrateLockTable(this.pool, this.statements.names, this.server);
  }

  /**
   * Runs the acquire statement as an election: the lease is taken when it is free, expired by the
   * database's clock, or still holds this instance's `grantedTerm`, with the term raised.
   */
  protected async elect(grantedTerm: number | null): Promise<number | null> {
    return this.acquireLease(grantedTerm, false);
  }

  /** Runs the acquire statement as a renewal of the leadership `term`, which keeps the term. */
  protected async reelect(term: number): Promise<number | null> {
    return this.acquireLease(term, true);
  }

  /** Frees the lease row if it still names this instance as holder; the term is kept. */
  protected async resign(): Promise<void> {
    await this.run({ text: this.statements.releaseLease, values: [this.name, this.instanceId] });
  }

  /**
   * Names the server by `host:port` (never the password), or reports the missing lock table as a
   * {@link MissingLockTableError}.
   */
  protected override describeError(error: unknown, action: string): Error {
    if (MISSING_TABLE_CODES.has(codeOf(error) ?? ""))
      return new MissingLockTableError(this.statements, error);
    return storeError(error, action, this.server);
  }

  /** A missing lock table rejects `acquire()`: no retry creates it. */
  protected override isSetupError(error: Error): boolean {
    return error instanceof MissingLockTableError;
  }

  /** Cuts the sockets of the pool the leader created, so statements in flight fail at once. */
  protected override destroyConnections(): void {
    this.destroyOwnedConnections();
  }

  /** Ends the pool the leader created; a pool given as `pool` stays open. */
  protected async closeConnection(): Promise<void> {
    if (!this.ownsPool) return;
    const ended = this.pool.end().catch(() => undefined);
    // A server that hangs never acknowledges the goodbye: cut the sockets that do not end.
    if (!(await settlesWithin(ended, CLOSE_GRACE_MS))) this.destroyOwnedConnections();
    await ended;
  }

  /**
   * Runs `acquire-lease.sql` with `term` as the term this instance was granted and `renewing`
   * whether it still leads with it. Resolves the lease's term when this instance holds it
   * afterwards, `null` when another holder's unexpired lease stands.
   */
  private async acquireLease(term: number | null, renewing: boolean): Promise<number | null> {
    const query: QueryConfig = {
      text: this.statements.acquireLease,
      values: [this.name, this.instanceId, this.ttlMs, term, renewing],
    };
    const { rows } = await this.run<{ term: string }>(query);
    const granted = rows[0]?.term;
    return granted === undefined ? null : Number(granted);
  }

  /**
   * Runs one lease statement. On the session pool the leader made, whose connections start at
   * READ COMMITTED with a `statement_timeout`, it runs as it is. Otherwise (a pool you gave, or a
   * transaction pool, whose sessions may default to SERIALIZABLE or REPEATABLE READ, where a
   * renewal that waited for a concurrent acquirer's row lock would fail with a serialization
   * error and cost the leadership) it runs in a transaction of its own begun at READ COMMITTED,
   * the isolation the statement is written for, with a `SET LOCAL statement_timeout` that bounds
   * it on the server (a setting of the session would stay with a server session other clients get
   * next): `BEGIN` and the setting go in one round trip, so the statement costs three.
   */
  private async run<R extends QueryResultRow>(query: QueryConfig): Promise<QueryResult<R>> {
    if (this.poolMode === "session" && this.ownsPool) return this.pool.query<R>(query);
    return inTransaction(
      this.pool,
      (client) => client.query<R>(query),
      `BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL statement_timeout = ${this.statementMs}`,
    );
  }
}

/**
 * Refuses an option of the wrong type, naming it (`null` included: it is not "absent"). The
 * values are checked further where they are used (identifiers, the TTL, the connection string).
 */
function checkTypes(options: PostgresLeaderOptions): void {
  for (const field of ["connectionString", "schema", "tablePrefix", "name", "instanceId"] as const) {
    const value: unknown = options[field];
    if (value !== undefined && typeof value !== "string") {
      throw new ConfigError(field, `expected a string, got ${value === null ? "null" : typeof value}`);
    }
  }
  const ttl: unknown = options.ttl;
  if (typeof ttl === "string") {
    try {
      parseDuration(ttl, "ttl");
    } catch {
      // The message would quote the value, which may be anything (a connection string put in the
      // wrong option): never echo it.
      throw new ConfigError(
        "ttl",
        `expected a duration such as "30s" (a string needs a unit), got a string of ${ttl.length} characters`,
      );
    }
  }
  if (ttl !== undefined && typeof ttl !== "number" && typeof ttl !== "string") {
    throw new ConfigError(
      "ttl",
      `expected a duration such as "30s" or a number of ms, got ${ttl === null ? "null" : typeof ttl}`,
    );
  }
  if (options.logger !== undefined) assertLogger(options.logger);
}

/** The lock table (or its schema) does not exist: a setup error, reported instead of `false`. */
class MissingLockTableError extends StoreError {
  constructor(statements: LeaseStatements, cause: unknown) {
    super(
      `the lock table ${statements.locksTable} does not exist; call migrate() on the PostgresLeader (or run the @sched/store-postgres migrations) before acquire()`,
      { cause },
    );
  }
}
