/**
 * The one interface every queue under test implements, so that a workload never knows whose
 * queue it drives. A contender runs in its own child process, one workload per process.
 */

/** What every benchmark job carries: its index, so the workload can check each job ran exactly once. */
export interface BenchPayload {
  i: number;
}

/** A job as a workload asks for it; the contender turns it into its own library's job. */
export interface BenchJob {
  /** The job's index, handed back to the handler as `payload.i`. */
  i: number;
  /** Run no earlier than this instant; absent means "as soon as possible". */
  runAt?: Date;
  /** The job's group key (a tenant); only given to contenders that support `groups`. */
  group?: string;
}

/**
 * The workload's handler. A contender must call it as the first statement of its own handler,
 * once for every attempt, with the job's payload; the call is where latency is measured. A
 * contender that supports queue controls also passes the instant its library stamped the job
 * as started (its claim, epoch ms), which the rate-limit workload counts windows by.
 */
export type BenchHandler = (payload: BenchPayload, startedAt?: number) => void;

/** A queue control a contender can apply (see {@link QueueControls}). */
export type Control = "groups" | "globalConcurrency" | "rateLimit";

/**
 * Queue controls a workload asks for, enforced by the library across all its workers. Only
 * given to contenders that list the control in their registry entry (`contenders/index.ts`).
 */
export interface QueueControls {
  /** Running jobs of the queue at most, across all workers. */
  globalConcurrency?: number;
  /** Jobs started per window of `perMs` at most, across all workers. */
  rateLimit?: { max: number; perMs: number };
  /** Running jobs of one group key at most (jobs carry `group`). */
  groupConcurrency?: number;
}

/** How the worker side of a contender is configured; given to `setup`, used by `startWorker`. */
export interface WorkerSettings {
  /** Handlers run at once, at most. */
  concurrency: number;
  /** Queue controls to apply before anything is enqueued; none when absent. */
  controls?: QueueControls;
  /**
   * Keep what an earlier `teardown({ keepData: true })` left in the store (the growth curves'
   * pre-filled rows) instead of starting empty. Only contenders with {@link Contender.claimLatencies} honour it.
   */
  keepData?: boolean;
}

/**
 * A queue under test. `setup` comes first and `teardown` last (also after a failure); in between,
 * a workload may enqueue before `startWorker` (throughput) or after it (idle latency, delayed).
 */
export interface Contender {
  /** Connects, creates or empties its queue. Nothing is processed until {@link startWorker}. */
  setup(settings: WorkerSettings): Promise<void>;
  /** Enqueues many jobs with the library's bulk API (in chunks if the library needs them). */
  enqueueBulk(jobs: readonly BenchJob[]): Promise<void>;
  /** Enqueues one job with the library's single-job API. */
  enqueueOne(job: BenchJob): Promise<void>;
  /** Starts processing: resolves once the worker is running (it may already be running jobs). */
  startWorker(handler: BenchHandler): Promise<void>;
  /**
   * Stops the worker and closes every connection, timer and listener it opened. With `keepData`
   * the store and its rows stay for the next `setup({ keepData: true })` (growth curves only).
   */
  teardown(options?: { keepData?: boolean }): Promise<void>;
  /**
   * @sched contenders only: how long each claim from the store took since the last `setup`, in ms
   * (`performance.now()` around the store's `claimDueJobs`).
   */
  claimLatencies?(): readonly number[];
  /**
   * @sched contenders only: the bytes the store's data takes on its server now (tables with their
   * indexes on PostgreSQL, `used_memory` on Redis), or `null` where it cannot be read.
   */
  storeBytes?(): Promise<number | null>;
  /**
   * @sched contenders only: waits until the maintenance the store started in the background (the
   * PostgreSQL store's own VACUUM of its jobs table) has ended, as a store at rest; resolves at
   * once where there is none.
   */
  settle?(): Promise<void>;
}

/** A contender's module: how the registry creates it. */
export interface ContenderModule {
  createContender(): Contender;
}
