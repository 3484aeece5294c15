import {
  type AttemptFailure,
  InvalidArgumentError,
  type Job,
  type JobStatus,
  type NewJobRecord,
  type ScheduleRecord,
} from "@sched/core/adapter";

/** A row of the jobs table as `pg` returns it (json and jsonb parsed, timestamptz as Date, int8 as string). */
export interface JobRow {
  id: string;
  name: string;
  payload: unknown;
  queue: string;
  priority: number;
  max_retries: number;
  retry_count: number;
  timeout_ms: string;
  scheduled_at: Date;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  error: string | null;
  status: JobStatus;
  metadata: Record<string, string>;
  unique_key: string | null;
  attempt: number;
  lost_leases: number;
  locked_until: Date | null;
  locked_by: string | null;
  history: Array<{ attempt: number; error: string; failedAt: string }>;
}

/** A row of the schedules table. */
export interface ScheduleRow {
  name: string;
  definition: ScheduleRecord["definition"];
  next_run_at: Date | null;
  last_run_at: Date | null;
  occurrences: string;
  created_at: Date;
  updated_at: Date;
  defined_at: Date;
  defined_by: string | null;
}

/** Turns a jobs row into a {@link Job}. Every object in it is fresh (parsed from the wire). */
export function toJob(row: JobRow): Job {
  const history: AttemptFailure[] = new Array(row.history.length);
  for (let i = 0; i < history.length; i++) {
    const entry = row.history[i] as JobRow["history"][number];
    history[i] = { attempt: entry.attempt, error: entry.error, failedAt: new Date(entry.failedAt) };
  }
  return {
    id: row.id,
    name: row.name,
    payload: row.payload ?? null,
    queue: row.queue,
    priority: row.priority,
    maxRetries: row.max_retries,
    retryCount: row.retry_count,
    timeout: Number(row.timeout_ms),
    scheduledAt: row.scheduled_at,
    createdAt: row.created_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    error: row.error,
    status: row.status,
    metadata: row.metadata,
    uniqueKey: row.unique_key,
    attempt: row.attempt,
    lostLeases: row.lost_leases,
    lockedUntil: row.locked_until,
    lockedBy: row.locked_by,
    history,
  };
}

/** Turns a schedules row into a {@link ScheduleRecord}. */
export function toSchedule(row: ScheduleRow): ScheduleRecord {
  return {
    name: row.name,
    definition: row.definition,
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
    occurrences: Number(row.occurrences),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    definedAt: row.defined_at,
    definedBy: row.defined_by,
  };
}

/** The parameters of a schedule row, in the order of the schedule statements. */
export function scheduleParams(schedule: ScheduleRecord): unknown[] {
  return [
    schedule.name,
    JSON.stringify(schedule.definition),
    isoOrNull(schedule.nextRunAt, "nextRunAt"),
    isoOrNull(schedule.lastRunAt, "lastRunAt"),
    schedule.occurrences,
    iso(schedule.createdAt, "createdAt"),
    iso(schedule.updatedAt, "updatedAt"),
    iso(schedule.definedAt, "definedAt"),
    schedule.definedBy,
  ];
}

/**
 * New jobs as the single JSON array parameter the insert statements read with
 * `json_to_recordset`: one string, however many jobs, so a bulk insert costs one statement. The
 * payload and metadata land in `json` columns, which keep their text (and so their key order)
 * exactly as `JSON.stringify` wrote it.
 */
export function newJobsJson(jobs: readonly NewJobRecord[]): string {
  const rows = new Array<string>(jobs.length);
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i] as NewJobRecord;
    rows[i] = JSON.stringify({
      id: job.id,
      name: job.name,
      queue: job.queue,
      status: job.status,
      priority: job.priority,
      payload: job.payload ?? null,
      metadata: job.metadata,
      max_retries: job.maxRetries,
      timeout_ms: job.timeout,
      scheduled_at: iso(job.scheduledAt, "scheduledAt"),
      created_at: iso(job.createdAt, "createdAt"),
      unique_key: job.uniqueKey,
    });
  }
  return `[${rows.join(",")}]`;
}

/**
 * A date as ISO 8601 in UTC: exact to the millisecond, whatever the session's time zone.
 *
 * @throws InvalidArgumentError naming `field` when `date` is not a valid Date.
 */
export function iso(date: Date, field = "date"): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError(field, `expected a valid Date, got ${String(date)}`);
  }
  return date.toISOString();
}

/** {@link iso}, or `null`. */
export function isoOrNull(date: Date | null, field = "date"): string | null {
  return date === null ? null : iso(date, field);
}
