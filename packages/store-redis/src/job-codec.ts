import type {
  AttemptFailure,
  DeadLetterOptions,
  Job,
  JobStatus,
  NewJobRecord,
  SaveScheduleOptions,
  ScheduleRecord,
} from "@sched/core/adapter";
import { describeValue, InvalidArgumentError, JobAlreadyExistsError } from "@sched/core/adapter";

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
  if (Number.isNaN(ms))
    throw new InvalidArgumentError(field, `expected a valid Date, got ${describeValue(date)}`);
  return ms;
}

const dateOrNull = (value: string | null | undefined): Date | null =>
  value === null || value === undefined ? null : new Date(Number(value));

/** A job's hash field name. */
type JobField = (typeof JOB_FIELDS)[number];

/** The position of each field in a {@link JobReply}. */
const F = Object.fromEntries(JOB_FIELDS.map((field, i) => [field, i])) as Record<JobField, number>;

/** Builds a `Job` from a script's reply, or `null` when the job does not exist (its id is missing). */
export function decodeJob(reply: JobReply | null | undefined): Job | null {
  if (!reply) return null;
  const id = text(reply, F.id);
  if (id === null) return null;
  const storedHistory = text(reply, F.history);
  // Most jobs have failed no attempt and carry no metadata: nothing to parse for them.
  const history =
    storedHistory === null || storedHistory === "[]" || storedHistory === "{}"
      ? []
      : (JSON.parse(storedHistory) as Array<{ attempt: number; error: string; failedAt: number }>);
  const metadata = text(reply, F.metadata) as string;
  return {
    id,
    name: text(reply, F.name) as string,
    payload: JSON.parse(text(reply, F.payload) as string),
    queue: text(reply, F.queue) as string,
    priority: Number(text(reply, F.priority)),
    maxRetries: Number(text(reply, F.maxRetries)),
    retryCount: Number(text(reply, F.retryCount)),
    timeout: Number(text(reply, F.timeout)),
    scheduledAt: new Date(Number(text(reply, F.scheduledAt))),
    createdAt: new Date(Number(text(reply, F.createdAt))),
    startedAt: dateOrNull(text(reply, F.startedAt)),
    completedAt: dateOrNull(text(reply, F.completedAt)),
    error: text(reply, F.error),
    status: text(reply, F.status) as JobStatus,
    metadata: metadata === "{}" ? {} : (JSON.parse(metadata) as Record<string, string>),
    uniqueKey: text(reply, F.uniqueKey),
    group: text(reply, F.group),
    attempt: Number(text(reply, F.attempt)),
    lostLeases: Number(text(reply, F.lostLeases)),
    lockedUntil: dateOrNull(text(reply, F.lockedUntil)),
    lockedBy: text(reply, F.lockedBy),
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

/** A field of a reply as text, or `null` when missing (`null` in RESP, `false` from cjson). */
function text(reply: JobReply, index: number): string | null {
  const value = reply[index];
  return typeof value === "string" ? value : null;
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
    const next = options?.expectNextRunAt;
    return [
      next === undefined
        ? "expect"
        : `expect:${next === null ? "" : String(epochMs(next, "expectNextRunAt"))}`,
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
