import { describe, expect, it } from "vitest";
import { parseCron } from "../src/cron/index.js";
import { seededRandom } from "./helpers.js";

/**
 * Property checks of `next()` against a brute-force oracle that reads local wall time minute by
 * minute from `Intl` (its own formatter, not the engine's offset tables). Starting instants come
 * from a seeded PRNG, half of them within 36 hours of a DST transition, so every run of the
 * suite checks the same few hundred cases.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday. */
  weekday: number;
}

interface PropertyCase {
  expr: string;
  /** The fields of `expr`, written out independently of the engine. */
  matches(wall: Wall): boolean;
}

const INTERVAL_CASES: PropertyCase[] = [
  { expr: "*/15 * * * *", matches: (w) => w.minute % 15 === 0 },
  { expr: "30 * * * *", matches: (w) => w.minute === 30 },
  { expr: "0 0-23/2 * * *", matches: (w) => w.minute === 0 && w.hour % 2 === 0 },
  { expr: "5,35 */3 * * *", matches: (w) => (w.minute === 5 || w.minute === 35) && w.hour % 3 === 0 },
  { expr: "*/20 1-3 * * *", matches: (w) => w.minute % 20 === 0 && w.hour >= 1 && w.hour <= 3 },
  { expr: "45 * * * 1-5", matches: (w) => w.minute === 45 && w.weekday >= 1 && w.weekday <= 5 },
  { expr: "*/10 0,23 * * *", matches: (w) => w.minute % 10 === 0 && (w.hour === 0 || w.hour === 23) },
];

const FIXED_TIME_CASES: PropertyCase[] = [
  { expr: "30 2 * * *", matches: (w) => w.hour === 2 && w.minute === 30 },
  { expr: "0 0 * * *", matches: (w) => w.hour === 0 && w.minute === 0 },
  { expr: "0,30 1 * * *", matches: (w) => w.hour === 1 && (w.minute === 0 || w.minute === 30) },
  { expr: "0 2,3 * * *", matches: (w) => (w.hour === 2 || w.hour === 3) && w.minute === 0 },
  { expr: "15 1-3 * * *", matches: (w) => w.hour >= 1 && w.hour <= 3 && w.minute === 15 },
  {
    expr: "45 23 * * 1-5",
    matches: (w) => w.hour === 23 && w.minute === 45 && w.weekday >= 1 && w.weekday <= 5,
  },
  { expr: "0 3 * * *", matches: (w) => w.hour === 3 && w.minute === 0 },
];

const ZONES = [
  "America/New_York",
  "Europe/London",
  "Europe/Berlin",
  "Australia/Sydney",
  "Australia/Lord_Howe",
  "America/Santiago",
  "America/Havana",
  "Pacific/Chatham",
  "Asia/Kolkata",
  "UTC",
];

const RANGE_START = Date.UTC(2025, 0, 1);
const RANGE_END = Date.UTC(2028, 0, 1);

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallAt(zone: string, instant: number): Wall {
  let format = formatters.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, format);
  }
  const part: Record<string, number> = {};
  for (const { type, value } of format.formatToParts(instant)) part[type] = Number(value);
  const year = part.year!;
  const month = part.month!;
  const day = part.day!;
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return { year, month, day, hour: part.hour!, minute: part.minute!, second: part.second!, weekday };
}

function wallKey(wall: Wall): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
}

function offsetAt(zone: string, instant: number): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallKey(wallAt(zone, whole)) - whole;
}

/** Every instant in the range at which the zone's offset changes (probed daily, then bisected). */
function transitionsOf(zone: string): number[] {
  const found: number[] = [];
  for (let day = RANGE_START; day < RANGE_END; day += 24 * HOUR_MS) {
    let low = day;
    let high = day + 24 * HOUR_MS;
    const lowOffset = offsetAt(zone, low);
    if (offsetAt(zone, high) === lowOffset) continue;
    while (high - low > 1000) {
      const middle = low + Math.floor((high - low) / 2000) * 1000;
      if (offsetAt(zone, middle) === lowOffset) low = middle;
      else high = middle;
    }
    found.push(high);
  }
  return found;
}

let transitionCache: Map<string, number[]> | undefined;

/** Transitions of every zone in {@link ZONES}, computed once, on first use. */
function transitionsByZone(): Map<string, number[]> {
  transitionCache ??= new Map(ZONES.map((zone) => [zone, transitionsOf(zone)]));
  return transitionCache;
}

/** A repeated wall time's second pass: the same wall time was already shown 30 or 60 minutes earlier. */
function isFirstOccurrence(zone: string, instant: number): boolean {
  const key = wallKey(wallAt(zone, instant));
  return [30 * MINUTE_MS, HOUR_MS].every((shift) => wallKey(wallAt(zone, instant - shift)) !== key);
}

/** Whether a forward transition at `transition` skipped a wall time matching `testCase`. */
function gapHidesMatch(zone: string, transition: number, testCase: PropertyCase): boolean {
  const before = offsetAt(zone, transition - 1000);
  const after = offsetAt(zone, transition);
  for (let wall = transition + before; wall < transition + after; wall += MINUTE_MS) {
    const date = new Date(wall);
    const missing: Wall = {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: 0,
      weekday: date.getUTCDay(),
    };
    if (testCase.matches(missing)) return true;
  }
  return false;
}

interface Sample {
  zone: string;
  testCase: PropertyCase;
  after: number;
}

function samples(cases: PropertyCase[], count: number, seed: number): Sample[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const transitions = transitionsByZone();
  const out: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const zone = pick(ZONES);
    const testCase = pick(cases);
    const near = transitions.get(zone)!;
    const after =
      near.length > 0 && random() < 0.5
        ? pick(near) + Math.floor((random() * 2 - 1) * 36 * HOUR_MS)
        : RANGE_START + Math.floor(random() * (RANGE_END - RANGE_START - 7 * 24 * HOUR_MS));
    out.push({ zone, testCase, after });
  }
  return out;
}

/** A description of what is wrong with `run` as the answer for `sample`, or null. */
function intervalViolation({ zone, testCase, after }: Sample, run: number): string | null {
  if (!(run > after) || run % 1000 !== 0) return "not a whole second after the argument";
  if (!testCase.matches(wallAt(zone, run))) return "local wall time does not match the fields";
  for (
    let minute = Math.floor(after / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    minute < run;
    minute += MINUTE_MS
  ) {
    if (testCase.matches(wallAt(zone, minute))) return `skipped a match at ${new Date(minute).toISOString()}`;
  }
  return null;
}

function fixedTimeViolation(
  { zone, testCase, after }: Sample,
  run: number,
  transitions: number[],
): string | null {
  if (!(run > after) || run % 1000 !== 0) return "not a whole second after the argument";
  const firesOnWallTime = testCase.matches(wallAt(zone, run)) && isFirstOccurrence(zone, run);
  const firesAtGapEnd = transitions.includes(run) && gapHidesMatch(zone, run, testCase);
  if (!firesOnWallTime && !firesAtGapEnd) return "neither a first occurrence of a match nor a gap's end";
  for (
    let minute = Math.floor(after / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    minute < run;
    minute += MINUTE_MS
  ) {
    if (testCase.matches(wallAt(zone, minute)) && isFirstOccurrence(zone, minute)) {
      return `skipped a match at ${new Date(minute).toISOString()}`;
    }
  }
  for (const transition of transitions) {
    if (transition > after && transition < run && gapHidesMatch(zone, transition, testCase)) {
      return `skipped the end of the gap at ${new Date(transition).toISOString()}`;
    }
  }
  return null;
}

describe("next() against a brute-force oracle", () => {
  it("finds the first matching instant of interval expressions, across zones and DST changes", () => {
    const failures: string[] = [];
    for (const sample of samples(INTERVAL_CASES, 300, 20260308)) {
      const run = parseCron(sample.testCase.expr, { timezone: sample.zone }).next(new Date(sample.after));
      const problem = run === null ? "returned null" : intervalViolation(sample, run.getTime());
      if (problem !== null) {
        failures.push(
          `${sample.testCase.expr} in ${sample.zone} after ${new Date(sample.after).toISOString()}: ${problem}`,
        );
      }
    }
    expect(failures).toEqual([]);
  });

  it("finds the first run of fixed-time expressions, across zones and DST changes", () => {
    const transitions = transitionsByZone();
    const failures: string[] = [];
    for (const sample of samples(FIXED_TIME_CASES, 300, 20261101)) {
      const run = parseCron(sample.testCase.expr, { timezone: sample.zone }).next(new Date(sample.after));
      const problem =
        run === null
          ? "returned null"
          : fixedTimeViolation(sample, run.getTime(), transitions.get(sample.zone)!);
      if (problem !== null) {
        failures.push(
          `${sample.testCase.expr} in ${sample.zone} after ${new Date(sample.after).toISOString()}: ${problem}`,
        );
      }
    }
    expect(failures).toEqual([]);
  });
});
