import { ConfigError, InvalidArgumentError, StoreClosedError } from "../errors.js";
import { IndexedHeap } from "../indexed-heap.js";
import { decodeJobCursor, encodeJobCursor } from "../jobs/cursor.js";
import type { Job, JobFilter, JobPage, JobSelector, JobStatus } from "../jobs/job.js";
import type { Stats } from "../jobs/stats.js";
import {
  type ClaimOptions,
  type CleanupOptions,
  type CompleteOptions,
  type CreatedAndClaimed,
  type CreateJobsOptions,
  type DeadLetterOptions,
  type DedupeOptions,
  type DedupeResult,
  deadLetterJob,
  type FailOptions,
  type FireResult,
  type InstanceRecord,
  type JobRef,
  type NewJobRecord,
  type NextDueOptions,
  type QueuePatch,
  type QueueRecord,
  type RateLimitJobOptions,
  type RecoveredLeases,
  type RecoverOptions,
  type ReleaseOptions,
  type RequeueResult,
  type SaveScheduleOptions,
  type ScheduleRecord,
  type ScheduleTick,
  type Store,
  type StoreCapabilities,
  type StoreEvent,
  type ThroughputQuery,
  type ThroughputSample,
  type WaitingNamesOptions,
} from "../store/store.js";
import { assertKnownOptions } from "../validation/option-names.js";
import { readOptions } from "../validation/read-options.js";
import { claimsBefore, epochMs, type JobRecord, toJob } from "./job-record.js";
import { appendFailure, JobTable } from "./job-table.js";
import { copyPayload } from "./payload-copy.js";
import { QueueControl } from "./queue-controls.js";
import { emptyCounts, type QueueState } from "./queue-state.js";

/** A deduplication window: the job that opened it, when, and (throttle) when it closes. */
interface DedupeWindow {
  jobId: string;
  openedAt: number;
  expiresAt: number;
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Delete jobs when they complete instead of keeping them for inspection (default `false`).
   * A `removeOnComplete` passed to `completeJobs` takes precedence.
   */
  removeOnComplete?: boolean;
}

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 10_000;

/** Whether a record matches a selector. */
function selectorTest(selector: JobSelector): (record: JobRecord) => boolean {
  const statuses =
    selector.status === undefined
      ? null
      : new Set(Array.isArray(selector.status) ? selector.status : [selector.status]);
  const from = selector.from === undefined ? null : epochMs(selector.from, "from");
  const to = selector.to === undefined ? null : epochMs(selector.to, "to");
  return (record) =>
    (statuses === null || statuses.has(record.status)) &&
    (selector.queue === undefined || record.queue === selector.queue) &&
    (selector.name === undefined || record.name === selector.name) &&
    (selector.group === undefined || record.group === selector.group) &&
    (from === null || record.createdAt >= from) &&
    (to === null || record.createdAt < to);
}

/** The listing order of `record` against the job at (`createdAt`, `id`): negative when before. */
function compareListed(record: JobRecord, createdAt: number, id: string): number {
  if (record.createdAt !== createdAt) return record.createdAt - createdAt;
  return record.id < id ? -1 : record.id > id ? 1 : 0;
}

/** A queue's next due job, while claims across several queues are merged. */
interface ClaimCandidate {
  state: QueueState;
  head: JobRecord;
}

const candidateBefore = (a: ClaimCandidate, b: ClaimCandidate): boolean => claimsBefore(a.head, b.head);
const ignoreIndex = (): void => {};

/**
 * Takes up to `limit` due jobs at `now` out of `states`' lanes in the global claim order (their
 * heads merged), handing each to `take` once it has left its lane.
 */
function takeInClaimOrder(
  states: readonly QueueState[],
  limit: number,
  now: number,
  take: (state: QueueState, record: JobRecord) => void,
): void {
  const merge = new IndexedHeap<ClaimCandidate>(candidateBefore, ignoreIndex);
  for (const state of states) {
    state.promote(now);
    const head = state.dueHead(now);
    if (head !== undefined) merge.push({ state, head });
  }
  for (let taken = 0; taken < limit; taken++) {
    const best = merge.pop();
    if (best === undefined) return;
    best.state.leave(best.head);
    take(best.state, best.head);
    const next = best.state.dueHead(now);
    if (next !== undefined) {
      best.head = next;
      merge.push(best);
    }
  }
}

/**
 * The default, zero-dependency {@link Store}: everything lives in this process's memory and is
 * lost when it exits, so it suits development, tests and single-process deployments.
 *
 * Every method runs synchronously to completion inside its promise, which makes each one atomic
 * with respect to the others. Waiting jobs are kept in binary heaps per queue, so creating,
 * claiming and completing a job cost O(log n).
 *
 * Copies: a job's payload is deep-copied when it is inserted, and every returned `Job` is a
 * fresh object with its own payload, dates, metadata and history, so changing it never changes
 * the store (as on every other store, whose jobs are read from the server).
 */
export class MemoryStore implements Store<never> {
  /** No application transactions; events reach every scheduler sharing this store object. */
  readonly capabilities: StoreCapabilities = { transactions: false, pushedEvents: true };

  private readonly table = new JobTable();
  private readonly schedules = new Map<string, ScheduleRecord>();
  /** Queues with controls or grouped jobs (see {@link QueueControl}). */
  private readonly controls = new Map<string, QueueControl>();
  /** Presence records of scheduler instances, by id. */
  private readonly instances = new Map<string, InstanceRecord>();
  /** Throughput history by minute and queue. */
  private readonly history = new Map<
    string,
    { queue: string; minute: number; completed: number; failed: number }
  >();
  /** Deduplication windows by queue, then key. */
  private readonly windows = new Map<string, Map<string, DedupeWindow>>();
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly removeOnComplete: boolean;
  private epochId: string | null = null;
  private closed = false;

  /** Creates an empty store. */
  constructor(given: MemoryStoreOptions = {}) {
    const options = readOptions(given, "", "option");
    assertKnownOptions(options, ["removeOnComplete"]);
    const remove: unknown = options.removeOnComplete;
    if (remove !== undefined && typeof remove !== "boolean") {
      throw new ConfigError("removeOnComplete", `expected true or false, got ${typeof remove}`);
    }
    this.removeOnComplete = options.removeOnComplete ?? false;
  }

  /** {@inheritDoc Store.createJobs} */
  async createJobs(jobs: NewJobRecord[], options?: CreateJobsOptions<never>): Promise<Job[]> {
    this.assertOpen();
    if (options?.transaction !== undefined) {
      throw new InvalidArgumentError(
        "transaction",
        "the memory store has no transactions; enqueue without one",
      );
    }
    const records = this.table.prepare(jobs, "reject");
    this.insertAll(records);
    this.notifyInserted(records);
    return records.map(toJob);
  }

  /** {@inheritDoc Store.createJobsAndClaim} */
  async createJobsAndClaim(jobs: NewJobRecord[], claim: ClaimOptions): Promise<CreatedAndClaimed> {
    this.assertOpen();
    const records = this.table.prepare(jobs, "reject");
    this.insertAll(records);
    const created = records.map(toJob);
    const claimed = await this.claimDueJobs(claim);
    const taken = new Set(claimed.map((job) => job.id));
    this.notifyInserted(records.filter((record) => !taken.has(record.id)));
    return { jobs: created, claimed };
  }

  /** {@inheritDoc Store.createDedupedJob} */
  async createDedupedJob(job: NewJobRecord, dedupe: DedupeOptions, now: Date): Promise<DedupeResult> {
    this.assertOpen();
    const nowMs = epochMs(now, "now");
    let windows = this.windows.get(job.queue);
    if (windows === undefined) {
      windows = new Map();
      this.windows.set(job.queue, windows);
    }
    const open = windows.get(dedupe.key);
    const held = open === undefined ? undefined : this.table.get(open.jobId);
    if (open !== undefined && dedupe.mode === "throttle" && nowMs < open.expiresAt) {
      return { outcome: "throttled", jobId: open.jobId, job: held === undefined ? null : toJob(held) };
    }
    const latest = (openedAt: number): number =>
      dedupe.maxWait === null ? Number.POSITIVE_INFINITY : openedAt + dedupe.maxWait;
    const requested = epochMs(job.scheduledAt, "scheduledAt");
    if (
      open !== undefined &&
      dedupe.mode === "debounce" &&
      held !== undefined &&
      (held.status === "scheduled" || held.status === "pending")
    ) {
      const scheduledAt = Math.min(requested, latest(open.openedAt));
      this.table.reschedule(
        held,
        scheduledAt > nowMs ? "scheduled" : "pending",
        scheduledAt,
        copyPayload(job.payload),
      );
      this.notify(held.queue);
      return { outcome: "debounced", jobId: held.id, job: toJob(held) };
    }
    const scheduledAt = dedupe.mode === "debounce" ? Math.min(requested, latest(nowMs)) : requested;
    const record: NewJobRecord =
      scheduledAt === requested
        ? job
        : {
            ...job,
            scheduledAt: new Date(scheduledAt),
            status: scheduledAt > nowMs ? "scheduled" : "pending",
          };
    const records = this.table.prepare([record], "reject");
    this.insertAll(records);
    windows.set(dedupe.key, { jobId: job.id, openedAt: nowMs, expiresAt: nowMs + dedupe.ttl });
    this.notifyInserted(records);
    return { outcome: "created", jobId: job.id, job: toJob(records[0] as JobRecord) };
  }

  /** {@inheritDoc Store.updateQueue} */
  async updateQueue(name: string, patch: QueuePatch, now: Date): Promise<QueueRecord> {
    this.assertOpen();
    const control = this.controlOf(name);
    control.apply(patch, epochMs(now, "now"));
    if (!control.paused) this.notify(name);
    return control.toRecord();
  }

  /** {@inheritDoc Store.getQueue} */
  async getQueue(name: string): Promise<QueueRecord | null> {
    this.assertOpen();
    const control = this.controls.get(name);
    return control?.configured ? control.toRecord() : null;
  }

  /** {@inheritDoc Store.listQueues} */
  async listQueues(): Promise<QueueRecord[]> {
    this.assertOpen();
    return [...this.controls.values()]
      .filter((control) => control.configured)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((control) => control.toRecord());
  }

  /** {@inheritDoc Store.rateLimitJob} */
  async rateLimitJob(ref: JobRef, options: RateLimitJobOptions): Promise<boolean> {
    this.assertOpen();
    const now = epochMs(options.now, "now");
    const until = epochMs(options.until, "until");
    const record = this.table.currentAttempt(ref);
    if (record === undefined) return false;
    this.table.reschedule(record, until > now ? "scheduled" : "pending", until);
    const control = this.controlOf(record.queue);
    if (options.scope === "group" && record.group !== null) control.pushBack(until, now, record.group);
    else control.pushBack(until, now);
    this.notify(record.queue);
    return true;
  }

  /** {@inheritDoc Store.getJob} */
  async getJob(id: string): Promise<Job | null> {
    this.assertOpen();
    const record = this.table.get(id);
    return record === undefined ? null : toJob(record);
  }

  /** {@inheritDoc Store.listJobs} */
  async listJobs(filter: JobFilter): Promise<JobPage> {
    this.assertOpen();
    const limit = Math.min(Math.max(filter.limit ?? DEFAULT_LIST_LIMIT, 1), MAX_LIST_LIMIT);
    const descending = filter.order === "desc";
    const after = filter.cursor == null ? null : decodeJobCursor(filter.cursor);
    const matches: JobRecord[] = [];
    const select = selectorTest(filter);
    for (const record of this.table.all()) {
      if (!select(record)) continue;
      if (after !== null) {
        const order = compareListed(record, after.createdAt, after.id);
        if (descending ? order >= 0 : order <= 0) continue;
      }
      matches.push(record);
    }
    matches.sort((a, b) => (descending ? -1 : 1) * compareListed(a, b.createdAt, b.id));
    const page = matches.slice(0, limit);
    const last = page[page.length - 1];
    return {
      jobs: page.map(toJob),
      nextCursor:
        matches.length > limit && last !== undefined
          ? encodeJobCursor({ createdAt: new Date(last.createdAt), id: last.id }, filter.order)
          : null,
    };
  }

  /** {@inheritDoc Store.retryJobs} */
  async retryJobs(selector: JobSelector, now: Date): Promise<number> {
    this.assertOpen();
    const nowMs = epochMs(now, "now");
    const select = selectorTest(selector);
    let moved = 0;
    for (const record of [...this.table.all()]) {
      if ((record.status !== "dead" && record.status !== "cancelled") || !select(record)) continue;
      try {
        this.table.retakeKey(record);
      } catch {
        continue;
      }
      record.retryCount = 0;
      record.lostLeases = 0;
      record.completedAt = null;
      this.table.wait(record, "pending", nowMs);
      this.notify(record.queue);
      moved++;
    }
    return moved;
  }

  /** {@inheritDoc Store.deleteJobs} */
  async deleteJobs(selector: JobSelector): Promise<number> {
    this.assertOpen();
    const select = selectorTest(selector);
    let deleted = 0;
    for (const record of [...this.table.all()]) {
      if (record.status === "running" || !select(record)) continue;
      this.table.delete(record);
      deleted++;
    }
    return deleted;
  }

  /** {@inheritDoc Store.deleteJob} */
  async deleteJob(id: string): Promise<Job | null> {
    this.assertOpen();
    const record = this.table.get(id);
    if (record === undefined || record.status === "running") return null;
    const job = toJob(record);
    this.table.delete(record);
    return job;
  }

  /** {@inheritDoc Store.promoteJob} */
  async promoteJob(id: string, now: Date): Promise<Job | null> {
    this.assertOpen();
    const nowMs = epochMs(now, "now");
    const record = this.table.get(id);
    if (record === undefined) return null;
    if (record.status === "scheduled" || record.status === "failed") {
      this.table.reschedule(record, "pending", nowMs);
      this.notify(record.queue);
    }
    return toJob(record);
  }

  /** {@inheritDoc Store.saveInstance} */
  async saveInstance(instance: InstanceRecord): Promise<void> {
    this.assertOpen();
    this.instances.set(instance.id, structuredClone(instance));
  }

  /** {@inheritDoc Store.removeInstance} */
  async removeInstance(id: string): Promise<boolean> {
    this.assertOpen();
    return this.instances.delete(id);
  }

  /** {@inheritDoc Store.listInstances} */
  async listInstances(now: Date): Promise<InstanceRecord[]> {
    this.assertOpen();
    const nowMs = epochMs(now, "now");
    const live: InstanceRecord[] = [];
    for (const [id, instance] of this.instances) {
      if (instance.expiresAt.getTime() > nowMs) live.push(structuredClone(instance));
      else this.instances.delete(id);
    }
    return live.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** {@inheritDoc Store.addThroughput} */
  async addThroughput(samples: readonly ThroughputSample[], keepSince: Date): Promise<void> {
    this.assertOpen();
    const keep = epochMs(keepSince, "keepSince");
    for (const sample of samples) {
      const minute = epochMs(sample.minute, "minute");
      const key = `${minute}\u0000${sample.queue}`;
      const stored = this.history.get(key);
      if (stored === undefined) {
        this.history.set(key, {
          queue: sample.queue,
          minute,
          completed: sample.completed,
          failed: sample.failed,
        });
      } else {
        stored.completed += sample.completed;
        stored.failed += sample.failed;
      }
    }
    for (const [key, stored] of this.history) if (stored.minute < keep) this.history.delete(key);
  }

  /** {@inheritDoc Store.throughput} */
  async throughput(query: ThroughputQuery): Promise<ThroughputSample[]> {
    this.assertOpen();
    const since = epochMs(query.since, "since");
    const until = query.until === undefined ? Number.POSITIVE_INFINITY : epochMs(query.until, "until");
    return [...this.history.values()]
      .filter(
        (s) => s.minute >= since && s.minute < until && (query.queue === null || s.queue === query.queue),
      )
      .sort((a, b) => a.minute - b.minute || (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0))
      .map((s) => ({ queue: s.queue, minute: new Date(s.minute), completed: s.completed, failed: s.failed }));
  }

  /** {@inheritDoc Store.cancelJob} */
  async cancelJob(id: string, now: Date): Promise<Job | null> {
    this.assertOpen();
    const nowMs = epochMs(now, "now");
    const record = this.table.get(id);
    if (record === undefined) return null;
    if (record.status === "completed" || record.status === "dead" || record.status === "cancelled") {
      return toJob(record);
    }
    const wasRunning = record.status === "running";
    // Cancelling a running job also fences off its attempt: its ref no longer matches.
    this.table.finish(record, "cancelled", nowMs);
    if (wasRunning)
      this.emit({ type: "cancelled", id: record.id, queue: record.queue, attempt: record.attempt });
    return toJob(record);
  }

  /** {@inheritDoc Store.requeueJob} */
  async requeueJob(id: string, now: Date): Promise<RequeueResult | null> {
    this.assertOpen();
    const nowMs = epochMs(now, "now");
    const record = this.table.get(id);
    if (record === undefined) return null;
    if (record.status !== "dead" && record.status !== "cancelled") {
      return { requeued: false, job: toJob(record) };
    }
    // The key was released when the job became final and may have been taken since.
    this.table.retakeKey(record);
    record.retryCount = 0;
    record.lostLeases = 0;
    record.completedAt = null;
    this.table.wait(record, "pending", nowMs);
    this.notify(record.queue);
    return { requeued: true, job: toJob(record) };
  }

  /** {@inheritDoc Store.claimDueJobs} */
  async claimDueJobs(options: ClaimOptions): Promise<Job[]> {
    this.assertOpen();
    const now = epochMs(options.now, "now");
    const lockedUntil = epochMs(options.lockedUntil, "lockedUntil");
    const { limit, workerId } = options;
    const claimed: Job[] = [];
    if (!(limit > 0)) return claimed;
    const names = options.names ?? null;
    const states = this.table.selectLanes(options.queues, names);
    const controlled = new Set<string>();
    const plain: QueueState[] = [];
    if (this.controls.size > 0) {
      for (const state of states) {
        if (this.controls.has(state.name)) controlled.add(state.name);
        else plain.push(state);
      }
    }
    if (controlled.size === 0) {
      this.claimPlain(states, limit, now, lockedUntil, workerId, claimed);
      return claimed;
    }
    // `limit` is shared in claim order: each queue with controls first takes at most as many jobs
    // as it holds among the first `limit` due jobs of all the queues (its controls may take
    // fewer), the queues without controls take the rest, and what is still left goes to the
    // queues with controls again. A queue with controls and a backlog then never takes a whole
    // claim while other queues hold jobs due before its own.
    const oneQueue = plain.length === 0 && controlled.size === 1;
    const shares = oneQueue ? null : this.claimShares(states, limit, now);
    for (const queue of controlled) {
      const share = Math.min(shares === null ? limit : (shares.get(queue) ?? 0), limit - claimed.length);
      if (share > 0) this.claimControlled(queue, names, share, now, lockedUntil, workerId, claimed);
    }
    this.claimPlain(plain, limit, now, lockedUntil, workerId, claimed);
    for (const queue of controlled) {
      if (claimed.length >= limit) break;
      this.claimControlled(queue, names, limit - claimed.length, now, lockedUntil, workerId, claimed);
    }
    return claimed;
  }

  /**
   * How many of the first `limit` due jobs of `states`' lanes, in claim order, each queue holds:
   * read by taking them as a claim would ({@link takeInClaimOrder}) and putting them back.
   */
  private claimShares(states: QueueState[], limit: number, now: number): Map<string, number> {
    const shares = new Map<string, number>();
    const taken: Array<[QueueState, JobRecord]> = [];
    try {
      takeInClaimOrder(states, limit, now, (state, record) => {
        taken.push([state, record]);
        shares.set(state.name, (shares.get(state.name) ?? 0) + 1);
      });
    } finally {
      for (const [state, record] of taken) state.enter(record);
    }
    return shares;
  }

  /** Claims from queues without controls: their lanes' heaps give the claim order directly. */
  private claimPlain(
    states: QueueState[],
    limit: number,
    now: number,
    lockedUntil: number,
    workerId: string,
    claimed: Job[],
  ): void {
    if (claimed.length >= limit || states.length === 0) return;
    if (states.length === 1) {
      const state = states[0] as QueueState;
      state.promote(now);
      for (let head = state.dueHead(now); head !== undefined; head = state.dueHead(now)) {
        state.leave(head);
        this.table.start(head, now, lockedUntil, workerId);
        claimed.push(toJob(head));
        if (claimed.length >= limit) break;
      }
      return;
    }
    takeInClaimOrder(states, limit - claimed.length, now, (_, record) => {
      this.table.start(record, now, lockedUntil, workerId);
      claimed.push(toJob(record));
    });
  }

  /**
   * Claims from a queue with controls or grouped jobs: its {@link QueueControl} takes the jobs from
   * its lanes by group (limits, windows, rotation between groups).
   */
  private claimControlled(
    queue: string,
    names: readonly string[] | null,
    limit: number,
    now: number,
    lockedUntil: number,
    workerId: string,
    claimed: Job[],
  ): void {
    const control = this.controls.get(queue) as QueueControl;
    const running: JobRecord[] = [];
    for (const record of this.table.runningJobs()) if (record.queue === queue) running.push(record);
    control.claim(this.table.lanesByGroup(queue, names), running, limit, now, (record) => {
      this.table.start(record, now, lockedUntil, workerId);
      claimed.push(toJob(record));
    });
  }

  /** {@inheritDoc Store.completeJobs} */
  async completeJobs(refs: readonly JobRef[], options: CompleteOptions): Promise<boolean[]> {
    this.assertOpen();
    const now = epochMs(options.now, "now");
    const remove = options.removeOnComplete ?? this.removeOnComplete;
    const applied: boolean[] = new Array(refs.length);
    for (let i = 0; i < refs.length; i++) {
      const record = this.table.currentAttempt(refs[i] as JobRef);
      applied[i] = record !== undefined;
      if (record === undefined) continue;
      if (remove) this.table.delete(record);
      else this.table.finish(record, "completed", now);
    }
    return applied;
  }

  /** {@inheritDoc Store.failJob} */
  async failJob(ref: JobRef, options: FailOptions): Promise<Job | null> {
    this.assertOpen();
    const now = epochMs(options.now, "now");
    const retryAt = options.retryAt === null ? null : epochMs(options.retryAt, "retryAt");
    const record = this.table.currentAttempt(ref);
    if (record === undefined) return null;
    appendFailure(record, options.error, now);
    record.error = options.error;
    if (retryAt === null) {
      this.die(record, now, options.deadLetter ?? null);
    } else {
      record.retryCount++;
      this.table.wait(record, "failed", retryAt);
      this.notify(record.queue);
    }
    return toJob(record);
  }

  /** {@inheritDoc Store.releaseJobs} */
  async releaseJobs(refs: readonly JobRef[], options: ReleaseOptions): Promise<boolean[]> {
    this.assertOpen();
    const now = epochMs(options.now, "now");
    const applied: boolean[] = new Array(refs.length);
    const released: JobRecord[] = [];
    for (let i = 0; i < refs.length; i++) {
      const record = this.table.currentAttempt(refs[i] as JobRef);
      applied[i] = record !== undefined;
      if (record === undefined) continue;
      this.table.wait(record, "pending", now);
      released.push(record);
    }
    this.notifyInserted(released);
    return applied;
  }

  /** {@inheritDoc Store.renewLeases} */
  async renewLeases(refs: readonly JobRef[], lockedUntil: Date): Promise<string[]> {
    this.assertOpen();
    const until = epochMs(lockedUntil, "lockedUntil");
    const lost: string[] = [];
    for (const ref of refs) {
      const record = this.table.currentAttempt(ref);
      if (record === undefined) lost.push(ref.id);
      else record.lockedUntil = until;
    }
    return lost;
  }

  /** {@inheritDoc Store.recoverExpiredLeases} */
  async recoverExpiredLeases(options: RecoverOptions): Promise<RecoveredLeases> {
    this.assertOpen();
    const nowMs = epochMs(options.now, "now");
    const { limit, maxLostLeases, error, deadLetter } = options;
    const expired: JobRecord[] = [];
    for (const record of this.table.runningJobs()) {
      if ((record.lockedUntil as number) <= nowMs) expired.push(record);
    }
    // Longest-expired first, so a small limit still makes progress on the oldest.
    expired.sort((a, b) => (a.lockedUntil as number) - (b.lockedUntil as number) || (a.id < b.id ? -1 : 1));
    const recovered: JobRecord[] = [];
    const dead: Job[] = [];
    for (const record of expired.slice(0, Math.max(limit, 0))) {
      appendFailure(record, error, nowMs);
      const lost = record.lostLeases;
      record.lostLeases = lost + 1;
      if (lost >= maxLostLeases) {
        record.error ??= error;
        this.die(record, nowMs, deadLetter);
        dead.push(toJob(record));
      } else {
        this.table.wait(record, "pending", nowMs);
        recovered.push(record);
      }
    }
    this.notifyInserted(recovered);
    return { recovered: recovered.map((record) => record.id), dead };
  }

  /** {@inheritDoc Store.nextDueAt} */
  async nextDueAt(options: NextDueOptions): Promise<Date | null> {
    this.assertOpen();
    let earliest: number | null = null;
    for (const state of this.table.selectLanes(options.queues, options.names ?? null)) {
      if (this.controls.get(state.name)?.paused) continue;
      const next = state.nextDueAt();
      if (next !== null && (earliest === null || next < earliest)) earliest = next;
    }
    return earliest === null ? null : new Date(earliest);
  }

  /** {@inheritDoc Store.waitingJobNames} */
  async waitingJobNames(options: WaitingNamesOptions): Promise<string[]> {
    this.assertOpen();
    const dueBy = epochMs(options.dueBy, "dueBy");
    const names = new Set<string>();
    for (const lane of this.table.selectLanes(options.queues, null)) {
      if (names.size >= options.limit) break;
      const next = lane.nextDueAt();
      if (next !== null && next <= dueBy) names.add(lane.jobName);
    }
    return [...names];
  }

  /** {@inheritDoc Store.saveSchedule} */
  async saveSchedule(schedule: ScheduleRecord, options?: SaveScheduleOptions): Promise<boolean> {
    this.assertOpen();
    const stored = this.schedules.get(schedule.name);
    if (options?.onlyIfAbsent && stored !== undefined) return false;
    const expected = options?.expectDefinition;
    if (
      expected !== undefined &&
      (stored === undefined ||
        stored.definedAt.getTime() !== epochMs(expected.definedAt, "expectDefinition.definedAt") ||
        stored.definedBy !== expected.definedBy)
    ) {
      return false;
    }
    const next = options?.expectNextRunAt;
    if (expected !== undefined && next !== undefined) {
      const want = next === null ? null : epochMs(next, "expectNextRunAt");
      if ((stored?.nextRunAt?.getTime() ?? null) !== want) return false;
    }
    this.schedules.set(schedule.name, copySchedule(schedule));
    return true;
  }

  /** {@inheritDoc Store.getSchedule} */
  async getSchedule(name: string): Promise<ScheduleRecord | null> {
    this.assertOpen();
    const schedule = this.schedules.get(name);
    return schedule === undefined ? null : copySchedule(schedule);
  }

  /** {@inheritDoc Store.listSchedules} */
  async listSchedules(): Promise<ScheduleRecord[]> {
    this.assertOpen();
    return [...this.schedules.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map(copySchedule);
  }

  /** {@inheritDoc Store.deleteSchedule} */
  async deleteSchedule(name: string): Promise<boolean> {
    this.assertOpen();
    return this.schedules.delete(name);
  }

  /** {@inheritDoc Store.fireScheduleTick} */
  async fireScheduleTick(tick: ScheduleTick): Promise<FireResult> {
    this.assertOpen();
    const expected = epochMs(tick.expectedNextRunAt, "expectedNextRunAt");
    const firedAt = epochMs(tick.firedAt, "firedAt");
    const schedule = this.schedules.get(tick.name);
    if (schedule?.nextRunAt == null || schedule.nextRunAt.getTime() !== expected) {
      return { fired: false, jobs: [] };
    }
    const stamp = tick.expectedDefinition;
    if (
      stamp !== undefined &&
      (schedule.definedAt.getTime() !== epochMs(stamp.definedAt, "expectedDefinition.definedAt") ||
        schedule.definedBy !== stamp.definedBy)
    ) {
      return { fired: false, jobs: [] };
    }
    const nextRunAt = tick.nextRunAt === null ? null : new Date(epochMs(tick.nextRunAt, "nextRunAt"));
    // Insert first: a bad job throws before the schedule has changed.
    const records = this.table.prepare(tick.jobs, "skip");
    this.insertAll(records);
    schedule.nextRunAt = nextRunAt;
    schedule.lastRunAt = new Date(firedAt);
    schedule.updatedAt = new Date(firedAt);
    schedule.occurrences += tick.jobs.length;
    this.notifyInserted(records);
    return { fired: true, jobs: records.map(toJob) };
  }

  /** {@inheritDoc Store.cleanup} */
  async cleanup(options: CleanupOptions): Promise<number> {
    this.assertOpen();
    const completedBefore = epochMs(options.completedBefore, "completedBefore");
    const deadBefore = epochMs(options.deadBefore, "deadBefore");
    const cancelledBefore = epochMs(options.cancelledBefore, "cancelledBefore");
    let deleted = 0;
    for (const record of this.table.all()) {
      const cutoff =
        record.status === "completed"
          ? completedBefore
          : record.status === "dead"
            ? deadBefore
            : record.status === "cancelled"
              ? cancelledBefore
              : null;
      if (cutoff !== null && (record.completedAt as number) < cutoff) {
        this.table.delete(record);
        deleted++;
      }
    }
    return deleted;
  }

  /** {@inheritDoc Store.stats} */
  async stats(): Promise<Stats> {
    this.assertOpen();
    const total = emptyCounts();
    // Keyed by queue names, which may be `__proto__` or `constructor`: no prototype to reach.
    const byQueue: Record<string, Omit<Stats, "byQueue">> = Object.create(null);
    for (const lane of this.table.allLanes()) {
      let jobsInLane = 0;
      for (const status of Object.keys(total) as JobStatus[]) jobsInLane += lane.counts[status];
      if (jobsInLane === 0) continue;
      byQueue[lane.name] ??= emptyCounts();
      const queueCounts = byQueue[lane.name] as Omit<Stats, "byQueue">;
      for (const status of Object.keys(total) as JobStatus[]) {
        total[status] += lane.counts[status];
        queueCounts[status] += lane.counts[status];
      }
    }
    return { ...total, byQueue };
  }

  /** {@inheritDoc Store.ping} */
  async ping(): Promise<void> {
    this.assertOpen();
  }

  /** {@inheritDoc Store.epoch} A memory store keeps its data as long as it is open: one id. */
  async epoch(): Promise<string> {
    this.assertOpen();
    this.epochId ??= crypto.randomUUID();
    return this.epochId;
  }

  /**
   * Calls `listener` synchronously, after the change: with `{ type: "jobs", queue }` whenever jobs
   * are inserted (by `createJobs`, a fired tick or a death's dead-letter job), requeued, released,
   * scheduled for a retry or recovered from an expired lease, and with `{ type: "cancelled" }` when
   * a running job is cancelled. A listener that throws is ignored. Returns an unsubscribe function.
   */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    if (this.closed) return () => {};
    // Wrapped so that the same function subscribed twice is called twice and unsubscribes separately.
    const wrapped = (event: StoreEvent): void => listener(event);
    this.listeners.add(wrapped);
    return () => {
      this.listeners.delete(wrapped);
    };
  }

  /** Drops all data and listeners. Idempotent; every later call rejects with a `StoreClosedError`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.table.clear();
    this.schedules.clear();
    this.controls.clear();
    this.windows.clear();
    this.instances.clear();
    this.history.clear();
  }

  /** Inserts records; a grouped job gives its queue a {@link QueueControl}, so its groups rotate. */
  private insertAll(records: readonly JobRecord[]): void {
    this.table.insertAll(records);
    for (const record of records) if (record.group !== null) this.controlOf(record.queue);
  }

  private controlOf(queue: string): QueueControl {
    let control = this.controls.get(queue);
    if (control === undefined) {
      control = new QueueControl(queue);
      this.controls.set(queue, control);
    }
    return control;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError("the MemoryStore is closed");
  }

  private notifyInserted(records: readonly JobRecord[]): void {
    if (this.listeners.size === 0 || records.length === 0) return;
    const queues = new Set<string>();
    for (const record of records) queues.add(record.queue);
    for (const queue of queues) this.notify(queue);
  }

  private notify(queue: string): void {
    if (this.listeners.size > 0) this.emit({ type: "jobs", queue });
  }

  private emit(event: StoreEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the store's change has already happened.
      }
    }
  }

  /** Makes a job dead and, with `deadLetter`, inserts its dead-letter job in the same step. */
  private die(record: JobRecord, now: number, deadLetter: DeadLetterOptions | null): void {
    this.table.finish(record, "dead", now);
    if (deadLetter === null || record.name === deadLetter.name) return;
    const [letter] = this.table.prepare([deadLetterJob(record, deadLetter, new Date(now))], "skip");
    if (letter === undefined || this.table.get(letter.id) !== undefined) return;
    this.insertAll([letter]);
    this.notify(letter.queue);
  }
}

function copySchedule(schedule: ScheduleRecord): ScheduleRecord {
  return structuredClone(schedule);
}
