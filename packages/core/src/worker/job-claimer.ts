import type { ResolvedOptions } from "../config/options.js";
import { isStoreClosed, toError } from "../errors.js";
import type { HandlerRegistry } from "../handlers/handler-registry.js";
import type { Job } from "../jobs/job.js";
import type { Store } from "../store/store.js";
import type { TimerHandle } from "../time/clock.js";
import { settleBy } from "../time/settle-by.js";
import type { Outcomes } from "./outcomes.js";
import { refOf } from "./running-job.js";

/**
 * The claim loop (River's producer): claims due jobs in batches of at most the free slots, and
 * sleeps until the next claimable job is due, a wake-up arrives, or `pollInterval` passes. Claims
 * ask only for the job names registered here. A failed claim is retried with a backoff of 100 ms
 * doubling up to 30 s; a closed store ends the loop for good.
 */
export class JobClaimer {
  private idleTimer: TimerHandle | null = null;
  private wakeImmediate: ReturnType<typeof setImmediate> | null = null;
  /** The claim loop while it runs: `stop()` waits for it, so no claim outlives `stop()`. */
  private fetching: Promise<void> | null = null;
  private wantFetch = false;
  private claimFailures = 0;
  private isActive = false;

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly handlers: HandlerRegistry,
    private readonly outcomes: Outcomes,
    /** How many more jobs may run here now. */
    private readonly freeSlots: () => number,
    /** Starts a claimed job. */
    private readonly runJob: (job: Job) => void,
  ) {}

  /** Whether claims are being made (from `start()` until `stop()`, or until the store was found closed). */
  get active(): boolean {
    return this.isActive;
  }

  /** Starts claiming. */
  start(): void {
    this.isActive = true;
    this.wake();
  }

  /** Asks for a claim soon; many calls in one turn of the event loop make one claim. */
  wake(): void {
    if (!this.isActive) return;
    if (this.fetching) {
      this.wantFetch = true;
      return;
    }
    if (this.wakeImmediate !== null) return;
    this.wakeImmediate = setImmediate(() => {
      this.wakeImmediate = null;
      this.fetch();
    });
  }

  /**
   * Claims at once after the store's connection came back: whatever was enqueued during the outage
   * sent no event, and the backoff of failed claims no longer applies.
   */
  reconnected(): void {
    this.claimFailures = 0;
    this.clearIdle();
    this.wake();
  }

  /**
   * Stops claiming and waits, until `deadline` (real time, epoch ms) at most, for a claim in flight;
   * its jobs go back to the queue at once.
   */
  async stop(deadline: number): Promise<void> {
    this.isActive = false;
    this.clearIdle();
    if (this.wakeImmediate !== null) clearImmediate(this.wakeImmediate);
    this.wakeImmediate = null;
    // A store that hangs must not hold stop() beyond the deadline.
    if (this.fetching) await settleBy(this.fetching, deadline);
  }

  private fetch(): void {
    if (this.fetching) return;
    this.fetching = this.claimLoop().finally(() => {
      this.fetching = null;
      if (this.wantFetch && this.isActive) {
        this.wantFetch = false;
        this.wake();
      }
    });
  }

  private async claimLoop(): Promise<void> {
    const { clock, queues, claimBatchSize, distributed, logger } = this.options;
    try {
      for (;;) {
        if (!this.isActive) return;
        const free = this.freeSlots();
        if (free <= 0) return;
        this.wantFetch = false;
        const names = this.handlers.names();
        // Nothing is registered yet: register() wakes the pool.
        if (names.length === 0) return;
        const limit = Math.min(free, claimBatchSize);
        const now = clock.now();
        const jobs = await this.store.claimDueJobs({
          queues,
          names,
          limit,
          now: new Date(now),
          lockedUntil: new Date(now + distributed.lockTTL),
          workerId: distributed.instanceId,
        });
        this.claimFailures = 0;
        if (!this.isActive) {
          // stop() began while the claim was in flight: nothing may start now.
          this.outcomes.release(jobs.map(refOf), "claimed while the scheduler was stopping");
          return;
        }
        for (const job of jobs) this.runJob(job);
        if (jobs.length < limit && !this.wantFetch) {
          // Jobs were claimed: their completions will claim again, so the store need not be asked
          // when the next job is due until a claim comes back empty.
          if (jobs.length > 0) this.setIdle(this.options.pollInterval);
          else await this.armIdleTimer(names);
          return;
        }
      }
    } catch (err) {
      if (!this.isActive) return;
      if (isStoreClosed(err)) {
        this.isActive = false;
        logger.error("the store was closed; this scheduler claims no more jobs", {
          error: toError(err).message,
        });
        return;
      }
      this.claimFailures++;
      const delay = Math.min(30_000, 100 * 2 ** Math.min(this.claimFailures - 1, 9));
      const log = this.claimFailures <= 3 || this.claimFailures % 20 === 0 ? "error" : "debug";
      logger[log](`claiming jobs failed; retrying in ${delay}ms`, {
        error: toError(err).message,
        failures: this.claimFailures,
      });
      this.setIdle(delay);
    }
  }

  /** Sleeps until the next claimable job is due, a wake-up arrives, or `pollInterval` passes. */
  private async armIdleTimer(names: readonly string[]): Promise<void> {
    const { clock, pollInterval, queues } = this.options;
    let delay = pollInterval;
    const due = await this.store.nextDueAt({ queues, names });
    if (due) delay = Math.min(delay, Math.max(0, due.getTime() - clock.now()));
    if (!this.isActive) return;
    if (delay === 0) this.wantFetch = true;
    else this.setIdle(delay);
  }

  private setIdle(delay: number): void {
    this.clearIdle();
    this.idleTimer = this.options.clock.setTimeout(() => {
      this.idleTimer = null;
      this.wake();
    }, delay);
  }

  private clearIdle(): void {
    if (this.idleTimer !== null) this.options.clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}
