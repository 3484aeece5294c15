import type { ResolvedOptions } from "../config/options.js";
import { JobCancelledError, JobTimeoutError, LeaseLostError, ShuttingDownError, toError } from "../errors.js";
import type { HandlerRegistry } from "../handlers/handler-registry.js";
import type { HookRunner } from "../hooks/hook-runner.js";
import type { HandlerFn } from "../jobs/handler.js";
import type { Job } from "../jobs/job.js";
import type { Store } from "../store/store.js";
import { settleBy } from "../time/settle-by.js";
import { deadJobIdOf } from "./dead-letters.js";
import { DeadlineTracker } from "./deadline-tracker.js";
import { LeaseKeeper } from "./lease-keeper.js";
import type { Outcomes } from "./outcomes.js";
import { RunningJob, refOf } from "./running-job.js";
import type { UnhandledNames } from "./unhandled-names.js";

/** How long `stop()` gives aborted handlers to settle before returning their jobs anyway (ms). */
export const ABORT_GRACE_MS = 1_000;

/**
 * The most handlers started in one turn of the event loop; later ones start at the next turn.
 * A store that answers without I/O (MemoryStore) could otherwise chain claims, starts and enqueues
 * in promise callbacks alone (a handler that enqueues its next job, claimed in the same call),
 * and no timer, I/O callback or `stop()` would run again.
 */
export const MAX_STARTS_PER_TURN = 1_000;

/**
 * Runs claimed jobs (River's executor): calls each job's handler with its context, and decides
 * the attempt's outcome once (`RunningJob.settle`): by its handler, its timeout, a cancel, a lost
 * lease or shutdown. Outcomes are recorded by {@link Outcomes}, leases kept by
 * {@link LeaseKeeper}, timeouts kept in one heap with one timer ({@link DeadlineTracker}).
 *
 * After a timeout the slot is freed at once, so a handler that never settles cannot hold a slot;
 * its late result is ignored, and the attempt number fences any late write.
 */
export class JobExecutor {
  private readonly inFlight = new Map<string, RunningJob>();
  private readonly deadlines: DeadlineTracker;
  private readonly leases: LeaseKeeper;
  /** Store calls made for running jobs besides their outcome (dead jobs loaded, lost leases looked up). */
  private readonly sideCalls = new Set<Promise<unknown>>();
  /** `ctx.heartbeat()` of every job: one function, not one per job. */
  private readonly heartbeat = (running: RunningJob): Promise<void> => this.leases.heartbeat(running);
  /** Resolved when no job is running here; only made while `stop()` waits. */
  private idleWaiters: Array<() => void> = [];
  /** Handlers started since the event loop last turned (see {@link MAX_STARTS_PER_TURN}). */
  private startsThisTurn = 0;
  /** Resets {@link startsThisTurn} when the event loop turns. */
  private turnEnd: ReturnType<typeof setImmediate> | null = null;

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly handlers: HandlerRegistry,
    private readonly hooks: HookRunner,
    private readonly unhandled: UnhandledNames,
    private readonly outcomes: Outcomes,
    /** Called when a slot was freed (by a job started at `startedAt`, clock ms): another job may be claimed. */
    private readonly onSlotFreed: (startedAt: number) => void,
  ) {
    this.leases = new LeaseKeeper(
      store,
      options,
      () => this.inFlight.values(),
      (running) => this.leaseLost(running),
    );
    this.deadlines = new DeadlineTracker(options, (running) => {
      const err = new JobTimeoutError(running.job.timeout);
      running.abort(err, options.clock.now());
      this.finish(running, err);
    });
  }

  /** Jobs running here now. */
  get runningCount(): number {
    return this.inFlight.size;
  }

  /** How many jobs of each queue run here now. */
  runningByQueue(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const running of this.inFlight.values()) {
      counts.set(running.job.queue, (counts.get(running.job.queue) ?? 0) + 1);
    }
    return counts;
  }

  /** Starts renewing the leases of running jobs. */
  start(): void {
    this.leases.start();
  }

  /** Renews the leases of running jobs at once (after an outage of the store's connection). */
  renewLeasesNow(): void {
    this.leases.trigger();
  }

  /** Starts a claimed job; a job without a handler here is handed back untouched. */
  run(job: Job): void {
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
      this.leaseLost(already, new LeaseLostError());
    }
    const now = clock.now();
    const running = new RunningJob(
      job,
      now,
      job.timeout > 0 ? now + job.timeout : Number.POSITIVE_INFINITY,
      logger,
      this.heartbeat,
    );
    this.inFlight.set(job.id, running);
    this.deadlines.track(running);
    if (this.hooks.has("beforeJob")) this.hooks.beforeJob(job);
    const deadJobId = deadJobIdOf(job, this.options);
    this.startInTurn(() => {
      // Started later: a cancel, a lost lease or a stop meanwhile settled it.
      if (running.settled || this.inFlight.get(job.id) !== running) return;
      if (deadJobId === undefined) this.invoke(running, handler.composed, job);
      else this.runDeadLetter(running, handler.composed, deadJobId);
    });
  }

  /**
   * Calls `start` now, or at the next turn of the event loop once {@link MAX_STARTS_PER_TURN}
   * handlers started in this one.
   */
  private startInTurn(start: () => void): void {
    if (this.turnEnd === null) {
      this.turnEnd = setImmediate(() => {
        this.turnEnd = null;
        this.startsThisTurn = 0;
      });
    }
    if (this.startsThisTurn < MAX_STARTS_PER_TURN) {
      this.startsThisTurn++;
      start();
      return;
    }
    setImmediate(() => this.startInTurn(start));
  }

  /**
   * Aborts the attempt of job `id` running here and frees its slot, recording no outcome (the job
   * was cancelled). With `attempt`, only that attempt: a later attempt of the same job runs on.
   * Returns whether it ran here.
   */
  cancel(id: string, attempt?: number): boolean {
    const running = this.inFlight.get(id);
    if (running === undefined || (attempt !== undefined && running.job.attempt !== attempt)) return false;
    this.drop(running, new JobCancelledError());
    return true;
  }

  /**
   * Waits until `jobsEnd` (clock ms) for running jobs (their leases still renewed), then aborts the
   * rest with a {@link ShuttingDownError}, gives them {@link ABORT_GRACE_MS} to settle, and records
   * them as interrupted (back to the queue without using a retry). Then stops renewing leases and
   * waits, until `deadline` (real time, epoch ms) at most, for the store calls it made.
   */
  async stop(jobsEnd: number, deadline: number): Promise<void> {
    const remaining = jobsEnd - this.options.clock.now();
    if (this.inFlight.size > 0 && remaining > 0) await this.waitFor(this.whenIdle(), remaining);
    if (this.inFlight.size > 0) {
      const reason = new ShuttingDownError("the scheduler stopped before the job finished");
      const at = this.options.clock.now();
      for (const running of this.inFlight.values()) running.abort(reason, at);
      // A handler that honours its signal settles now; give it a moment to report. The moment
      // ends by real time too: a test clock nobody advances must not hold stop() for ever.
      await this.waitFor(this.whenIdle(), ABORT_GRACE_MS, true);
      for (const running of [...this.inFlight.values()]) this.finish(running, reason);
    }
    await settleBy(this.leases.stop(), deadline);
    await settleBy(
      (async () => {
        while (this.sideCalls.size > 0) await Promise.allSettled([...this.sideCalls]);
      })(),
      deadline,
    );
  }

  /** Forgets every deadline and clears its timer; nothing runs here any more. */
  clear(): void {
    this.deadlines.clear();
  }

  private whenIdle(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Waits for `promise`, at most `ms` of the clock; with `realTimeToo`, at most `ms` of real time
   * either, whichever ends first. Leaves no timer behind.
   */
  private waitFor(promise: Promise<unknown>, ms: number, realTimeToo = false): Promise<void> {
    return new Promise((resolve) => {
      let real: ReturnType<typeof setTimeout> | null = null;
      const done = () => {
        this.options.clock.clearTimeout(timer);
        if (real !== null) clearTimeout(real);
        resolve();
      };
      const timer = this.options.clock.setTimeout(done, ms);
      if (realTimeToo) real = setTimeout(done, ms);
      promise.then(done);
    });
  }

  /** Frees a job's slot, and tells a waiting `stop()` when the last one is freed. */
  private release(running: RunningJob): void {
    this.inFlight.delete(running.job.id);
    this.deadlines.untrack(running);
    if (this.inFlight.size === 0 && this.idleWaiters.length > 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
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
        () => this.handlerSettled(running, null),
        (err: unknown) => this.handlerSettled(running, toError(err)),
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

  /**
   * Settles an attempt with its handler's result. A handler that returns {@link ABORT_GRACE_MS}
   * or more after its attempt was aborted (a timeout, a cancel, a lost lease or stop() freed its
   * slot) ran on beside the jobs that took that slot, past `workers` and the queue's caps: it is
   * logged as a warning, so that a handler that ignores `ctx.signal` is found.
   */
  private handlerSettled(running: RunningJob, result: Error | null): void {
    if (!running.settled) {
      this.finish(running, result);
      return;
    }
    const now = this.options.clock.now();
    const { abortedAt } = running;
    // One that stops on its signal returns soon after the abort: only a late one is reported.
    if (abortedAt === null || now - abortedAt < ABORT_GRACE_MS) return;
    const reason = running.abortedWith as { code?: unknown } | null;
    this.options.logger.warn(
      "a handler returned long after its attempt was aborted: it ignored ctx.signal and ran on beside the job that took its slot",
      {
        jobId: running.job.id,
        name: running.job.name,
        abortedBy: typeof reason?.code === "string" ? reason.code : "unknown",
        msAfterAbort: now - abortedAt,
      },
    );
  }

  /** Decides an attempt's outcome (once) and frees its slot. */
  private finish(running: RunningJob, result: Error | null): void {
    if (!running.settle()) return;
    // A handler that returns after stop() aborted it (`if (ctx.signal.aborted) return;`) may have
    // left its work undone: the attempt was interrupted, as when it throws, and runs again.
    const aborted = running.abortedWith;
    const err = result === null && aborted instanceof ShuttingDownError ? aborted : result;
    this.release(running);
    if (this.hooks.has("afterJob")) {
      this.hooks.afterJob(running.job, err, this.options.clock.now() - running.startedAt);
    }
    if (err === null) this.outcomes.complete(running);
    else this.outcomes.fail(running, err);
    this.onSlotFreed(running.startedAt);
  }

  /** Frees a slot without recording an outcome: the job was cancelled or its lease is gone. */
  private drop(running: RunningJob, reason: Error): void {
    running.abort(reason, this.options.clock.now());
    if (!running.settle()) return;
    this.release(running);
    if (this.hooks.has("afterJob")) {
      this.hooks.afterJob(running.job, reason, this.options.clock.now() - running.startedAt);
    }
    this.onSlotFreed(running.startedAt);
  }

  /**
   * Aborts a job whose lease is gone. With `reason` (this instance claimed the job again, under a
   * new attempt) at once. Otherwise its renewal was refused: a cancel pushed from another
   * instance normally arrives first; when it did not (the push was lost), the job's record tells
   * a cancel (a `JobCancelledError`, logged at debug level) from a lease taken over after it
   * expired (a `LeaseLostError`, logged as a warning), and the handler is aborted once it is read.
   */
  private leaseLost(running: RunningJob, reason?: Error): void {
    if (running.settled) return;
    const { logger } = this.options;
    const fields = { jobId: running.job.id, name: running.job.name };
    if (reason !== undefined) {
      this.drop(running, reason);
      logger.warn("lost the lease of a running job (it expired and was taken over); aborted it", fields);
      return;
    }
    this.trackSideCall(
      this.store.getJob(running.job.id).then(
        (job) => {
          if (job?.status === "cancelled" && job.attempt === running.job.attempt) {
            this.drop(running, new JobCancelledError());
            logger.debug("a running job was cancelled; aborted it", fields);
          } else {
            this.drop(running, new LeaseLostError());
            logger.warn(
              "lost the lease of a running job (it expired and was taken over); aborted it",
              fields,
            );
          }
        },
        () => {
          this.drop(
            running,
            new LeaseLostError(
              "the job's lease was lost (cancelled or taken over: the store could not be asked which)",
            ),
          );
          logger.warn("lost the lease of a running job; aborted it", fields);
        },
      ),
    );
  }

  private trackSideCall(call: Promise<unknown>): void {
    this.sideCalls.add(call);
    call.finally(() => this.sideCalls.delete(call));
  }
}
