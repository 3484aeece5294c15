import type { ResolvedOptions } from "../config/options.js";
import { storableDate } from "../enqueue/job-input.js";
import { isStoreClosed, toError } from "../errors.js";
import type { HandlerRegistry } from "../handlers/handler-registry.js";
import type { HookRunner } from "../hooks/hook-runner.js";
import {
  failureOutcome,
  type RateLimitedError,
  RetryAfterError,
  type RetryPolicy,
  retry as retryPolicy,
} from "../retry/retry.js";
import type { JobRef, Store } from "../store/store.js";
import { wakeableDelay } from "../time/wakeable-delay.js";
import { storableText } from "../validation/text.js";
import { AckBatcher } from "./ack-batcher.js";
import { deadLetterOptions, insertedDeadLetter } from "./dead-letters.js";
import type { RunningJob } from "./running-job.js";

/** How long a failed outcome call waits before it is tried again (ms), as acknowledgements do. */
const OUTCOME_RETRY_MS = 500;

/**
 * Records the outcome of each attempt in the store: completions in batches, failures through the
 * retry policy (retry, dead with its dead-letter job, or interrupted), and hand-backs of jobs this
 * instance will not run. Every store call is tracked, so `drain()` waits for all of them.
 *
 * No outcome here ever spends a retry it should not: an attempt interrupted by shutdown, and a
 * job handed back, return to `pending` through `Store.releaseJobs`, their counters untouched.
 *
 * A store call that fails (an outage) is tried again every {@link OUTCOME_RETRY_MS} ms, like the
 * acknowledgements, until it lands, the store is closed, twice `lockTTL` has passed (by then the
 * lease has expired and the job has been, or will be, recovered: a later call would be ignored by
 * its fencing token anyway), or, once stopping, `stop()`'s deadline passed. Giving up earlier
 * would let the lease expire with the attempt unrecorded: the job would run again past its retry
 * budget, its error replaced by the lease's.
 */
export class Outcomes {
  private readonly acks: AckBatcher;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Set by {@link drain}: failing calls give up at its deadline. */
  private stopping = false;
  /** The real time (epoch ms) by which {@link drain} must be over; failing calls give up then. */
  private giveUpAt = Number.POSITIVE_INFINITY;
  /** Set by {@link abandon}: no call is tried again. */
  private abandoned = false;
  /** Wakes every call waiting to be tried again (see {@link abandon}). */
  private readonly sleepers = new Set<() => void>();

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
    // An attempt counts as completed once the store applied it: not one whose lease was taken
    // over or whose job was cancelled meanwhile (the store ignores its completion).
    this.acks = new AckBatcher(store, options, (ref) => this.throughput?.completed(ref.queue));
  }

  /** Outcomes not yet recorded: store calls in flight and acknowledgements not yet sent. */
  get pending(): number {
    return this.inFlight.size + this.acks.pending;
  }

  /** Acknowledges a completed attempt (batched). */
  complete(running: RunningJob): void {
    this.acks.add(running.ref);
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
  async drain(deadline = Number.POSITIVE_INFINITY): Promise<void> {
    this.stopping = true;
    this.giveUpAt = deadline;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.acks.drain(deadline);
  }

  /** Records outcomes again after a stop (the scheduler started again). */
  resume(): void {
    this.stopping = false;
    this.giveUpAt = Number.POSITIVE_INFINITY;
    this.abandoned = false;
    this.acks.resume();
  }

  /**
   * Gives up every outcome still being tried (stop()'s deadline passed): their waits end at once
   * and no call is sent again, so no timer is left. Their jobs are recovered when their leases
   * expire.
   */
  abandon(): void {
    this.abandoned = true;
    this.acks.abandon();
    for (const wake of [...this.sleepers]) wake();
  }

  /**
   * Sends queued acknowledgements and waits for the outcomes being recorded, for at most `waitMs`
   * (real time): for lease recovery to run after them, so that it does not take back a job this
   * instance ran but has not recorded yet (after an outage) and run it again.
   */
  async settle(waitMs: number): Promise<void> {
    if (this.pending === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    try {
      await Promise.race([Promise.allSettled([this.acks.settle(), ...this.inFlight]), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs one outcome call of the store, trying again after a failure (see the class comment).
   * Resolves `{ ok: false }` when it gave up, having logged why, with `lost` saying what follows.
   */
  private async persist<T>(
    what: string,
    jobIds: readonly string[],
    lost: string,
    call: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false }> {
    const { clock, logger, distributed } = this.options;
    const started = clock.now();
    for (let failures = 0; ; ) {
      try {
        const value = await call();
        if (failures > 0) logger.info(`${what} worked after ${failures} failed attempt(s)`, { jobIds });
        return { ok: true, value };
      } catch (storeErr) {
        failures++;
        const error = toError(storeErr).message;
        const giveUp = (): boolean =>
          isStoreClosed(storeErr) ||
          this.abandoned ||
          (this.stopping && Date.now() >= this.giveUpAt) ||
          clock.now() - started >= 2 * distributed.lockTTL;
        if (!giveUp()) {
          // An outage fails a call every 500 ms: log the first few, then one in 20, like other loops.
          const level = failures <= 3 || failures % 20 === 0 ? "error" : "debug";
          logger[level](`${what} failed; retrying`, { jobIds, error, failures });
          await this.sleep(OUTCOME_RETRY_MS);
          if (!this.abandoned) continue;
        }
        logger.error(`${what} failed; ${lost}`, { jobIds, error, failures });
        return { ok: false };
      }
    }
  }

  /** Waits `ms` on the clock, or until {@link abandon}. */
  private async sleep(ms: number): Promise<void> {
    const delay = wakeableDelay(this.options.clock, ms);
    this.sleepers.add(delay.wake);
    await delay.done;
    this.sleepers.delete(delay.wake);
  }

  private track(op: Promise<unknown>): void {
    this.inFlight.add(op);
    op.finally(() => this.inFlight.delete(op));
  }

  private async recordRelease(refs: readonly JobRef[], why: string): Promise<void> {
    const { clock, logger } = this.options;
    const jobIds = refs.map((r) => r.id);
    const released = await this.persist(
      "returning jobs to the queue",
      jobIds,
      // Their leases expire and any instance recovers them: nothing is lost.
      "they will be recovered when their leases expire",
      () => this.store.releaseJobs(refs, { now: new Date(clock.now()) }),
    );
    if (!released.ok) return;
    logger.debug(`returned ${refs.length} job(s) to the queue: ${why}`, { jobIds });
    this.onRequeued();
  }

  /** A handler reported a rate limit: the job and its group or queue wait, no retry used. */
  private async recordRateLimit(running: RunningJob, err: RateLimitedError, now: number): Promise<void> {
    const { logger } = this.options;
    const job = running.job;
    const scope = err.scope === "group" && job.group !== null ? "group" : "queue";
    this.onPushedBack(job.queue, scope === "group" ? job.group : null);
    const recorded = await this.persist(
      "recording a rate limit",
      [job.id],
      "the job will be recovered when its lease expires",
      () =>
        this.store.rateLimitJob(running.ref, {
          now: new Date(now),
          until: storableDate(now + err.delayMs),
          scope,
        }),
    );
    if (!recorded.ok) return;
    const applied = recorded.value;
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
  }

  private async recordFailure(running: RunningJob, err: Error): Promise<void> {
    const { clock, random, retry, logger } = this.options;
    const job = running.job;
    const outcome = failureOutcome(job, err, running.signal);
    // Settled by the cancel or the lease's loss already, which record nothing: not reached.
    if (outcome === "cancelled" || outcome === "leaseLost") return;
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
        err instanceof RetryAfterError
          ? err.delayMs
          : backoffDelay(policy, job.retryCount + 1, random, (why) =>
              logger.error(`the retry policy ${why}; retrying after the default backoff`, {
                jobId: job.id,
                name: job.name,
              }),
            );
      retryAt = storableDate(now + delay);
    }
    const error = storableText(err.message);
    const deadLetter = retryAt === null ? deadLetterOptions(this.options, this.handlers) : null;
    const recorded = await this.persist(
      "recording a failed attempt",
      [job.id],
      "the job will be recovered when its lease expires",
      () => this.store.failJob(running.ref, { now: new Date(now), error, retryAt, deadLetter }),
    );
    if (!recorded.ok) return;
    const updated = recorded.value;
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
      // A job the store enqueued with the death: enqueued as much as any other.
      const letter = this.hooks.has("onEnqueue")
        ? insertedDeadLetter(updated, deadLetter, new Date(now))
        : null;
      if (letter !== null) this.hooks.onEnqueue(letter);
      // Its dead-letter job, inserted with the failure, is claimable now.
      if (this.options.deadLetter.enabled) this.onRequeued();
    }
  }
}

/** The default backoff, for a policy that gives no delay (see {@link backoffDelay}). */
const DEFAULT_BACKOFF = retryPolicy();

/**
 * The delay before retry `attempt` (ms): the policy's when it is a number of 0 ms or more. A
 * policy of the user's (any object with `delayFor`) that throws or gives `NaN`, a negative or an
 * infinite delay gets the default backoff instead, and `warn` says why: the failure is recorded
 * either way (a throw here was an unhandled rejection, and the job came back only when its lease
 * expired). A delay past the policy's `maxDelay` is cut to it.
 */
function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number,
  warn: (why: string) => void,
): number {
  let delay: unknown;
  try {
    delay = policy.delayFor(attempt, random);
  } catch (err) {
    warn(`threw (${toError(err).message})`);
    return DEFAULT_BACKOFF.delayFor(attempt, () => 0.5);
  }
  if (typeof delay === "number" && delay >= 0 && Number.isFinite(delay)) {
    // Capped at the policy's own maxDelay, as `retry()` caps its delays: a `delayFor` of one's
    // own that gave 1e300 parked the job until the year 9999.
    const cap = policy.maxDelay;
    return typeof cap === "number" && cap >= 0 && delay > cap ? cap : delay;
  }
  warn(`gave ${String(delay)} ms`);
  return DEFAULT_BACKOFF.delayFor(attempt, () => 0.5);
}
