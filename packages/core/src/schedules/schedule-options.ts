import type { JobOptions } from "../jobs/new-job.js";
import type { MisfirePolicy } from "../store/store.js";
import type { Duration } from "../time/duration.js";
import type { OverlapPolicy } from "./schedule-controls.js";

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
  /**
   * What a tick does while the job of an earlier tick is not final: `"allow"` (default), `"skip"`,
   * `"bufferOne"` or `"cancelOther"` (see {@link OverlapPolicy}).
   */
  overlap?: OverlapPolicy;
  /**
   * Delay each tick's job by an offset in `[0, jitter)` (ms, or a string such as `"30s"`), derived
   * from the schedule's name and the tick's time, so every instance computes the same; default 0.
   * The job's `scheduledAt` is the tick plus the offset; its metadata `sched.tick` is the tick.
   */
  jitter?: Duration;
  /**
   * No tick before this instant. An interval schedule (`every(n).minutes()`) then runs at
   * `startAt` and every interval after it; a cron or wall-clock schedule at its first time at or
   * after `startAt`.
   */
  startAt?: Date;
}
