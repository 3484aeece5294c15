import { InvalidArgumentError } from "../errors.js";
import { describeValue } from "../validation/text.js";

/** A unit of a {@link DurationString}: milliseconds, seconds, minutes, hours, days. */
export type DurationUnit = "ms" | "s" | "m" | "h" | "d";

/**
 * A duration as a string of `<number><unit>` parts, the units from the largest down, each at most
 * once: `"500ms"`, `"30s"`, `"5m"`, `"1h30m"`, `"1d2h30m"`. A string without a unit (`"30"`) is
 * refused, but for `"0"`: write `30_000` or `"30s"`. A unit written twice or out of order
 * (`"1h1h"`, `"30m1h"`) is refused as a likely typo.
 */
export type DurationString =
  | "0"
  | `${number}${DurationUnit}`
  | `${number}${DurationUnit}${number}${DurationUnit}`
  | `${number}${DurationUnit}${number}${DurationUnit}${number}${DurationUnit}`;

/** A duration: milliseconds as a number, or a {@link DurationString} such as `"500ms"`, `"30s"`, `"1h30m"`. */
export type Duration = number | DurationString;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** The units from the largest down: the order a string's parts must follow. */
const UNIT_ORDER: readonly string[] = ["d", "h", "m", "s", "ms"];

/**
 * Parses a {@link Duration} into milliseconds.
 *
 * @param value - a non-negative number of milliseconds, or a string of `<number><unit>` parts
 *   (units `d`, `h`, `m`, `s`, `ms`, each at most once and in that order), e.g. `"1h30m"`;
 *   whitespace around the string is ignored.
 * @param field - the option name used in the error message.
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming `field` when the value is not a finite
 *   non-negative duration, or a string repeats a unit or puts a smaller one first.
 */
export function parseDuration(value: Duration | string, field = "duration"): number {
  // A number of milliseconds is kept as given; a string's sum of parts, to the nearest ms.
  return typeof value === "number" ? durationMs(value, field) : Math.round(durationMs(value, field));
}

/**
 * Writes a number of milliseconds as the shortest {@link Duration} string that
 * {@link parseDuration} reads back as the same number: `0ms`, `450ms`, `1.5s`, `1m30s`,
 * `59m59.999s`, `1h30m`, `1d1h`. Exact, never rounded: for showing what a setting holds (a rate
 * limit's window, an interval, a timeout), where `2m` for 90,000 ms would be another value. A
 * fraction of a millisecond is written in the `ms` part (`0.5ms`, `1s0.5ms`), which a string
 * reads back to the nearest ms.
 *
 * @param ms - a finite number of milliseconds, 0 or more.
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming `field` for a negative, `NaN` or
 *   infinite value.
 */
export function formatDuration(ms: number, field = "ms"): string {
  durationMs(ms, field);
  if (ms === 0) return "0ms";
  let rest = ms;
  let text = "";
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = UNIT_MS[unit] as number;
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (unit === "s" && count > 0 && rest > 0 && Number.isInteger(rest)) {
      // 1.5s rather than 1s500ms: the thousandths, without trailing zeros.
      return `${text}${count}.${String(rest).padStart(3, "0").replace(/0+$/, "")}s`;
    }
    if (count > 0) text += `${count}${unit}`;
  }
  return rest > 0 ? `${text}${rest}ms` : text;
}

/**
 * How a refusal names a duration the caller gave: a number as its ms (`1.5 ms`), a string as written
 * and what it was read as (`"0.4ms" (0 ms)`), so a string rounded to the nearest ms is recognised.
 */
export function describeDuration(value: Duration | string, ms: number): string {
  return typeof value === "string" ? `${JSON.stringify(value)} (${ms} ms)` : `${ms} ms`;
}

/** The milliseconds of `value`, unrounded (see {@link parseDuration} for the rules and errors). */
function durationMs(value: Duration | string, field: string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      const why = Number.isNaN(value) ? "" : value < 0 ? " (negative)" : " (not finite)";
      throw new InvalidArgumentError(
        field,
        `expected a finite number of milliseconds, 0 or more, got ${describeValue(value)}${why}`,
      );
    }
    // -0 ms is 0 ms: kept as 0, as every store would return it (one kept -0, the others 0).
    return value === 0 ? 0 : value;
  }
  if (typeof value !== "string") {
    throw new InvalidArgumentError(
      field,
      `expected a number of milliseconds or a string like "30s", got ${describeValue(value)}`,
    );
  }
  const text = value.trim();
  // A bare 0 is 0 in every unit: the one number a string may be without one.
  if (/^0+(\.0+)?$/.test(text)) return 0;
  if (/^\d+(\.\d+)?$/.test(text)) {
    throw new InvalidArgumentError(
      field,
      `"${text}" has no unit; write a number of milliseconds (${text}) or a string with a unit ("${text}ms", "${text}s")`,
    );
  }
  let total = 0;
  PART.lastIndex = 0;
  let matched = 0;
  let lastUnit = -1;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== start) {
      throw new InvalidArgumentError(
        field,
        `${describeValue(value)} is not a duration; use milliseconds or a string like "500ms", "30s", "5m", "1h30m"`,
      );
    }
    const unit = UNIT_ORDER.indexOf(m[2] as string);
    if (unit <= lastUnit) {
      throw new InvalidArgumentError(
        field,
        `${describeValue(value)} ${unit === lastUnit ? "repeats" : "misorders"} a unit; write each unit once, from days down to milliseconds ("1h30m", "1m30s")`,
      );
    }
    lastUnit = unit;
    total += Number(m[1]) * UNIT_MS[m[2] as string]!;
    matched++;
  }
  if (matched === 0) {
    throw new InvalidArgumentError(
      field,
      `${describeValue(value)} is not a duration; use milliseconds or a string like "500ms", "30s", "5m", "1h30m"`,
    );
  }
  // Digits enough overflow a number: "1111…1s" would be Infinity.
  if (!Number.isFinite(total)) {
    throw new InvalidArgumentError(
      field,
      `${describeValue(value)} is longer than any duration a number holds`,
    );
  }
  return total;
}

/** The longest job timeout: the largest whole number of milliseconds a JavaScript number holds exactly (about 285,000 years). */
export const MAX_JOB_TIMEOUT_MS = Number.MAX_SAFE_INTEGER;

/**
 * Parses a job's timeout (a {@link Duration}) into whole milliseconds, rounded up so that a limit
 * is never shorter than asked (`1.5` is 2 ms): every store keeps it exactly (PostgreSQL as a
 * `bigint`).
 *
 * @param field - the option name used in the error message.
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming `field` when the value is not a
 *   duration (see {@link parseDuration}) or is longer than {@link MAX_JOB_TIMEOUT_MS}.
 */
export function parseTimeout(value: Duration | string, field = "timeout"): number {
  // Rounded up from the exact value: a string such as "1.4ms" must not become a shorter limit.
  const ms = Math.ceil(durationMs(value, field));
  if (ms > MAX_JOB_TIMEOUT_MS) {
    throw new InvalidArgumentError(
      field,
      `expected at most ${MAX_JOB_TIMEOUT_MS} ms (about 285,000 years), got ${describeValue(value)}`,
    );
  }
  return ms;
}
