import {
  decodeJobCursor,
  describeValue,
  type InstanceRecord,
  InvalidArgumentError,
  type JobFilter,
  type JobSelector,
  type JobStatus,
  type ThroughputSample,
} from "@sched/core/adapter";
import { iso } from "./rows.js";

/** The most jobs one page of `listJobs` returns, and the default. */
const MAX_LIST_LIMIT = 10_000;
const DEFAULT_LIST_LIMIT = 100;

/**
 * The six selector parameters of the statements that select jobs (list-jobs.sql, retry-jobs.sql,
 * delete-jobs.sql): statuses (each once) or null, queue, name, group, created from, created before.
 */
export function selectorParams(selector: JobSelector): unknown[] {
  const statuses =
    selector.status === undefined
      ? null
      : [...new Set<JobStatus>(Array.isArray(selector.status) ? selector.status : [selector.status])];
  return [
    statuses,
    selector.queue ?? null,
    selector.name ?? null,
    selector.group ?? null,
    selector.from === undefined ? null : iso(selector.from, "from"),
    selector.to === undefined ? null : iso(selector.to, "to"),
  ];
}

/**
 * The parameters of list-jobs.sql (and list-jobs-desc.sql): the selector's, then the cursor's
 * createdAt and id (both null for the first page), then the limit (default 100, at most 10,000).
 *
 * @throws InvalidArgumentError (`cursor`) for a cursor that `encodeJobCursor` did not make.
 */
export function listParams(filter: JobFilter): { values: unknown[]; limit: number } {
  const limit = Math.min(Math.max(Math.floor(filter.limit ?? DEFAULT_LIST_LIMIT), 1), MAX_LIST_LIMIT);
  const after = filter.cursor == null ? null : decodeJobCursor(filter.cursor);
  return {
    values: [
      ...selectorParams(filter),
      after === null ? null : new Date(after.createdAt).toISOString(),
      after === null ? null : after.id,
      // One more than the page: whether a job follows it decides `nextCursor`.
      limit + 1,
    ],
    limit,
  };
}

/** A row of the instances table. */
export interface InstanceRow {
  id: string;
  host: string;
  pid: number;
  version: string;
  queues: string[] | null;
  workers: number;
  busy: number;
  leader: boolean;
  distributed: boolean;
  started_at: Date;
  last_seen_at: Date;
  expires_at: Date;
}

/** Turns an instances row into an {@link InstanceRecord}. */
export function toInstance(row: InstanceRow): InstanceRecord {
  return {
    id: row.id,
    host: row.host,
    pid: row.pid,
    version: row.version,
    queues: row.queues,
    workers: row.workers,
    busy: row.busy,
    leader: row.leader,
    distributed: row.distributed,
    startedAt: row.started_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
  };
}

/** The parameters of save-instance.sql. */
export function instanceParams(instance: InstanceRecord): unknown[] {
  return [
    instance.id,
    instance.host,
    instance.pid,
    instance.version,
    instance.queues === null ? null : [...instance.queues],
    instance.workers,
    instance.busy,
    instance.leader,
    iso(instance.startedAt, "startedAt"),
    iso(instance.lastSeenAt, "lastSeenAt"),
    iso(instance.expiresAt, "expiresAt"),
    instance.distributed,
  ];
}

/** The four array parameters of add-throughput.sql: queues, minutes, completed and failed counts. */
export function throughputParams(samples: readonly ThroughputSample[]): unknown[] {
  const queues: string[] = [];
  const minutes: string[] = [];
  const completed: number[] = [];
  const failed: number[] = [];
  for (const sample of samples) {
    for (const [field, count] of [
      ["completed", sample.completed],
      ["failed", sample.failed],
    ] as const) {
      if (!Number.isSafeInteger(count) || count < 0) {
        throw new InvalidArgumentError(
          field,
          `expected a whole count of at least 0, got ${describeValue(count)}`,
        );
      }
    }
    queues.push(sample.queue);
    minutes.push(iso(sample.minute, "minute"));
    completed.push(sample.completed);
    failed.push(sample.failed);
  }
  return [queues, minutes, completed, failed];
}

/** A row of the throughput table (int8 counts as strings). */
export interface ThroughputRow {
  minute: Date;
  queue: string;
  completed: string;
  failed: string;
}

/** Turns a throughput row into a {@link ThroughputSample}. */
export function toThroughputSample(row: ThroughputRow): ThroughputSample {
  return {
    queue: row.queue,
    minute: row.minute,
    completed: Number(row.completed),
    failed: Number(row.failed),
  };
}
