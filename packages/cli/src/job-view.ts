import { formatDuration, type Job } from "@sched/core";
import { formatTime } from "./format.js";
import { type Column, oneLine, renderFields, renderJson } from "./output.js";

/** A job as `sched` prints it in JSON: every field but `payload`, unless `--payload` asks for it. */
export type JobView = Omit<Job, "payload"> & { payload?: unknown };

/** The job without its payload, unless `withPayload`: payloads may hold personal data or secrets. */
export function jobView(job: Job, withPayload: boolean): JobView {
  if (withPayload) return job;
  const { payload: _payload, ...rest } = job;
  return rest;
}

/** The columns of a job listing. */
export const JOB_COLUMNS: readonly Column<Job>[] = [
  { header: "ID", cell: (job) => job.id },
  { header: "NAME", cell: (job) => job.name },
  { header: "QUEUE", cell: (job) => job.queue },
  { header: "STATUS", cell: (job) => job.status },
  { header: "ATTEMPT", cell: (job) => String(job.attempt), numeric: true },
  { header: "CREATED", cell: (job) => formatTime(job.createdAt) },
  { header: "SCHEDULED", cell: (job) => formatTime(job.scheduledAt) },
  { header: "ERROR", cell: (job) => oneLine(job.error ?? "", 60) },
];

/** A job's fields, one per line, then its failed attempts (and payload when asked). */
export function renderJob(job: Job, withPayload: boolean): string {
  const fields: [string, string][] = [
    ["id", job.id],
    ["name", job.name],
    ["queue", job.queue],
    ["status", job.status],
    ["priority", String(job.priority)],
    ["group", job.group ?? "-"],
    ["unique key", job.uniqueKey ?? "-"],
    ["attempt", String(job.attempt)],
    ["retries", `${job.retryCount} of ${job.maxRetries}`],
    ["timeout", job.timeout === 0 ? "none" : formatDuration(job.timeout)],
    ["created", formatTime(job.createdAt)],
    ["scheduled", formatTime(job.scheduledAt)],
    ["started", formatTime(job.startedAt)],
    ["finished", formatTime(job.completedAt)],
    ["locked by", job.lockedBy ?? "-"],
    ["locked until", formatTime(job.lockedUntil)],
    ["error", job.error === null ? "-" : oneLine(job.error, 500)],
  ];
  for (const [key, value] of Object.entries(job.metadata)) fields.push([`metadata ${key}`, oneLine(value)]);
  const lines = [renderFields(fields)];
  if (job.history.length > 0) {
    lines.push("", "failed attempts:");
    for (const failure of job.history) {
      lines.push(`  #${failure.attempt}  ${formatTime(failure.failedAt)}  ${oneLine(failure.error, 300)}`);
    }
  }
  lines.push(
    "",
    withPayload ? `payload:\n${renderJson(job.payload)}` : "payload: hidden (pass --payload to show it)",
  );
  return lines.join("\n");
}
