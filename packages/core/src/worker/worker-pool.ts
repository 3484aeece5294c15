import type { ResolvedOptions } from "../config/options.js";
import { isStoreClosed, JobCancelledError, JobTimeoutError, ShuttingDownError, toError } from "../errors.js";
import type { HandlerRegistry } from "../handlers/handler-registry.js";
import type { HookRunner } from "../hooks/hook-runner.js";
import type { HandlerFn } from "../jobs/handler.js";
import type { Job } from "../jobs/job.js";
import type { JobRef, Store, StoreEvent } from "../store/store.js";
import type { TimerHandle } from "../time/clock.js";
import { settleBy } from "../time/settle-by.js";
import { deadJobIdOf } from "./dead-letters.js";
import { DeadlineTracker } from "./deadline-tracker.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { Outcomes } from "./outcomes.js";
import { RunningJob } from "./running-job.js";
import type { UnhandledNames } from "./unhandled-names.js";

/** The fencing reference of a claimed job's attempt. */
function refOf(job: Job): JobRef {
  return { id: job.id, queue: job.queue, attempt: job.attempt, lockedBy: job.lockedBy ?? "" };
}

/** How long `stop()` gives aborted handlers to settle before returning their jobs anyway (ms). */
export const ABORT_GRACE_MS = 1_000;

/**
 * Claims due jobs in batches and runs them with at most `workers` at a time. Claims ask only for
 * the job names registered here, and sleep until the next such job is due, a pushed event
 * arrives, or `pollInterval` passes. Outcomes are recorded by {@link Outcomes}, leases kept by
 * {@link LeaseKeeper}, timeouts kept in one heap with one timer.
 *
 * A job's outcome is decided once (`RunningJob.settle`): by its handler, its timeout, a cancel,
 * a lost lease or shutdown. After a timeout the slot is freed at once, so a handler that never
 * settles cannot hold the pool; its late result is ignored, and the attempt number fences any
 * late write.
 */
export class WorkerPool {
  private readonly inFlight = new Map<string, RunningJob>();
  private readonly deadlines: DeadlineTracker;
  private readonly outcomes: Outcomes;
  private readonly leases: LeaseKeeper;
  /** Store calls made for running jobs besides their outcome (dead jobs loaded, lost leases looked up). */
  private readonly sideCalls = new Set<Promise<unknown>>();
  private idleTimer: TimerHandle | null = null;
  private wakeImmediate: ReturnType<typeof setImmediate> | null = null;
  /** The claim loop while it runs: `stop()` waits for it, so no claim outlives `stop()`. */
  private fetching: Promise<void> | null = null;
  private wantFetch = false;
  private claimFailures = 0;
  private active = false;
  private unsubscribe: (() => void) | null = null;
  /** Resolved when no job is running here; only made while `stop()` waits. */
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly handlers: HandlerRegistry,
    private readonly hooks: HookRunner,
    private readonly unhandled: UnhandledNames,
    /** Called when the store's push connection is back after an outage. */
    private readonly onReconnected: () => void = () => {},
  ) {
    this.outcomes = new Outcomes(store, options, handlers, hooks, () => this.wake());
    this.leases = new LeaseKeeper(
      store,
      options,
      () => this.inFlight.values(),
      (running) => this.leaseLost(running),
    );
    this.deadlines = new DeadlineTracker(options, (running) => {
      const err = new JobTimeoutError(running.job.timeout);
      running.abort(err);
      this.finish(running, err);
    });
  }

  /** Jobs running in this instance. */
  get runningCount(): number {
    return this.inFlight.size;
  }

  /**
   * Work in this instance not yet recorded in the store: running jobs, outcomes being recorded,
   * and unsent acknowledgements.
   */
  get pendingWork(): number {
    return this.inFlight.size + this.outcomes.pending;
  }

  /** Starts claiming. */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.unsubscribe = this.store.subscribe?.((event) => this.onStoreEvent(event)) ?? null;
    this.leases.start();
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
      this.fetch();
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
   * Stops claiming; a claim already in flight ends here and its jobs go back to the queue at once.
   * Waits until `jobsEnd` (clock ms) for running jobs (their leases still renewed), then aborts the rest with
   * a {@link ShuttingDownError}, gives them {@link ABORT_GRACE_MS} to settle, and returns them to the
   * queue without using a retry. Resolves when every outcome is recorded and no timer is left:
   * after that no handler starts and no hook or log line comes from this pool.
   */
  async stop(jobsEnd: number, deadline = Number.POSITIVE_INFINITY): Promise<void> {
    this.active = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.clearIdle();
    if (this.wakeImmediate !== null) clearImmediate(this.wakeImmediate);
    this.wakeImmediate = null;
    // Every wait on the store is bounded by `deadline` (real time): a store that hangs must not
    // hold stop() beyond it. Work abandoned there is recovered when its leases expire.
    if (this.fetching) await settleBy(this.fetching, deadline);
    const remaining = jobsEnd - this.options.clock.now();
    if (this.inFlight.size > 0 && remaining > 0) await this.waitFor(this.whenIdle(), remaining);
    if (this.inFlight.size > 0) {
      const reason = new ShuttingDownError("the scheduler stopped before the job finished");
      for (const running of this.inFlight.values()) running.abort(reason);
      // A handler that honours its signal settles now; give it a moment to report.
      await this.waitFor(this.whenIdle(), ABORT_GRACE_MS);
      for (const running of [...this.inFlight.values()]) this.finish(running, reason);
    }
    await settleBy(this.leases.stop(), deadline);
    await settleBy(
      (async () => {
        while (this.sideCalls.size > 0) await Promise.allSettled([...this.sideCalls]);
        await this.outcomes.drain();
      })(),
      deadline,
    );
    this.deadlines.clear();
  }

  private onStoreEvent(event: StoreEvent): void {
    if (event.type === "cancelled") {
      // Only the attempt that was cancelled: a later attempt of the same job runs on.
      const running = this.inFlight.get(event.id);
      if (running !== undefined && running.job.attempt === event.attempt) {
        this.drop(running, new JobCancelledError());
        this.options.logger.debug("a running job was cancelled; aborted it", { jobId: event.id });
      }
      return;
    }
    if (event.type === "connected") {
      // Back after an outage: whatever was enqueued meanwhile sent no event. Look at once, and
      // renew the leases of running jobs before they can lapse.
      this.claimFailures = 0;
      this.clearIdle();
      this.wake();
      this.leases.trigger();
      this.onReconnected();
      return;
    }
    const queues = this.options.queues;
    if (!queues || queues.includes(event.queue)) this.wake();
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

  private fetch(): void {
    if (this.fetching) return;
    this.fetching = this.claimLoop().finally(() => {
      this.fetching = null;
      if (this.wantFetch && this.active) {
        this.wantFetch = false;
        this.wake();
      }
    });
  }

  private async claimLoop(): Promise<void> {
    const { clock, queues, workers, claimBatchSize, distributed, logger } = this.options;
    try {
      for (;;) {
        if (!this.active) return;
        const free = workers - this.inFlight.size;
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
        if (!this.active) {
          // stop() began while the claim was in flight: nothing may start now.
          this.outcomes.release(jobs.map(refOf), "claimed while the scheduler was stopping");
          return;
        }
        for (const job of jobs) this.run(job);
        if (jobs.length < limit && !this.wantFetch) {
          // Jobs were claimed: their completions will claim again, so the store need not be asked
          // when the next job is due until a claim comes back empty.
          if (jobs.length > 0) this.setIdle(this.options.pollInterval);
          else await this.armIdleTimer(names);
          return;
        }
      }
    } catch (err) {
      if (!this.active) return;
      if (isStoreClosed(err)) {
        this.active = false;
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
    const { clock, logger } = this.options;
    const handler = this.handlers.get(job.name);
    if (!handler) {
      // Claims name only the handlers registered here, so this is a store that ignored `names`:
      // hand the job back untouched for an instance that can run it.
      this.unhandled.warn(job.name);
      this.outcomes.release([refOf(job)], "no handler here");
      return;
    }
    const already = this.inFlight.get(job.id);
    if (already !== undefined) {
      const same = already.ref.attempt === job.attempt && already.ref.lockedBy === job.lockedBy;
      // The same lease claimed again (the store lost the first claim in a crash and handed the
      // same attempt to this instance again): the run in progress holds it; start no second one.
      if (same) return;
      // Otherwise the run in progress lost its lease (it expired and this instance took the job
      // over): it is stale, and this claim runs.
      this.leaseLost(already);
    }
    const now = clock.now();
    const running = new RunningJob(
      job,
      now,
      job.timeout > 0 ? now + job.timeout : Number.POSITIVE_INFINITY,
      logger,
      (r) => this.leases.heartbeat(r),
    );
    this.inFlight.set(job.id, running);
    this.deadlines.track(running);
    if (this.hooks.has("beforeJob")) this.hooks.beforeJob(job);
    const deadJobId = deadJobIdOf(job, this.options);
    if (deadJobId === undefined) this.invoke(running, handler.composed, job);
    else this.runDeadLetter(running, handler.composed, deadJobId);
  }

  /** Calls a handler and settles the attempt with its result. */
  private invoke(running: RunningJob, fn: HandlerFn, job: Job): void {
    let result: unknown;
    try {
      result = fn(job, running.ctx);
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

  /**
   * Runs a dead-letter job: its handler receives the dead job it stands for, read from the store.
   * A dead job purged meanwhile completes the dead-letter job with a warning.
   */
  private runDeadLetter(running: RunningJob, fn: HandlerFn, deadJobId: string): void {
    this.trackSideCall(
      this.store.getJob(deadJobId).then(
        (dead) => {
          if (running.settled) return;
          if (dead === null) {
            this.options.logger.warn(
              "the job of a dead letter no longer exists; nothing to hand to its handler",
              {
                jobId: running.job.id,
                deadJobId,
              },
            );
            this.finish(running, null);
            return;
          }
          this.invoke(running, fn, dead);
        },
        (err: unknown) => this.finish(running, toError(err)),
      ),
    );
  }

  /** Decides an attempt's outcome (once) and frees its slot. */
  private finish(running: RunningJob, err: Error | null): void {
    if (!running.settle()) return;
    this.release(running);
    if (this.hooks.has("afterJob")) {
      this.hooks.afterJob(running.job, err, this.options.clock.now() - running.startedAt);
    }
    if (err === null) this.outcomes.complete(running);
    else this.outcomes.fail(running, err);
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

  /**
   * Aborts a job whose lease could not be renewed. A cancel pushed from another instance normally
   * arrives first; when it did not (the push was lost), the job's status tells a cancel from a
   * lease taken over after it expired, so that only the latter is logged as a warning.
   */
  private leaseLost(running: RunningJob): void {
    if (running.settled) return;
    this.drop(running, new JobCancelledError("the job's lease was lost (cancelled, or taken over)"));
    const { logger } = this.options;
    const fields = { jobId: running.job.id, name: running.job.name };
    this.trackSideCall(
      this.store.getJob(running.job.id).then(
        (job) => {
          if (job?.status === "cancelled") logger.debug("a running job was cancelled; aborted it", fields);
          else
            logger.warn(
              "lost the lease of a running job (it expired and was taken over); aborted it",
              fields,
            );
        },
        () => logger.warn("lost the lease of a running job; aborted it", fields),
      ),
    );
  }

  private trackSideCall(call: Promise<unknown>): void {
    this.sideCalls.add(call);
    call.finally(() => this.sideCalls.delete(call));
  }
}
