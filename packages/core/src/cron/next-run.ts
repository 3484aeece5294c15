import { type CronFields, firstMatchingWallTime } from "./cron-fields.js";
import type { ZoneOffsets } from "./time-zone.js";

/**
 * Next-run arithmetic for both kinds of cron expression (docs/architecture.md §3). Instants are epoch
 * milliseconds; wall times are naive local times (see `cron-fields.ts`).
 */

const SECOND_MS = 1_000;
const DAY_MS = 86_400_000;

/**
 * How far ahead a search looks before it answers "never": 400 years, the cycle after which the
 * Gregorian calendar repeats its dates and weekdays, so an expression that matches at all matches
 * within it (`0 0 * 2 1#5`, the fifth Monday of February, comes only every 28 years or so: 2044,
 * 2072). A search is by calendar, not by second: even the whole horizon takes milliseconds.
 */
const SEARCH_HORIZON_MS = 400 * 366 * DAY_MS;

/**
 * The next run of an **interval** expression strictly after `afterMs`: the first whole-second
 * instant whose local wall time, read with the offset in force at that instant, matches.
 *
 * Real time is cut into spans of constant offset. Inside a span, wall time is instant + offset
 * and moves forward with it, so the first match is a plain calendar search from the span's start;
 * if that match lies past the span's end, the span has none and the search restarts at the next
 * span with the new offset. This is what makes a repeated hour fire twice and a skipped one never.
 */
export function nextIntervalRun(fields: CronFields, zone: ZoneOffsets, afterMs: number): number | null {
  let instant = Math.floor(afterMs / SECOND_MS) * SECOND_MS + SECOND_MS;
  const untilInstant = instant + SEARCH_HORIZON_MS;
  while (instant <= untilInstant) {
    const offset = zone.offsetAt(instant);
    const wall = firstMatchingWallTime(fields, instant + offset, untilInstant + offset);
    if (wall === null) return null;
    const candidate = wall - offset;
    const transition = zone.nextTransitionAfter(instant, candidate);
    if (transition === Number.POSITIVE_INFINITY) return candidate;
    instant = transition;
  }
  return null;
}

/**
 * The longest forward jump whose skipped wall times still fire at its end: under 3 hours, as Vixie
 * cron catches up after a clock that moved forward by less than that (a DST change, 30 minutes to
 * 2 hours anywhere). A longer jump is a change of the zone's day itself (Pacific/Apia skipped all of
 * 2011-12-30): the times it skipped are not run, or a daily job would run twice the next day, or a
 * Friday job on a Saturday.
 */
const CATCH_UP_LIMIT_MS = 3 * 3_600_000;

/** How one naive wall time maps onto real time in a zone. */
interface ResolvedWallTime {
  /** The instant a fixed-time run for this wall time fires at; `NaN` when it does not fire. */
  readonly instant: number;
  /**
   * Set when the wall time is repeated (fall back) or missing (spring forward): the transition
   * responsible, and the first wall time past the repeated or missing range, so a search that is
   * already past the transition can skip the rest of that range in one step.
   */
  readonly range?: { readonly transition: number; readonly wallAfter: number };
}

/**
 * Maps a naive wall time to the instant a fixed-time run fires: its only occurrence; the first of
 * two in a repeated hour; or, for a time skipped by a forward jump, the transition itself, which
 * is the first instant after the gap.
 *
 * The offsets a day either side bracket any single transition that can affect `wall`, which is
 * the usual assumption (also Temporal's) that transitions are more than two days apart.
 */
function resolveWallTime(zone: ZoneOffsets, wall: number): ResolvedWallTime {
  const offsetBefore = zone.offsetAt(wall - DAY_MS);
  const offsetAfter = zone.offsetAt(wall + DAY_MS);
  const withOffsetBefore = wall - offsetBefore;
  const withOffsetAfter = wall - offsetAfter;
  const beforeValid = zone.offsetAt(withOffsetBefore) === offsetBefore;
  const afterValid = zone.offsetAt(withOffsetAfter) === offsetAfter;
  if (beforeValid && afterValid && withOffsetBefore !== withOffsetAfter) {
    // Fall back: the wall time happens twice, first under the larger offset before the change.
    const first = Math.min(withOffsetBefore, withOffsetAfter);
    const transition = zone.nextTransitionAfter(first, Math.max(withOffsetBefore, withOffsetAfter));
    return { instant: first, range: { transition, wallAfter: transition + offsetBefore } };
  }
  if (beforeValid) return { instant: withOffsetBefore };
  if (afterValid) return { instant: withOffsetAfter };
  // Spring forward: the wall time never happens. The gap covers wall times
  // [transition + offsetBefore, transition + offsetAfter), which pins the transition between
  // the two candidates; the run fires at the transition, the first instant after the gap.
  const transition = zone.nextTransitionAfter(withOffsetAfter, withOffsetBefore);
  if (transition === Number.POSITIVE_INFINITY) return { instant: withOffsetBefore };
  const range = { transition, wallAfter: transition + offsetAfter };
  // A jump of 3 hours or more skips the wall time for good (see CATCH_UP_LIMIT_MS).
  if (offsetAfter - offsetBefore >= CATCH_UP_LIMIT_MS) return { instant: Number.NaN, range };
  return { instant: transition, range };
}

/**
 * The next run of a **fixed-time** expression strictly after `afterMs`: matching wall times are
 * taken in calendar order and each fires once, at the instant {@link resolveWallTime} gives it.
 *
 * That instant never decreases as the wall time increases, so the answer is the first matching
 * wall time that resolves past `afterMs`; several missing wall times that resolve to the same
 * gap end therefore fire once. The search starts at the wall time of `afterMs` itself: no
 * earlier wall time can resolve later, except the second pass of a repeated hour, which
 * fixed-time runs do not use.
 */
export function nextFixedTimeRun(fields: CronFields, zone: ZoneOffsets, afterMs: number): number | null {
  // Runs are whole seconds, so "after afterMs" and "after its whole second" are the same.
  const after = Math.floor(afterMs / SECOND_MS) * SECOND_MS;
  let wall = after + zone.offsetAt(after);
  const untilWall = wall + SEARCH_HORIZON_MS;
  for (;;) {
    const match = firstMatchingWallTime(fields, wall, untilWall);
    if (match === null) return null;
    const resolved = resolveWallTime(zone, match);
    if (resolved.instant > after) return resolved.instant;
    wall = match + SECOND_MS;
    // Once `after` is past the transition, every other wall time of the same repeated or missing
    // range resolves at or before `after` too, so none of them can be the answer; a wall time
    // skipped for good (NaN) takes the rest of its missing range with it.
    const range = resolved.range;
    if (range !== undefined && (range.transition <= after || Number.isNaN(resolved.instant))) {
      wall = Math.max(wall, range.wallAfter);
    }
  }
}
