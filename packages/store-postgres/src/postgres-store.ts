import { setMaxListeners } from "node:events";
import {
  type ClaimOptions,
  type CleanupOptions,
  type CompleteOptions,
  type CreatedAndClaimed,
  type CreateJobsOptions,
  DEAD_LETTER_METADATA,
  type DeadLetterOptions,
  type DedupeOptions,
  type DedupeResult,
  describeValue,
  encodeJobCursor,
  type FailOptions,
  type FireResult,
  type InstanceRecord,
  InvalidArgumentError,
  insertedJob,
  insertedJobFromJson,
  type Job,
  JobAlreadyExistsError,
  type JobFilter,
  type JobPage,
  type JobRef,
  type JobSelector,
  type JobStatus,
  type Logger,
  MAX_HISTORY,
  type NewJobRecord,
  type NextDueOptions,
  type QueuePatch,
  type QueueRecord,
  type RateLimit,
  type RateLimitJobOptions,
  type RecoveredLeases,
  type RecoverOptions,
  type ReleaseOptions,
  type RequeueResult,
  readOptions,
  type SaveScheduleOptions,
  type ScheduleRecord,
  type ScheduleTick,
  type Stats,
  type Store,
  type StoreCapabilities,
  StoreClosedError,
  type StoreEvent,
  type ThroughputQuery,
  type ThroughputSample,
  toError,
  type WaitingNamesOptions,
} from "@sched/core/adapter";
import pg from "pg";
import {
  CLOSE_GRACE_MS,
  destroySocket,
  isOutsideTransaction,
  isPool,
  isQueryable,
  openConnection,
  type Queryable,
  queryPool,
  type StoreConnection,
} from "./connection/pool.js";
import { redact } from "./connection/redact-error.js";
import { type ConnectionTarget, codeOf, connectionTarget, storeError } from "./connection/store-error.js";
import {
  DEFAULT_TYPES,
  LEASING_TYPES,
  UnreadableTime,
  unreadableTimeMessage,
} from "./connection/type-parsers.js";
import { autoMigrateVariableOf } from "./environment-stores.js";
import { type TableNames, tableNames } from "./identifiers.js";
import { appliedInOrder, notApplied, refColumns } from "./job-refs.js";
import { JobTableVacuum } from "./job-table-vacuum.js";
import { listenClientConfig } from "./listen-connection.js";
import { Migrator } from "./migrator.js";
import {
  type InstanceRow,
  instanceParams,
  listParams,
  selectorParams,
  type ThroughputRow,
  throughputParams,
  toInstance,
  toThroughputSample,
} from "./operation-rows.js";
import {
  CLIENT_GRACE_MS,
  checkOptions,
  type PostgresStoreOptions,
  resolveTimeouts,
  type Timeouts,
} from "./options.js";
import { buildQueries, type Queries } from "./queries.js";
import {
  iso,
  isoOrNull,
  JOB_TIMESTAMPS,
  type JobRow,
  newJobsJson,
  type QueueRow,
  type ScheduleRow,
  scheduleParams,
  toJob,
  toJobFromJson,
  toQueue,
  toSchedule,
} from "./rows.js";
import { duplicateIdError, uniqueKeyViolation } from "./unique-key-violation.js";
import { WakeUps } from "./wake-ups.js";

export type { PostgresStoreOptions } from "./options.js";

/** `JobStatus` keys of `Stats`, for counting. */
const STATUSES: readonly JobStatus[] = [
  "pending",
  "scheduled",
  "running",
  "completed",
  "failed",
  "dead",
  "cancelled",
];
/** SQLSTATEs meaning the tables (or schema) are not there. */
const MISSING_RELATION = new Set(["42P01", "3F000"]);
/**
 * How many job names `waitingJobNames` looks at, at most (the first in name order): a bound on
 * its cost however many distinct names wait.
 */
const WAITING_NAMES_SCANNED = 1_000;
/** LIMIT and OFFSET are bigint in SQL; keep JavaScript numbers well inside. */
const MAX_COUNT = 2 ** 31 - 1;
/** Jobs ended between two vacuums of the jobs table by default (`vacuumEvery`). */
const DEFAULT_VACUUM_EVERY = 10_000;

/**
 * A {@link Store} on PostgreSQL 13 or later: durable jobs and schedules shared by every instance
 * connected to the same database, schema and table prefix.
 *
 * Every operation is a single SQL statement (so a single round trip and a single commit):
 * batches of due jobs are claimed with `FOR UPDATE SKIP LOCKED` through partial indexes on
 * waiting jobs (one range per job name), bulk inserts and acknowledgements carry the whole batch
 * in one statement, unique keys are enforced per queue by a partial unique index, a schedule
 * tick's compare-and-set and its job insert commit together, and so do a job's death and its
 * dead-letter job. Statements that make jobs available, and the cancel of a running job, send a
 * NOTIFY on commit; `subscribe()` LISTENs on one dedicated connection that reconnects on its own.
 *
 * No statement relies on session state (every one is a transaction of its own; the migration's
 * lock is transaction-scoped), so the store runs behind PgBouncer in transaction mode with
 * `poolMode: "transaction"`, LISTENing on a direct `listenConnectionString`.
 *
 * Call {@link migrate} once (it is idempotent and safe to run from many instances at once), or
 * apply the SQL files in `migrations/` with your own tool. Until then, calls reject with
 * `MigrationRequiredError`.
 *
 * @example
 * ```ts
 * const store = new PostgresStore({ connectionString: process.env.DATABASE_URL });
 * await store.migrate();
 * const scheduler = createScheduler({ store });
 * ```
 */
export class PostgresStore implements Store {
  /**
   * Enqueues join a `pg` transaction; LISTEN/NOTIFY pushes events between instances, unless the
   * store listens nowhere (`notify: false`, or `poolMode: "transaction"` without a
   * `listenConnectionString`): then `pushedEvents` is `false`. `largeClaims` and
   * `wholePrefetchClaims`: a claim is one statement and its commit, and the server runs one
   * instance's claims one after another, so the runtime's default claim takes the free slots and
   * the whole prefetch at once (`max(workers + prefetch, 50)`: 200 for 50 workers).
   */
  readonly capabilities: StoreCapabilities;

  /** The validated schema of the store's tables. */
  readonly schema: string;
  /** The validated table prefix. */
  readonly tablePrefix: string;
  /** The `application_name` of connections this store opens (its own pool and its LISTEN connection). */
  readonly applicationName: string;

  private readonly connection: StoreConnection;
  /** The time limits of the store's pool: from the options, or a passed pool's own settings. */
  private readonly timeouts: Timeouts;
  private readonly pool: pg.Pool;
  private readonly names: TableNames;
  private readonly sql: Queries;
  private readonly target: ConnectionTarget;
  /** The NOTIFY channel, or `null` when wake-ups are off (passed as a parameter to every notifying statement). */
  private readonly channel: string | null;
  private readonly migrator: Migrator;
  private readonly wakeUps: WakeUps;
  /**
   * Aborted (with a `StoreClosedError`) when `close()` begins: calls still waiting for a pooled
   * connection then fail at once, where the ending pool would leave them waiting until its
   * connection timeout. Every call waiting for a connection listens to it, so it takes any number
   * of listeners (Node's default warns past 10).
   */
  private readonly closed = unboundedAbortController();
  private readonly vacuum: JobTableVacuum;
  /** The connection of the vacuum in flight, if any. */
  private vacuumClient: pg.Client | null = null;
  /**
   * Whether the store leaves its vacuum and analyze undone because its role may not run them;
   * `null` until the first maintenance checks.
   */
  private maintenanceRefused: boolean | null = null;
  private readonly logger: Logger | undefined;
  private closing: Promise<void> | null = null;

  /**
   * Creates the store. No connection is opened until the first call.
   *
   * @throws ConfigError (`CONFIG_INVALID`) naming the option: an unknown option name (with the
   *   known one it looks like), an option of the wrong type, `schema` or `tablePrefix` when it is
   *   not a valid identifier; `pool` when both `connectionString` and `pool` are given, or the pool
   *   is not a `pg.Pool`; `poolSize` when it is not a positive integer; a timeout that is not a
   *   duration; `connectionString` (or `pool`, for the pool's) or `listenConnectionString` when it
   *   is not a URL `pg` can parse as a server address, such as `postgres://host:notaport/db` or
   *   `db.internal/app` (the string is never echoed); `poolMode` other than `"session"` or
   *   `"transaction"`; `listenConnectionString` with `notify: false`.
   */
  constructor(given: PostgresStoreOptions = {}) {
    // Read once: a getter or proxy that throws is a ConfigError, and the checks see what is kept.
    const options = readOptions(given, "", "option");
    checkOptions(options);
    this.names = tableNames(options.schema ?? "public", options.tablePrefix ?? "scheduler_");
    this.schema = this.names.schema;
    this.tablePrefix = this.names.prefix;
    this.sql = buildQueries(this.names);
    this.channel = options.notify === false ? null : this.names.channel;
    const timeouts = resolveTimeouts(options);
    this.connection = openConnection(options, timeouts);
    this.pool = this.connection.pool;
    this.applicationName = this.connection.applicationName;
    // With a pool of yours, its own settings are the limits.
    const config = this.connection.clientConfig;
    this.timeouts =
      options.pool === undefined
        ? timeouts
        : {
            connectMs: config.connectionTimeoutMillis ?? 0,
            statementMs: config.statement_timeout || 0,
            queryMs: config.query_timeout ?? 0,
            migrationMs: timeouts.migrationMs,
          };
    this.target = connectionTarget(config, this.timeouts);
    this.migrator = new Migrator(
      this.pool,
      this.names,
      this.sql,
      this.target,
      options.autoMigrate ?? false,
      () => autoMigrateVariableOf(this),
      this.timeouts.migrationMs,
      options.pool === undefined ? "connectionString" : "pool",
    );
    const listenConfig = listenClientConfig(options, this.connection);
    // A claim is one statement and its commit, about 1 ms whatever its size up to hundreds of jobs.
    this.capabilities = {
      transactions: true,
      pushedEvents: listenConfig !== null,
      largeClaims: true,
      wholePrefetchClaims: true,
    };
    const listenTarget = listenConfig === null ? null : connectionTarget(listenConfig);
    const listenSource =
      options.listenConnectionString === undefined
        ? "the store's connection settings"
        : "listenConnectionString";
    this.wakeUps = new WakeUps(
      this.channel,
      listenConfig === null ? null : () => new pg.Client(listenConfig),
      {
        // A LISTEN connection that cannot be opened (a wrong listenConnectionString) leaves every
        // wake-up and cancel from other instances to polling: say so, as other loops do (the first
        // three failures in a row, then one in 20), without the connection string.
        failed: (error, failures) => {
          if (!(failures <= 3 || failures % 20 === 0)) return;
          this.logger?.warn(
            `the LISTEN connection (${listenSource}) failed; jobs and cancels of other instances are noticed by polling until it is back`,
            {
              address: listenTarget?.address,
              error: redact(
                toError(error ?? new Error("the connection ended")).message,
                listenTarget?.secrets ?? [],
              ),
              failures,
            },
          );
        },
        back: (failures) => {
          this.logger?.info(`the LISTEN connection is back after ${failures} failed attempt(s)`, {
            address: listenTarget?.address,
          });
        },
        sendProbe: async (payload) => {
          await queryPool(
            this.pool,
            { text: "SELECT pg_notify($1, $2)", values: [this.channel, payload] },
            this.callBudgetMs,
            this.closed.signal,
          );
        },
        deaf: () => {
          this.logger?.warn(
            `the LISTEN connection (${listenSource}) hears none of the store's notifications: it listens where they do not arrive (PgBouncer in transaction mode, or another database); jobs and cancels of other instances are noticed by polling`,
            { address: listenTarget?.address },
          );
        },
      },
    );
    // A vacuum is maintenance, as a migration is: after a cleanup of a large table it may take
    // longer than any statement of the hot path, and one cut off by statementTimeout loses its work.
    // Behind a transaction pool no startup setting may be sent: the client-side limit remains.
    const migrationMs = this.timeouts.migrationMs;
    const vacuumConfig: pg.ClientConfig = {
      ...this.connection.clientConfig,
      application_name: this.applicationName,
      ...(options.poolMode === "transaction" ? {} : { statement_timeout: migrationMs }),
      query_timeout: migrationMs === 0 ? 0 : migrationMs + CLIENT_GRACE_MS,
    };
    this.logger = options.logger;
    this.vacuum = new JobTableVacuum(
      options.vacuumEvery ?? DEFAULT_VACUUM_EVERY,
      () => this.maintainJobTable(vacuumConfig, this.sql.vacuumJobs, true),
      undefined,
      () => this.maintainJobTable(vacuumConfig, this.sql.analyzeJobs, false),
    );
  }

  /**
   * Runs `maintenance` (sql/vacuum-jobs.sql or sql/analyze-jobs.sql) on a connection of its own,
   * closed afterwards: a vacuum may take a while on a large table, and must not hold one of the
   * pool's connections (with a small pool, claims and acknowledgements would wait for it). With
   * `readLiveRows`, resolves with the live rows the table's statistics hold afterwards
   * (sql/jobs-live-rows.sql); otherwise, and when unknown, with -1.
   *
   * The first time, it checks whether the role may vacuum the tables at all
   * (sql/may-maintain-jobs.sql). PostgreSQL skips the VACUUM of a role that may not, with a
   * warning in the server's log: such a store opens no more maintenance connections, and says so
   * once through the `logger` option.
   */
  private async maintainJobTable(
    config: pg.ClientConfig,
    maintenance: string,
    readLiveRows: boolean,
  ): Promise<number> {
    if (this.closing !== null || this.maintenanceRefused === true) return -1;
    const client = new pg.Client(config);
    // A connection error also rejects the statement in flight, which is what reports it.
    client.on("error", () => {});
    this.vacuumClient = client;
    try {
      await client.connect();
      if (this.maintenanceRefused === null) {
        const { rows } = await client.query<{ allowed: boolean | null }>({
          text: this.sql.mayMaintainJobs,
          types: DEFAULT_TYPES,
        });
        this.maintenanceRefused = rows[0]?.allowed === false;
        if (this.maintenanceRefused) {
          this.logger?.warn(
            "the store does not vacuum or analyze its jobs table: its role may not (PostgreSQL allows the table's owner, the database's owner, a superuser, or on version 17 a role with MAINTAIN); autovacuum's settings for the table keep it lean instead",
            { schema: this.schema, table: `${this.tablePrefix}jobs` },
          );
          return -1;
        }
      }
      await client.query(maintenance);
      if (!readLiveRows) return -1;
      const { rows } = await client.query<{ live: number }>({
        text: this.sql.jobsLiveRows,
        types: DEFAULT_TYPES,
      });
      return Number(rows[0]?.live ?? -1);
    } finally {
      this.vacuumClient = null;
      await client.end().catch(() => {});
    }
  }

  /**
   * Creates or upgrades the store's schema and tables by applying the numbered SQL files in
   * `migrations/` that have not been applied yet, in one transaction. Idempotent; concurrent
   * calls (from many instances) are serialised by a transaction-scoped advisory lock, so exactly
   * one applies each migration.
   *
   * @throws StoreError naming the operation when a statement fails (the transaction is rolled back).
   */
  async migrate(): Promise<void> {
    this.assertOpen();
    await this.migrator.migrate();
  }

  /**
   * {@inheritDoc @sched/core#Store.describeServer}
   *
   * `PostgreSQL at host:port`, as the store's errors name it (never the password or the
   * connection string).
   */
  describeServer(): string {
    return `PostgreSQL at ${this.target.address}`;
  }

  /** {@inheritDoc @sched/core#Store.createJobs} */
  async createJobs(jobs: NewJobRecord[], options?: CreateJobsOptions): Promise<Job[]> {
    this.assertOpen();
    const transaction = options?.transaction;
    if (transaction !== undefined && (!isQueryable(transaction) || isPool(transaction))) {
      throw new InvalidArgumentError(
        "transaction",
        "expected a pg client (a PoolClient or Client) on which you ran BEGIN; a pool cannot hold a transaction",
      );
    }
    if (transaction !== undefined && isOutsideTransaction(transaction)) {
      // The insert would commit at once, whatever the caller's transaction does next.
      throw new InvalidArgumentError(
        "transaction",
        "the client is not in a transaction: run BEGIN on it first (the jobs would commit at once otherwise)",
      );
    }
    if (jobs.length === 0) return [];
    // The payloads as written: the jobs returned carry those, whatever the caller does meanwhile.
    const payloads: string[] = [];
    const values = [newJobsJson(jobs, payloads), this.channel];
    const insert =
      transaction === undefined
        ? this.query("createJobs", this.sql.insertJobs, values)
        : this.migrator
            .ensureReady()
            .then(() => this.queryOn(transaction, "createJobs", this.sql.insertJobs, values));
    // Settled into a value: the insert may fail while the jobs are being built.
    const failure = insert.then(
      () => null,
      (err: unknown) => ({ err }),
    );
    const created = await buildWhileSent(jobs, (record, i) =>
      insertedJobFromJson(record, payloads[i] as string),
    );
    const failed = await failure;
    if (failed !== null) throw await this.uniqueKeyConflict(failed.err, null);
    this.vacuum.jobsInserted(created.length);
    // Inside the caller's transaction, wake-ups wait for its commit (the NOTIFY does).
    if (transaction === undefined) this.wakeUps.deliverQueuesOf(created);
    return created;
  }

  /**
   * {@inheritDoc @sched/core#Store.createJobsAndClaim}
   *
   * One statement (`create_jobs_and_claim`, migrations/008_enqueue_claim.sql): the insert and
   * the claim commit together, with the server's `synchronous_commit` (the claim alone commits
   * without waiting for the WAL flush). NOTIFY goes only to the queues where a new job is left
   * waiting.
   *
   * @throws JobAlreadyExistsError (`JOB_ALREADY_EXISTS`) for a held unique key (nothing inserted
   *   or claimed); StoreError (`STORE_ERROR`) naming `createJobs` when the statement fails.
   */
  async createJobsAndClaim(jobs: NewJobRecord[], claim: ClaimOptions): Promise<CreatedAndClaimed> {
    this.assertOpen();
    const limit = Math.min(Math.floor(claim.limit), MAX_COUNT);
    if (jobs.length === 0 || !(limit > 0) || claim.queues?.length === 0 || claim.names?.length === 0) {
      return { jobs: await this.createJobs(jobs), claimed: [] };
    }
    const now = iso(claim.now, "now");
    const lockedUntil = iso(claim.lockedUntil, "lockedUntil");
    let rows: JobRow[];
    const payloads: string[] = [];
    try {
      ({ rows } = await this.query<JobRow>(
        "createJobs",
        this.sql.createJobsAndClaim,
        [
          newJobsJson(jobs, payloads),
          this.channel,
          now,
          limit,
          lockedUntil,
          claim.workerId,
          distinctOrNull(claim.queues),
          distinctOrNull(claim.names),
        ],
        LEASING_TYPES,
      ));
    } catch (err) {
      throw await this.uniqueKeyConflict(err, null);
    }
    this.vacuum.jobsInserted(jobs.length);
    // The jobs are created; leases whose times cannot be read are handed back, to be claimed
    // (and reported) by the claim loop.
    if ((await this.handBackUnreadable(rows, claim.now)) !== null) rows = [];
    const claimed = rows.map(toJob);
    const created = jobs.map((record, i) => insertedJobFromJson(record, payloads[i] as string));
    const taken = new Set(claimed.map((job) => job.id));
    this.wakeUps.deliverQueuesOf(created.filter((job) => !taken.has(job.id)));
    return { jobs: created, claimed };
  }

  /** {@inheritDoc @sched/core#Store.getJob} */
  async getJob(id: string): Promise<Job | null> {
    this.assertOpen();
    const { rows } = await this.query<JobRow>("getJob", this.sql.getJob, [id]);
    return rows.length === 0 ? null : toJob(rows[0] as JobRow);
  }

  /**
   * {@inheritDoc @sched/core#Store.listJobs}
   *
   * Keyset paging through the listing indexes of migrations/006_operations.sql: one ordered index
   * range per listed status (by queue, by group, or across queues), merged, so a deep page reads
   * about what the first does. A `name` filter is applied on those ranges (no index leads with
   * the name): a page of a rare name reads past the jobs of other names.
   */
  async listJobs(filter: JobFilter): Promise<JobPage> {
    this.assertOpen();
    const { values, limit } = listParams(filter);
    const text = filter.order === "desc" ? this.sql.listJobsDesc : this.sql.listJobs;
    const { rows } = await this.query<JobRow>("listJobs", text, values);
    const jobs = rows.slice(0, limit).map(toJob);
    const last = jobs[jobs.length - 1];
    return {
      jobs,
      nextCursor: rows.length > limit && last !== undefined ? encodeJobCursor(last, filter.order) : null,
    };
  }

  /**
   * {@inheritDoc @sched/core#Store.retryJobs}
   *
   * One statement (retry_jobs in migrations/006_operations.sql): a set-based update, or, when an
   * enqueue took a unique key meanwhile, one subtransaction per job.
   */
  async retryJobs(selector: JobSelector, now: Date): Promise<number> {
    this.assertOpen();
    const { rows } = await this.query<{ moved_queue: string; moved: string }>(
      "retryJobs",
      this.sql.retryJobs,
      [...selectorParams(selector), iso(now, "now"), this.channel],
    );
    let moved = 0;
    for (const row of rows) {
      moved += Number(row.moved);
      this.wakeUps.deliver({ type: "jobs", queue: row.moved_queue });
    }
    return moved;
  }

  /** {@inheritDoc @sched/core#Store.deleteJobs} */
  async deleteJobs(selector: JobSelector): Promise<number> {
    this.assertOpen();
    const { rowCount } = await this.query("deleteJobs", this.sql.deleteJobs, selectorParams(selector));
    return rowCount ?? 0;
  }

  /** {@inheritDoc @sched/core#Store.deleteJob} */
  async deleteJob(id: string): Promise<Job | null> {
    this.assertOpen();
    const { rows } = await this.query<JobRow>("deleteJob", this.sql.deleteJob, [id]);
    const row = rows[0];
    return row === undefined ? null : toJob(row);
  }

  /** {@inheritDoc @sched/core#Store.promoteJob} */
  async promoteJob(id: string, now: Date): Promise<Job | null> {
    this.assertOpen();
    const { rows } = await this.query<JobRow & { promoted: boolean }>("promoteJob", this.sql.promoteJob, [
      id,
      iso(now, "now"),
      this.channel,
    ]);
    const row = rows[0];
    if (row === undefined) return null;
    const job = toJob(row);
    if (row.promoted) this.wakeUps.deliver({ type: "jobs", queue: job.queue });
    return job;
  }

  /** {@inheritDoc @sched/core#Store.saveInstance} */
  async saveInstance(instance: InstanceRecord): Promise<void> {
    this.assertOpen();
    await this.query("saveInstance", this.sql.saveInstance, instanceParams(instance));
  }

  /** {@inheritDoc @sched/core#Store.removeInstance} */
  async removeInstance(id: string): Promise<boolean> {
    this.assertOpen();
    const { rowCount } = await this.query("removeInstance", this.sql.removeInstance, [id]);
    return rowCount === 1;
  }

  /** {@inheritDoc @sched/core#Store.listInstances} */
  async listInstances(now: Date): Promise<InstanceRecord[]> {
    this.assertOpen();
    const { rows } = await this.query<InstanceRow>("listInstances", this.sql.listInstances, [
      iso(now, "now"),
    ]);
    return rows.map(toInstance);
  }

  /** {@inheritDoc @sched/core#Store.addThroughput} */
  async addThroughput(samples: readonly ThroughputSample[], keepSince: Date): Promise<void> {
    this.assertOpen();
    await this.query("addThroughput", this.sql.addThroughput, [
      ...throughputParams(samples),
      iso(keepSince, "keepSince"),
    ]);
  }

  /** {@inheritDoc @sched/core#Store.throughput} */
  async throughput(query: ThroughputQuery): Promise<ThroughputSample[]> {
    this.assertOpen();
    const { rows } = await this.query<ThroughputRow>("throughput", this.sql.throughput, [
      query.queue,
      iso(query.since, "since"),
      query.until === undefined ? null : iso(query.until, "until"),
    ]);
    return rows.map(toThroughputSample);
  }

  /** {@inheritDoc @sched/core#Store.cancelJob} */
  async cancelJob(id: string, now: Date): Promise<Job | null> {
    this.assertOpen();
    const { rows } = await this.query<JobRow & { was_running: boolean; sender_pid: number | null }>(
      "cancelJob",
      this.sql.cancelJob,
      [id, iso(now, "now"), this.channel],
    );
    const row = rows[0];
    if (row === undefined) return null;
    const job = toJob(row);
    // Other instances hear it through the NOTIFY the statement sent.
    if (row.was_running) {
      this.wakeUps.deliverOwnCancel(
        { type: "cancelled", id: job.id, queue: job.queue, attempt: job.attempt },
        this.channel === null ? null : row.sender_pid,
      );
    }
    return job;
  }

  /** {@inheritDoc @sched/core#Store.requeueJob} */
  async requeueJob(id: string, now: Date): Promise<RequeueResult | null> {
    this.assertOpen();
    let rows: Array<JobRow & { requeued: boolean }>;
    try {
      ({ rows } = await this.query<JobRow & { requeued: boolean }>("requeueJob", this.sql.requeueJob, [
        id,
        iso(now, "now"),
        this.channel,
      ]));
    } catch (err) {
      throw await this.uniqueKeyConflict(err, id);
    }
    const row = rows[0];
    if (row === undefined) return null;
    const job = toJob(row);
    if (row.requeued) this.wakeUps.deliver({ type: "jobs", queue: job.queue });
    return { requeued: row.requeued, job };
  }

  /** {@inheritDoc @sched/core#Store.claimDueJobs} */
  async claimDueJobs(options: ClaimOptions): Promise<Job[]> {
    this.assertOpen();
    const limit = Math.min(Math.floor(options.limit), MAX_COUNT);
    if (!(limit > 0) || options.queues?.length === 0 || options.names?.length === 0) return [];
    const now = iso(options.now, "now");
    const lockedUntil = iso(options.lockedUntil, "lockedUntil");
    const { rows } = await this.query<JobRow>(
      "claimDueJobs",
      this.sql.claimDueJobs,
      [
        now,
        limit,
        lockedUntil,
        options.workerId,
        distinctOrNull(options.queues),
        distinctOrNull(options.names),
      ],
      LEASING_TYPES,
    );
    const unreadable = await this.handBackUnreadable(rows, options.now);
    if (unreadable !== null)
      throw this.wrap(new Error(unreadableTimeMessage(unreadable.text)), "claimDueJobs");
    return rows.map(toJob);
  }

  /**
   * After a claim read with {@link LEASING_TYPES}: when a time of its rows could not be read (a
   * DateStyle other than ISO on the connection, see connection/type-parsers.ts), hands every job
   * it leased back at once (as releaseJobs, without a wake-up: no lost lease charged) and returns the first
   * such time; `null` when every row was read. A hand-back that fails leaves the leases to expire.
   */
  private async handBackUnreadable(rows: readonly JobRow[], now: Date): Promise<UnreadableTime | null> {
    let unreadable: UnreadableTime | null = null;
    for (const row of rows) {
      for (const column of JOB_TIMESTAMPS) {
        const value: unknown = row[column];
        if (value instanceof UnreadableTime) unreadable ??= value;
      }
      if (unreadable !== null) break;
    }
    if (unreadable === null) return null;
    const refs = rows.map((row) => ({
      id: row.id,
      queue: row.queue,
      attempt: row.attempt,
      lockedBy: row.locked_by ?? "",
    }));
    // Without a wake-up, here or elsewhere: this instance's claim loop, woken, would claim them
    // again at once (its backoff ends on events); the others find them when they next claim.
    await this.release(refs, iso(now, "now"), null).catch(() => {});
    return unreadable;
  }

  /** {@inheritDoc @sched/core#Store.completeJobs} */
  async completeJobs(refs: readonly JobRef[], options: CompleteOptions): Promise<boolean[]> {
    this.assertOpen();
    if (refs.length === 0) return [];
    const now = iso(options.now, "now");
    const columns = refColumns(refs);
    const { rows } = options.removeOnComplete
      ? await this.query<JobRef>("completeJobs", this.sql.completeAndRemoveJobs, columns)
      : await this.query<JobRef>("completeJobs", this.sql.completeJobs, [now, ...columns]);
    this.vacuum.jobsEnded(rows.length);
    return appliedInOrder(refs, rows);
  }

  /** {@inheritDoc @sched/core#Store.failJob} */
  async failJob(ref: JobRef, options: FailOptions): Promise<Job | null> {
    this.assertOpen();
    const now = iso(options.now, "now");
    const retryAt = isoOrNull(options.retryAt, "retryAt");
    // A dead letter only goes with a death.
    const letter = retryAt === null ? (options.deadLetter ?? null) : null;
    const { rows } = await this.query<JobRow>("failJob", this.sql.failJob, [
      ref.id,
      ref.queue,
      ref.attempt,
      now,
      retryAt,
      options.error,
      now,
      MAX_HISTORY,
      this.channel,
      ...deadLetterParams(letter),
      ref.lockedBy,
    ]);
    const row = rows[0];
    if (row === undefined) return null;
    this.vacuum.jobsEnded(1);
    const job = toJob(row);
    if (job.status === "failed" || (letter !== null && job.name !== letter.name)) {
      this.wakeUps.deliver({ type: "jobs", queue: job.queue });
    }
    return job;
  }

  /** {@inheritDoc @sched/core#Store.releaseJobs} */
  async releaseJobs(refs: readonly JobRef[], options: ReleaseOptions): Promise<boolean[]> {
    this.assertOpen();
    const now = iso(options.now, "now");
    if (refs.length === 0) return [];
    const rows = await this.release(refs, now, this.channel);
    this.wakeUps.deliverQueuesOf(rows);
    return appliedInOrder(refs, rows);
  }

  /**
   * Runs sql/release-jobs.sql for `refs` at `now` (ISO text), notifying `channel` (none when
   * `null`); returns the refs released.
   */
  private async release(refs: readonly JobRef[], now: string, channel: string | null): Promise<JobRef[]> {
    const { rows } = await this.query<JobRef>("releaseJobs", this.sql.releaseJobs, [
      now,
      ...refColumns(refs),
      channel,
    ]);
    return rows;
  }

  /** {@inheritDoc @sched/core#Store.renewLeases} */
  async renewLeases(refs: readonly JobRef[], lockedUntil: Date): Promise<string[]> {
    this.assertOpen();
    if (refs.length === 0) return [];
    const { rows } = await this.query<JobRef>("renewLeases", this.sql.renewLeases, [
      iso(lockedUntil, "lockedUntil"),
      ...refColumns(refs),
    ]);
    return notApplied(refs, rows);
  }

  /** {@inheritDoc @sched/core#Store.recoverExpiredLeases} */
  async recoverExpiredLeases(options: RecoverOptions): Promise<RecoveredLeases> {
    this.assertOpen();
    const at = iso(options.now, "now");
    const max = Math.min(Math.floor(options.limit), MAX_COUNT);
    if (!(max > 0)) return { recovered: [], dead: [] };
    const letter = options.deadLetter;
    const { rows } = await this.query<JobRow>("recoverExpiredLeases", this.sql.recoverExpiredLeases, [
      at,
      max,
      at,
      options.error,
      MAX_HISTORY,
      this.channel,
      options.maxLostLeases,
      ...deadLetterParams(letter),
    ]);
    const recovered: string[] = [];
    const dead: Job[] = [];
    const woken: Job[] = [];
    for (const row of rows) {
      const job = toJob(row);
      if (job.status === "dead") {
        dead.push(job);
        if (letter !== null && job.name !== letter.name) woken.push(job);
      } else {
        recovered.push(job.id);
        woken.push(job);
      }
    }
    this.wakeUps.deliverQueuesOf(woken);
    return { recovered, dead };
  }

  /** {@inheritDoc @sched/core#Store.nextDueAt} */
  async nextDueAt(options: NextDueOptions): Promise<Date | null> {
    this.assertOpen();
    if (options.queues?.length === 0 || options.names?.length === 0) return null;
    const { rows } = await this.query<{ next_due_at: Date | null }>("nextDueAt", this.sql.nextDueAt, [
      distinctOrNull(options.queues),
      distinctOrNull(options.names),
    ]);
    return rows[0]?.next_due_at ?? null;
  }

  /**
   * The distinct names of waiting jobs due by `dueBy` in the given queues (all when `null`), at
   * most `limit`, in no particular order (see `Store.waitingJobNames` in `@sched/core`). Bounded
   * however many jobs wait: it looks at the first 1,000 names with waiting jobs (in name order)
   * and, for each, at one index entry per distinct priority.
   */
  async waitingJobNames(options: WaitingNamesOptions): Promise<string[]> {
    this.assertOpen();
    const dueBy = iso(options.dueBy, "dueBy");
    const limit = Math.min(Math.floor(options.limit), MAX_COUNT);
    if (!(limit > 0) || options.queues?.length === 0) return [];
    const { rows } = await this.query<{ names: string[] }>("waitingJobNames", this.sql.waitingJobNames, [
      distinctOrNull(options.queues),
      dueBy,
      limit,
      WAITING_NAMES_SCANNED,
    ]);
    return rows[0]?.names ?? [];
  }

  /**
   * {@inheritDoc @sched/core#Store.createDedupedJob}
   *
   * One statement: a PL/pgSQL function (migrations/005_queue_controls.sql) locks the window's row
   * of the queue and key (creating it when missing), so callers with the same key take turns.
   */
  async createDedupedJob(job: NewJobRecord, dedupe: DedupeOptions, now: Date): Promise<DedupeResult> {
    this.assertOpen();
    const at = iso(now, "now");
    if (dedupe.mode !== "throttle" && dedupe.mode !== "debounce") {
      throw new InvalidArgumentError(
        "dedupe.mode",
        `expected "throttle" or "debounce", got ${describeValue(dedupe.mode)}`,
      );
    }
    const ttl = wholeMs(dedupe.ttl, "dedupe.ttl", 0);
    const maxWait = dedupe.maxWait === null ? null : wholeMs(dedupe.maxWait, "dedupe.maxWait", 0);
    let rows: DedupeRow[];
    try {
      ({ rows } = await this.query<DedupeRow>("createDedupedJob", this.sql.createDedupedJob, [
        newJobsJson([job]),
        dedupe.key,
        dedupe.mode,
        ttl,
        maxWait,
        at,
        this.channel,
      ]));
    } catch (err) {
      throw await this.uniqueKeyConflict(err, null);
    }
    const row = rows[0] as DedupeRow;
    const stored = row.job === null ? null : toJobFromJson(row.job);
    if (row.outcome !== "throttled" && stored !== null) {
      this.wakeUps.deliver({ type: "jobs", queue: stored.queue });
    }
    return { outcome: row.outcome, jobId: row.window_job_id, job: stored };
  }

  /** {@inheritDoc @sched/core#Store.updateQueue} */
  async updateQueue(name: string, patch: QueuePatch, now: Date): Promise<QueueRecord> {
    this.assertOpen();
    const at = iso(now, "now");
    const given = (field: keyof QueuePatch) => patch[field] !== undefined;
    const rate = rateLimitParams(patch.rateLimit ?? null, "rateLimit");
    const group = patch.group ?? null;
    const groupRate = rateLimitParams(group?.rateLimit ?? null, "group.rateLimit");
    const { rows } = await this.query<QueueRow>("updateQueue", this.sql.updateQueue, [
      name,
      at,
      this.channel,
      given("paused"),
      patch.paused ?? null,
      given("concurrency"),
      limitParam(patch.concurrency ?? null, "concurrency"),
      given("rateLimit"),
      ...rate,
      given("group"),
      group !== null,
      limitParam(group?.concurrency ?? null, "group.concurrency"),
      ...groupRate,
      patch.limitedUntil === null,
    ]);
    const record = toQueue(rows[0] as QueueRow);
    if (!record.paused) this.wakeUps.deliver({ type: "jobs", queue: record.name });
    return record;
  }

  /** {@inheritDoc @sched/core#Store.getQueue} */
  async getQueue(name: string): Promise<QueueRecord | null> {
    this.assertOpen();
    const { rows } = await this.query<QueueRow>("getQueue", this.sql.getQueue, [name]);
    return rows.length === 0 ? null : toQueue(rows[0] as QueueRow);
  }

  /** {@inheritDoc @sched/core#Store.listQueues} */
  async listQueues(): Promise<QueueRecord[]> {
    this.assertOpen();
    const { rows } = await this.query<QueueRow>("listQueues", this.sql.listQueues, []);
    return rows.map(toQueue);
  }

  /** {@inheritDoc @sched/core#Store.rateLimitJob} */
  async rateLimitJob(ref: JobRef, options: RateLimitJobOptions): Promise<boolean> {
    this.assertOpen();
    const now = iso(options.now, "now");
    const until = iso(options.until, "until");
    const { rows } = await this.query<{ queue: string }>("rateLimitJob", this.sql.rateLimitJob, [
      ref.id,
      ref.queue,
      ref.attempt,
      ref.lockedBy,
      now,
      until,
      options.scope === "group" ? "group" : "queue",
      this.channel,
    ]);
    const row = rows[0];
    if (row === undefined) return false;
    this.wakeUps.deliver({ type: "jobs", queue: row.queue });
    return true;
  }

  /** {@inheritDoc @sched/core#Store.saveSchedule} */
  async saveSchedule(schedule: ScheduleRecord, options?: SaveScheduleOptions): Promise<boolean> {
    this.assertOpen();
    const params = scheduleParams(schedule);
    const expected = options?.expectDefinition;
    if (expected !== undefined) {
      const definedAt = iso(expected.definedAt, "expectDefinition.definedAt");
      // Absent and defined as given at once: nothing can match.
      if (options?.onlyIfAbsent) return false;
      const next = options?.expectNextRunAt;
      const { rowCount } = await this.query("saveSchedule", this.sql.replaceScheduleIfDefinedAs, [
        ...params,
        definedAt,
        expected.definedBy,
        next !== undefined,
        next === undefined ? null : isoOrNull(next, "expectNextRunAt"),
      ]);
      return rowCount === 1;
    }
    const text = options?.onlyIfAbsent ? this.sql.insertScheduleIfAbsent : this.sql.upsertSchedule;
    const { rowCount } = await this.query("saveSchedule", text, params);
    return rowCount === 1;
  }

  /** {@inheritDoc @sched/core#Store.getSchedule} */
  async getSchedule(name: string): Promise<ScheduleRecord | null> {
    this.assertOpen();
    const { rows } = await this.query<ScheduleRow>("getSchedule", this.sql.getSchedule, [name]);
    return rows.length === 0 ? null : toSchedule(rows[0] as ScheduleRow);
  }

  /** {@inheritDoc @sched/core#Store.listSchedules} */
  async listSchedules(): Promise<ScheduleRecord[]> {
    this.assertOpen();
    const { rows } = await this.query<ScheduleRow>("listSchedules", this.sql.listSchedules, []);
    return rows.map(toSchedule);
  }

  /** {@inheritDoc @sched/core#Store.deleteSchedule} */
  async deleteSchedule(name: string): Promise<boolean> {
    this.assertOpen();
    const { rowCount } = await this.query("deleteSchedule", this.sql.deleteSchedule, [name]);
    return rowCount === 1;
  }

  /** {@inheritDoc @sched/core#Store.fireScheduleTick} */
  async fireScheduleTick(tick: ScheduleTick): Promise<FireResult> {
    this.assertOpen();
    const { rows } = await this.query<{ fired: boolean; ids: string[] }>(
      "fireScheduleTick",
      this.sql.fireScheduleTick,
      [
        tick.name,
        iso(tick.expectedNextRunAt, "expectedNextRunAt"),
        isoOrNull(tick.nextRunAt, "nextRunAt"),
        iso(tick.firedAt, "firedAt"),
        tick.jobs.length,
        newJobsJson(tick.jobs),
        this.channel,
        tick.expectedDefinition === undefined
          ? null
          : iso(tick.expectedDefinition.definedAt, "expectedDefinition.definedAt"),
        tick.expectedDefinition?.definedBy ?? null,
      ],
    );
    const row = rows[0] as { fired: boolean; ids: string[] };
    if (!row.fired) return { fired: false, jobs: [] };
    const inserted = new Set(row.ids);
    const jobs = tick.jobs.filter((job) => inserted.has(job.id)).map((job) => insertedJob(job));
    this.wakeUps.deliverQueuesOf(jobs);
    return { fired: true, jobs };
  }

  /** {@inheritDoc @sched/core#Store.cleanup} */
  async cleanup(options: CleanupOptions): Promise<number> {
    this.assertOpen();
    const { rowCount } = await this.query("cleanup", this.sql.cleanup, [
      iso(options.completedBefore, "completedBefore"),
      iso(options.deadBefore, "deadBefore"),
      iso(options.cancelledBefore, "cancelledBefore"),
    ]);
    // The periodic maintenance folds the appended count changes, so they stay few even when
    // nobody reads stats().
    await this.query("cleanup", this.sql.foldJobCounts, []);
    // The deleted rows' space (heap and index pages) becomes reusable once vacuumed.
    if ((rowCount ?? 0) > 0) this.vacuum.start();
    return rowCount ?? 0;
  }

  /**
   * {@inheritDoc @sched/core#Store.stats}
   *
   * Reads the counts that triggers on the jobs table keep per queue and status (see
   * migrations/006_operations.sql), folding the changes appended since the last read: no scan of
   * the jobs.
   */
  async stats(): Promise<Stats> {
    this.assertOpen();
    // The counts are bigints, which pg returns as strings.
    const { rows } = await this.query<{ queue: string; status: JobStatus; count: string }>(
      "stats",
      this.sql.stats,
      [],
    );
    const total = zeroCounts();
    // Keyed by queue names, which may be `__proto__` or `constructor`: no prototype to reach.
    const byQueue: Record<string, Omit<Stats, "byQueue">> = Object.create(null);
    for (const row of rows) {
      if (!STATUSES.includes(row.status)) continue;
      const count = Number(row.count);
      total[row.status] += count;
      const counts = byQueue[row.queue] ?? zeroCounts();
      counts[row.status] += count;
      byQueue[row.queue] = counts;
    }
    return { ...total, byQueue };
  }

  /**
   * Resolves when the server answers and the tables are at the version this package needs.
   *
   * @throws StoreError when the server cannot be reached; MigrationRequiredError when the tables
   *   are missing or behind.
   */
  async ping(): Promise<void> {
    this.assertOpen();
    await this.query("ping", this.sql.ping, []);
  }

  /**
   * The id of the data the store holds (a random UUID, kept in the `<prefix>meta` table): the same
   * as long as the tables keep their data, a new one once they lost it (emptied, or dropped and
   * migrated again, or a restored empty database). Created by the first call, atomically: every
   * instance, however many ask at once, gets the same id. The runtime compares it every
   * `lockRefresh` to notice a loss within seconds (see `Store.epoch` in `@sched/core`).
   */
  async epoch(): Promise<string> {
    this.assertOpen();
    const { rows } = await this.query<{ value: string }>("epoch", this.sql.epoch, []);
    return (rows[0] as { value: string }).value;
  }

  /**
   * Calls `listener` with `{ type: "jobs", queue }` when jobs may have become available in
   * `queue`, and with `{ type: "cancelled", id, queue }` when a running job was cancelled: at once
   * for this store's own changes, and through LISTEN/NOTIFY for every other instance's (when
   * the store listens, see `capabilities.pushedEvents`; a `jobs` event of its own may then come
   * twice, a cancel of its own comes once). The first subscription opens the dedicated LISTEN
   * connection (to `listenConnectionString` when given), the last unsubscription closes it. A
   * listener that throws is ignored. Returns the unsubscribe function.
   */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    if (this.closing !== null) return () => {};
    return this.wakeUps.subscribe(listener);
  }

  /**
   * Closes the LISTEN connection and, when the store created its pool, the pool. A pool passed in
   * stays open. Resolves within about 2 s even when the server hangs: connections that do not end
   * within 1 s have their sockets destroyed, and the statements still in flight on them fail.
   * Idempotent; every later call rejects with a `StoreClosedError` (`STORE_CLOSED`).
   */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed.abort(new StoreClosedError("the PostgresStore is closed; create a new one"));
    // A vacuum in flight gets a moment to finish before its connection is cut.
    this.closing = Promise.all([
      this.wakeUps.close(),
      this.connection.close(),
      this.vacuum.settled(CLOSE_GRACE_MS).then(() => {
        if (this.vacuumClient !== null) destroySocket(this.vacuumClient);
        return this.vacuum.settled(CLOSE_GRACE_MS);
      }),
    ]).then(() => {});
    return this.closing;
  }

  /** Runs one statement on the pool, after the one-time schema check; wraps driver errors. */
  private async query<R extends pg.QueryResultRow>(
    operation: string,
    text: string,
    values: unknown[],
    types: typeof DEFAULT_TYPES | typeof LEASING_TYPES = DEFAULT_TYPES,
  ): Promise<pg.QueryResult<R>> {
    this.assertOpen();
    if (!this.migrator.ready) await this.migrator.ensureReady();
    // Right after subscribe(), let the LISTEN land first (bounded): every change another instance
    // commits after this call is then heard. A worker's first claim came back empty while the
    // LISTEN connection was still opening, and an enqueue committed in between sent its NOTIFY to
    // no one: the job waited for the next poll (a cancel, for the next lease renewal).
    const listening = this.wakeUps.untilListening();
    if (listening !== null) {
      await listening;
      // close() ends the wait: the call must not go on to a pool that is ending.
      this.assertOpen();
    }
    try {
      return await queryPool<R>(this.pool, { text, values, types }, this.callBudgetMs, this.closed.signal);
    } catch (err) {
      throw this.wrap(err, operation);
    }
  }

  /** Runs one statement on the caller's client (their transaction); wraps driver errors. */
  private async queryOn(
    client: Queryable,
    operation: string,
    text: string,
    values: unknown[],
  ): Promise<void> {
    try {
      await client.query({ text, values });
    } catch (err) {
      throw this.wrap(err, operation);
    }
  }

  private wrap(err: unknown, operation: string): Error {
    const code = codeOf(err);
    // The tables went away after the check: say so, and check again on the next call.
    if (code !== undefined && MISSING_RELATION.has(code)) return this.migrator.missingTables(err);
    return storeError(err, operation, this.target);
  }

  /**
   * Maps a unique-key violation to {@link JobAlreadyExistsError}, naming the key and, when it can
   * be found, the job holding it. `requeuedId` is the job being requeued (its own key is the one).
   */
  private async uniqueKeyConflict(err: unknown, requeuedId: string | null): Promise<unknown> {
    const duplicate = duplicateIdError(err, this.names.jobsPrimaryKey);
    if (duplicate !== null) return duplicate;
    const violation = uniqueKeyViolation(err, this.names.uniqueKeyIndex);
    if (violation === null) return err;
    let queue: string | undefined = violation.held?.queue;
    let key: string | null | undefined = violation.held?.key;
    if (violation.held === null && requeuedId !== null) {
      const requeued = await this.getJob(requeuedId).catch(() => null);
      queue = requeued?.queue;
      key = requeued?.uniqueKey;
    }
    if (queue === undefined || key == null) return new JobAlreadyExistsError("(unknown)");
    const holder = await this.query<{ id: string }>(
      "finding the holder of a unique key",
      this.sql.uniqueKeyHolder,
      [queue, key],
    ).then(
      ({ rows }) => rows[0]?.id ?? null,
      () => null,
    );
    return new JobAlreadyExistsError(key, holder, queue);
  }

  /** How long a call keeps retrying on connections that turn out broken (0: no limit). */
  private get callBudgetMs(): number {
    const { connectMs, queryMs } = this.timeouts;
    return connectMs === 0 || queryMs === 0 ? 0 : connectMs + queryMs;
  }

  private assertOpen(): void {
    if (this.closing !== null) throw new StoreClosedError("the PostgresStore is closed");
  }
}

/** The values, each once, or `null` for "all". */
/** Batches at least this long are built while their statement runs (see buildWhileSent). */
const BUILD_WHILE_SENT_FROM = 64;

/**
 * `items.map(build)`, for a batch whose statement was just issued. A large batch is built after
 * one turn of the event loop, once `pg` has written the statement to its connection, so the
 * server inserts while this process builds the jobs it returns (both take milliseconds for
 * thousands of jobs). A small batch is built at once: the turn would only add to its latency.
 */
async function buildWhileSent<T, R>(items: readonly T[], build: (item: T, index: number) => R): Promise<R[]> {
  if (items.length >= BUILD_WHILE_SENT_FROM) await new Promise<void>((resolve) => setImmediate(resolve));
  return items.map(build);
}

function distinctOrNull(values: readonly string[] | null): string[] | null {
  return values === null ? null : [...new Set(values)];
}

/** The parameters of a dead-letter job in the statements that may insert one: all null for none. */
function deadLetterParams(letter: DeadLetterOptions | null): unknown[] {
  if (letter === null) return [null, null, null, null, DEAD_LETTER_METADATA];
  return [letter.name, letter.priority, letter.maxRetries, letter.timeout, DEAD_LETTER_METADATA];
}

/** The row of create-deduped-job.sql: the outcome, the window's job id, that job as JSON or null. */
interface DedupeRow {
  outcome: DedupeResult["outcome"];
  window_job_id: string;
  job: Record<string, unknown> | null;
}

/** A limit of a queue (an integer of at least 1) or `null`, checked before it reaches SQL. */
function limitParam(value: number | null, field: string): number | null {
  if (value === null) return null;
  if (!Number.isInteger(value) || value < 1 || value > MAX_COUNT) {
    throw new InvalidArgumentError(
      field,
      `expected an integer of at least 1, or null, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A rate limit as its two parameters (max, per in ms), both null for none. */
function rateLimitParams(limit: RateLimit | null, field: string): [number | null, number | null] {
  if (limit === null) return [null, null];
  return [limitParam(limit.max, `${field}.max`), wholeMs(limit.per, `${field}.per`, 1)];
}

/** A duration in ms: an integer of at least `min`. */
function wholeMs(value: number, field: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(
      field,
      `expected a whole number of milliseconds of at least ${min}, got ${describeValue(value)}`,
    );
  }
  return value;
}

function zeroCounts(): Omit<Stats, "byQueue"> {
  return { pending: 0, scheduled: 0, running: 0, completed: 0, failed: 0, dead: 0, cancelled: 0 };
}

/** An `AbortController` whose signal takes any number of listeners without a warning. */
function unboundedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
