import { validateTimezone } from "../cron/index.js";
import type { JobInput } from "../enqueue/job-input.js";
import { describeTime, isStorableTime } from "../enqueue/job-input.js";
import { InvalidScheduleError } from "../errors.js";
import type { MisfirePolicy, ScheduleDefinition } from "../store/store.js";
import { parseDuration } from "../time/duration.js";
import { dateMs } from "../validation/dates.js";
import { assertKnownFields } from "../validation/option-names.js";
import { describeValue } from "../validation/text.js";
import { OVERLAP_POLICIES, type OverlapPolicy, type SteeredDefinition } from "./schedule-controls.js";
import type { ScheduleOptions } from "./schedule-options.js";

/** Every option of {@link ScheduleOptions}. */
const SCHEDULE_OPTION_FIELDS = [
  "queue",
  "priority",
  "maxRetries",
  "timeout",
  "metadata",
  "uniqueKey",
  "timezone",
  "payload",
  "misfire",
  "maxOccurrences",
  "until",
  "overlap",
  "jitter",
  "startAt",
] as const satisfies ReadonlyArray<keyof ScheduleOptions>;

/** The longest jitter a schedule may have (ms): a day. */
const MAX_JITTER_MS = 86_400_000;

/**
 * Validates a schedule's options and builds its stored definition: time zone, misfire policy,
 * start and end conditions, overlap policy, jitter, and the template of every tick's job
 * (validated like an enqueued job). A new definition is not paused; the definer carries the
 * stored paused state over.
 */
export function toScheduleDefinition(
  name: string,
  shape: Pick<ScheduleDefinition, "kind" | "expression" | "every" | "anchor">,
  options: ScheduleOptions,
  input: JobInput,
  defaultMisfire: MisfirePolicy,
): SteeredDefinition {
  assertKnownFields(options, SCHEDULE_OPTION_FIELDS, "options");
  const timezone = validateTimezone(options.timezone ?? "UTC", "timezone");
  const misfire = options.misfire ?? defaultMisfire;
  if (!["skip", "once", "all"].includes(misfire)) {
    throw new InvalidScheduleError(`misfire must be "skip", "once" or "all", got ${describeValue(misfire)}`);
  }
  const { maxOccurrences, until } = options;
  if (
    maxOccurrences !== undefined &&
    (!Number.isInteger(maxOccurrences) || maxOccurrences < 1 || maxOccurrences > 2 ** 31 - 1)
  ) {
    throw new InvalidScheduleError(
      `maxOccurrences must be an integer from 1 to ${2 ** 31 - 1}, got ${describeValue(maxOccurrences)}`,
    );
  }
  if (until !== undefined && Number.isNaN(dateMs(until))) {
    throw new InvalidScheduleError(`until must be a valid Date, got ${describeValue(until)}`);
  }
  if (until !== undefined && !isStorableTime(until.getTime())) {
    throw new InvalidScheduleError(
      `until (${describeTime(until.getTime())}) is outside the years 1 to 9999 (UTC)`,
    );
  }
  const overlap: OverlapPolicy = options.overlap ?? "allow";
  if (!OVERLAP_POLICIES.includes(overlap)) {
    throw new InvalidScheduleError(
      `overlap must be ${OVERLAP_POLICIES.map((p) => JSON.stringify(p)).join(", ")}, got ${describeValue(overlap)}`,
    );
  }
  let jitter: number;
  try {
    jitter = Math.floor(parseDuration(options.jitter ?? 0, "jitter"));
  } catch (err) {
    // Every schedule option refuses bad input alike: an InvalidScheduleError naming the option.
    throw new InvalidScheduleError(
      `jitter: ${err instanceof Error ? err.message.replace(/^jitter: /, "") : String(err)}`,
    );
  }
  if (jitter < 0) throw new InvalidScheduleError(`jitter must be at least 0, got ${jitter} ms`);
  if (jitter > MAX_JITTER_MS) {
    throw new InvalidScheduleError(`jitter must be at most 24h (${MAX_JITTER_MS} ms), got ${jitter} ms`);
  }
  const { startAt } = options;
  if (startAt !== undefined && Number.isNaN(dateMs(startAt))) {
    throw new InvalidScheduleError(`startAt must be a valid Date, got ${describeValue(startAt)}`);
  }
  if (startAt !== undefined && !isStorableTime(startAt.getTime())) {
    throw new InvalidScheduleError(
      `startAt (${describeTime(startAt.getTime())}) is outside the years 1 to 9999 (UTC)`,
    );
  }
  if (startAt !== undefined && until !== undefined && startAt.getTime() > until.getTime()) {
    throw new InvalidScheduleError(
      `startAt (${startAt.toISOString()}) is after until (${until.toISOString()}): the schedule would never run`,
    );
  }
  if (until !== undefined && shape.kind === "once" && until.getTime() < (shape.anchor ?? 0)) {
    throw new InvalidScheduleError(
      `until (${until.toISOString()}) is before the one-time run (${new Date(shape.anchor ?? 0).toISOString()}): it would never run`,
    );
  }
  if (startAt !== undefined && shape.kind === "once" && startAt.getTime() > (shape.anchor ?? 0)) {
    throw new InvalidScheduleError(
      `startAt (${startAt.toISOString()}) is after the one-time run (${new Date(shape.anchor ?? 0).toISOString()}): it would never run`,
    );
  }
  // An interval schedule with a start time runs at `startAt` and every interval after it.
  const anchored =
    startAt !== undefined && shape.kind === "interval" && shape.every !== undefined
      ? { ...shape, anchor: startAt.getTime() - shape.every }
      : shape;
  const record = input.toRecord(
    {
      name,
      payload: options.payload,
      queue: options.queue,
      priority: options.priority,
      maxRetries: options.maxRetries,
      timeout: options.timeout,
      metadata: options.metadata,
      uniqueKey: options.uniqueKey,
    },
    "options",
    false,
  );
  return {
    ...anchored,
    timezone,
    misfire,
    maxOccurrences: maxOccurrences ?? null,
    until: until ? until.getTime() : null,
    job: {
      queue: record.queue,
      priority: record.priority,
      maxRetries: record.maxRetries,
      timeout: record.timeout,
      payload: record.payload,
      metadata: record.metadata,
      uniqueKey: record.uniqueKey,
    },
    overlap,
    jitter,
    startAt: startAt ? startAt.getTime() : null,
    paused: false,
  };
}
