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

/** Wraps handlers: receives the next handler and returns one that calls it. */
export type Middleware = (next: HandlerFn) => HandlerFn;

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
