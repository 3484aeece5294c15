import { InvalidArgumentError } from "../errors.js";
import type { Job, JobStatus } from "../jobs/job.js";
import type { NewJobRecord } from "../store/store.js";
import { dateMs } from "../validation/dates.js";
import { copyPayload } from "./payload-copy.js";

/**
 * Where a record sits in its queue's waiting heaps: `none` when not waiting (running or final),
 * `delayed` when waiting and not yet seen due by a claim (the `delayed` heap), `ready` when seen
 * due (the `ready` and `readyByTime` heaps).
 *
 * @internal
 */
export type Placement = "none" | "delayed" | "ready";

/** One failed attempt as the memory store keeps it (times as epoch ms). @internal */
export interface StoredFailure {
  attempt: number;
  error: string;
  failedAt: number;
}

/**
 * The stored, mutable state of one job. Times are epoch milliseconds so that heap comparisons
 * are number comparisons and no stored `Date` can ever be handed out (and mutated) by a caller.
 *
 * @internal
 */
export class JobRecord {
  readonly id: string;
  /**
   * The id's first 48 and next 48 bits as numbers when it is a lowercase hex UUID, else `-1`:
   * ties in claim order are broken by id, and two number comparisons are much cheaper than
   * comparing 36-character strings that share their first dozen characters.
   */
  readonly idHigh: number;
  readonly idLow: number;
  readonly name: string;
  /** Replaced only by a debounce, while the job waits. */
  payload: unknown;
  readonly queue: string;
  readonly priority: number;
  readonly maxRetries: number;
  readonly timeout: number;
  readonly createdAt: number;
  readonly metadata: Record<string, string>;
  readonly uniqueKey: string | null;
  readonly group: string | null;
  retryCount = 0;
  scheduledAt: number;
  startedAt: number | null = null;
  completedAt: number | null = null;
  error: string | null = null;
  status: JobStatus;
  attempt = 0;
  lostLeases = 0;
  lockedUntil: number | null = null;
  lockedBy: string | null = null;
  history: StoredFailure[] = [];
  /** Which waiting heaps hold the record. */
  placement: Placement = "none";
  /** Position in `delayed` or `readyByTime` (whichever `placement` names), or -1. */
  timeSlot = -1;
  /** Position in `ready`, or -1. */
  readySlot = -1;

  /** Copies an input record; the payload is deep-copied so the caller's object stays theirs. */
  constructor(input: NewJobRecord) {
    this.id = input.id;
    [this.idHigh, this.idLow] = idOrderKey(input.id);
    this.name = input.name;
    this.payload = copyPayload(input.payload);
    this.queue = input.queue;
    this.priority = input.priority;
    this.maxRetries = input.maxRetries;
    this.timeout = input.timeout;
    this.scheduledAt = epochMs(input.scheduledAt, "scheduledAt");
    this.createdAt = epochMs(input.createdAt, "createdAt");
    this.metadata = { ...input.metadata };
    this.uniqueKey = input.uniqueKey;
    this.group = input.group ?? null;
    this.status = input.status;
  }
}

/**
 * Builds a fresh `Job` from a record: new `Date`s, a new metadata object and a new history, so
 * nothing a caller does to it reaches the store. The payload is the stored object itself (it was
 * deep-copied on insert); copying it on every read would dominate the claim hot path.
 *
 * @internal
 */
export function toJob(record: JobRecord): Job {
  return {
    id: record.id,
    name: record.name,
    // A copy: a caller or handler changing the job's payload must not change the stored one.
    payload: copyPayload(record.payload),
    queue: record.queue,
    priority: record.priority,
    maxRetries: record.maxRetries,
    retryCount: record.retryCount,
    timeout: record.timeout,
    scheduledAt: new Date(record.scheduledAt),
    createdAt: new Date(record.createdAt),
    startedAt: record.startedAt === null ? null : new Date(record.startedAt),
    completedAt: record.completedAt === null ? null : new Date(record.completedAt),
    error: record.error,
    status: record.status,
    metadata: { ...record.metadata },
    uniqueKey: record.uniqueKey,
    group: record.group,
    attempt: record.attempt,
    lostLeases: record.lostLeases,
    lockedUntil: record.lockedUntil === null ? null : new Date(record.lockedUntil),
    lockedBy: record.lockedBy,
    history: record.history.map((failure) => ({
      attempt: failure.attempt,
      error: failure.error,
      failedAt: new Date(failure.failedAt),
    })),
  };
}

const HEX_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Numbers that order lowercase hex UUIDs as their strings order: the first 12 and the next 12 hex
 * digits (the rest only matters when both are equal). `[-1, -1]` for other ids.
 */
function idOrderKey(id: string): [number, number] {
  if (!HEX_UUID.test(id)) return [-1, -1];
  const hex = id.replaceAll("-", "");
  return [Number.parseInt(hex.slice(0, 12), 16), Number.parseInt(hex.slice(12, 24), 16)];
}

/** Whether `a`'s id sorts before `b`'s, as strings. */
function idBefore(a: JobRecord, b: JobRecord): boolean {
  if (a.idHigh >= 0 && b.idHigh >= 0) {
    if (a.idHigh !== b.idHigh) return a.idHigh < b.idHigh;
    if (a.idLow !== b.idLow) return a.idLow < b.idLow;
  }
  return a.id < b.id;
}

/** Claim order: higher priority, then earlier `scheduledAt`, then smaller id (docs/architecture.md §2). @internal */
export function claimsBefore(a: JobRecord, b: JobRecord): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.scheduledAt !== b.scheduledAt) return a.scheduledAt < b.scheduledAt;
  return idBefore(a, b);
}

/** Due order: earlier `scheduledAt`, then smaller id. @internal */
export function dueBefore(a: JobRecord, b: JobRecord): boolean {
  if (a.scheduledAt !== b.scheduledAt) return a.scheduledAt < b.scheduledAt;
  return idBefore(a, b);
}

/** Reads a `Date` as epoch ms, rejecting invalid dates. @internal */
export function epochMs(date: Date, field: string): number {
  const ms = dateMs(date);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(field, `expected a valid Date, got ${String(date)}`);
  return ms;
}
