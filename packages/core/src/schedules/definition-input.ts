import { validateTimezone } from "../cron/index.js";
import type { JobInput } from "../enqueue/job-input.js";
import { InvalidScheduleError } from "../errors.js";
import type { MisfirePolicy, ScheduleDefinition } from "../store/store.js";
import { assertKnownFields } from "../validation/option-names.js";
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
] as const satisfies ReadonlyArray<keyof ScheduleOptions>;

/**
 * Validates a schedule's options and builds its stored definition: time zone, misfire policy,
 * end conditions, and the template of every tick's job (validated like an enqueued job).
 */
export function toScheduleDefinition(
  name: string,
  shape: Pick<ScheduleDefinition, "kind" | "expression" | "every" | "anchor">,
  options: ScheduleOptions,
  input: JobInput,
  defaultMisfire: MisfirePolicy,
): ScheduleDefinition {
  assertKnownFields(options, SCHEDULE_OPTION_FIELDS, "options");
  const timezone = validateTimezone(options.timezone ?? "UTC", "timezone");
  const misfire = options.misfire ?? defaultMisfire;
  if (!["skip", "once", "all"].includes(misfire)) {
    throw new InvalidScheduleError(`misfire must be "skip", "once" or "all", got ${JSON.stringify(misfire)}`);
  }
  const { maxOccurrences, until } = options;
  if (maxOccurrences !== undefined && (!Number.isInteger(maxOccurrences) || maxOccurrences < 1)) {
    throw new InvalidScheduleError(`maxOccurrences must be an integer >= 1, got ${maxOccurrences}`);
  }
  if (until !== undefined && (!(until instanceof Date) || Number.isNaN(until.getTime()))) {
    throw new InvalidScheduleError(`until must be a valid Date, got ${String(until)}`);
  }
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
    ...shape,
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
  };
}
