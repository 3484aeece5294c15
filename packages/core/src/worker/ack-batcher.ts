import type { ResolvedOptions } from "../config/options.js";
import { isStoreClosed, toError } from "../errors.js";
import type { JobRef, Store } from "../store/store.js";
import { wakeableDelay } from "../time/wakeable-delay.js";

/** Most acknowledgements sent in one store call. */
const ACK_BATCH = 500;

/**
 * Collects completed attempts and acknowledges them in batches: one store call per turn of the
 * event loop (or per {@link ACK_BATCH}), so a store that commits once per call is not asked to
 * commit once per job. A failed call keeps its acknowledgements and retries; until they land the
 * jobs stay leased, and at worst run again after their lease expires.
 */
export class AckBatcher {
  private queued: JobRef[] = [];
  /** Failed store calls so far. */
  private failures = 0;
  /** Failed store calls since the last one that succeeded. */
  private failuresInRow = 0;
  /** Set once a call found the store closed: nothing is sent any more. */
  private closed = false;
  private inFlight: Promise<void> | null = null;
  /** How many acknowledgement calls have settled (landed or failed) so far. */
  private settledCalls = 0;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  /** Set by {@link abandon}: nothing is sent or waited for any more. */
  private abandoned = false;
  /** Ends the wait before the next try of a failed call, when one is waiting. */
  private wakeRetry: (() => void) | null = null;

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    /** Called for each completion the store applied (not one whose lease was taken over). */
    private readonly onApplied: (ref: JobRef) => void = () => {},
  ) {}

  /** How many acknowledgement calls have settled so far: a change tells that completions landed. */
  get settled(): number {
    return this.settledCalls;
  }

  /** Acknowledgements queued or being sent. */
  get pending(): number {
    return this.queued.length + (this.inFlight ? 1 : 0);
  }

  /** Queues the acknowledgement of a completed attempt (dropped once the store was found closed). */
  add(ref: JobRef): void {
    if (this.closed) return;
    this.queued.push(ref);
    if (this.queued.length >= ACK_BATCH) this.flush();
    else if (this.immediate === null && !this.inFlight) {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.flush();
      });
    }
  }

  /**
   * Sends what is queued now (without waiting for the next turn of the event loop) and waits for
   * the call in flight to settle. For a claim that found a queue's limits full while completions
   * of this instance were still unsent: they free places once they land.
   */
  async settle(): Promise<void> {
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.immediate = null;
    this.flush();
    await this.inFlight;
  }

  /**
   * Sends everything queued and waits until it has landed, giving up once `deadline` (real time,
   * epoch ms) has passed, or, without one, after three failed calls in a row: acknowledgements
   * that cannot be sent are dropped (logged), and their jobs run again once their leases expire,
   * as at-least-once delivery allows. Stopping never hangs on a store that is down.
   */
  async drain(deadline = Number.POSITIVE_INFINITY): Promise<void> {
    const failuresBefore = this.failures;
    while (this.queued.length > 0 || this.inFlight) {
      const outOfTime = Number.isFinite(deadline)
        ? Date.now() >= deadline
        : this.failures - failuresBefore >= 3;
      if (this.abandoned || (outOfTime && this.failures > failuresBefore)) {
        this.options.logger.error(
          `dropping ${this.queued.length} acknowledgement(s) the store would not take; those jobs will run again when their leases expire`,
        );
        this.queued = [];
        break;
      }
      if (!this.inFlight) this.flush();
      await this.inFlight;
    }
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.immediate = null;
  }

  /**
   * Gives up what is queued (stop()'s deadline passed): a wait before a retry ends at once and
   * nothing is sent again, so no timer is left. Those jobs run again once their leases expire.
   */
  abandon(): void {
    this.abandoned = true;
    this.queued = [];
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.immediate = null;
    this.wakeRetry?.();
  }

  /** Sends again after {@link abandon} (the scheduler started again). */
  resume(): void {
    this.abandoned = false;
  }

  private flush(): void {
    if (this.abandoned || this.inFlight || this.queued.length === 0) return;
    const batch = this.queued.splice(0, ACK_BATCH);
    const { clock, completedRetention, logger } = this.options;
    this.inFlight = this.store
      .completeJobs(batch, { now: new Date(clock.now()), removeOnComplete: completedRetention === 0 })
      .then(
        (applied) => {
          let stale = 0;
          for (let i = 0; i < batch.length; i++) {
            if (applied[i] === true) this.onApplied(batch[i] as JobRef);
            else stale++;
          }
          if (stale > 0) logger.debug(`${stale} completion(s) ignored: their lease had been taken over`);
          if (this.failuresInRow > 0) {
            logger.info(
              `acknowledging completed jobs works again after ${this.failuresInRow} failed attempt(s)`,
            );
            this.failuresInRow = 0;
          }
        },
        async (err: unknown) => {
          if (isStoreClosed(err)) {
            // A closed store never takes them: drop them (their jobs are recovered by lease
            // expiry through another store) instead of retrying for ever.
            logger.error(
              `dropping ${batch.length + this.queued.length} acknowledgement(s): the store was closed`,
            );
            this.queued = [];
            this.closed = true;
            return;
          }
          this.failures++;
          this.failuresInRow++;
          this.queued.unshift(...batch);
          // An outage fails a call every 500 ms: log the first few, then one in 20, like other loops.
          const n = this.failuresInRow;
          const level = n <= 3 || n % 20 === 0 ? "error" : "debug";
          logger[level]("acknowledging completed jobs failed; retrying", {
            error: toError(err).message,
            failures: n,
            waiting: this.queued.length,
          });
          if (this.abandoned) return;
          const delay = wakeableDelay(clock, 500);
          this.wakeRetry = delay.wake;
          await delay.done;
          this.wakeRetry = null;
        },
      )
      .finally(() => {
        this.settledCalls++;
        this.inFlight = null;
        if (this.queued.length > 0 && !this.abandoned) this.flush();
      });
  }
}
