import type {
  AttemptFailure,
  DeadLetterOptions,
  Job,
  JobStatus,
  NewJobRecord,
  SaveScheduleOptions,
  ScheduleRecord,
} from "@sched/core/adapter";
import { InvalidArgumentError, JobAlreadyExistsError } from "@sched/core/adapter";

/**
 * What a script returns for a job: the fields of {@link JOB_FIELDS}, in order. A missing field is
 * `null` in a RESP reply and `false` in a JSON-encoded list of jobs (see {@link decodeClaimed}).
 */
export type JobReply = ReadonlyArray<string | null | false>;

/**
 * The hash fields of a job in the order of a {@link JobReply}: the one list of them. The scripts'
 * `FIELDS` (`-- @include job-fields` in `scripts/includes/queue.lua`) is written from it.
 */
export const JOB_FIELDS = [
  "id",
  "name",
  "payload",
  "queue",
  "priority",
  "maxRetries",
  "retryCount",
  "timeout",
  "scheduledAt",
  "createdAt",
  "startedAt",
  "completedAt",
  "error",
  "status",
  "metadata",
  "uniqueKey",
  "group",
  "attempt",
  "lostLeases",
  "lockedUntil",
  "lockedBy",
  "history",
] as const;

/** Reads a `Date` as epoch ms, rejecting invalid dates. */
export function epochMs(date: Date, field: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new InvalidArgumentError(field, `expected a valid Date, got ${String(date)}`);
  return ms;
}

const dateOrNull = (value: string | null | undefined): Date | null =>
  value === null || value === undefined ? null : new Date(Number(value));

/** A job's hash field name. */
type JobField = (typeof JOB_FIELDS)[number];

/** The position of each field in a {@link JobReply}. */
const FIELD_INDEX = Object.fromEntries(JOB_FIELDS.map((field, i) => [field, i])) as Record<JobField, number>;

/** Builds a `Job` from a script's reply, or `null` when the job does not exist (its id is missing). */
export function decodeJob(reply: JobReply | null | undefined): Job | null {
  if (!reply) return null;
  const field = (name: JobField): string | null => {
    const value = reply[FIELD_INDEX[name]];
    return typeof value === "string" ? value : null;
  };
  const id = field("id");
  if (id === null) return null;
  const history = JSON.parse(field("history") ?? "[]") as Array<{
    attempt: number;
    error: string;
    failedAt: number;
  }>;
  return {
    id,
    name: field("name") as string,
    payload: JSON.parse(field("payload") as string),
    queue: field("queue") as string,
    priority: Number(field("priority")),
    maxRetries: Number(field("maxRetries")),
    retryCount: Number(field("retryCount")),
    timeout: Number(field("timeout")),
    scheduledAt: new Date(Number(field("scheduledAt"))),
    createdAt: new Date(Number(field("createdAt"))),
    startedAt: dateOrNull(field("startedAt")),
    completedAt: dateOrNull(field("completedAt")),
    error: field("error"),
    status: field("status") as JobStatus,
    metadata: JSON.parse(field("metadata") as string) as Record<string, string>,
    uniqueKey: field("uniqueKey"),
    group: field("group"),
    attempt: Number(field("attempt")),
    lostLeases: Number(field("lostLeases")),
    lockedUntil: dateOrNull(field("lockedUntil")),
    lockedBy: field("lockedBy"),
    // cjson encodes an empty table as {}; a stored history is never empty once written, but be safe.
    history: Array.isArray(history)
      ? history.map(
          (entry): AttemptFailure => ({
            attempt: entry.attempt,
            error: entry.error,
            failedAt: new Date(Number(entry.failedAt)),
          }),
        )
      : [],
  };
}

/**
 * The jobs a claim script returns (`encodeJobs` in `scripts/includes/claim.lua`): one JSON text,
 * an array of {@link JobReply}, for jobs of little text (one string decodes far faster than a RESP
 * array of arrays, and Redis writes it faster too), or the RESP array itself for jobs of much
 * text (cjson would escape their payloads' JSON again).
 */
export function decodeClaimed(reply: string | readonly JobReply[]): Job[] {
  const rows = typeof reply === "string" ? (JSON.parse(reply) as JobReply[]) : reply;
  return rows.map((row) => decodeJob(row) as Job);
}

/** The script arguments of one new job (`JOB_ARGS` in `scripts/includes/queue.lua`). */
export function encodeNewJob(job: NewJobRecord, out: string[]): void {
  const payload = JSON.stringify(job.payload);
  if (payload === undefined) {
    throw new InvalidArgumentError("payload", "expected a JSON-serialisable value, got undefined");
  }
  out.push(
    job.id,
    job.name,
    payload,
    String(job.priority),
    String(job.maxRetries),
    String(job.timeout),
    String(epochMs(job.scheduledAt, "scheduledAt")),
    String(epochMs(job.createdAt, "createdAt")),
    job.status,
    JSON.stringify(job.metadata ?? {}),
    job.uniqueKey === null || job.uniqueKey === undefined ? "" : `=${job.uniqueKey}`,
    job.group === null || job.group === undefined ? "" : `=${job.group}`,
  );
}

/** The script arguments of the dead-letter options (`deadLetterArgs` in `scripts/includes/dead-letter.lua`). */
export function encodeDeadLetter(deadLetter: DeadLetterOptions | null | undefined): string[] {
  if (deadLetter === null || deadLetter === undefined) return ["", "", "", ""];
  return [
    deadLetter.name,
    String(deadLetter.priority),
    String(deadLetter.maxRetries),
    String(deadLetter.timeout),
  ];
}

/** The hash fields of a schedule (null dates and a null `definedBy` are left out). */
export function encodeSchedule(schedule: ScheduleRecord): string[] {
  const fields = [
    "name",
    schedule.name,
    "definition",
    JSON.stringify(schedule.definition),
    "occurrences",
    String(schedule.occurrences),
    "createdAt",
    String(epochMs(schedule.createdAt, "createdAt")),
    "updatedAt",
    String(epochMs(schedule.updatedAt, "updatedAt")),
    "definedAt",
    String(epochMs(schedule.definedAt, "definedAt")),
  ];
  if (schedule.definedBy !== null) fields.push("definedBy", schedule.definedBy);
  if (schedule.nextRunAt !== null) fields.push("nextRunAt", String(epochMs(schedule.nextRunAt, "nextRunAt")));
  if (schedule.lastRunAt !== null) fields.push("lastRunAt", String(epochMs(schedule.lastRunAt, "lastRunAt")));
  return fields;
}

/**
 * Builds a schedule from its hash, or `null` when the hash is empty. A schedule stored before
 * definitions were stamped counts as defined at its `createdAt`, by no one (as `saveSchedule.lua`
 * compares it).
 */
export function decodeSchedule(hash: Record<string, string>): ScheduleRecord | null {
  if (hash.name === undefined || hash.definition === undefined) return null;
  return {
    name: hash.name,
    definition: JSON.parse(hash.definition),
    nextRunAt: dateOrNull(hash.nextRunAt),
    lastRunAt: dateOrNull(hash.lastRunAt),
    occurrences: Number(hash.occurrences ?? 0),
    createdAt: new Date(Number(hash.createdAt)),
    updatedAt: new Date(Number(hash.updatedAt)),
    definedAt: new Date(Number(hash.definedAt ?? hash.createdAt)),
    definedBy: hash.definedBy ?? null,
  };
}

/**
 * The condition arguments of a schedule write (see `scripts/includes/schedule.lua`): condition
 * (`""`, `"absent"` or `"expect"`), expected `definedAt` in epoch ms, expected `definedBy` (`""`
 * for null, else `=` and the id).
 */
export function encodeScheduleCondition(options: SaveScheduleOptions | undefined): [string, string, string] {
  const expected = options?.expectDefinition;
  if (expected !== undefined) {
    return [
      "expect",
      String(epochMs(expected.definedAt, "expectDefinition.definedAt")),
      expected.definedBy === null ? "" : `=${expected.definedBy}`,
    ];
  }
  return [options?.onlyIfAbsent ? "absent" : "", "", ""];
}

/**
 * Turns an insert script's error reply (`planInsert` in `scripts/includes/queue.lua`) into the
 * error it stands for; any other reply passes.
 */
export function throwInsertError(reply: readonly unknown[]): void {
  if (reply[0] === "unique")
    throw new JobAlreadyExistsError(reply[1] as string, (reply[2] as string) || null);
  if (reply[0] === "duplicate-id") {
    throw new InvalidArgumentError("id", `a job with id "${reply[1] as string}" already exists`);
  }
}
