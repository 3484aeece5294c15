import { AckBatcher } from "./ack-batcher.js";
import type { TimerHandle } from "./clock.js";
import { DeadlineTracker } from "./deadline-tracker.js";
import {
  JobCancelledError,
  JobTimeoutError,
  SchedulerError,
  ShuttingDownError,
  toError,
  UnknownHandlerError,
} from "./errors.js";
import type { HandlerRegistry } from "./handler-registry.js";
import type { HookRunner } from "./hooks.js";
import type { ResolvedOptions } from "./options.js";
import { PeriodicTask } from "./periodic-task.js";
import { failureOutcome, PermanentError, RetryAfterError } from "./retry.js";
import { RunningJob } from "./running-job.js";
import type { Store } from "./store.js";
import type { Job } from "./types.js";

/**
 * Claims due jobs in batches and runs them with at most `workers` at a time. Completions are
 * acknowledged in batches; failures go through the retry policy; leases of running jobs are
 * renewed together; timeouts are kept in one heap with one timer.
 *
 * A job's outcome is decided once (`RunningJob.settle`): by its handler, its timeout, a cancel or
 * a lost lease. After a timeout the slot is freed at once, so a handler that never settles cannot
 * hold the pool; its late result is ignored, and the attempt number fences any late write.
 */
export class WorkerPool {
  private readonly inFlight = new Map<string, RunningJob>();
  private readonly deadlines: DeadlineTracker;
  private readonly acks: AckBatcher;
  private readonly pendingOps = new Set<Promise<unknown>>();
  private idleTimer: TimerHandle | null = null;
  private wakeImmediate: ReturnType<typeof setImmediate> | null = null;
  private fetching = false;
  private wantFetch = false;
  private claimFailures = 0;
  private active = false;
  private unsubscribe: (() => void) | null = null;
  private readonly leaseKeeper: PeriodicTask;
  /** Resolved when no job is running here; only made while `stop()` waits. */
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly handlers: HandlerRegistry,
    private readonly hooks: HookRunner,
  ) {
    this.acks = new AckBatcher(store, options);
    this.deadlines = new DeadlineTracker(options, (running) => {
      const err = new JobTimeoutError(running.job.timeout);
      running.abort(err);
      this.finish(running, err);
    });
    this.leaseKeeper = new PeriodicTask(
      "lease renewal",
      options.clock,
      () => options.distributed.lockRefresh,
      () => this.renewAll(),
      options.logger,
    );
  }

  /** Jobs running now in this instance. */
  get runningCount(): number {
    return this.inFlight.size;
  }

  /**
   * Work in this instance not yet recorded in the store: running jobs, failures being recorded
   * (and dead-letter handlers running), and unsent acknowledgements.
   */
  get pendingWork(): number {
    return this.inFlight.size + this.pendingOps.size + this.acks.pending;
  }

  /** Starts claiming. */
  start(): void {
    if (this.active) return;
    this.active = true;
    const queues = this.options.queues;
    this.unsubscribe =
      this.store.subscribe?.((queue) => {
        if (!queues || queues.includes(queue)) this.wake();
      }) ?? null;
    this.leaseKeeper.start(this.options.distributed.lockRefresh);
    this.wake();
  }

  /** Asks for a claim soon; many calls in one turn of the event loop make one claim. */
  wake(): void {
    if (!this.active) return;
    if (this.fetching) {
      this.wantFetch = true;
      return;
    }
    if (this.wakeImmediate !== null) return;
    this.wakeImmediate = setImmediate(() => {
      this.wakeImmediate = null;
      void this.fetch();
    });
  }

  /** Aborts a job running here because it was cancelled; frees its slot. Returns whether it ran here. */
  cancelLocal(id: string): boolean {
    const running = this.inFlight.get(id);
    if (!running) return false;
    this.drop(running, new JobCancelledError());
    return true;
  }

  /**
   * Stops claiming, waits up to `timeoutMs` for running jobs, then aborts the rest with a
   * {@link ShuttingDownError} and returns them to the queue. Resolves when nothing is left running
   * or pending and no timer is left.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.active = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.clearIdle();
    if (this.wakeImmediate !== null) clearImmediate(this.wakeImmediate);
    this.wakeImmediate = null;
    await this.leaseKeeper.stop();
    if (this.inFlight.size > 0) await this.waitFor(this.whenIdle(), timeoutMs);
    if (this.inFlight.size > 0) {
      const reason = new ShuttingDownError("the scheduler stopped before the job finished");
      for (const running of this.inFlight.values()) running.abort(reason);
      // A handler that honours its signal settles now; give it a moment to report.
      await this.waitFor(this.whenIdle(), 1000);
      for (const running of [...this.inFlight.values()]) this.finish(running, reason);
    }
    while (this.pendingOps.size > 0) await Promise.allSettled([...this.pendingOps]);
    await this.acks.drain();
    this.deadlines.clear();
  }

  private whenIdle(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Frees a job's slot, and tells a waiting `stop()` when the last one is freed. */
  private release(running: RunningJob): void {
    this.inFlight.delete(running.job.id);
    this.deadlines.untrack(running);
    if (this.inFlight.size === 0 && this.idleWaiters.length > 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private waitFor(promise: Promise<unknown>, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.options.clock.setTimeout(resolve, ms);
      promise.then(() => {
        this.options.clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  private async fetch(): Promise<void> {
    if (this.fetching) return;
    this.fetching = true;
    const { clock, queues, workers, claimBatchSize, distributed } = this.options;
    try {
      for (;;) {
        if (!this.active) return;
        const free = workers - this.inFlight.size;
        if (free <= 0) return;
        this.wantFetch = false;
        const limit = Math.min(free, claimBatchSize);
        const now = clock.now();
        const jobs = await this.store.claimDueJobs({
          queues,
          limit,
          now: new Date(now),
          lockedUntil: new Date(now + distributed.lockTTL),
          workerId: distributed.instanceId,
        });
        this.claimFailures = 0;
        for (const job of jobs) this.run(job);
        if (jobs.length < limit && !this.wantFetch) {
          // Jobs were claimed: their completions will claim again, so the store need not be asked
          // when the next job is due until a claim comes back empty.
          if (jobs.length > 0) this.setIdle(this.options.pollInterval);
          else await this.armIdleTimer();
          return;
        }
      }
    } catch (err) {
      this.claimFailures++;
      const delay = Math.min(30_000, 100 * 2 ** Math.min(this.claimFailures - 1, 9));
      const log = this.claimFailures <= 3 || this.claimFailures % 20 === 0 ? "error" : "debug";
      this.options.logger[log](`claiming jobs failed; retrying in ${delay}ms`, {
        error: toError(err).message,
        failures: this.claimFailures,
      });
      this.setIdle(delay);
    } finally {
      this.fetching = false;
      if (this.wantFetch && this.active) {
        this.wantFetch = false;
        this.wake();
      }
    }
  }

  /** Sleeps until the next waiting job is due, a wake-up arrives, or `pollInterval` passes. */
  private async armIdleTimer(): Promise<void> {
    const { clock, pollInterval, queues } = this.options;
    let delay = pollInterval;
    const due = await this.store.nextDueAt(queues);
    if (due) delay = Math.min(delay, Math.max(0, due.getTime() - clock.now()));
    if (!this.active) return;
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

  private run(job: Job): void {
    const { clock, logger, maxLeaseRecoveries } = this.options;
    const now = clock.now();
    const running = new RunningJob(
      job,
      now,
      job.timeout > 0 ? now + job.timeout : Number.POSITIVE_INFINITY,
      logger,
      (r) => this.heartbeat(r),
    );
    this.inFlight.set(job.id, running);
    // Claims that ended neither in success nor failure were lost with their process.
    const lostLeases = job.attempt - 1 - job.retryCount;
    if (lostLeases > maxLeaseRecoveries) {
      const err = new PermanentError(
        new SchedulerError(
          "LEASE_EXPIRED",
          `the job's lease expired ${lostLeases} times (the process running it stopped); not running it again`,
        ),
      );
      this.finish(running, err);
      return;
    }
    const handler = this.handlers.get(job.name);
    this.deadlines.track(running);
    if (this.hooks.has("beforeJob")) this.hooks.beforeJob(job);
    if (!handler) {
      this.finish(running, new UnknownHandlerError(job.name));
      return;
    }
    let result: unknown;
    try {
      result = handler.composed(job, running.ctx);
    } catch (err) {
      this.finish(running, toError(err));
      return;
    }
    if (
      result !== null &&
      typeof result === "object" &&
      typeof (result as Promise<void>).then === "function"
    ) {
      (result as Promise<void>).then(
        () => this.finish(running, null),
        (err: unknown) => this.finish(running, toError(err)),
      );
    } else {
      this.finish(running, null);
    }
  }

  /** Decides an attempt's outcome (once) and frees its slot. */
  private finish(running: RunningJob, err: Error | null): void {
    if (!running.settle()) return;
    this.release(running);
    if (this.hooks.has("afterJob")) {
      this.hooks.afterJob(running.job, err, this.options.clock.now() - running.startedAt);
    }
    if (err === null) this.acks.add(running.ref);
    else this.track(this.fail(running, err));
    this.wake();
  }

  /** Frees a slot without recording an outcome: the job was cancelled or its lease is gone. */
  private drop(running: RunningJob, reason: Error): void {
    running.abort(reason);
    if (!running.settle()) return;
    this.release(running);
    if (this.hooks.has("afterJob")) {
      this.hooks.afterJob(running.job, reason, this.options.clock.now() - running.startedAt);
    }
    this.wake();
  }

  private async fail(running: RunningJob, err: Error): Promise<void> {
    const { clock, random, retry, logger } = this.options;
    const job = running.job;
    const now = clock.now();
    let retryAt: Date | null = null;
    const outcome = failureOutcome(job, err, running.controller.signal);
    if (outcome === "interrupted") {
      // Interrupted by shutdown, not by its own fault: back to the queue at once.
      retryAt = new Date(now);
    } else if (outcome === "retry") {
      const policy = this.handlers.get(job.name)?.retry ?? retry;
      const delay =
        err instanceof RetryAfterError ? err.delayMs : policy.delayFor(job.retryCount + 1, random);
      retryAt = new Date(now + delay);
    }
    try {
      const updated = await this.store.failJob(running.ref, {
        now: new Date(now),
        error: err.message,
        retryAt,
      });
      if (!updated) {
        logger.debug("failure ignored: the job's lease had been taken over", { jobId: job.id });
        return;
      }
      if (retryAt) {
        if (this.hooks.has("onRetry")) this.hooks.onRetry(updated, job.attempt, err);
        this.wake();
      } else {
        if (this.hooks.has("onDead")) this.hooks.onDead(updated, err);
        await this.deadLetter(updated, err);
      }
    } catch (storeErr) {
      // The lease will expire and another attempt will run: nothing is lost.
      logger.error("recording a failed attempt failed; the job will be recovered when its lease expires", {
        jobId: job.id,
        error: toError(storeErr).message,
      });
    }
  }

  /** Calls the handler registered under the dead-letter queue's name with the dead job. */
  private async deadLetter(job: Job, err: Error): Promise<void> {
    const { deadLetter, logger } = this.options;
    if (!deadLetter.enabled) return;
    const handler = this.handlers.get(deadLetter.queue);
    if (!handler) return;
    const running = new RunningJob(
      job,
      this.options.clock.now(),
      Number.POSITIVE_INFINITY,
      logger,
      async () => {},
    );
    try {
      await handler.composed(job, running.ctx);
    } catch (handlerErr) {
      logger.error("the dead-letter handler threw", { jobId: job.id, error: toError(handlerErr).message });
    }
    logger.debug("job is dead", { jobId: job.id, error: err.message });
  }

  private track(op: Promise<unknown>): void {
    this.pendingOps.add(op);
    op.finally(() => this.pendingOps.delete(op));
  }

  private async renewAll(): Promise<void> {
    if (this.inFlight.size === 0) return;
    const jobs = [...this.inFlight.values()];
    const lost = await this.store.renewLeases(
      jobs.map((r) => r.ref),
      new Date(this.options.clock.now() + this.options.distributed.lockTTL),
    );
    this.dropLost(lost);
  }

  private async heartbeat(running: RunningJob): Promise<void> {
    if (running.settled) throw new JobCancelledError("the job is no longer running here");
    const lost = await this.store.renewLeases(
      [running.ref],
      new Date(this.options.clock.now() + this.options.distributed.lockTTL),
    );
    if (lost.length > 0) {
      this.dropLost(lost);
      throw new JobCancelledError("the job's lease was lost (cancelled, or taken over by another worker)");
    }
  }

  private dropLost(ids: string[]): void {
    for (const id of ids) {
      const running = this.inFlight.get(id);
      if (running) {
        this.options.logger.warn("lost the lease of a running job; aborting it", { jobId: id });
        this.drop(running, new JobCancelledError("the job's lease was lost (cancelled, or taken over)"));
      }
    }
  }
}
