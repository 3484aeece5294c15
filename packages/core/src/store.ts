import type { Job, JobFilter, JobStatus, Stats } from "./types.js";

/**
 * The contract every storage backend implements. A store only moves data atomically: retry
 * timing, dead-letter routing, cron evaluation and leadership are decided by the runtime and
 * passed in. Every rule here is checked by `storeConformance` in `@sched/testing`.
 *
 * Time is always passed in (`now`), never read by the store, so that a test clock drives every
 * backend alike. Dates round-trip with millisecond precision.
 */
export interface Store {
  /**
   * Inserts jobs in one atomic step. A `uniqueKey` admits one job in an active status
   * (`scheduled`, `pending`, `running`, `failed`); if any job of the batch conflicts with a stored
   * job or with another job of the batch, nothing is inserted and `JobAlreadyExistsError` is thrown.
   * Returns the stored jobs in input order.
   *
   * With `options.transaction` (a backend-specific handle, such as a `pg` client inside `BEGIN`),
   * the insert joins that transaction: the jobs exist if and only if it commits, and wake-ups are
   * sent on commit. A store that cannot join transactions throws `InvalidArgumentError`.
   */
  createJobs(jobs: NewJobRecord[], options?: CreateJobsOptions): Promise<Job[]>;

  /** Returns the job, or `null` when there is none with that id. */
  getJob(id: string): Promise<Job | null>;

  /** Lists jobs matching the filter, ordered by `createdAt` then id; at most `limit` (default 100). */
  listJobs(filter: JobFilter): Promise<Job[]>;

  /**
   * Cancels a job. A `scheduled`, `pending`, `failed` or `running` job becomes `cancelled`
   * (`completedAt = now`, lease cleared), which also fences off the running attempt. A job already
   * final is returned unchanged. Returns `null` when the job does not exist.
   */
  cancelJob(id: string, now: Date): Promise<Job | null>;

  /**
   * Moves a `dead` or `cancelled` job back to `pending` (`scheduledAt = now`, `retryCount = 0`,
   * `completedAt = null`). Returns the job as it is afterwards (unchanged when it was in another
   * status), or `null` when it does not exist. If its `uniqueKey` was taken meanwhile by another
   * active job, throws `JobAlreadyExistsError` and leaves the job as it was.
   */
  requeueJob(id: string, now: Date): Promise<Job | null>;

  /**
   * Atomically claims up to `limit` due jobs: status `scheduled`, `pending` or `failed` with
   * `scheduledAt <= now`, in the given queues (all when `queues` is `null`), highest `priority`
   * first, then earliest `scheduledAt`, then smallest id. Each claimed job becomes `running` with
   * `attempt + 1`, `startedAt = now`, `lockedUntil`, `lockedBy = workerId`. No job is handed to two
   * concurrent claimers. `queues: []` claims nothing; a queue named twice counts once.
   */
  claimDueJobs(options: ClaimOptions): Promise<Job[]>;

  /**
   * Marks running jobs `completed` (`completedAt = now`, lease cleared), or deletes them when
   * `removeOnComplete` is set. A ref whose job is not `running` with that `attempt` (its lease was
   * taken over, or it was cancelled) is ignored. Returns, in input order, whether each ref was applied.
   */
  completeJobs(refs: readonly JobRef[], options: CompleteOptions): Promise<boolean[]>;

  /**
   * Records a failed attempt of a running job: appends to `history` (keeping the last
   * {@link MAX_HISTORY}), sets `error`, clears the lease. With `retryAt`, the job becomes `failed`
   * with `scheduledAt = retryAt` and `retryCount + 1`; with `retryAt = null` it becomes `dead`
   * (`completedAt = now`). Returns the job afterwards, or `null` when the ref is stale (not running
   * with that attempt), in which case nothing changes.
   */
  failJob(ref: JobRef, options: FailOptions): Promise<Job | null>;

  /**
   * Extends the leases of running jobs to `lockedUntil`. Returns the ids whose lease could not be
   * renewed (not running with that attempt any more): their handlers should stop.
   */
  renewLeases(refs: readonly JobRef[], lockedUntil: Date): Promise<string[]>;

  /**
   * Returns running jobs whose `lockedUntil <= now` to `pending` (`scheduledAt = now`, lease
   * cleared, an entry whose error mentions "lease expired" appended to `history`), at most
   * `limit` of them, longest expired first. Returns the ids recovered.
   */
  recoverExpiredLeases(now: Date, limit: number): Promise<string[]>;

  /**
   * The earliest `scheduledAt` of a waiting job (`scheduled`, `pending`, `failed`) in the given
   * queues (all when `null`), or `null` when none waits. Lets the runtime sleep until the next due job.
   */
  nextDueAt(queues: readonly string[] | null): Promise<Date | null>;

  /**
   * Creates or replaces a schedule by name. With `onlyIfAbsent`, creates it only when no schedule
   * of that name exists (atomically: of concurrent creators exactly one succeeds) and leaves an
   * existing one untouched. Returns whether the schedule was written.
   */
  saveSchedule(schedule: ScheduleRecord, options?: SaveScheduleOptions): Promise<boolean>;

  /** Returns a schedule by name, or `null`. */
  getSchedule(name: string): Promise<ScheduleRecord | null>;

  /** Lists all schedules, ordered by name. */
  listSchedules(): Promise<ScheduleRecord[]>;

  /** Deletes a schedule; returns whether it existed. */
  deleteSchedule(name: string): Promise<boolean>;

  /**
   * Fires one tick of a schedule, atomically: only if the stored `nextRunAt` equals
   * `expectedNextRunAt` (compare-and-set), sets `nextRunAt`, `lastRunAt = firedAt`,
   * `occurrences + jobs.length`, `updatedAt = firedAt`, and inserts `jobs`. A job whose
   * `uniqueKey` is held (by a stored job or an earlier job of the same tick) is skipped but still
   * counts as an occurrence: the tick fired. Of concurrent firers of the same tick exactly one wins.
   */
  fireScheduleTick(tick: ScheduleTick): Promise<FireResult>;

  /**
   * Deletes `completed` jobs with `completedAt < completedBefore`, `dead` jobs with
   * `completedAt < deadBefore` and `cancelled` jobs with `completedAt < cancelledBefore`.
   * Returns how many were deleted.
   */
  cleanup(options: CleanupOptions): Promise<number>;

  /** Counts jobs by status, overall and per queue (`byQueue` is always set; empty queues may be left out). */
  stats(): Promise<Stats>;

  /** Resolves when the backend answers; rejects otherwise. */
  ping(): Promise<void>;

  /**
   * Optional push wake-ups: calls `listener(queue)` when jobs may have become available in `queue`
   * (enqueued by any instance). Returns an unsubscribe function. Polling covers stores without it.
   */
  subscribe?(listener: (queue: string) => void): () => void;

  /**
   * Releases every connection and timer the store opened (a client passed in by the user stays
   * open). Idempotent. Every later call rejects with a `StoreError`.
   */
  close(): Promise<void>;
}

/** Options of {@link Store.saveSchedule}. */
export interface SaveScheduleOptions {
  /** Write only if no schedule of that name exists. */
  onlyIfAbsent?: boolean;
}

/** Options of {@link Store.createJobs}. */
export interface CreateJobsOptions {
  /** A backend-specific transaction to insert in (e.g. a `pg` `PoolClient` after `BEGIN`). */
  transaction?: unknown;
}

/** The number of failed attempts a store keeps in `Job.history`. */
export const MAX_HISTORY = 25;

/** A job to insert, fully resolved by the runtime. */
export interface NewJobRecord {
  id: string;
  name: string;
  payload: unknown;
  queue: string;
  priority: number;
  maxRetries: number;
  timeout: number;
  scheduledAt: Date;
  createdAt: Date;
  /** `scheduled` when `scheduledAt` is in the future, else `pending`. */
  status: Extract<JobStatus, "pending" | "scheduled">;
  metadata: Record<string, string>;
  uniqueKey: string | null;
}

/**
 * The job a store returns right after inserting `record`, built without reading it back: every
 * field the store fills in has its initial value. The payload and metadata are copies, so the
 * returned job shares nothing with the caller's input. For store adapters.
 *
 * @example
 * async createJobs(jobs) { await insertAll(jobs); return jobs.map(insertedJob); }
 */
export function insertedJob(record: NewJobRecord): Job {
  const payload = record.payload ?? null;
  return {
    id: record.id,
    name: record.name,
    payload: typeof payload === "object" && payload !== null ? JSON.parse(JSON.stringify(payload)) : payload,
    queue: record.queue,
    priority: record.priority,
    maxRetries: record.maxRetries,
    retryCount: 0,
    timeout: record.timeout,
    scheduledAt: new Date(record.scheduledAt.getTime()),
    createdAt: new Date(record.createdAt.getTime()),
    startedAt: null,
    completedAt: null,
    error: null,
    status: record.status,
    metadata: { ...record.metadata },
    uniqueKey: record.uniqueKey ?? null,
    attempt: 0,
    lockedUntil: null,
    lockedBy: null,
    history: [],
  };
}

/** Identifies one attempt of a job: the attempt number is the fencing token of its lease. */
export interface JobRef {
  id: string;
  attempt: number;
}

/** Options of {@link Store.claimDueJobs}. */
export interface ClaimOptions {
  queues: readonly string[] | null;
  limit: number;
  now: Date;
  lockedUntil: Date;
  workerId: string;
}

/** Options of {@link Store.completeJobs}. */
export interface CompleteOptions {
  now: Date;
  /** Delete instead of keeping the completed job. */
  removeOnComplete?: boolean;
}

/** Options of {@link Store.failJob}. */
export interface FailOptions {
  now: Date;
  error: string;
  /** When to retry, or `null` to make the job dead. */
  retryAt: Date | null;
}

/** Options of {@link Store.cleanup}. */
export interface CleanupOptions {
  completedBefore: Date;
  deadBefore: Date;
  cancelledBefore: Date;
}

/** The misfire policy of a schedule: what to do with ticks missed while no instance ran. */
export type MisfirePolicy = "skip" | "once" | "all";

/**
 * What a schedule is, as the runtime interprets it. Stores persist it as an opaque JSON value.
 */
export interface ScheduleDefinition {
  /** `cron`: a cron expression; `interval`: a fixed real-time interval; `once`: a single run; `daily`: every N days at a wall-clock time. */
  kind: "cron" | "interval" | "once" | "daily";
  /** The cron expression (`cron`) or `HH:MM[:SS]` (`daily`). */
  expression?: string;
  /** Interval in ms (`interval`), or days between runs (`daily`). */
  every?: number;
  /** Anchor instant in ms for `interval` and `daily`, and the run time for `once`. */
  anchor?: number;
  /** IANA time zone; default `UTC`. */
  timezone: string;
  misfire: MisfirePolicy;
  maxOccurrences: number | null;
  /** Epoch ms after which no tick fires, or `null`. */
  until: number | null;
  /** The template of each tick's job. */
  job: {
    queue: string;
    priority: number;
    maxRetries: number;
    timeout: number;
    payload: unknown;
    metadata: Record<string, string>;
    uniqueKey: string | null;
  };
}

/** A persisted schedule with its state. */
export interface ScheduleRecord {
  name: string;
  definition: ScheduleDefinition;
  /** The next tick, or `null` when the schedule has ended. */
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  /** How many ticks have fired. */
  occurrences: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Arguments of {@link Store.fireScheduleTick}. */
export interface ScheduleTick {
  name: string;
  expectedNextRunAt: Date;
  nextRunAt: Date | null;
  firedAt: Date;
  jobs: NewJobRecord[];
}

/** Result of {@link Store.fireScheduleTick}. */
export interface FireResult {
  /** Whether this caller won the compare-and-set. */
  fired: boolean;
  /** The jobs inserted (empty when not fired, or when every job's unique key was held). */
  jobs: Job[];
}
