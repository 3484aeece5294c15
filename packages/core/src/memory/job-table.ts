import { InvalidArgumentError, JobAlreadyExistsError } from "../errors.js";
import type { JobStatus } from "../jobs/job.js";
import { type JobRef, MAX_HISTORY, type NewJobRecord } from "../store/store.js";
import { quoteText } from "../validation/quote.js";
import { JobRecord } from "./job-record.js";
import { QueueState } from "./queue-state.js";

/**
 * The jobs of a `MemoryStore` and the indexes kept in step with them: the waiting heaps and
 * status counts of each lane (the jobs of one name in one queue), the unique keys held per queue,
 * and the running jobs. Every change of a job's status goes through here so that no index can
 * drift from the job map.
 *
 * Lanes let a claim take only the names an instance can run without looking at the others: a
 * claim merges the heads of the lanes it selects.
 *
 * @internal
 */
export class JobTable {
  private readonly jobs = new Map<string, JobRecord>();
  /** queue → job name → lane, for jobs without a group. */
  private readonly lanes = new Map<string, Map<string, QueueState>>();
  /** queue → group → job name → lane, for grouped jobs. */
  private readonly groupLanes = new Map<string, Map<string, Map<string, QueueState>>>();
  /** queue → uniqueKey → id of the job in an active status holding it. */
  private readonly uniqueKeys = new Map<string, Map<string, string>>();
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

  /** Every lane that has held a job. */
  *allLanes(): IterableIterator<QueueState> {
    for (const byName of this.lanes.values()) yield* byName.values();
    for (const byGroup of this.groupLanes.values())
      for (const byName of byGroup.values()) yield* byName.values();
  }

  /**
   * The lanes of one queue with the job names given (every name when `null`), by group: the
   * lanes of jobs without a group under `null`. Groups without such a lane are left out.
   */
  lanesByGroup(queue: string, names: readonly string[] | null): Map<string | null, QueueState[]> {
    const wanted = names === null ? null : new Set(names);
    const byGroup = new Map<string | null, QueueState[]>();
    const add = (group: string | null, byName: Map<string, QueueState>): void => {
      const lanes: QueueState[] = [];
      for (const lane of byName.values()) if (wanted === null || wanted.has(lane.jobName)) lanes.push(lane);
      if (lanes.length > 0) byGroup.set(group, lanes);
    };
    const plain = this.lanes.get(queue);
    if (plain !== undefined) add(null, plain);
    for (const [group, byName] of this.groupLanes.get(queue) ?? []) add(group, byName);
    return byGroup;
  }

  /** The record if `ref` is its current running attempt: the fencing check of docs/architecture.md §2. */
  currentAttempt(ref: JobRef): JobRecord | undefined {
    const record = this.jobs.get(ref.id);
    if (
      record === undefined ||
      record.status !== "running" ||
      record.attempt !== ref.attempt ||
      record.lockedBy !== ref.lockedBy ||
      record.queue !== ref.queue
    )
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
        const held = this.uniqueKeys.get(job.queue)?.get(key);
        // Names cannot hold U+0000, so this joins queue and key without ambiguity.
        const batchKey = `${job.queue}\u0000${key}`;
        if (held !== undefined || batchKeys?.has(batchKey)) {
          if (onConflict === "skip") continue;
          throw new JobAlreadyExistsError(key, held ?? null, job.queue);
        }
        batchKeys ??= new Set();
        batchKeys.add(batchKey);
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
      if (record.uniqueKey !== null) this.keysOf(record.queue).set(record.uniqueKey, record.id);
      const state = this.laneOf(record);
      state.counts[record.status]++;
      state.enter(record);
    }
  }

  /** Removes a job and everything that refers to it. */
  delete(record: JobRecord): void {
    const state = this.laneOf(record);
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

  /** Makes a job wait again (after a failure, a lost lease, a release or a requeue) until `scheduledAt`. */
  wait(record: JobRecord, status: "pending" | "failed", scheduledAt: number): void {
    this.running.delete(record);
    this.setStatus(record, status);
    clearLease(record);
    record.scheduledAt = scheduledAt;
    this.laneOf(record).enter(record);
  }

  /**
   * Moves a waiting job (or a running one, whose lease is cleared) to wait until `scheduledAt`
   * with `status`, and with `payload` when given (a debounce).
   */
  reschedule(
    record: JobRecord,
    status: "pending" | "scheduled",
    scheduledAt: number,
    payload?: unknown,
  ): void {
    this.laneOf(record).leave(record);
    this.running.delete(record);
    this.setStatus(record, status);
    clearLease(record);
    record.scheduledAt = scheduledAt;
    if (payload !== undefined) record.payload = payload;
    this.laneOf(record).enter(record);
  }

  /** Moves a job to a final status, releasing its unique key. */
  finish(record: JobRecord, status: "completed" | "dead" | "cancelled", now: number): void {
    this.laneOf(record).leave(record);
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
    const keys = this.keysOf(record.queue);
    const holder = keys.get(key);
    if (holder !== undefined && holder !== record.id)
      throw new JobAlreadyExistsError(key, holder, record.queue);
    keys.set(key, record.id);
  }

  /**
   * The lanes of the queues named (every queue when `null`) and the job names given (every name
   * when `null`), each lane once.
   */
  selectLanes(queues: readonly string[] | null, names: readonly string[] | null): QueueState[] {
    const lanes: QueueState[] = [];
    const selected = queues === null ? [...this.lanes.keys(), ...this.groupLanes.keys()] : queues;
    const wanted = names === null ? null : new Set(names);
    const add = (byName: Map<string, QueueState>): void => {
      if (wanted === null) {
        for (const lane of byName.values()) lanes.push(lane);
      } else if (wanted.size < byName.size) {
        for (const name of wanted) {
          const lane = byName.get(name);
          if (lane !== undefined) lanes.push(lane);
        }
      } else {
        for (const lane of byName.values()) if (wanted.has(lane.jobName)) lanes.push(lane);
      }
    };
    for (const queue of new Set(selected)) {
      const byName = this.lanes.get(queue);
      if (byName !== undefined) add(byName);
      const byGroup = this.groupLanes.get(queue);
      if (byGroup !== undefined) for (const grouped of byGroup.values()) add(grouped);
    }
    return lanes;
  }

  /** Drops everything. */
  clear(): void {
    for (const lane of this.allLanes()) lane.clear();
    this.lanes.clear();
    this.groupLanes.clear();
    this.jobs.clear();
    this.uniqueKeys.clear();
    this.running.clear();
  }

  private setStatus(record: JobRecord, status: JobStatus): void {
    const counts = this.laneOf(record).counts;
    counts[record.status]--;
    counts[status]++;
    record.status = status;
  }

  private releaseKey(record: JobRecord): void {
    const key = record.uniqueKey;
    if (key === null) return;
    const keys = this.uniqueKeys.get(record.queue);
    if (keys?.get(key) === record.id) keys.delete(key);
  }

  private keysOf(queue: string): Map<string, string> {
    let keys = this.uniqueKeys.get(queue);
    if (keys === undefined) {
      keys = new Map();
      this.uniqueKeys.set(queue, keys);
    }
    return keys;
  }

  private laneOf(record: JobRecord): QueueState {
    let byName: Map<string, QueueState> | undefined;
    if (record.group === null) {
      byName = this.lanes.get(record.queue);
      if (byName === undefined) {
        byName = new Map();
        this.lanes.set(record.queue, byName);
      }
    } else {
      let byGroup = this.groupLanes.get(record.queue);
      if (byGroup === undefined) {
        byGroup = new Map();
        this.groupLanes.set(record.queue, byGroup);
      }
      byName = byGroup.get(record.group);
      if (byName === undefined) {
        byName = new Map();
        byGroup.set(record.group, byName);
      }
    }
    let lane = byName.get(record.name);
    if (lane === undefined) {
      lane = new QueueState(record.queue, record.name, record.group);
      byName.set(record.name, lane);
    }
    return lane;
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
  return new InvalidArgumentError("id", `a job with id ${quoteText(id, 200)} already exists`);
}
