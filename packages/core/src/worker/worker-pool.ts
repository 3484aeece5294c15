import type { ResolvedOptions } from "../config/options.js";
import type { HandlerRegistry } from "../handlers/handler-registry.js";
import type { HookRunner } from "../hooks/hook-runner.js";
import type { Job } from "../jobs/job.js";
import type { ClaimOptions, Store, StoreEvent } from "../store/store.js";
import { settleBy } from "../time/settle-by.js";
import { JobClaimer } from "./job-claimer.js";
import { JobExecutor } from "./job-executor.js";
import { Outcomes } from "./outcomes.js";
import type { UnhandledNames } from "./unhandled-names.js";

/**
 * How long stop() keeps trying outcomes the store refuses (ms, real time): the store's share of
 * stop()'s bound, enough for a connection that is being re-established.
 */
const OUTCOME_DRAIN_MS = 3_000;

export { ABORT_GRACE_MS } from "./job-executor.js";

/**
 * The workers of one scheduler: at most `workers` jobs at a time. It ties together the claim loop
 * ({@link JobClaimer}, River's producer), the running of jobs ({@link JobExecutor}, the executor,
 * which keeps their leases and deadlines) and the recording of outcomes ({@link Outcomes}, the
 * completer), and routes the store's pushed events to them.
 */
export class WorkerPool {
  private readonly outcomes: Outcomes;
  private readonly executor: JobExecutor;
  private readonly claimer: JobClaimer;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    handlers: HandlerRegistry,
    hooks: HookRunner,
    unhandled: UnhandledNames,
    /** Called when the store's push connection is back after an outage. */
    private readonly onReconnected: () => void = () => {},
    /** Counts completed and failed attempts for the throughput history. */
    throughput?: { completed(queue: string): void; failed(queue: string): void },
  ) {
    this.outcomes = new Outcomes(
      store,
      options,
      handlers,
      hooks,
      () => this.wake(),
      throughput,
      (queue, group) =>
        this.claimer.handBack(
          (job) => job.queue === queue && (group === null || job.group === group),
          group === null ? "its queue was pushed back" : "its group was pushed back",
        ),
    );
    this.executor = new JobExecutor(store, options, handlers, hooks, unhandled, this.outcomes, (startedAt) =>
      this.claimer.slotFreed(startedAt),
    );
    this.claimer = new JobClaimer(
      store,
      options,
      handlers,
      this.outcomes,
      () => options.workers - this.executor.runningCount,
      (job) => this.executor.run(job),
      () => this.executor.runningByQueue(),
    );
  }

  /** Jobs running in this instance. */
  get runningCount(): number {
    return this.executor.runningCount;
  }

  /**
   * Work in this instance not yet recorded in the store: running jobs, outcomes being recorded,
   * and unsent acknowledgements.
   */
  get pendingWork(): number {
    return this.executor.runningCount + this.claimer.waitingCount + this.outcomes.pending;
  }

  /** Starts claiming. */
  start(): void {
    if (this.claimer.active) return;
    this.unsubscribe = this.store.subscribe?.((event) => this.onStoreEvent(event)) ?? null;
    this.outcomes.resume();
    this.executor.start();
    this.claimer.start();
  }

  /**
   * Waits, at most `waitMs` (real time), for the outcomes of this instance's finished attempts to
   * be recorded (see {@link Outcomes.settle}).
   */
  settleOutcomes(waitMs: number): Promise<void> {
    return this.outcomes.settle(waitMs);
  }

  /** Asks for a claim soon; many calls in one turn of the event loop make one claim. */
  wake(): void {
    this.claimer.wake();
  }

  /** See {@link JobClaimer.storeAnswered}. */
  storeAnswered(): void {
    this.claimer.storeAnswered();
  }

  /** See {@link JobClaimer.enqueueClaim}. */
  enqueueClaim(count: number): ClaimOptions | null {
    return this.claimer.enqueueClaim(count);
  }

  /** See {@link JobClaimer.enqueueClaimed}. */
  enqueueClaimed(claim: ClaimOptions, claimed: readonly Job[]): void {
    this.claimer.enqueueClaimed(claim, claimed);
  }

  /** Hands the prefetched jobs of `queue` back to the queue at once (it was paused). */
  queuePaused(queue: string): void {
    this.claimer.handBack((job) => job.queue === queue, "its queue was paused");
  }

  /** Aborts a job running here because it was cancelled; frees its slot. Returns whether it ran here. */
  cancelLocal(id: string): boolean {
    return this.executor.cancel(id) || this.claimer.dropWaiting(id);
  }

  /**
   * Stops claiming; a claim already in flight ends here and its jobs go back to the queue at once.
   * Waits until `jobsEnd` (clock ms) for running jobs (their leases still renewed), then aborts the
   * rest with a `ShuttingDownError`, gives them `ABORT_GRACE_MS` to settle, and returns them to the
   * queue without using a retry. Resolves when every outcome is recorded and no timer is left:
   * after that no handler starts and no hook or log line comes from this pool. Every wait on the
   * store is bounded by `deadline` (real time, epoch ms): work abandoned there is recovered when
   * its leases expire.
   */
  async stop(jobsEnd: number, deadline = Number.POSITIVE_INFINITY): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    // Side by side: a claim that hangs (waited for until `deadline`) must not hold back the
    // running jobs' timeout and abort, which would then come only after the deadline. A claim that
    // answers after stop() began starts nothing (its jobs go back to the queue).
    await Promise.all([this.claimer.stop(deadline), this.executor.stop(jobsEnd, deadline)]);
    // Outcomes the store refuses are tried again for a few seconds (an outage as short as a
    // restart), not until a deadline that a long `timeout` puts far away.
    await settleBy(this.outcomes.drain(Math.min(deadline, Date.now() + OUTCOME_DRAIN_MS)), deadline);
    // Past the deadline: what is still being tried is given up (no timer is left behind).
    this.outcomes.abandon();
    this.executor.clear();
  }

  private onStoreEvent(event: StoreEvent): void {
    if (event.type === "cancelled") {
      // Only the attempt that was cancelled: a later attempt of the same job runs on.
      if (
        this.executor.cancel(event.id, event.attempt) ||
        this.claimer.dropWaiting(event.id, event.attempt)
      ) {
        this.options.logger.debug("a running job was cancelled; aborted it", { jobId: event.id });
      }
      return;
    }
    if (event.type === "connected") {
      // Back after an outage: whatever was enqueued meanwhile sent no event. Look at once, and
      // renew the leases of running jobs before they can lapse.
      this.claimer.reconnected();
      this.executor.renewLeasesNow();
      this.onReconnected();
      return;
    }
    // A job became claimable: the store answers (a backoff of failed claims ends, see
    // JobClaimer.storeAnswered).
    this.claimer.storeAnswered();
    const queues = this.options.queues;
    if (!queues || queues.includes(event.queue)) this.wake();
  }
}
