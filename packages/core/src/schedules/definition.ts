import { parseCron } from "../cron/index.js";
import type { Schedule } from "../cron/schedule.js";
import { describeTime, isStorableTime } from "../enqueue/job-input.js";
import { InvalidScheduleError } from "../errors.js";
import type { ScheduleDefinition, ScheduleRecord } from "../store/store.js";
import { controlsOf } from "./schedule-controls.js";

const DAY_MS = 86_400_000;
const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** The number of the local calendar day (days since 1970-01-01 in `timezone`) that `instant` falls on. */
function localDayNumber(instant: number, timezone: string): number {
  let fmt = dayFormatters.get(timezone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      year: "numeric",
      month: "numeric",
      day: "numeric",
    });
    dayFormatters.set(timezone, fmt);
  }
  const parts = fmt.formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Math.floor(Date.UTC(get("year"), get("month") - 1, get("day")) / DAY_MS);
}

/**
 * Turns a stored definition into a {@link Schedule}. Cron and `daily` schedules are wall-clock
 * (docs/architecture.md §3); `interval` schedules are fixed real-time steps from their anchor, ignoring DST.
 * A run after the year 9999 (UTC) is none: the schedule ends there, as no store keeps that time.
 *
 * @throws InvalidScheduleError (`INVALID_SCHEDULE`) for a bad expression, time zone or interval.
 */
export function compileSchedule(def: ScheduleDefinition): Schedule {
  const schedule = compileUnbounded(def);
  return {
    next(after) {
      const next = schedule.next(after);
      return next !== null && isStorableTime(next.getTime()) ? next : null;
    },
  };
}

/**
 * The first run time of a new schedule created at `now` (see {@link firstRunAt}).
 *
 * @throws InvalidScheduleError (`INVALID_SCHEDULE`) when that run falls outside the years 1 to
 *   9999 (UTC), the instants every store keeps (a one-time run in the year 20000, an interval of
 *   10^10 minutes): the schedule could not be stored, or would never run.
 */
export function storableFirstRunAt(def: ScheduleDefinition, now: number): Date | null {
  const first = firstRunAt(def, compileUnbounded(def), now);
  if (first !== null && !isStorableTime(first.getTime())) {
    throw new InvalidScheduleError(
      `its first run (${describeTime(first.getTime())}) falls outside the years 1 to 9999 (UTC)`,
    );
  }
  return first;
}

/** {@link compileSchedule} without the bound on the years. */
function compileUnbounded(def: ScheduleDefinition): Schedule {
  switch (def.kind) {
    case "cron":
      return parseCron(def.expression ?? "", { timezone: def.timezone });
    case "interval": {
      const every = def.every ?? 0;
      const anchor = def.anchor ?? 0;
      if (!(every > 0)) throw new InvalidScheduleError(`interval must be positive, got ${every}`);
      return {
        next(after) {
          const steps = Math.floor((after.getTime() - anchor) / every) + 1;
          return new Date(anchor + Math.max(1, steps) * every);
        },
      };
    }
    case "once": {
      const at = def.anchor ?? 0;
      return { next: (after) => (at > after.getTime() ? new Date(at) : null) };
    }
    case "daily": {
      // Every `every` days at a wall-clock time: the cron expression gives the candidate days,
      // and only days a multiple of `every` away from the anchor's day are kept.
      const cron = parseCron(def.expression ?? "", { timezone: def.timezone });
      const step = def.every ?? 1;
      if (step === 1) return cron;
      // Days are counted from the first run at or after the anchor, so that `week().monday()`
      // created on a Tuesday starts on the next Monday rather than never matching.
      const first = cron.next(new Date((def.anchor ?? 0) - 1));
      const anchorDay = first ? localDayNumber(first.getTime(), def.timezone) : 0;
      return {
        next(after) {
          let t = cron.next(after);
          for (let guard = 0; t && guard < 10_000; guard++) {
            const offset = localDayNumber(t.getTime(), def.timezone) - anchorDay;
            if (((offset % step) + step) % step === 0) return t;
            t = cron.next(t);
          }
          return null;
        },
      };
    }
    default:
      throw new InvalidScheduleError(
        `unknown schedule kind ${JSON.stringify((def as { kind: unknown }).kind)}`,
      );
  }
}

/**
 * The first run time of a new schedule created at `now`: never before its `startAt`, never after
 * its `until`. (A one-time schedule runs at its time even when that has passed.)
 */
export function firstRunAt(def: ScheduleDefinition, schedule: Schedule, now: number): Date | null {
  if (def.kind === "once") return new Date(def.anchor ?? now);
  const { startAt } = controlsOf(def);
  // `next` is strictly after its argument: from `startAt - 1` the first run may be `startAt` itself.
  const first = schedule.next(new Date(startAt === null ? now : Math.max(now, startAt - 1)));
  if (first && def.until !== null && first.getTime() > def.until) return null;
  return first;
}

/** What firing a due schedule at `now` should do. */
export interface TickPlan {
  /** The tick times to enqueue a job for (may be empty when missed ticks are skipped). */
  ticks: Date[];
  /** The schedule's next run after this firing, or `null` when it has ended. */
  nextRunAt: Date | null;
  /**
   * The next run after this firing, ignoring `maxOccurrences`: the next run when fewer than
   * `ticks` make a job (an overlap policy held some back, and those do not count).
   */
  following: Date | null;
}

/** Settings of the misfire policy. */
export interface MisfireSettings {
  /** How late a tick may fire and still count as on time (for `skip`). */
  grace: number;
  /** Most catch-up jobs for `all`. */
  limit: number;
}

/**
 * Decides which ticks of a due schedule fire now, following its misfire policy (docs/architecture.md §3):
 * `skip` fires only a tick that is on time, `once` fires one job for any number of missed ticks,
 * `all` fires every missed tick (at most `limit`, the earliest). `maxOccurrences` and `until` end it.
 */
export function planTick(
  record: ScheduleRecord,
  schedule: Schedule,
  now: number,
  settings: MisfireSettings,
): TickPlan {
  const def = record.definition;
  const due: Date[] = [];
  let next: Date | null = record.nextRunAt;
  // Collect the missed ticks, but never walk an unbounded backlog (a per-second cron down a month).
  const walkLimit = Math.max(settings.limit, 1) + 1;
  while (next && next.getTime() <= now && due.length < walkLimit) {
    due.push(next);
    next = schedule.next(next);
  }
  // Whether the walk stopped at its bound with ticks left before `now`.
  const cut = next !== null && next.getTime() <= now;
  if (cut) next = schedule.next(new Date(now));
  // Ticks after `until` are none: the policy chooses among those before it (a catch-up of
  // "once" is the latest missed tick that `until` allows, not one past it).
  const until = def.until;
  const missed = until === null ? due : due.filter((t) => t.getTime() <= until);
  let ticks: Date[];
  switch (def.misfire) {
    case "all":
      ticks = missed.slice(0, settings.limit);
      break;
    case "skip":
      ticks = missed.length === 1 && now - missed[0]!.getTime() <= settings.grace ? missed : [];
      break;
    default: {
      // The latest missed tick: past the walk's bound when it was cut short, found from `now`.
      const last = cut
        ? latestTickBy(schedule, Math.min(now, until ?? now), due[0]!)
        : missed[missed.length - 1];
      ticks = last === undefined ? [] : [last];
    }
  }
  if (until !== null && next && next.getTime() > until) next = null;
  const following = next;
  if (def.maxOccurrences !== null) {
    const remaining = Math.max(0, def.maxOccurrences - record.occurrences);
    ticks = ticks.slice(0, remaining);
    if (record.occurrences + ticks.length >= def.maxOccurrences) next = null;
  }
  return { ticks, nextRunAt: next, following };
}

/**
 * The latest tick of `schedule` at or before `bound` (epoch ms) and not before `first`, a tick
 * (`undefined` when `first` is after `bound`): looks back from `bound` in doubling steps (1 s, 2 s,
 * 4 s, …) until a step holds a tick, then walks forward from there, so it reads about as many
 * ticks as one gap between ticks holds, however long ago `first` was.
 */
function latestTickBy(schedule: Schedule, bound: number, first: Date): Date | undefined {
  if (first.getTime() > bound) return undefined;
  for (let step = 1000; bound - step >= first.getTime(); step *= 2) {
    const found = schedule.next(new Date(bound - step));
    if (found !== null && found.getTime() <= bound) return lastTickBy(schedule, found, bound);
  }
  // No tick within a step back from `bound` after `first`: walk from `first` itself.
  return lastTickBy(schedule, first, bound);
}

/** The last tick of `schedule` from the tick `from` on that is at or before `bound` (epoch ms). */
function lastTickBy(schedule: Schedule, from: Date, bound: number): Date {
  let latest = from;
  for (let after = schedule.next(latest); after !== null && after.getTime() <= bound; ) {
    latest = after;
    after = schedule.next(latest);
  }
  return latest;
}

/**
 * Stable JSON of a definition without its anchor, to tell whether a re-registered schedule changed.
 * The paused flag and the buffered tick are state, not definition, and are left out; so are the steering fields at their
 * defaults, so that a definition stored before they existed compares equal to the same one now.
 */
export function definitionKey(def: ScheduleDefinition): string {
  const { overlap, jitter, startAt } = controlsOf(def);
  return stableStringify({
    ...def,
    anchor: def.kind === "once" ? def.anchor : undefined,
    paused: undefined,
    buffered: undefined,
    overlap: overlap === "allow" ? undefined : overlap,
    jitter: jitter === 0 ? undefined : jitter,
    startAt: startAt ?? undefined,
  });
}

/**
 * The part of a definition that decides when its ticks fall: kind, expression or interval, the
 * run time of a `once`, time zone, end time, jitter and start. Two definitions with the same
 * timing key tick at the same instants; they may differ in their job template, misfire and
 * overlap policies or `maxOccurrences`.
 */
export function timingKey(def: ScheduleDefinition): string {
  const { jitter, startAt } = controlsOf(def);
  return stableStringify({
    kind: def.kind,
    expression: def.expression,
    every: def.every,
    anchor: def.kind === "once" ? def.anchor : undefined,
    timezone: def.timezone,
    until: def.until,
    jitter: jitter === 0 ? undefined : jitter,
    startAt: startAt ?? undefined,
  });
}

function stableStringify(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(",")}}`;
}
