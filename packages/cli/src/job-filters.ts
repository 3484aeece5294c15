import { isStorableTime, isValidIsoCalendar, JOB_STATUSES, type JobStatus, parseDuration } from "@sched/core";
import type { Command } from "commander";
import { usageError } from "./exit-codes.js";
import type { JobPageRequest, JobSelector } from "./operations-api.js";

const STATUSES: readonly JobStatus[] = JOB_STATUSES;

/** The job filter flags as commander parses them. */
export interface JobFilterFlags {
  queue?: string;
  name?: string;
  status?: string;
  group?: string;
  since?: string;
  until?: string;
}

/** The paging flags of `jobs list`. */
export interface JobPageFlags extends JobFilterFlags {
  limit?: string;
  cursor?: string;
  order?: string;
}

/**
 * The flag that gives each field of a job selector or page request, so that the scheduler's
 * refusal of a value names the flag (see `namingFlags`): `from` is `--since`, `to` `--until`.
 */
export const FLAG_OF_JOB_FIELD: Readonly<Record<string, string>> = {
  queue: "--queue",
  name: "--name",
  status: "--status",
  group: "--group",
  from: "--since",
  to: "--until",
  limit: "--limit",
  cursor: "--cursor",
  order: "--order",
};

/** The values of `--order`. */
const ORDERS = ["asc", "desc"] as const;

/** Adds `--queue --name --status --group --since --until` to `command`. */
export function withJobFilters(command: Command, what = "jobs"): Command {
  return command
    .option("--queue <queue>", `only ${what} of this queue`)
    .option("--name <name>", `only ${what} of this handler name`)
    .option("--status <status>", `only ${what} in these statuses, comma-separated (${STATUSES.join(", ")})`)
    .option("--group <group>", `only ${what} of this group key`)
    .option(
      "--since <time>",
      `only ${what} created at or after: an ISO date, or a duration ago (1h, 30m, 7d)`,
    )
    .option("--until <time>", `only ${what} created before: an ISO date, or a duration ago`);
}

/**
 * A point in time from a flag: an ISO 8601 date (`2026-05-01`, `2026-05-01T12:00:00Z`), or a
 * duration before `now` (`90s`, `1h30m`, `7d`).
 *
 * @throws CliError (usage) naming the flag when the value is neither (a date that does not exist,
 *   such as `2026-02-30`, included), or is outside the years 1 to 9999 (UTC).
 */
export function parseTimeFlag(flag: string, value: string, now: number): Date {
  let ms = Number.NaN;
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    // Date.parse rolls 2026-02-30 over to March 2: a date that does not exist is refused.
    if (isValidIsoCalendar(value)) ms = Date.parse(value);
  } else if (/^\d/.test(value)) {
    try {
      ms = now - parseDuration(value, flag);
    } catch {
      // Reported below, with what is expected.
    }
  }
  if (!Number.isFinite(ms)) {
    throw usageError(`${flag}: expected an ISO date (2026-05-01T12:00:00Z) or a duration ago (1h, 30m, 7d)`);
  }
  // The instants every store keeps; a filter past them would be refused by the store, naming its
  // own field rather than the flag.
  if (!isStorableTime(ms)) {
    throw usageError(`${flag}: ${value} is outside the years 1 to 9999 (UTC)`);
  }
  return new Date(ms);
}

/** The statuses of `--status a,b`. @throws CliError (usage) for an unknown status. */
export function parseStatuses(value: string): JobStatus[] {
  const statuses = value
    .split(",")
    .map((status) => status.trim())
    .filter(Boolean);
  for (const status of statuses) {
    if (!(STATUSES as readonly string[]).includes(status)) {
      throw usageError(`--status: unknown status "${status}"; expected ${STATUSES.join(", ")}`);
    }
  }
  if (statuses.length === 0) throw usageError("--status: expected at least one status");
  return statuses as JobStatus[];
}

/** The selector the filter flags describe; fields without a flag are left out. */
export function selectorOf(flags: JobFilterFlags, now: number): JobSelector {
  const selector: JobSelector = {};
  if (flags.queue !== undefined) selector.queue = flags.queue;
  if (flags.name !== undefined) selector.name = flags.name;
  if (flags.group !== undefined) selector.group = flags.group;
  if (flags.status !== undefined) {
    const statuses = parseStatuses(flags.status);
    selector.status = statuses.length === 1 ? (statuses[0] as JobStatus) : statuses;
  }
  if (flags.since !== undefined) selector.from = parseTimeFlag("--since", flags.since, now);
  if (flags.until !== undefined) selector.to = parseTimeFlag("--until", flags.until, now);
  if (selector.from !== undefined && selector.to !== undefined && selector.to < selector.from) {
    throw usageError("--until: is before --since, so nothing could match");
  }
  return selector;
}

/** The page request the paging flags describe. @throws CliError (usage) for a bad value. */
export function pageRequestOf(flags: JobPageFlags, now: number): JobPageRequest {
  const request: JobPageRequest = selectorOf(flags, now);
  if (flags.limit !== undefined) {
    const limit = decimalInteger(flags.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw usageError(`--limit: expected an integer from 1 to 1000, got "${flags.limit}"`);
    }
    request.limit = limit;
  }
  if (flags.cursor !== undefined) request.cursor = flags.cursor;
  if (flags.order !== undefined) {
    if (flags.order !== "asc" && flags.order !== "desc") {
      throw usageError(`--order: expected one of ${ORDERS.join(", ")}, got "${flags.order}"`);
    }
    request.order = flags.order;
  }
  return request;
}

/**
 * A flag's value as a whole number written in decimal digits, or `NaN`: `Number()` would also take
 * `0x10`, `1e3`, `4.7344e4` and `" 7"`, which the HTTP API refuses.
 */
export function decimalInteger(text: string): number {
  return /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
}
