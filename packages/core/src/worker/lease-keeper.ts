import type { ResolvedOptions } from "../config/options.js";
import { storableDate } from "../enqueue/job-input.js";
import { JobCancelledError, LeaseLostError } from "../errors.js";
import type { Store } from "../store/store.js";
import { PeriodicTask } from "../time/periodic-task.js";
import type { RunningJob } from "./running-job.js";

/**
 * Keeps the leases of the jobs running here: renews them together every `lockRefresh` (and one at
 * once on `ctx.heartbeat()`), and reports the jobs whose lease is gone (taken over after it
 * expired, or the job was cancelled) so that their handlers are aborted.
 */
export class LeaseKeeper {
  private readonly task: PeriodicTask;

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    /** The jobs running here now. */
    private readonly running: () => Iterable<RunningJob>,
    /** Called with each job whose lease could not be renewed. */
    private readonly onLost: (running: RunningJob) => void,
  ) {
    this.task = new PeriodicTask(
      "lease renewal",
      options.clock,
      () => options.distributed.lockRefresh,
      () => this.renewAll(),
      options.logger,
    );
  }

  /** Starts renewing every `lockRefresh`. */
  start(): void {
    this.task.start(this.options.distributed.lockRefresh);
  }

  /** Renews at once (after an outage of the store's connection), then every `lockRefresh`. */
  trigger(): void {
    this.task.trigger();
  }

  /** Stops renewing and waits for a renewal in flight. */
  stop(): Promise<void> {
    return this.task.stop();
  }

  /**
   * Renews one job's lease now (`ctx.heartbeat()`).
   *
   * @throws the reason the job's `ctx.signal` aborted with when the lease is gone or the job no
   *   longer runs here: JobCancelledError (`JOB_CANCELLED`) for a cancel, LeaseLostError
   *   (`LEASE_LOST`) for a lease taken over, or the attempt's earlier abort reason.
   */
  async heartbeat(running: RunningJob): Promise<void> {
    if (running.settled)
      throw running.abortedWith ?? new JobCancelledError("the job is no longer running here");
    const lost = await this.store.renewLeases([running.ref], this.lockedUntil());
    if (lost.length > 0) {
      this.onLost(running);
      // The executor reads whether it was a cancel or a takeover, then aborts the attempt.
      const signal = running.signal;
      if (!signal.aborted && !running.settled) {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      }
      throw running.abortedWith ?? new LeaseLostError();
    }
  }

  private async renewAll(): Promise<void> {
    const jobs = [...this.running()];
    if (jobs.length === 0) return;
    const lost = new Set(
      await this.store.renewLeases(
        jobs.map((r) => r.ref),
        this.lockedUntil(),
      ),
    );
    if (lost.size === 0) return;
    for (const running of jobs) if (lost.has(running.job.id)) this.onLost(running);
  }

  private lockedUntil(): Date {
    return storableDate(this.options.clock.now() + this.options.distributed.lockTTL);
  }
}
