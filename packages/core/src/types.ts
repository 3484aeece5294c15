import type { Duration } from "./duration.js";

/**
 * The states of a job. `scheduled` and `pending` wait to run (the first has a future run time),
 * `running` is claimed by a worker, `failed` waits for a retry, and `completed`, `dead` and
 * `cancelled` are final.
 */
export type JobStatus = "pending" | "scheduled" | "running" | "completed" | "failed" | "dead" | "cancelled";

/** The statuses in which a job may still run; a `uniqueKey` is held while its job is in one of them. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ["scheduled", "pending", "running", "failed"];

/** The statuses a job never leaves on its own. */
export const FINAL_STATUSES: readonly JobStatus[] = ["completed", "dead", "cancelled"];

/** One failed attempt, kept in {@link Job.history}. */
export interface AttemptFailure {
  /** The attempt number that failed (1 for the first run). */
  attempt: number;
  /** The error message. */
  error: string;
  /** When the failure was recorded. */
  failedAt: Date;
}

/** A job as stored and as handed to handlers. */
export interface Job<P = unknown> {
  /** Unique id (a time-ordered UUID, so ids sort in enqueue order). */
  id: string;
  /** The handler name. */
  name: string;
  /** The JSON payload. */
  payload: P;
  /** The queue the job waits in. */
  queue: string;
  /** Higher runs first. */
  priority: number;
  /** How many times a failed job is retried before it is dead; the job runs at most `maxRetries + 1` times. */
  maxRetries: number;
  /** How many failed attempts have been retried so far. */
  retryCount: number;
  /** Handler timeout in milliseconds; `0` means no timeout. */
  timeout: number;
  /** When the job is (or was) due to run. */
  scheduledAt: Date;
  /** When the job was enqueued. */
  createdAt: Date;
  /** When the current or last attempt started. */
  startedAt: Date | null;
  /** When the job reached a final state. */
  completedAt: Date | null;
  /** The last error message, if any. */
  error: string | null;
  /** The current state. */
  status: JobStatus;
  /** String metadata (tenant, trace context, …). */
  metadata: Record<string, string>;
  /** Key that admits only one non-final job, or `null`. */
  uniqueKey: string | null;
  /** How many times the job has been claimed; the current attempt number and the lease's fencing token. */
  attempt: number;
  /**
   * How many times the job's lease expired while it ran (the process running it stopped). A job
   * that loses more than `maxLeaseRecoveries` leases is made dead. Reset by `retryJob`.
   */
  lostLeases: number;
  /** The lease expiry of a running job. */
  lockedUntil: Date | null;
  /** The worker instance holding the lease of a running job. */
  lockedBy: string | null;
  /** The failed attempts, oldest first. */
  history: AttemptFailure[];
}

/** Options shared by `enqueue` and recurring schedules. */
export interface JobOptions {
  /** Queue name; default `"default"`. */
  queue?: string;
  /** Higher runs first; default `0`. */
  priority?: number;
  /** Retries after the first failure; default from the handler's options or the scheduler's `retry.maxAttempts - 1`. */
  maxRetries?: number;
  /** Handler timeout; default the handler's or the scheduler's `defaultTimeout`. `0` disables it. */
  timeout?: Duration;
  /** String metadata carried with the job. */
  metadata?: Record<string, string>;
  /** Only one non-final job may hold this key. */
  uniqueKey?: string;
}

/** A job to enqueue. */
export interface NewJob<P = unknown> extends JobOptions {
  /** The handler name. */
  name: string;
  /** A JSON-serialisable payload. */
  payload?: P;
  /** Run no earlier than this long from now. */
  delay?: Duration;
  /** Run no earlier than this instant (takes precedence over `delay`). */
  runAt?: Date;
}

/**
 * Payload types by job name, for a scheduler that checks names and payloads at compile time:
 * `createScheduler<{ send_email: { to: string }; cleanup: null }>()` (an interface works too). The
 * default map takes any name with a payload of type `unknown`.
 */
export type JobMap = Record<string, unknown>;

/** The job names of a job map. */
export type JobName<Jobs extends object> = Extract<keyof Jobs, string>;

/**
 * The payload type of jobs named `N`: `P` when given explicitly (`register<{ to: string }>(...)`),
 * else the job map's type for `N`.
 */
export type PayloadOf<Jobs extends object, N extends JobName<Jobs>, P> = [P] extends [never] ? Jobs[N] : P;

/**
 * A job to enqueue with a payload of type `P`: the payload may be left out only when `P` admits
 * `undefined` or `null` (an untyped job's `unknown` does).
 */
export type NewJobInput<P> = Omit<NewJob<P>, "payload"> &
  (undefined extends P ? { payload?: P } : null extends P ? { payload?: P } : { payload: P });

/** A job to enqueue whose name is one of `Jobs`' and whose payload has that name's type. */
export type NewJobOf<Jobs extends object> = {
  [N in JobName<Jobs>]: NewJobInput<Jobs[N]> & { name: N };
}[JobName<Jobs>];

/** A logger: `console`, pino and most others fit. */
export interface Logger {
  /** Debug-level message. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Info-level message. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Warning. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Error. */
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What a handler receives besides the job. */
export interface JobContext {
  /** Aborts on timeout, on `cancel(id)`, when the lease is lost, and on shutdown past the grace period. */
  signal: AbortSignal;
  /** The attempt number, 1 for the first run. */
  attempt: number;
  /** A logger scoped to the job. */
  logger: Logger;
  /** Renews the job's lease now; long handlers may call it, though the runtime also renews on its own. */
  heartbeat(): Promise<void>;
}

/** A job handler function. */
export type HandlerFn<P = unknown> = (job: Job<P>, ctx: JobContext) => Promise<void> | void;

/** A job handler object. */
export interface Handler<P = unknown> {
  /** Runs the job. Throwing fails the attempt. */
  handle(job: Job<P>, ctx: JobContext): Promise<void> | void;
}

/**
 * Wraps handlers: receives the next handler and returns one that calls it.
 *
 * A middleware may also carry optional members that `Scheduler.use` installs with it, for
 * concerns that reach beyond one attempt (tracing and metrics, for instance): `hooks`,
 * `wrapEnqueue`, `wrapTick` and `attach`. A plain `(next) => handler` function needs none of them.
 *
 * @example
 * const timing: Middleware = (next) => async (job, ctx) => {
 *   const t0 = performance.now();
 *   try { await next(job, ctx) } finally { console.log(job.name, performance.now() - t0) }
 * };
 */
export interface Middleware {
  (next: HandlerFn): HandlerFn;
  /** Hooks installed together with the middleware. */
  readonly hooks?: readonly Hook[];
  /** Wraps every enqueue (see {@link EnqueueWrapper}). */
  readonly wrapEnqueue?: EnqueueWrapper;
  /** Wraps every firing of a schedule (see {@link TickWrapper}). */
  readonly wrapTick?: TickWrapper;
  /**
   * Called when a scheduler using the middleware starts (or at once, if it is already running);
   * the function it returns, if any, is called when that scheduler has stopped.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most attach functions return nothing.
  readonly attach?: (scheduler: AttachedScheduler) => void | (() => void);
}

/** A job about to be inserted, as seen by an {@link EnqueueWrapper}: only `metadata` may be changed. */
export interface OutgoingJob {
  /** The id the job will have. */
  readonly id: string;
  /** The handler name. */
  readonly name: string;
  /** The queue. */
  readonly queue: string;
  /** When the job is due. */
  readonly scheduledAt: Date;
  /** The job's metadata; entries added here are stored with the job. */
  metadata: Record<string, string>;
}

/**
 * Wraps the insert of one `enqueue` / `enqueueMany` call. It may add metadata to the jobs before
 * calling `insert` (which stores them and resolves with the stored jobs), and must return what
 * `insert` returns (or throw what it throws). Runs synchronously up to its `insert` call, in the
 * caller's async context.
 */
export type EnqueueWrapper = (jobs: readonly OutgoingJob[], insert: () => Promise<Job[]>) => Promise<Job[]>;

/** A schedule firing, as seen by a {@link TickWrapper}. */
export interface ScheduleFiring {
  /** The schedule's name (also the name of the jobs it makes). */
  readonly schedule: string;
  /** The queue of the jobs it makes. */
  readonly queue: string;
  /** The jobs this firing makes: one per due tick, or none when the misfire policy skips them. */
  readonly jobs: readonly OutgoingJob[];
}

/** The outcome of a schedule firing. */
export interface FiringResult {
  /** `false` when another instance fired this tick first; nothing was enqueued then. */
  readonly fired: boolean;
  /** The jobs enqueued. */
  readonly jobs: readonly Job[];
}

/**
 * Wraps one firing of a schedule on the leader. Like an {@link EnqueueWrapper}, it may add metadata
 * to the jobs before calling `fire`, and must return what `fire` returns.
 */
export type TickWrapper = (
  firing: ScheduleFiring,
  fire: () => Promise<FiringResult>,
) => Promise<FiringResult>;

/** What a middleware's `attach` receives: a read-only view of the scheduler using it. */
export interface AttachedScheduler {
  /** The instance id. */
  readonly instanceId: string;
  /** An object identifying the store; schedulers sharing a store share it. */
  readonly storeKey: object;
  /** The current time of the scheduler's clock, in ms. */
  now(): number;
  /** Job counts by status, overall and per queue. */
  stats(): Promise<Stats>;
  /** The scheduler's logger. */
  readonly logger: Logger;
}

/** Lifecycle callbacks. Exceptions thrown by hooks are logged and never affect the job. */
export interface Hook {
  /** Before each attempt runs. */
  beforeJob?(job: Job): void;
  /** After each attempt; `err` is `null` on success. */
  afterJob?(job: Job, err: Error | null, durationMs: number): void;
  /** After a job was enqueued (including jobs made by schedule ticks). */
  onEnqueue?(job: Job): void;
  /** After a failed attempt was scheduled for retry; `attempt` is the attempt that failed. */
  onRetry?(job: Job, attempt: number, err: Error): void;
  /** After a job became dead. */
  onDead?(job: Job, err: Error): void;
  /** After expired leases were recovered (their process died); `count` jobs went back to pending. */
  onRecover?(count: number): void;
}

/** Job counts by status. */
export interface Stats {
  /** Jobs due and waiting for a worker. */
  pending: number;
  /** Jobs claimed and running now. */
  running: number;
  /** Jobs completed and not yet purged. */
  completed: number;
  /** Jobs whose last attempt failed, waiting for their retry. */
  failed: number;
  /** Jobs in the dead-letter queue. */
  dead: number;
  /** Jobs waiting for a future run time. */
  scheduled: number;
  /** Jobs cancelled and not yet purged. */
  cancelled: number;
  /** The same counts per queue. */
  byQueue?: Record<string, Omit<Stats, "byQueue">>;
}

/** Anything that yields the next run time strictly after `after`, or `null` when there is none. */
export interface Schedule {
  /** The first run time strictly after `after`, or `null` when the schedule has ended. */
  next(after: Date): Date | null;
}

/** Filter for `listJobs`. */
export interface JobFilter {
  /** One status or several. */
  status?: JobStatus | JobStatus[];
  /** Only jobs of this queue. */
  queue?: string;
  /** Only jobs of this handler name. */
  name?: string;
  /** At most this many (default 100, at most 10,000). */
  limit?: number;
  /** Skip this many first (default 0). */
  offset?: number;
}
