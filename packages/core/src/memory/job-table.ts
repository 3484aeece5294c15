import { InvalidArgumentError, JobAlreadyExistsError } from "../errors.js";
import { type JobRef, MAX_HISTORY, type NewJobRecord } from "../store.js";
import type { JobStatus } from "../types.js";
import { JobRecord } from "./job-record.js";
import { QueueState } from "./queue-state.js";

/**
 * The jobs of a `MemoryStore` and the indexes kept in step with them: the waiting heaps and
 * status counts of each queue, the unique keys held, and the running jobs. Every change of a
 * job's status goes through here so that no index can drift from the job map.
 *
 * @internal
 */
export class JobTable {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly queues = new Map<string, QueueState>();
  /** uniqueKey → id of the job in an active status holding it. */
  private readonly uniqueKeys = new Map<string, string>();
  /** Running jobs, for lease recovery (there are about as many as busy workers). */
  private readonly running = new Set<JobRecord>();

  /** The job with `id`, if stored. */
  get(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  /** Every stored job, in insertion order. */
  all(): IterableIterator<JobRecord> {
    return this.jobs.values();
  }

  /** Every running job. */
  runningJobs(): IterableIterator<JobRecord> {
    return this.running.values();
  }

  /** Every queue that has held a job. */
  queueStates(): IterableIterator<QueueState> {
    return this.queues.values();
  }

  /** The record if `ref` is its current running attempt: the fencing check of DESIGN.md §2. */
  currentAttempt(ref: JobRef): JobRecord | undefined {
    const record = this.jobs.get(ref.id);
    if (record === undefined || record.status !== "running" || record.attempt !== ref.attempt)
      return undefined;
    return record;
  }

  /**
   * Builds records for new jobs without changing anything. A job whose uniqueKey is held (by a
   * stored job or an earlier job of the batch) either fails the whole batch (`reject`) or is left
   * out (`skip`, for schedule ticks).
   */
  prepare(jobs: readonly NewJobRecord[], onConflict: "reject" | "skip"): JobRecord[] {
    const records: JobRecord[] = [];
    let batchKeys: Set<string> | undefined;
    for (const job of jobs) {
      const key = job.uniqueKey;
      if (key !== null) {
        const held = this.uniqueKeys.get(key);
        if (held !== undefined || batchKeys?.has(key)) {
          if (onConflict === "skip") continue;
          throw new JobAlreadyExistsError(key, held ?? null);
        }
        batchKeys ??= new Set();
        batchKeys.add(key);
      }
      if (this.jobs.has(job.id)) throw duplicateId(job.id);
      records.push(new JobRecord(job));
    }
    return records;
  }

  /** Inserts prepared records, all or none: an id repeated within the batch undoes the batch. */
  insertAll(records: readonly JobRecord[]): void {
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as JobRecord;
      if (this.jobs.has(record.id)) {
        // Rare enough to undo rather than to pay for a set of the batch's ids on every insert.
        for (let j = 0; j < i; j++) this.delete(records[j] as JobRecord);
        throw duplicateId(record.id);
      }
      this.jobs.set(record.id, record);
      if (record.uniqueKey !== null) this.uniqueKeys.set(record.uniqueKey, record.id);
      const state = this.queueOf(record);
      state.counts[record.status]++;
      state.enter(record);
    }
  }

  /** Removes a job and everything that refers to it. */
  delete(record: JobRecord): void {
    const state = this.queueOf(record);
    state.leave(record);
    state.counts[record.status]--;
    this.running.delete(record);
    this.releaseKey(record);
    this.jobs.delete(record.id);
  }

  /** Hands a waiting job that has left its heaps to a worker: the next attempt, with a lease. */
  start(record: JobRecord, now: number, lockedUntil: number, workerId: string): void {
    this.setStatus(record, "running");
    record.attempt++;
    record.startedAt = now;
    record.lockedUntil = lockedUntil;
    record.lockedBy = workerId;
    this.running.add(record);
  }

  /** Makes a job wait again (after a failure, a lost lease or a requeue) until `scheduledAt`. */
  wait(record: JobRecord, status: "pending" | "failed", scheduledAt: number): void {
    this.running.delete(record);
    this.setStatus(record, status);
    clearLease(record);
    record.scheduledAt = scheduledAt;
    this.queueOf(record).enter(record);
  }

  /** Moves a job to a final status, releasing its unique key. */
  finish(record: JobRecord, status: "completed" | "dead" | "cancelled", now: number): void {
    this.queueOf(record).leave(record);
    this.running.delete(record);
    this.setStatus(record, status);
    record.completedAt = now;
    clearLease(record);
    this.releaseKey(record);
  }

  /** Takes the unique key of a final job back for it, failing when another job holds the key now. */
  retakeKey(record: JobRecord): void {
    const key = record.uniqueKey;
    if (key === null) return;
    const holder = this.uniqueKeys.get(key);
    if (holder !== undefined && holder !== record.id) throw new JobAlreadyExistsError(key, holder);
    this.uniqueKeys.set(key, record.id);
  }

  /** The queues named (each once), or every queue when `null`. */
  selectQueues(queues: readonly string[] | null): QueueState[] {
    if (queues === null) return [...this.queues.values()];
    const states: QueueState[] = [];
    for (const name of queues) {
      const state = this.queues.get(name);
      // A name listed twice must not enter a claim merge twice.
      if (state !== undefined && !states.includes(state)) states.push(state);
    }
    return states;
  }

  /** Drops everything. */
  clear(): void {
    for (const state of this.queues.values()) state.clear();
    this.queues.clear();
    this.jobs.clear();
    this.uniqueKeys.clear();
    this.running.clear();
  }

  private setStatus(record: JobRecord, status: JobStatus): void {
    const counts = this.queueOf(record).counts;
    counts[record.status]--;
    counts[status]++;
    record.status = status;
  }

  private releaseKey(record: JobRecord): void {
    const key = record.uniqueKey;
    if (key !== null && this.uniqueKeys.get(key) === record.id) this.uniqueKeys.delete(key);
  }

  private queueOf(record: JobRecord): QueueState {
    let state = this.queues.get(record.queue);
    if (state === undefined) {
      state = new QueueState(record.queue);
      this.queues.set(record.queue, state);
    }
    return state;
  }
}

/** Records a failed attempt, keeping the last {@link MAX_HISTORY}. @internal */
export function appendFailure(record: JobRecord, error: string, now: number): void {
  record.history.push({ attempt: record.attempt, error, failedAt: now });
  if (record.history.length > MAX_HISTORY) record.history.splice(0, record.history.length - MAX_HISTORY);
}

function clearLease(record: JobRecord): void {
  record.lockedUntil = null;
  record.lockedBy = null;
}

function duplicateId(id: string): InvalidArgumentError {
  return new InvalidArgumentError("id", `a job with id "${id}" already exists`);
}
