import type { ResolvedOptions } from "../config/options.js";
import { storableDate } from "../enqueue/job-input.js";
import { toError } from "../errors.js";
import type { HandlerRegistry } from "../handlers/handler-registry.js";
import type { HookRunner } from "../hooks/hook-runner.js";
import { failureOutcome, type RateLimitedError, RetryAfterError } from "../retry/retry.js";
import type { JobRef, Store } from "../store/store.js";
import { storableText } from "../validation/text.js";
import { AckBatcher } from "./ack-batcher.js";
import { deadLetterOptions } from "./dead-letters.js";
import type { RunningJob } from "./running-job.js";

/**
 * Records the outcome of each attempt in the store: completions in batches, failures through the
 * retry policy (retry, dead with its dead-letter job, or interrupted), and hand-backs of jobs this
 * instance will not run. Every store call is tracked, so `drain()` waits for all of them.
 *
 * No outcome here ever spends a retry it should not: an attempt interrupted by shutdown, and a
 * job handed back, return to `pending` through `Store.releaseJobs`, their counters untouched.
 */
export class Outcomes {
  private readonly acks: AckBatcher;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly handlers: HandlerRegistry,
    private readonly hooks: HookRunner,
    /** Called when a job may be claimable (a retry, a hand-back, a dead letter). */
    private readonly onRequeued: () => void,
    /** Counts completed and failed attempts for the throughput history. */
    private readonly throughput?: { completed(queue: string): void; failed(queue: string): void },
    /**
     * Called, before the store is told, when a handler pushed back its job's queue (`group`
     * null) or group (a handler's `rateLimited`).
     */
    private readonly onPushedBack: (queue: string, group: string | null) => void = () => {},
  ) {
    this.acks = new AckBatcher(store, options);
  }

  /** Outcomes not yet recorded: store calls in flight and acknowledgements not yet sent. */
  get pending(): number {
    return this.inFlight.size + this.acks.pending;
  }

  /** Acknowledges a completed attempt (batched). */
  complete(running: RunningJob): void {
    this.acks.add(running.ref);
    this.throughput?.completed(running.job.queue);
  }

  /** Records a failed attempt: retry with backoff, dead (with its dead-letter job), or interrupted. */
  fail(running: RunningJob, err: Error): void {
    this.track(this.recordFailure(running, err));
  }

  /** Whether completions of this instance are queued or being sent. */
  get acksPending(): boolean {
    return this.acks.pending > 0;
  }

  /** How many acknowledgement calls have settled so far (see {@link AckBatcher.settled}). */
  get acksSettled(): number {
    return this.acks.settled;
  }

  /** Sends the queued completions now and waits for them to land (see {@link AckBatcher.settle}). */
  settleAcks(): Promise<void> {
    return this.acks.settle();
  }

  /** Hands jobs back to the queue without any penalty; `why` is logged at debug level. */
  release(refs: readonly JobRef[], why: string): void {
    if (refs.length === 0) return;
    this.track(this.recordRelease(refs, why));
  }

  /**
   * Waits until every outcome is recorded. Acknowledgements the store refuses three times in a
   * row are dropped (their jobs run again once their leases expire), so this never hangs on a
   * store that is down.
   */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.acks.drain();
  }

  private track(op: Promise<unknown>): void {
    this.inFlight.add(op);
    op.finally(() => this.inFlight.delete(op));
  }

  private async recordRelease(refs: readonly JobRef[], why: string): Promise<void> {
    const { clock, logger } = this.options;
    try {
      await this.store.releaseJobs(refs, { now: new Date(clock.now()) });
      logger.debug(`returned ${refs.length} job(s) to the queue: ${why}`, { jobIds: refs.map((r) => r.id) });
      this.onRequeued();
    } catch (storeErr) {
      // Their leases expire and any instance recovers them: nothing is lost.
      logger.error("returning jobs to the queue failed; they will be recovered when their leases expire", {
        jobIds: refs.map((r) => r.id),
        error: toError(storeErr).message,
      });
    }
  }

  /** A handler reported a rate limit: the job and its group or queue wait, no retry used. */
  private async recordRateLimit(running: RunningJob, err: RateLimitedError, now: number): Promise<void> {
    const { logger } = this.options;
    const job = running.job;
    const scope = err.scope === "group" && job.group !== null ? "group" : "queue";
    this.onPushedBack(job.queue, scope === "group" ? job.group : null);
    try {
      const applied = await this.store.rateLimitJob(running.ref, {
        now: new Date(now),
        until: storableDate(now + err.delayMs),
        scope,
      });
      if (!applied) {
        logger.debug("rate limit ignored: the job's lease had been taken over", { jobId: job.id });
        return;
      }
      logger.debug(`rate limited: the job's ${scope} waits ${err.delayMs}ms`, {
        jobId: job.id,
        name: job.name,
        queue: job.queue,
        ...(scope === "group" ? { group: job.group } : {}),
      });
      this.onRequeued();
    } catch (storeErr) {
      logger.error("recording a rate limit failed; the job will be recovered when its lease expires", {
        jobId: job.id,
        error: toError(storeErr).message,
      });
    }
  }

  private async recordFailure(running: RunningJob, err: Error): Promise<void> {
    const { clock, random, retry, logger } = this.options;
    const job = running.job;
    const outcome = failureOutcome(job, err, running.signal);
    if (outcome === "interrupted") {
      // Interrupted by shutdown, not by its own fault: back to the queue at once, no retry used.
      return this.recordRelease([running.ref], "interrupted by shutdown");
    }
    const now = clock.now();
    if (outcome === "rateLimited") return this.recordRateLimit(running, err as RateLimitedError, now);
    let retryAt: Date | null = null;
    if (outcome === "retry") {
      const policy = this.handlers.get(job.name)?.retry ?? retry;
      const delay =
        err instanceof RetryAfterError ? err.delayMs : policy.delayFor(job.retryCount + 1, random);
      retryAt = storableDate(now + delay);
    }
    const error = storableText(err.message);
    try {
      const updated = await this.store.failJob(running.ref, {
        now: new Date(now),
        error,
        retryAt,
        deadLetter: retryAt === null ? deadLetterOptions(this.options, this.handlers) : null,
      });
      if (!updated) {
        logger.debug("failure ignored: the job's lease had been taken over", { jobId: job.id });
        return;
      }
      this.throughput?.failed(job.queue);
      const fields = { jobId: job.id, name: job.name, queue: job.queue, attempt: job.attempt, error };
      if (retryAt) {
        logger.warn(`job failed; retrying in ${retryAt.getTime() - now}ms`, fields);
        if (this.hooks.has("onRetry")) this.hooks.onRetry(updated, job.attempt, err);
        this.onRequeued();
      } else {
        logger.warn("job is dead (no retries left, or a permanent error)", fields);
        if (this.hooks.has("onDead")) this.hooks.onDead(updated, err);
        // Its dead-letter job, inserted with the failure, is claimable now.
        if (this.options.deadLetter.enabled) this.onRequeued();
      }
    } catch (storeErr) {
      // The lease will expire and another attempt will run: nothing is lost.
      logger.error("recording a failed attempt failed; the job will be recovered when its lease expires", {
        jobId: job.id,
        error: toError(storeErr).message,
      });
    }
  }
}
