import {
  assertKnownOptions,
  ConfigError,
  LeaseLeader,
  type LeaseLeaderOptions,
  parseDuration,
  StoreError,
} from "@sched/core/adapter";
import {
  CLOSE_GRACE_MS,
  type ConnectionTarget,
  checkConnectionChoice,
  codeOf,
  connectionTarget,
  migrateLockTable,
  redact,
  settlesWithin,
  storeError,
} from "@sched/store-postgres/connection";
import type { Pool, QueryConfig } from "pg";
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
] as const satisfies ReadonlyArray<keyof PostgresLeaderOptions>;

/** The longest a release waits for the database: it is best effort, as an unreleased lease expires. */
const RELEASE_TIMEOUT_MS = 5_000;
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
  private readonly destroyConnections: () => void;
  private closeBounded: Promise<void> | null = null;
  private readonly statements: LeaseStatements;
  private readonly server: ConnectionTarget;
  /**
   * The last term the database granted this instance, even one it did not act on (an answer that
   * came too late); it may take that lease back at once after stepping down. `null` before any.
   */
  private grantedTerm: number | null = null;
  /** Whether a statement may have written this instance into the row since the last release. */
  private mayHoldRow = false;

  /**
   * Creates a leader that does not lead until {@link acquire} succeeds. Connects lazily.
   *
   * @throws ConfigError (`CONFIG_INVALID`) naming a bad option: an unknown option name (with the
   *   known one it looks like), an option of the wrong type, an identifier, the name, the TTL, a
   *   logger without `debug`, `info`, `warn` and `error` functions, both `pool` and
   *   `connectionString`, or a `connectionString` (or the pool's) that is not a URL `pg` can parse
   *   as a server address, such as `postgres://host:notaport/db` (the string is never echoed).
   */
  constructor(options: PostgresLeaderOptions = {}) {
    assertKnownOptions(options, OPTION_NAMES);
    checkTypes(options);
    checkConnectionChoice(options);
    super("PostgresLeader", options);
    this.statements = leaseStatements(options.schema ?? "public", options.tablePrefix ?? "scheduler_");
    this.server = connectionTarget(options.pool?.options ?? { connectionString: options.connectionString });
    this.ownsPool = options.pool === undefined;
    const owned =
      options.pool === undefined
        ? createOwnedPool(options.connectionString, Math.ceil(this.localLeaseMs))
        : null;
    this.pool = owned?.pool ?? (options.pool as Pool);
    this.destroyConnections = owned?.destroyConnections ?? (() => {});
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
   * Takes the lease when it is free or expired by the database's clock (with a new, higher term),
   * or renews it when this instance leads (keeping the term).
   *
   * @throws StoreError only when the lock table does not exist: call {@link migrate} first.
   */
  protected async acquireOrRenew(): Promise<boolean> {
    // Renew (keeping the term) only a leadership this instance still holds locally; any other
    // success is a new leadership with a higher term, so no two leaderships share a term.
    const leads = this.isLeader();
    // Taken before the statement is even queued: the server reads clock_timestamp() later, so
    // `sentAt + ttl` comes no later than the server's `expires_at` (up to the clocks' drift, which
    // the safety margin covers).
    const sentAt = performance.now();
    this.mayHoldRow = true;
    let term: string | undefined;
    try {
      const rows = await this.run<{ term: string }>(
        "acquire the lease",
        this.statements.acquireLease,
        [this.name, this.instanceId, this.ttlMs, this.grantedTerm, leads],
        // An answer after the local lease it would grant has run out is of no use.
        Math.ceil(this.localLeaseMs),
      );
      term = rows[0]?.term;
    } catch (err) {
      this.lease.stepDown();
      if (err instanceof MissingLockTableError) throw err;
      this.reportFailure(err as Error);
      return false;
    }
    this.clearFailures();
    // No row: another instance holds an unexpired lease, and this one has lost its own if it had one.
    if (term === undefined) {
      this.lease.stepDown();
      return false;
    }
    const newTerm = Number(term);
    this.grantedTerm = newTerm;
    const deadline = sentAt + this.localLeaseMs;
    // A late answer: the local lease it grants is already over.
    if (performance.now() >= deadline) {
      this.lease.stepDown();
      return false;
    }
    if (newTerm === this.lease.term) {
      // A renewal. If the local lease ran out while it was in flight, the loss was reported:
      // stay down, and take the lease back with a new term at the next acquire.
      return this.lease.renew(deadline);
    }
    // A different term is a new leadership: the previous one (if any) has ended.
    this.lease.gain(newTerm, deadline);
    return true;
  }

  /** Steps down, then frees the lease row if this instance may hold it. */
  protected async releaseLease(): Promise<void> {
    // Step down first: once release is asked for, this instance must not lead, reachable or not.
    this.lease.stepDown();
    if (!this.mayHoldRow) return;
    await this.run(
      "release the lease",
      this.statements.releaseLease,
      [this.name, this.instanceId],
      Math.min(RELEASE_TIMEOUT_MS, Math.ceil(this.localLeaseMs)),
    );
    this.mayHoldRow = false;
  }

  /**
   * Runs one statement, giving up after `timeoutMs` (also while waiting for a connection of a busy
   * pool). A statement that still commits after we gave up only writes this instance's own lease,
   * which its next acquire takes back or which expires.
   */
  private async run<Row extends Record<string, unknown>>(
    action: string,
    text: string,
    values: unknown[],
    timeoutMs: number,
  ): Promise<Row[]> {
    const query: QueryConfig = { text, values };
    try {
      const result = await this.withTimeout(timeoutMs, () => this.pool.query<Row>(query));
      return result.rows;
    } catch (err) {
      if (MISSING_TABLE_CODES.has(codeOf(err) ?? "")) throw new MissingLockTableError(this.statements, err);
      throw storeError(err, action, this.server);
    }
  }

  /**
   * Releases the lease if held (ignoring failures: it then expires by its TTL), drops listeners,
   * and ends the pool the leader created; a pool you gave stays open. Resolves within about 2 s
   * even when the server hangs: after 1 s the sockets of the leader's own pool are destroyed, so
   * an acquire or release in flight fails at once (with a pool of yours, they are left to finish
   * or time out on their own). Idempotent; a closed leader never leads again.
   */
  override close(): Promise<void> {
    this.closeBounded ??= (async () => {
      const closing = super.close();
      if (await settlesWithin(closing, CLOSE_GRACE_MS)) return;
      this.destroyConnections();
      await settlesWithin(closing, CLOSE_GRACE_MS);
    })();
    return this.closeBounded;
  }

  /** Ends the pool the leader created; a pool given as `pool` stays open. */
  protected async closeConnection(): Promise<void> {
    if (!this.ownsPool) return;
    const ended = this.pool.end().catch(() => undefined);
    // A server that hangs never acknowledges the goodbye: cut the sockets that do not end.
    if (!(await settlesWithin(ended, CLOSE_GRACE_MS))) this.destroyConnections();
    await ended;
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
  checkLogger(options.logger);
}

/** Refuses a logger that lacks one of the four functions the leader calls. */
function checkLogger(logger: unknown): void {
  if (logger === undefined) return;
  const methods = ["debug", "info", "warn", "error"] as const;
  const missing = methods.filter(
    (method) => typeof (logger as Record<string, unknown> | null)?.[method] !== "function",
  );
  if (missing.length > 0) {
    throw new ConfigError(
      "logger",
      `expected an object with ${methods.join(", ")} functions; ${missing.join(", ")} missing`,
    );
  }
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
