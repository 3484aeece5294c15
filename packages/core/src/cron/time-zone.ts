import { InvalidScheduleError } from "../errors.js";
import { quoteText } from "../validation/quote.js";

/**
 * UTC offsets of IANA time zones, read from `Intl` (docs/architecture.md §3).
 *
 * `Intl` can only answer "what is the offset at this instant", and each answer costs about a
 * microsecond. Cron arithmetic asks that question, and "when does the offset next change", many
 * times per `next()`, so each zone's offsets are tabulated once per calendar year: the year is
 * probed once a day and every change found is pinned to the second by binary search. Lookups
 * after that are a few comparisons.
 */

const SECOND_MS = 1_000;
const DAY_MS = 86_400_000;

/**
 * Probing once a day finds every transition unless two of them cancel out within one day,
 * which no zone in the tz database does for present or future dates.
 */
const PROBE_STEP_MS = DAY_MS;

/** Offsets of one zone during one UTC calendar year `[start, end)`. */
interface YearOffsets {
  readonly start: number;
  readonly end: number;
  /** The offset in force just before `start`, until the first transition. */
  readonly initialOffset: number;
  /** Instants (whole seconds, ascending) at which the offset changes. */
  readonly transitions: readonly number[];
  /** `offsets[i]` is in force from `transitions[i]` on. */
  readonly offsets: readonly number[];
}

/** Offset lookups for one time zone, in milliseconds to add to UTC to get local wall time. */
export interface ZoneOffsets {
  /** The canonical zone name. */
  readonly zone: string;
  /** The offset (local minus UTC, in ms) in force at `instantMs`. */
  offsetAt(instantMs: number): number;
  /**
   * The first instant strictly after `instantMs` and not after `untilMs` at which the offset
   * changes, or `Infinity` when it does not change in that span.
   */
  nextTransitionAfter(instantMs: number, untilMs: number): number;
}

const UTC_OFFSETS: ZoneOffsets = {
  zone: "UTC",
  offsetAt: () => 0,
  nextTransitionAfter: () => Number.POSITIVE_INFINITY,
};

const zoneCache = new Map<string, ZoneOffsets>();

// Constructing an Intl.DateTimeFormat costs about 90µs; schedules re-validate the same few names.
const canonicalNames = new Map<string, string>();

/**
 * Checks an IANA time zone name and returns its canonical spelling, as `Intl` resolves it
 * (`"utc"` and `"Etc/UTC"` become `"UTC"`, `"US/Eastern"` becomes `"America/New_York"`).
 *
 * @param tz - the zone name, e.g. `"Europe/Berlin"`.
 * @param field - the option name used in the error message.
 * @throws InvalidScheduleError when `tz` is not a string or names no zone `Intl` knows.
 */
export function validateTimezone(tz: string, field = "timezone"): string {
  if (typeof tz !== "string" || tz.trim() === "") {
    throw new InvalidScheduleError(
      `${field}: expected an IANA time zone name such as "Europe/Berlin" or "UTC", got ${describe(tz)}`,
    );
  }
  const known = canonicalNames.get(tz);
  if (known !== undefined) return known;
  try {
    const canonical = new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
    canonicalNames.set(tz, canonical);
    return canonical;
  } catch (error) {
    throw new InvalidScheduleError(
      `${field}: unknown time zone ${describe(tz)}; use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC"`,
      { cause: error },
    );
  }
}

/** A value for a message: a string quoted, cut to 60 characters, its control characters escaped. */
function describe(value: unknown): string {
  if (typeof value === "string") {
    return quoteText(value, 60);
  }
  return value === null ? "null" : typeof value;
}

/**
 * The offset table of a zone already validated by {@link validateTimezone}. Tables are shared
 * and never evicted: there are a few hundred zones and a schedule only touches a few years.
 */
export function zoneOffsets(zone: string): ZoneOffsets {
  if (zone === "UTC") return UTC_OFFSETS;
  let offsets = zoneCache.get(zone);
  if (offsets === undefined) {
    offsets = new TabulatedZoneOffsets(zone, createOffsetProbe(zone));
    zoneCache.set(zone, offsets);
  }
  return offsets;
}

/** Reads the offset at one instant straight from `Intl`; the slow path behind the tables. */
type OffsetProbe = (instantMs: number) => number;

const LONG_OFFSET = /GMT(?:([+-])(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * Uses the `longOffset` time zone name (`"GMT-04:56:02"`), which is several times cheaper than
 * `formatToParts`; falls back to comparing wall-clock parts if an ICU build formats it otherwise.
 */
function createOffsetProbe(zone: string): OffsetProbe {
  const offsetFormat = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" });
  let wallClockFormat: Intl.DateTimeFormat | undefined;
  return (instantMs) => {
    const match = LONG_OFFSET.exec(offsetFormat.format(instantMs));
    if (match !== null) {
      if (match[1] === undefined) return 0;
      const magnitude =
        Number(match[2]) * 3_600_000 + Number(match[3]) * 60_000 + Number(match[4] ?? 0) * SECOND_MS;
      return match[1] === "-" ? -magnitude : magnitude;
    }
    wallClockFormat ??= new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    return wallClockOffset(wallClockFormat, instantMs);
  };
}

function wallClockOffset(format: Intl.DateTimeFormat, instantMs: number): number {
  const wholeSecond = Math.floor(instantMs / SECOND_MS) * SECOND_MS;
  const part: Record<string, number> = {};
  for (const { type, value } of format.formatToParts(wholeSecond)) part[type] = Number(value);
  const wall = Date.UTC(
    part.year ?? 1970,
    (part.month ?? 1) - 1,
    part.day ?? 1,
    part.hour ?? 0,
    part.minute ?? 0,
    part.second ?? 0,
  );
  return wall - wholeSecond;
}

class TabulatedZoneOffsets implements ZoneOffsets {
  readonly zone: string;
  readonly #probe: OffsetProbe;
  readonly #years = new Map<number, YearOffsets>();
  // Consecutive lookups nearly always fall in the same year; remembering it skips the Map.
  #lastYear: YearOffsets | undefined;

  constructor(zone: string, probe: OffsetProbe) {
    this.zone = zone;
    this.#probe = probe;
  }

  offsetAt(instantMs: number): number {
    const year = this.#yearContaining(instantMs);
    let offset = year.initialOffset;
    for (let i = 0; i < year.transitions.length && year.transitions[i]! <= instantMs; i++) {
      offset = year.offsets[i]!;
    }
    return offset;
  }

  nextTransitionAfter(instantMs: number, untilMs: number): number {
    let year = this.#yearContaining(instantMs);
    for (;;) {
      for (const transition of year.transitions) {
        if (transition > untilMs) return Number.POSITIVE_INFINITY;
        if (transition > instantMs) return transition;
      }
      if (year.end > untilMs) return Number.POSITIVE_INFINITY;
      year = this.#yearContaining(year.end);
    }
  }

  #yearContaining(instantMs: number): YearOffsets {
    const last = this.#lastYear;
    if (last !== undefined && instantMs >= last.start && instantMs < last.end) return last;
    const calendarYear = new Date(instantMs).getUTCFullYear();
    let year = this.#years.get(calendarYear);
    if (year === undefined) {
      year = this.#tabulate(calendarYear);
      this.#years.set(calendarYear, year);
    }
    this.#lastYear = year;
    return year;
  }

  #tabulate(calendarYear: number): YearOffsets {
    const start = Date.UTC(calendarYear, 0, 1);
    const end = Date.UTC(calendarYear + 1, 0, 1);
    const lastSecond = end - SECOND_MS;
    // Probing from the last second of the previous year catches a change exactly at `start`.
    let known = start - SECOND_MS;
    let knownOffset = this.#probe(known);
    const initialOffset = knownOffset;
    const transitions: number[] = [];
    const offsets: number[] = [];
    for (let probeAt = start; ; probeAt = Math.min(probeAt + PROBE_STEP_MS, lastSecond)) {
      const offset = this.#probe(probeAt);
      // A loop, not an `if`: two changes inside one step that do not cancel are both found.
      while (offset !== knownOffset) {
        const transition = this.#firstChange(known, probeAt, knownOffset);
        transitions.push(transition);
        knownOffset = this.#probe(transition);
        offsets.push(knownOffset);
        known = transition;
      }
      known = probeAt;
      if (probeAt === lastSecond) break;
    }
    return { start, end, initialOffset, transitions, offsets };
  }

  /** The first whole second in `(from, to]` whose offset differs from `fromOffset`. */
  #firstChange(from: number, to: number, fromOffset: number): number {
    let low = from;
    let high = to;
    while (high - low > SECOND_MS) {
      const middle = low + Math.floor((high - low) / (2 * SECOND_MS)) * SECOND_MS;
      if (this.#probe(middle) === fromOffset) low = middle;
      else high = middle;
    }
    return high;
  }
}
