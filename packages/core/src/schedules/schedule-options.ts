import type { JobOptions } from "../jobs/new-job.js";
import type { MisfirePolicy } from "../store/store.js";

/** Options of recurring and one-time schedules; the job options apply to every tick's job. */
export interface ScheduleOptions extends JobOptions {
  /** IANA time zone for cron and wall-clock schedules; default `"UTC"`. */
  timezone?: string;
  /** The payload of every tick's job. */
  payload?: unknown;
  /** What to do with ticks missed while no instance ran; default the scheduler's `misfire` (`"once"`). */
  misfire?: MisfirePolicy;
  /** Stop after this many ticks. */
  maxOccurrences?: number;
  /** No tick after this instant. */
  until?: Date;
}
