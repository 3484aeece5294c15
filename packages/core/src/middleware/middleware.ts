import type { Hook } from "../hooks/hook.js";
import type { HandlerFn } from "../jobs/handler.js";
import type { Job } from "../jobs/job.js";
import type { Stats } from "../jobs/stats.js";
import type { Logger } from "../logger/logger.js";

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
