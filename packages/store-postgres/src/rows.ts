import {
  type AttemptFailure,
  describeValue,
  InvalidArgumentError,
  type Job,
  type JobStatus,
  type NewJobRecord,
  type QueueRecord,
  type RateLimit,
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
  group_key: string | null;
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
    group: row.group_key ?? null,
    attempt: row.attempt,
    lostLeases: row.lost_leases,
    lockedUntil: row.locked_until,
    lockedBy: row.locked_by,
    history,
  };
}

/** The columns of a jobs row that hold a timestamp. */
export const JOB_TIMESTAMPS = [
  "scheduled_at",
  "created_at",
  "started_at",
  "completed_at",
  "locked_until",
] as const;

/**
 * Turns a jobs row read as JSON (`row_to_json`, whose timestamps are ISO 8601 text) into a
 * {@link Job}: for the statements that return a job beside other values.
 */
export function toJobFromJson(json: Record<string, unknown>): Job {
  const row = { ...json } as Record<string, unknown>;
  for (const column of JOB_TIMESTAMPS) {
    const value = row[column];
    row[column] = typeof value === "string" ? parseJsonTimestamp(value) : null;
  }
  return toJob(row as unknown as JobRow);
}

/**
 * A `timestamptz` as PostgreSQL writes it in JSON: ISO 8601 whatever the DateStyle, but in the
 * session's TimeZone, whose offset may have seconds (local mean time: `-00:44:30` in
 * Africa/Monrovia until 1972), and with a year past 9999 or a ` BC` suffix for the first and last
 * days of the years 1 to 9999 east or west of UTC. `Date` parses none of those.
 */
const JSON_TIMESTAMP =
  /^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|([+-])(\d{2})(?::(\d{2}))?(?::(\d{2}))?)( BC)?$/;

/**
 * Reads a timestamp of a JSON value PostgreSQL wrote (see {@link JSON_TIMESTAMP}) to the
 * millisecond (microseconds are cut, as `pg` does). Text in another form is left to `Date`.
 */
export function parseJsonTimestamp(text: string): Date {
  const match = JSON_TIMESTAMP.exec(text);
  if (match === null) return new Date(text);
  const [, year, month, day, hour, minute, second, fraction, zone, sign, offH, offM, offS, bc] = match;
  const date = new Date(0);
  // setUTCFullYear: Date.UTC would take the years 0-99 as 1900-1999. ISO year 0 is 1 BC.
  const fullYear = bc === undefined ? Number(year) : 1 - Number(year);
  date.setUTCFullYear(fullYear, Number(month) - 1, Number(day));
  // In whole microseconds first: 0.29 * 1000 is 289.99999999999994.
  const micros = Number((fraction ?? "").padEnd(6, "0"));
  date.setUTCHours(Number(hour), Number(minute), Number(second), Math.floor(micros / 1000));
  if (zone === "Z" || sign === undefined) return date;
  const offsetSeconds = Number(offH) * 3600 + Number(offM ?? 0) * 60 + Number(offS ?? 0);
  return new Date(date.getTime() - (sign === "-" ? -1 : 1) * offsetSeconds * 1000);
}

/** A row of the queues table (int8 as string). */
export interface QueueRow {
  name: string;
  paused: boolean;
  concurrency: number | null;
  rate_max: number | null;
  rate_per_ms: string | null;
  has_group_limits: boolean;
  group_concurrency: number | null;
  group_rate_max: number | null;
  group_rate_per_ms: string | null;
  limited_until: Date | null;
  updated_at: Date;
}

/** Turns a queues row (one with stored controls) into a {@link QueueRecord}. */
export function toQueue(row: QueueRow): QueueRecord {
  return {
    name: row.name,
    paused: row.paused,
    concurrency: row.concurrency,
    rateLimit: rateLimitOf(row.rate_max, row.rate_per_ms),
    group: row.has_group_limits
      ? {
          concurrency: row.group_concurrency,
          rateLimit: rateLimitOf(row.group_rate_max, row.group_rate_per_ms),
        }
      : null,
    limitedUntil: row.limited_until,
    updatedAt: row.updated_at,
  };
}

function rateLimitOf(max: number | null, per: string | null): RateLimit | null {
  return max === null || per === null ? null : { max, per: Number(per) };
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
 * The columns of a new job that may be shared by all the jobs of a batch, with how each is read
 * from a record: a string or number compared as is and written with `JSON.stringify`, or, for
 * `metadata`, JSON text written as it is.
 */
interface SharedColumn {
  readonly key: string;
  readonly raw?: true;
  readonly of: (job: NewJobRecord, iso: (date: Date, field: string) => string) => string | number | null;
}
const SHARED_COLUMNS: readonly SharedColumn[] = [
  { key: "name", of: (job) => job.name },
  { key: "queue", of: (job) => job.queue },
  { key: "status", of: (job) => job.status },
  { key: "priority", of: (job) => job.priority },
  { key: "metadata", raw: true, of: (job) => metadataJson(job.metadata) },
  { key: "max_retries", of: (job) => job.maxRetries },
  { key: "timeout_ms", of: (job) => job.timeout },
  { key: "scheduled_at", of: (job, iso) => iso(job.scheduledAt, "scheduledAt") },
  { key: "created_at", of: (job, iso) => iso(job.createdAt, "createdAt") },
  { key: "unique_key", of: (job) => job.uniqueKey ?? null },
  { key: "group_key", of: (job) => job.group ?? null },
];

/** Metadata as JSON text: `{}` without building it for the usual empty object. */
function metadataJson(metadata: Record<string, string> | undefined): string {
  if (metadata === undefined || metadata === null) return "{}";
  for (const key in metadata) if (Object.hasOwn(metadata, key)) return JSON.stringify(metadata);
  return "{}";
}

/**
 * New jobs as the single JSON parameter the insert statements read with `new_job_rows`
 * (migrations 005 and 009): one string, however many jobs, so a bulk insert costs one statement.
 * One job is a JSON array of one object. Two jobs or more take the columnar form, which sends and
 * parses about a fifth of the text for jobs that share most of their fields (one `enqueueMany`):
 * `{ "c": { column: value shared by every job }, "ix": { column: its position in each row },
 * "r": [[id, payload, ...the values of the columns in "ix"], ...] }`. The payload and metadata
 * land in `json` columns, which keep their text (and so their key order) exactly as
 * `JSON.stringify` wrote it.
 *
 * With `payloads`, the JSON of each job's payload as written is pushed to it, in order.
 *
 * @throws InvalidArgumentError naming `scheduledAt` or `createdAt` when a job's date is invalid.
 */
export function newJobsJson(jobs: readonly NewJobRecord[], payloads?: string[]): string {
  // The jobs of one enqueueMany mostly share their instants: each is written once.
  let lastMs = Number.NaN;
  let lastIso = "";
  const isoOnce = (date: Date, field: string): string => {
    // An invalid date (NaN) never equals lastMs: iso() refuses it.
    const ms = date instanceof Date ? date.getTime() : Number.NaN;
    if (ms !== lastMs) {
      lastIso = iso(date, field);
      lastMs = ms;
    }
    return lastIso;
  };
  const valueJson = (column: SharedColumn, value: string | number | null): string =>
    column.raw ? (value as string) : JSON.stringify(value);
  if (jobs.length < 2) {
    const job = jobs[0];
    if (job === undefined) return "[]";
    const fields = SHARED_COLUMNS.map(
      (column) => `"${column.key}":${valueJson(column, column.of(job, isoOnce))}`,
    );
    const payload = JSON.stringify(job.payload ?? null);
    payloads?.push(payload);
    return `[{"id":${JSON.stringify(job.id)},"payload":${payload},${fields.join(",")}}]`;
  }
  const first = jobs[0] as NewJobRecord;
  const firstValues = SHARED_COLUMNS.map((column) => column.of(first, isoOnce));
  const varying = new Array<boolean>(SHARED_COLUMNS.length).fill(false);
  for (let i = 1; i < jobs.length; i++) {
    const job = jobs[i] as NewJobRecord;
    for (let k = 0; k < SHARED_COLUMNS.length; k++) {
      if (!varying[k] && (SHARED_COLUMNS[k] as SharedColumn).of(job, isoOnce) !== firstValues[k]) {
        varying[k] = true;
      }
    }
  }
  const shared: string[] = [];
  const positions: string[] = [];
  const perRow: SharedColumn[] = [];
  for (let k = 0; k < SHARED_COLUMNS.length; k++) {
    const column = SHARED_COLUMNS[k] as SharedColumn;
    if (varying[k]) {
      positions.push(`"${column.key}":${2 + perRow.length}`);
      perRow.push(column);
    } else {
      shared.push(`"${column.key}":${valueJson(column, firstValues[k] as string | number | null)}`);
    }
  }
  const rows = new Array<string>(jobs.length);
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i] as NewJobRecord;
    const payload = JSON.stringify(job.payload ?? null);
    payloads?.push(payload);
    let row = `[${JSON.stringify(job.id)},${payload}`;
    for (const column of perRow) row += `,${valueJson(column, column.of(job, isoOnce))}`;
    rows[i] = `${row}]`;
  }
  return `{"c":{${shared.join(",")}},"ix":{${positions.join(",")}},"r":[${rows.join(",")}]}`;
}

/**
 * A date as ISO 8601 in UTC: exact to the millisecond, whatever the session's time zone.
 *
 * @throws InvalidArgumentError naming `field` when `date` is not a valid Date.
 */
export function iso(date: Date, field = "date"): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError(field, `expected a valid Date, got ${describeValue(date)}`);
  }
  return date.toISOString();
}

/** {@link iso}, or `null`. */
export function isoOrNull(date: Date | null, field = "date"): string | null {
  return date === null ? null : iso(date, field);
}
