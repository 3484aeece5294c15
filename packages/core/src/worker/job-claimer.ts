import type { ResolvedOptions } from "../config/options.js";
import { storableDate } from "../enqueue/job-input.js";
import { isStoreClosed, toError } from "../errors.js";
import type { HandlerRegistry } from "../handlers/handler-registry.js";
import type { Job } from "../jobs/job.js";
import type { ClaimOptions, Store } from "../store/store.js";
import type { TimerHandle } from "../time/clock.js";
import { settleBy } from "../time/settle-by.js";
import { WarmUp } from "../time/warm-up.js";
import type { Outcomes } from "./outcomes.js";
import { refOf } from "./running-job.js";

/**
 * How long the claim loop waits, in real time, before looking again when a job was due but its
 * claim gave none (queue controls held it back, or another instance took it), in ms.
 */
export const BLOCKED_RETRY_MS = 100;

/**
 * The longest a prefetched job waits here for a free slot before it goes back to the queue (ms;
 * less when `lockTTL` is short, see `JobClaimer.maxWait`).
 */
export const PREFETCH_MAX_WAIT_MS = 1_000;

/** The weight of the newest sample in the moving averages of run and claim times. */
const EWMA_WEIGHT = 0.2;

/**
 * The claim loop (River's producer): claims due jobs in batches of at most the free slots (plus,
 * while jobs end quickly, some that wait here for a slot: the `prefetch` option), and
 * sleeps until the next claimable job is due, a wake-up arrives, or `pollInterval` passes. Claims
 * ask only for the job names registered here. A failed claim is retried with a backoff of 100 ms
 * doubling up to 30 s; a closed store ends the loop for good.
 */
export class JobClaimer {
  private idleTimer: TimerHandle | null = null;
  /** The look at the store just before a due job's claim (see {@link WarmUp}). */
  private readonly warmUp: WarmUp;
  /** The real-time re-check after a claim held back by queue controls (see {@link BLOCKED_RETRY_MS}). */
  private blockedTimer: ReturnType<typeof setTimeout> | null = null;
  private wakeImmediate: ReturnType<typeof setImmediate> | null = null;
  /** The claim loop while it runs: `stop()` waits for it, so no claim outlives `stop()`. */
  private fetching: Promise<void> | null = null;
  private wantFetch = false;
  private claimFailures = 0;
  /**
   * After a failed claim, no claim is made before this instant (clock ms): wake-ups meanwhile that
   * do not show the store answers again (a job's end, a re-check of held-back jobs) wait for the
   * backoff's timer instead of claiming at once. `reconnected()`, `storeAnswered()` (an enqueue or
   * another write of this instance, a store event), a claim that succeeds and `start()` end it.
   */
  private backoffUntil = 0;
  private isActive = false;
  /** Slots held for claims made by enqueues in flight (see {@link enqueueClaim}). */
  private reserved = 0;
  /** Prefetched jobs waiting for a free slot, oldest first, with when they arrived (clock ms). */
  private readonly waiting: Array<{ job: Job; since: number }> = [];
  private drainQueued = false;
  private waitTimer: TimerHandle | null = null;
  /** Moving averages of how long jobs ran here and how long a claim took (clock ms); null before the first. */
  private avgRunMs: number | null = null;
  private avgClaimMs: number | null = null;
  /**
   * The last claim came back empty without queue controls holding a due job back, the store said
   * when the next job is due, and the idle timer waits for that (or `pollInterval`); nothing has
   * woken the loop since. A job that ends here then asks for no claim (see {@link slotFreed}).
   */
  private settled = false;
  /**
   * The idle timer ended because a job is due. With nothing running here, the next claim takes
   * only that job, and the one after it, at once, the rest: the first job due starts a one-job
   * claim after its due time instead of a whole batch's (on PostgreSQL here, 50 jobs were about
   * 6 ms, one about 2), and the others start one round trip later.
   */
  private dueWake = false;
  /** Which part of a claim over queues with caps of their own goes first (see claimLoop). */
  private partTurn = 0;

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly handlers: HandlerRegistry,
    private readonly outcomes: Outcomes,
    /** How many more jobs may run here now. */
    private readonly freeSlots: () => number,
    /** Starts a claimed job. */
    private readonly runJob: (job: Job) => void,
    /** How many jobs of each queue run here now. */
    private readonly runningByQueue: () => Map<string, number> = () => new Map(),
  ) {
    // nextDueAt reads what the claim will: the server, the connection and the index are awake.
    this.warmUp = new WarmUp(options.clock, async () => {
      if (this.isActive) await store.nextDueAt({ queues: options.queues, names: handlers.names() });
    });
  }

  /** Whether claims are being made (from `start()` until `stop()`, or until the store was found closed). */
  get active(): boolean {
    return this.isActive;
  }

  /** Starts claiming. */
  start(): void {
    this.isActive = true;
    this.backoffUntil = 0;
    this.wake();
  }

  /** Asks for a claim soon; many calls in one turn of the event loop make one claim. */
  wake(): void {
    this.settled = false;
    if (!this.isActive) return;
    // The backoff's timer claims when it ends (see backoffUntil).
    if (this.claimFailures > 0 && this.options.clock.now() < this.backoffUntil) return;
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
   * The claim an enqueue of `count` jobs may make for this instance in the same round trip as its
   * insert (`Store.createJobsAndClaim`), or `null` when the claim loop is not idle (a claim is in
   * flight or asked for: it will take the new jobs), no slot is free, no handler is registered, or
   * this instance caps some of its queues (`queues: { name: { concurrency } }`). The claim asks
   * for the registered names from this instance's queues, at most `count`, the free slots and
   * `claimBatchSize` jobs, leased for `lockTTL` ms; its slots stay reserved until
   * {@link enqueueClaimed} is called with the result, which must happen exactly once.
   */
  enqueueClaim(count: number): ClaimOptions | null {
    if (!this.isActive || this.fetching !== null || this.wakeImmediate !== null || this.wantFetch)
      return null;
    const free = this.free();
    if (free <= 0) return null;
    const names = this.handlers.names();
    if (names.length === 0) return null;
    const plan = this.claimPlan(Math.min(free, this.options.claimBatchSize, count));
    const part = plan.parts[0];
    if (plan.parts.length !== 1 || part === undefined || plan.limit <= 0) return null;
    const { clock, distributed } = this.options;
    const now = clock.now();
    this.reserved += plan.limit;
    return {
      queues: part.queues,
      names,
      limit: plan.limit,
      now: new Date(now),
      lockedUntil: storableDate(now + distributed.lockTTL),
      workerId: distributed.instanceId,
    };
  }

  /**
   * Ends an enqueue's claim (see {@link enqueueClaim}): frees its reserved slots and starts the
   * jobs it leased (`[]` when the enqueue failed), or hands them back at once when claiming
   * stopped meanwhile.
   */
  enqueueClaimed(claim: ClaimOptions, claimed: readonly Job[]): void {
    this.reserved -= claim.limit;
    if (!this.isActive) {
      if (claimed.length > 0) {
        this.outcomes.release(claimed.map(refOf), "claimed while the scheduler was stopping");
      }
      return;
    }
    for (const job of inClaimOrder(claimed)) this.runJob(job);
    // Slots the claim held and did not use may serve prefetched jobs.
    this.startWaiting();
    // A wake-up that came while the claim held them found no free slot and claimed nothing (a
    // job enqueued elsewhere meanwhile): claim now, as it would have (a failed enqueue frees all).
    if (claimed.length < claim.limit) this.wake();
  }

  /** How many more jobs may be claimed now: the free slots less those enqueues reserved and prefetched jobs hold. */
  private free(): number {
    return this.freeSlots() - this.reserved - this.waiting.length;
  }

  /** Prefetched jobs waiting here for a free slot. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /**
   * How many jobs a claim may take beyond the free slots (see the `prefetch` option): as many of
   * the running jobs as are expected to end during the claim's round trip, judged from the moving
   * averages of run and claim times, at most `prefetch` waiting in all. None while a queue has a
   * per-instance cap, or before a job has ended here.
   */
  private prefetchRoom(): number {
    const { prefetch, queueConcurrency } = this.options;
    if (prefetch === 0 || this.avgRunMs === null || this.avgClaimMs === null || this.maxWait() < 1) return 0;
    if (Object.keys(queueConcurrency).length > 0) return 0;
    // Little's law: `workers` slots each free up once per average run time.
    const expected =
      this.avgRunMs === 0 ? prefetch : Math.floor((this.options.workers * this.avgClaimMs) / this.avgRunMs);
    // The claim's limit already counts the jobs waiting (see free()).
    return Math.max(0, Math.min(prefetch, expected));
  }

  /**
   * Whether a claim that would only top up the prefetch by `room` jobs (no slot is free) waits for
   * the next job that ends here instead: one does soon (jobs run here, and each that ends wakes the
   * claim loop), and its claim takes the freed slots and the room together. Without this, handlers
   * that end a turn after they start (any `async` handler) made claims alternate between nearly a
   * whole batch and the few jobs the prefetch lacked after it, each a store call of its own (on
   * Redis, 95 then 5, again and again). A top-up of at least half the prefetch (or of
   * `claimBatchSize`) is claimed at once.
   */
  private deferTopUp(room: number): boolean {
    const running = this.options.workers - this.freeSlots();
    return running > 0 && room < Math.min(this.options.prefetch, this.options.claimBatchSize) / 2;
  }

  /**
   * A job that ran here ended (its slot is free again) after running since `startedAt` (clock
   * ms): starts the prefetched jobs that now have a slot, and asks for a claim, unless the loop is
   * settled (the last claim found nothing, and nothing woke it since: an enqueue whose jobs all
   * started here, as one into idle workers does, leaves it settled). The job's end makes no other
   * job claimable: its retry or release wakes the loop through its outcome, and a job held back by
   * queue controls keeps the loop from settling. Without this, each job into idle workers cost two
   * more store calls after it ended (a claim that found nothing, then `nextDueAt`).
   */
  slotFreed(startedAt: number): void {
    const ran = Math.max(0, this.options.clock.now() - startedAt);
    this.avgRunMs = this.avgRunMs === null ? ran : this.avgRunMs + (ran - this.avgRunMs) * EWMA_WEIGHT;
    if (this.waiting.length > 0 && !this.drainQueued) {
      this.drainQueued = true;
      // After the code that freed the slot has finished, not inside it.
      queueMicrotask(() => {
        this.drainQueued = false;
        this.startWaiting();
      });
    }
    if (this.settled && this.waiting.length === 0) return;
    this.wake();
  }

  /**
   * Drops the prefetched job `id` (of `attempt`, when given) that was cancelled before it started.
   * Returns whether it was waiting here.
   */
  dropWaiting(id: string, attempt?: number): boolean {
    return this.take((job) => job.id === id && (attempt === undefined || job.attempt === attempt)).length > 0;
  }

  /** Removes from the waiting jobs those `match` picks, and returns them in claim order. */
  private take(match: (job: Job) => boolean): Job[] {
    const taken: Job[] = [];
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const waiting = this.waiting[i] as { job: Job };
      if (match(waiting.job)) {
        taken.unshift(waiting.job);
        this.waiting.splice(i, 1);
      }
    }
    if (this.waiting.length === 0) this.clearWaitTimer();
    return taken;
  }

  /** Starts a claimed job if a slot is free (after the prefetched ones), else keeps it waiting. */
  private startOrWait(job: Job): void {
    if (this.waiting.length === 0 && this.freeSlots() - this.reserved > 0) {
      this.runJob(job);
      return;
    }
    this.waiting.push({ job, since: this.options.clock.now() });
    this.startWaiting();
    this.armWaitTimer();
  }

  /** Starts prefetched jobs, oldest first, while slots are free. */
  private startWaiting(): void {
    if (!this.isActive) return;
    while (this.waiting.length > 0 && this.freeSlots() - this.reserved > 0) {
      const next = this.waiting.shift();
      if (next !== undefined) this.runJob(next.job);
    }
    if (this.waiting.length === 0) this.clearWaitTimer();
  }

  /**
   * How long a prefetched job may wait for a slot (ms): {@link PREFETCH_MAX_WAIT_MS}, at most a
   * quarter of `lockTTL`, and at most half of `lockTTL - lockRefresh`, so that the lease it got at
   * its claim is still held when the renewals of running jobs (every `lockRefresh`) first reach
   * it. Below 1 ms, nothing is prefetched.
   */
  private maxWait(): number {
    const { lockTTL, lockRefresh } = this.options.distributed;
    return Math.min(PREFETCH_MAX_WAIT_MS, Math.floor(lockTTL / 4), Math.floor((lockTTL - lockRefresh) / 2));
  }

  /** Hands back to the queue, at once, the prefetched jobs `match` picks (`why` is logged). */
  handBack(match: (job: Job) => boolean, why: string): void {
    this.outcomes.release(this.take(match).map(refOf), why);
  }

  private armWaitTimer(): void {
    if (this.waitTimer !== null || this.waiting.length === 0) return;
    const { clock } = this.options;
    const oldest = this.waiting[0] as { since: number };
    const delay = Math.max(0, oldest.since + this.maxWait() - clock.now());
    this.waitTimer = clock.setTimeout(() => {
      this.waitTimer = null;
      this.returnStale();
    }, delay);
  }

  private clearWaitTimer(): void {
    if (this.waitTimer !== null) this.options.clock.clearTimeout(this.waitTimer);
    this.waitTimer = null;
  }

  /** Hands back to the queue the prefetched jobs that waited `maxWait()` without a slot. */
  private returnStale(): void {
    const limit = this.options.clock.now() - this.maxWait();
    let stale = 0;
    while (stale < this.waiting.length && (this.waiting[stale] as { since: number }).since <= limit) stale++;
    if (stale > 0) {
      const refs = this.waiting.splice(0, stale).map((w) => refOf(w.job));
      this.outcomes.release(refs, "prefetched, but no slot was free in time");
      // The jobs running here take longer than the ones that ended: prefetch no more until
      // shorter runs bring the average down again.
      this.avgRunMs = Math.max(this.avgRunMs ?? 0, this.maxWait());
    }
    // Armed for the job that is now the oldest (the one it was armed for may have started).
    this.armWaitTimer();
  }

  /**
   * The store took a write after claims had failed (an enqueue of this instance or another write
   * of it that may make jobs claimable, such as a retry or a queue resumed, or a write of another
   * instance that arrived as a store event): it answers again, so the backoff ends and the next
   * wake-up claims. Otherwise jobs would wait for the rest of a backoff of up to 30 s after an
   * outage that the store's connection events do not report (no events, or an event connection of
   * its own that stayed up). A store that takes enqueues but keeps failing claims makes one more
   * claim per enqueue, not a loop of its own: what a failed claim hands back sends no event.
   */
  storeAnswered(): void {
    if (this.claimFailures > 0) this.backoffUntil = 0;
  }

  /**
   * Claims at once after the store's connection came back: whatever was enqueued during the outage
   * sent no event, and the backoff of failed claims no longer applies.
   */
  reconnected(): void {
    this.claimFailures = 0;
    this.backoffUntil = 0;
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
    // The prefetched jobs go back at once, not after a claim in flight (which may hang); a claim
    // that answers now releases its own jobs instead of adding to them.
    this.clearWaitTimer();
    this.releaseWaiting();
    // A store that hangs must not hold stop() beyond the deadline.
    if (this.fetching) await settleBy(this.fetching, deadline);
    this.releaseWaiting();
    const warming = this.warmUp.pending;
    if (warming) await settleBy(warming, deadline);
  }

  /** Hands the prefetched jobs back to the queue (stopping). */
  private releaseWaiting(): void {
    const waiting = this.waiting.splice(0).map((w) => refOf(w.job));
    this.outcomes.release(waiting, "claimed while the scheduler was stopping");
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
    const { clock, claimBatchSize, distributed, logger } = this.options;
    // Jobs leased by the parts of a claim that went through, until they are started: a later part
    // that fails must not leave them leased to no one (they would wait for their lease to expire).
    let inHand: Job[] = [];
    try {
      for (;;) {
        if (!this.isActive) return;
        const slots = this.free();
        const free = slots + this.prefetchRoom();
        if (free <= 0) return;
        if (slots <= 0 && this.deferTopUp(free)) return;
        this.wantFetch = false;
        const names = this.handlers.names();
        // Nothing is registered yet: register() wakes the pool.
        if (names.length === 0) return;
        // Woken for a due job with nothing running here: claim that one first (see dueWake).
        const first = this.dueWake && slots === this.options.workers;
        this.dueWake = false;
        const plan = this.claimPlan(first ? 1 : Math.min(free, claimBatchSize));
        // Every queue with a cap of its own is at that cap: completions wake the loop.
        if (plan.limit <= 0) return;
        const limit = plan.limit;
        const acksBefore = this.outcomes.acksSettled;
        const now = clock.now();
        const jobs: Job[] = [];
        inHand = jobs;
        // Several parts (queues with caps of their own) take turns: each is first asked for an
        // even share of `limit`, starting from another part at every claim, then the parts that
        // gave their whole share for what is left. A capped queue with a backlog, asked first with
        // the whole limit, would otherwise take every claim and hold back the other queues.
        const parts = rotate(plan.parts, this.partTurn++);
        const share = Math.ceil(limit / parts.length);
        const gave = parts.map(() => 0);
        const ask = async (i: number, want: number): Promise<void> => {
          const part = parts[i] as { queues: string[] | null; limit: number };
          const asked = Math.min(want, part.limit - (gave[i] as number), limit - jobs.length);
          if (asked <= 0 || !this.isActive) return;
          const claimed = await this.store.claimDueJobs({
            queues: part.queues,
            names,
            limit: asked,
            now: new Date(now),
            lockedUntil: storableDate(now + distributed.lockTTL),
            workerId: distributed.instanceId,
          });
          gave[i] = (gave[i] as number) + claimed.length;
          for (const job of claimed) jobs.push(job);
        };
        for (let i = 0; i < parts.length; i++) await ask(i, share);
        if (parts.length > 1) {
          for (let i = 0; i < parts.length; i++) {
            const part = parts[i] as { queues: string[] | null; limit: number };
            if (gave[i] === Math.min(share, part.limit)) await ask(i, limit);
          }
        }
        this.claimFailures = 0;
        inHand = [];
        if (!this.isActive) {
          // stop() began while the claim was in flight: nothing may start now.
          this.outcomes.release(jobs.map(refOf), "claimed while the scheduler was stopping");
          return;
        }
        const took = Math.max(0, clock.now() - now);
        this.avgClaimMs =
          this.avgClaimMs === null ? took : this.avgClaimMs + (took - this.avgClaimMs) * EWMA_WEIGHT;
        for (const job of inClaimOrder(jobs)) this.startOrWait(job);
        if (jobs.length < limit && !this.wantFetch) {
          // Nothing more is due now: sleep until the next job is due. Also after a claim that took
          // some jobs: their completions claim again, but they may run long, and a job due before
          // they end must not wait for them (or for the poll) while slots are free.
          await this.armIdleTimer(names, now, acksBefore, jobs.length > 0);
          return;
        }
      }
    } catch (err) {
      if (inHand.length > 0) {
        if (this.isActive) for (const job of inHand) this.startOrWait(job);
        else this.outcomes.release(inHand.map(refOf), "claimed while the scheduler was stopping");
      }
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
      this.backoffUntil = this.options.clock.now() + delay;
      const log = this.claimFailures <= 3 || this.claimFailures % 20 === 0 ? "error" : "debug";
      logger[log](`claiming jobs failed; retrying in ${delay}ms`, {
        error: toError(err).message,
        failures: this.claimFailures,
      });
      this.setIdle(delay);
    }
  }

  /**
   * How many jobs to claim now, and from which queues: one claim for every queue when no queue
   * has a per-instance cap (`queues: { name: { concurrency } }`); otherwise one claim per capped
   * queue, up to its free places here, and one for the others.
   */
  private claimPlan(free: number): { limit: number; parts: { queues: string[] | null; limit: number }[] } {
    const { queues, queueConcurrency } = this.options;
    if (queues === null) return { limit: free, parts: [{ queues, limit: free }] };
    const capped = queues.filter((queue) => queueConcurrency[queue] !== undefined);
    if (capped.length === 0) return { limit: free, parts: [{ queues, limit: free }] };
    const running = this.runningByQueue();
    // Jobs claimed here and waiting for a slot will run here too: they take places of their queue.
    for (const { job } of this.waiting) running.set(job.queue, (running.get(job.queue) ?? 0) + 1);
    const parts: { queues: string[] | null; limit: number }[] = [];
    let open = 0;
    for (const queue of capped) {
      const room = (queueConcurrency[queue] as number) - (running.get(queue) ?? 0);
      if (room > 0) {
        parts.push({ queues: [queue], limit: room });
        open += room;
      }
    }
    const uncapped = queues.filter((queue) => queueConcurrency[queue] === undefined);
    if (uncapped.length > 0) {
      parts.push({ queues: uncapped, limit: free });
      open = free;
    }
    return { limit: Math.min(free, open), parts };
  }

  /**
   * Sleeps until the next claimable job is due, a wake-up arrives, or `pollInterval` passes. When
   * a job was due but the claim gave none, queue controls held it back (a cap reached elsewhere,
   * a rate limit window full, a group pushed back): the loop then looks again after
   * {@link BLOCKED_RETRY_MS} instead of at once.
   */
  private async armIdleTimer(
    names: readonly string[],
    claimedAt: number,
    acksBefore: number,
    claimedSome = false,
  ): Promise<void> {
    const { clock, pollInterval, queues } = this.options;
    let delay = pollInterval;
    const due = await this.store.nextDueAt({ queues, names });
    if (due) {
      const wait = due.getTime() - clock.now();
      // Due after the claim looked: it simply became due since; claim again at once below.
      const heldBack = due.getTime() <= claimedAt;
      if (heldBack && (this.outcomes.acksPending || this.outcomes.acksSettled !== acksBefore)) {
        // Completions of this instance, not yet stored or stored while the claim ran, may be what
        // held the limits full: claim again once they have landed.
        await this.outcomes.settleAcks();
        if (this.isActive) this.wantFetch = true;
        return;
      }
      if (heldBack) {
        // Held back by queue controls: look again soon. The wait is real time, not the clock's:
        // it is a re-check of the store, and a test clock that only moves when work is idle
        // must not stall it.
        if (!this.isActive) return;
        this.setIdle(pollInterval);
        this.blockedTimer = setTimeout(() => {
          this.blockedTimer = null;
          this.wake();
        }, BLOCKED_RETRY_MS);
        return;
      }
      delay = Math.min(delay, Math.max(0, wait));
    }
    if (!this.isActive) return;
    if (delay === 0) {
      this.wantFetch = true;
      return;
    }
    this.setIdle(delay, due !== null && delay < pollInterval ? due.getTime() : null);
    // Jobs just claimed end here and claim again; a wake-up during nextDueAt asked for another
    // claim: not settled.
    this.settled = !claimedSome && !this.wantFetch;
  }

  /**
   * Sleeps `delay` ms, then claims. With `dueAt` (the sleep ends when a job is due, clock ms),
   * looks at the store just before (see {@link WarmUp}), so that the claim finds the server awake,
   * and claims no earlier than `dueAt` by the clock: a timer may read a millisecond early (see
   * `systemClock`), and a claim then would find the job not yet due (it cost an empty claim and a
   * `nextDueAt` before the claim that took it).
   */
  private setIdle(delay: number, dueAt: number | null = null): void {
    this.clearIdle();
    const { clock } = this.options;
    this.idleTimer = clock.setTimeout(() => {
      this.idleTimer = null;
      if (dueAt !== null && clock.now() < dueAt) {
        this.setIdle(dueAt - clock.now(), dueAt);
        return;
      }
      // A backoff's timer ends it, even read a millisecond early.
      this.backoffUntil = 0;
      this.wake();
      this.dueWake = dueAt !== null;
    }, delay);
    if (dueAt !== null) this.warmUp.before(delay);
  }

  private clearIdle(): void {
    const { clock } = this.options;
    if (this.idleTimer !== null) clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.warmUp.clear();
    if (this.blockedTimer !== null) clearTimeout(this.blockedTimer);
    this.blockedTimer = null;
  }
}

/** `items` from the one at `turn` (modulo their number) on, then those before it. */
function rotate<T>(items: readonly T[], turn: number): T[] {
  const start = turn % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/** The claim order of docs/architecture.md §2: higher priority, then earlier scheduledAt, then id. */
function claimsFirst(a: Job, b: Job): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  const at = a.scheduledAt.getTime() - b.scheduledAt.getTime();
  if (at !== 0) return at < 0;
  return a.id < b.id;
}

/**
 * A claimed batch in claim order across its queues: each queue's jobs keep the order the store
 * gave them (a queue with groups gives them in rounds between its groups), and the queues are
 * merged by their next job, so that a higher-priority or earlier job of one queue starts before
 * the later ones of another (a store may return a batch queue by queue).
 */
function inClaimOrder(jobs: readonly Job[]): readonly Job[] {
  // One queue (every claim without caps over a single queue): the store's order, as given.
  const first = jobs[0]?.queue;
  if (jobs.every((job) => job.queue === first)) return jobs;
  const byQueue = new Map<string, Job[]>();
  for (const job of jobs) {
    const own = byQueue.get(job.queue);
    if (own === undefined) byQueue.set(job.queue, [job]);
    else own.push(job);
  }
  const lanes = [...byQueue.values()];
  const next = new Array<number>(lanes.length).fill(0);
  const out: Job[] = [];
  while (out.length < jobs.length) {
    let best = -1;
    for (let i = 0; i < lanes.length; i++) {
      const head = (lanes[i] as Job[])[next[i] as number];
      if (head === undefined) continue;
      if (best === -1 || claimsFirst(head, (lanes[best] as Job[])[next[best] as number] as Job)) best = i;
    }
    out.push((lanes[best] as Job[])[next[best] as number] as Job);
    next[best] = (next[best] as number) + 1;
  }
  return out;
}
