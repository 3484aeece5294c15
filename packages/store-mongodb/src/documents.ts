import { createHash } from "node:crypto";
import type { AttemptFailure, Job, JobStatus, NewJobRecord, ScheduleRecord } from "@sched/core/adapter";
import { ObjectId } from "mongodb";

/**
 * A job as stored: one document per job. Its `_id` is an ObjectId derived from the job's id
 * ({@link documentIdOf}), so the server's `_id` index refuses a second job with the same id on
 * every deployment; `id` keeps the id itself (indexed, for the claim order and for reading).
 * `payload` and `metadata` are kept as JSON text, so every value and key (`$`-prefixed or dotted
 * ones included) round-trips unchanged. `activeKey` holds the unique key only while the job is in
 * an active status: the partial unique index on `(queue, activeKey)` is what enforces unique keys.
 */
export interface JobDocument {
  _id: ObjectId;
  id: string;
  name: string;
  payload: string;
  queue: string;
  priority: number;
  maxRetries: number;
  retryCount: number;
  timeout: number;
  scheduledAt: Date;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  error: string | null;
  status: JobStatus | typeof STAGED;
  metadata: string;
  uniqueKey: string | null;
  /** The job's group key, or `null` (absent on documents written before groups existed). */
  group?: string | null;
  activeKey?: string;
  attempt: number;
  lostLeases: number;
  lockedUntil: Date | null;
  lockedBy: string | null;
  history: AttemptFailure[];
  /** The status a staged job takes once its whole batch is in (see `createJobs` without transactions). */
  stagedStatus?: JobStatus;
  /** The last fenced change applied (see `fenced-writes.ts`): read back to learn which refs applied. */
  fence?: string;
  /** The attempt that was running when the job was cancelled: the change stream's cancel event. */
  cancelledAttempt?: number;
}

/** A schedule as stored; its `definition` is JSON text, opaque to the store. */
export interface ScheduleDocument {
  _id: ObjectId;
  name: string;
  definition: string;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  occurrences: number;
  createdAt: Date;
  updatedAt: Date;
  definedAt: Date;
  definedBy: string | null;
}

/** The status of a job whose batch is still being inserted: no claim, list or count sees it. */
export const STAGED = "staged";

/** The waiting statuses: claimable once due. */
export const WAITING_STATUSES: readonly JobStatus[] = ["scheduled", "pending", "failed"];

/**
 * The ObjectId standing for `key` (a job id, a schedule name, a tick job's identity): the first
 * 12 bytes of its SHA-256. Deterministic, so every instance derives the same one and the `_id`
 * index refuses a second document for the same key; 96 bits make a collision of two keys
 * negligible.
 */
export function documentIdOf(key: string): ObjectId {
  return new ObjectId(createHash("sha256").update(key).digest().subarray(0, 12));
}

/** The document of a new job; `status` may be {@link STAGED} (its real status kept aside). */
export function jobDocumentOf(record: NewJobRecord, documentId: ObjectId, staged: boolean): JobDocument {
  const document: JobDocument = {
    _id: documentId,
    id: record.id,
    name: record.name,
    payload: JSON.stringify(record.payload ?? null),
    queue: record.queue,
    priority: record.priority,
    maxRetries: record.maxRetries,
    retryCount: 0,
    timeout: record.timeout,
    scheduledAt: record.scheduledAt,
    createdAt: record.createdAt,
    startedAt: null,
    completedAt: null,
    error: null,
    status: staged ? STAGED : record.status,
    metadata: JSON.stringify(record.metadata),
    uniqueKey: record.uniqueKey ?? null,
    group: record.group ?? null,
    attempt: 0,
    lostLeases: 0,
    lockedUntil: null,
    lockedBy: null,
    history: [],
  };
  if (record.uniqueKey !== null && record.uniqueKey !== undefined) document.activeKey = record.uniqueKey;
  if (staged) document.stagedStatus = record.status;
  return document;
}

/** The job a stored document stands for. */
export function jobOf(document: JobDocument): Job {
  return {
    id: document.id,
    name: document.name,
    payload: JSON.parse(document.payload) as unknown,
    queue: document.queue,
    priority: document.priority,
    maxRetries: document.maxRetries,
    retryCount: document.retryCount,
    timeout: document.timeout,
    scheduledAt: document.scheduledAt,
    createdAt: document.createdAt,
    startedAt: document.startedAt ?? null,
    completedAt: document.completedAt ?? null,
    error: document.error ?? null,
    status: (document.status === STAGED ? document.stagedStatus : document.status) as JobStatus,
    metadata: JSON.parse(document.metadata) as Record<string, string>,
    uniqueKey: document.uniqueKey ?? null,
    group: document.group ?? null,
    attempt: document.attempt,
    lostLeases: document.lostLeases,
    lockedUntil: document.lockedUntil ?? null,
    lockedBy: document.lockedBy ?? null,
    history: (document.history ?? []).map((entry) => ({
      attempt: entry.attempt,
      error: entry.error,
      failedAt: entry.failedAt,
    })),
  };
}

/** The document of a schedule. */
export function scheduleDocumentOf(schedule: ScheduleRecord): ScheduleDocument {
  return {
    _id: documentIdOf(`schedule:${schedule.name}`),
    name: schedule.name,
    definition: JSON.stringify(schedule.definition),
    nextRunAt: schedule.nextRunAt,
    lastRunAt: schedule.lastRunAt,
    occurrences: schedule.occurrences,
    createdAt: schedule.createdAt,
    updatedAt: schedule.updatedAt,
    definedAt: schedule.definedAt,
    definedBy: schedule.definedBy,
  };
}

/** The schedule a stored document stands for. */
export function scheduleOf(document: ScheduleDocument): ScheduleRecord {
  return {
    name: document.name,
    definition: JSON.parse(document.definition) as ScheduleRecord["definition"],
    nextRunAt: document.nextRunAt ?? null,
    lastRunAt: document.lastRunAt ?? null,
    occurrences: document.occurrences,
    createdAt: document.createdAt,
    updatedAt: document.updatedAt,
    definedAt: document.definedAt,
    definedBy: document.definedBy ?? null,
  };
}
