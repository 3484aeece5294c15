import type { Schedule } from "../cron/schedule.js";
import type { ScheduleRecord } from "../store/store.js";
import { controlsOf } from "./schedule-controls.js";

/** The most run times `previewSchedule` returns. */
export const MAX_PREVIEW = 1_000;
/** The most runs one `backfillSchedule` call enqueues. */
export const MAX_BACKFILL = 10_000;

/**
 * The run times of a schedule from `first` on (included), at most `count`: each next one from the
 * schedule's plan, none after `until`, and no more than `maxOccurrences - occurrences`.
 */
function runsFrom(record: ScheduleRecord, schedule: Schedule, first: Date | null, count: number): Date[] {
  const def = record.definition;
  const remaining =
    def.maxOccurrences === null ? count : Math.max(0, def.maxOccurrences - record.occurrences);
  const limit = Math.min(count, remaining);
  const runs: Date[] = [];
  let next = first;
  while (next !== null && runs.length < limit) {
    if (def.until !== null && next.getTime() > def.until) break;
    runs.push(next);
    next = schedule.next(next);
  }
  return runs;
}

/**
 * The next run of a schedule resumed at `now`: the first planned time after `now` (none of the
 * ticks that fell during the pause), not before `startAt`, not after `until`; `null` when the
 * schedule has ended (its `until` has passed, or it made `maxOccurrences` runs).
 */
export function resumedNextRunAt(record: ScheduleRecord, schedule: Schedule, now: number): Date | null {
  const def = record.definition;
  if (def.maxOccurrences !== null && record.occurrences >= def.maxOccurrences) return null;
  const { startAt } = controlsOf(def);
  const next = schedule.next(new Date(startAt === null ? now : Math.max(now, startAt - 1)));
  if (next === null || (def.until !== null && next.getTime() > def.until)) return null;
  return next;
}

/**
 * The next `count` planned run times of a stored schedule: from its `nextRunAt` on (which may be
 * due already, when no leader fired it yet), or, while it is paused, those it would have if it
 * were resumed at `now`. Honours `startAt`, `until` and `maxOccurrences`; fewer when it ends first.
 */
export function previewRuns(record: ScheduleRecord, schedule: Schedule, now: number, count: number): Date[] {
  const first = controlsOf(record.definition).paused
    ? resumedNextRunAt(record, schedule, now)
    : record.nextRunAt;
  return runsFrom(record, schedule, first, count);
}

/**
 * The planned run times of a schedule in `[from, to)`, ignoring its state: not before `startAt`,
 * not after `until` (`maxOccurrences` counts ticks fired, and does not limit a backfill). Returns
 * `null` when there are more than `max`.
 */
export function runsBetween(
  record: ScheduleRecord,
  schedule: Schedule,
  from: number,
  to: number,
  max: number,
): Date[] | null {
  const def = record.definition;
  const { startAt } = controlsOf(def);
  const runs: Date[] = [];
  let next = schedule.next(new Date(Math.max(from, startAt ?? from) - 1));
  while (next !== null && next.getTime() < to) {
    if (def.until !== null && next.getTime() > def.until) break;
    if (runs.length === max) return null;
    runs.push(next);
    next = schedule.next(next);
  }
  return runs;
}
