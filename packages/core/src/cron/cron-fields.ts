import type { CronFieldCollection } from "cron-parser";

/**
 * The expanded fields of a cron expression, and the search for the first local wall time that
 * matches them.
 *
 * Wall times here are "naive": milliseconds on a UTC calendar that stand for a local date and
 * time, with no zone attached. Time zones are applied by the caller (`next-run.ts`), which keeps
 * this search plain calendar arithmetic, identical in every zone.
 */

/**
 * `next[v]` is the smallest allowed value `>= v`, or -1 when there is none. One slot past the
 * field's maximum holds -1 too, so a carry (minute 60, hour 24) reads as "none left" and rolls
 * over without a special case.
 */
type NextAllowed = Int8Array;

/** Which days a cron expression allows, after the Vixie day-of-month / day-of-week rule. */
interface DayRule {
  /** `days[d]` for d in 1..31. */
  readonly days: readonly boolean[];
  /** `L` in day-of-month: the last day of the month. */
  readonly lastDayOfMonth: boolean;
  /** `weekdays[w]` for w in 0..6, Sunday = 0 (7 is folded into 0). */
  readonly weekdays: readonly boolean[];
  /** `#n` in day-of-week: only the n-th such weekday of the month (1-5); 0 when absent. */
  readonly nthWeekday: number;
  /** `5L` in day-of-week: the last such weekday of the month. */
  readonly lastWeekdays: readonly boolean[];
  /** Every weekday is allowed with no `#`, so the weekday need not be computed. */
  readonly everyWeekday: boolean;
  /** Day-of-month did not start with `*` or `?`. */
  readonly dayOfMonthRestricted: boolean;
  /** Day-of-week did not start with `*` or `?`. */
  readonly dayOfWeekRestricted: boolean;
}

const UNRESTRICTED_DAY_FIELD = /^[*?]/;

/** The matchable form of a parsed cron expression. */
export interface CronFields {
  readonly seconds: NextAllowed;
  readonly minutes: NextAllowed;
  readonly hours: NextAllowed;
  readonly months: NextAllowed;
  readonly day: DayRule;
}

/**
 * Builds the matchable fields from what `cron-parser` expanded.
 *
 * @param parsed - cron-parser's expansion of the expression.
 * @param rawDayOfMonth - the day-of-month field as written.
 * @param rawDayOfWeek - the day-of-week field as written.
 */
export function compileFields(
  parsed: CronFieldCollection,
  rawDayOfMonth: string,
  rawDayOfWeek: string,
): CronFields {
  const weekdays = new Array<boolean>(7).fill(false);
  const lastWeekdays = new Array<boolean>(7).fill(false);
  for (const value of parsed.dayOfWeek.values) {
    if (typeof value === "number") weekdays[value % 7] = true;
    // cron-parser keeps `5L` as the string "5L"; a bare `L` is rejected by it.
    else lastWeekdays[Number(value.charAt(0)) % 7] = true;
  }
  const days = new Array<boolean>(32).fill(false);
  let lastDayOfMonth = false;
  for (const value of parsed.dayOfMonth.values) {
    if (typeof value === "number") days[value] = true;
    else if (value === "L") lastDayOfMonth = true;
  }
  return {
    seconds: nextAllowed(parsed.second.values, 59),
    minutes: nextAllowed(parsed.minute.values, 59),
    hours: nextAllowed(parsed.hour.values, 23),
    months: nextAllowed(parsed.month.values, 12),
    day: {
      days,
      lastDayOfMonth,
      weekdays,
      nthWeekday: parsed.dayOfWeek.nthDay,
      lastWeekdays,
      everyWeekday: weekdays.every(Boolean) && parsed.dayOfWeek.nthDay === 0,
      // Vixie cron decides by the first character: `*` and `*/2` leave a day field unrestricted,
      // `1-31` restricts it. cron-parser's `isWildcard` is true for a bare `*` only.
      dayOfMonthRestricted: !UNRESTRICTED_DAY_FIELD.test(rawDayOfMonth),
      dayOfWeekRestricted: !UNRESTRICTED_DAY_FIELD.test(rawDayOfWeek),
    },
  };
}

function nextAllowed(values: readonly (number | string)[], max: number): NextAllowed {
  const table = new Int8Array(max + 2).fill(-1);
  for (const value of values) if (typeof value === "number") table[value] = value;
  for (let v = max - 1; v >= 0; v--) if (table[v] === -1) table[v] = table[v + 1]!;
  return table;
}

/** Whether a date matches the day rule; `month` is 1-12, `day` 1-31. */
function matchesDay(rule: DayRule, year: number, month: number, day: number): boolean {
  const monthLength = daysInMonth(year, month);
  const dayOfMonthMatches = rule.days[day] === true || (rule.lastDayOfMonth && day === monthLength);
  // Vixie cron: with both fields restricted, either one matching is enough; otherwise both must.
  const either = rule.dayOfMonthRestricted && rule.dayOfWeekRestricted;
  if (either && dayOfMonthMatches) return true;
  if (!either && !dayOfMonthMatches) return false;
  if (rule.everyWeekday) return true;
  const weekday = weekdayOf(year, month, day);
  return (
    (rule.weekdays[weekday] === true && (rule.nthWeekday === 0 || Math.ceil(day / 7) === rule.nthWeekday)) ||
    (rule.lastWeekdays[weekday] === true && day + 7 > monthLength)
  );
}

const MONTH_LENGTHS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number of days in `month` (1-12) of `year`, on the proleptic Gregorian calendar. */
function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return MONTH_LENGTHS[month - 1]!;
}

// Arithmetic rather than `new Date(...).getUTCDay()`: this runs for every day a search skips.
function weekdayOf(year: number, month: number, day: number): number {
  const daysSinceEpoch = Math.floor(Date.UTC(year, month - 1, day) / 86_400_000);
  // 1970-01-01 was a Thursday (4).
  return (((daysSinceEpoch + 4) % 7) + 7) % 7;
}

/**
 * The first naive wall time at or after `fromWall` (rounded up to a whole second) that matches
 * `fields`, or `null` if there is none at or before `untilWall`.
 *
 * Each step either accepts the current unit or jumps to the next allowed value of it, resetting
 * the smaller units, so the cost is a handful of steps per skipped day rather than per second.
 */
export function firstMatchingWallTime(
  fields: CronFields,
  fromWall: number,
  untilWall: number,
): number | null {
  const from = new Date(Math.ceil(fromWall / 1000) * 1000);
  let year = from.getUTCFullYear();
  let month = from.getUTCMonth() + 1;
  let day = from.getUTCDate();
  let hour = from.getUTCHours();
  let minute = from.getUTCMinutes();
  let second = from.getUTCSeconds();
  const lastYear = new Date(untilWall).getUTCFullYear();

  for (;;) {
    const nextMonth = fields.months[month]!;
    if (nextMonth !== month) {
      if (nextMonth === -1) {
        year++;
        month = fields.months[1]!;
      } else {
        month = nextMonth;
      }
      if (year > lastYear) return null;
      day = 1;
      hour = minute = second = 0;
    }
    if (day > daysInMonth(year, month)) {
      month++;
      day = 1;
      hour = minute = second = 0;
      continue;
    }
    if (!matchesDay(fields.day, year, month, day)) {
      day++;
      hour = minute = second = 0;
      continue;
    }
    if (Date.UTC(year, month - 1, day) > untilWall) return null;

    const nextHour = fields.hours[hour]!;
    if (nextHour === -1) {
      day++;
      hour = minute = second = 0;
      continue;
    }
    if (nextHour !== hour) {
      hour = nextHour;
      minute = second = 0;
    }
    const nextMinute = fields.minutes[minute]!;
    if (nextMinute === -1) {
      hour++;
      minute = second = 0;
      continue;
    }
    if (nextMinute !== minute) {
      minute = nextMinute;
      second = 0;
    }
    const nextSecond = fields.seconds[second]!;
    if (nextSecond === -1) {
      minute++;
      second = 0;
      continue;
    }
    const wall = Date.UTC(year, month - 1, day, hour, minute, nextSecond);
    return wall <= untilWall ? wall : null;
  }
}
