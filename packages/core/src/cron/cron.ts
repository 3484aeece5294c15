import { CronExpressionParser, type CronFieldCollection } from "cron-parser";
import { InvalidArgumentError, InvalidScheduleError } from "../errors.js";
import { dateMs } from "../validation/dates.js";
import { quoteText } from "../validation/quote.js";
import { describeValue } from "../validation/text.js";
import { type CronFields, compileFields } from "./cron-fields.js";
import { nextFixedTimeRun, nextIntervalRun } from "./next-run.js";
import type { Schedule } from "./schedule.js";
import { validateTimezone, type ZoneOffsets, zoneOffsets } from "./time-zone.js";

/**
 * How a cron expression behaves across DST changes (docs/architecture.md §3).
 * - `fixed-time`: no `*` and no step in the second, minute and hour fields. Wall-clock
 *   semantics: a repeated local time fires once (first pass), a skipped one fires at the end of
 *   the gap, the same day (not at all when the jump is 3 hours or more, a zone moving its
 *   calendar: Vixie cron catches up only after shorter ones).
 * - `interval`: everything else. Real-time semantics: fires on both passes of a repeated hour and
 *   skips local times that do not exist.
 */
export type CronKind = "fixed-time" | "interval";

/** A parsed cron expression in a time zone; {@link Schedule.next} gives its runs in real time. */
export interface CronSchedule extends Schedule {
  /** The expression exactly as it was given to {@link parseCron}. */
  readonly expression: string;
  /** The canonical IANA time zone the expression is read in; `"UTC"` by default. */
  readonly timezone: string;
  /** Whether runs follow the wall clock or real time across DST changes. */
  readonly kind: CronKind;
  /**
   * The first run strictly after `after`, on a whole second; `null` only when nothing matches
   * within the next 400 years, the Gregorian calendar's cycle, that is never (an expression as rare
   * as `0 0 * 2 1#5`, the fifth Monday of February, next runs in 2044).
   */
  next(after: Date): Date | null;
}

/** Options of {@link parseCron}. */
export interface ParseCronOptions {
  /** IANA time zone the fields are read in, e.g. `"Europe/Berlin"`. Default `"UTC"`. */
  timezone?: string;
  /** Alias of `timezone`. */
  tz?: string;
}

const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const FIELD_NAMES = ["second", "minute", "hour", "day-of-month", "month", "day-of-week"] as const;

const EXPECTED_SHAPE =
  "expected 5 fields (minute hour day-of-month month day-of-week), 6 with a leading second field, " +
  `or one of ${Object.keys(MACROS).join(" ")}`;

/** A hashed `H` is cron-parser's random placement; it is not Vixie cron, and not reproducible. */
const HASHED_VALUE = /(?<![A-Za-z])H(?![A-Za-z])/;

/**
 * Parses a cron expression: 5 fields (`minute hour day-of-month month day-of-week`), 6 with a
 * leading second field, or a macro (`@yearly @annually @monthly @weekly @daily @midnight
 * @hourly`). Fields take lists, ranges, steps and names (`jan`, `mon`); day-of-week 0 and 7 are
 * Sunday; day-of-month `L` is the last day of the month; day-of-week `5#2` is the second Friday
 * and `5L` the last Friday of the month. When both day fields are restricted, a day matching
 * either one matches (Vixie cron).
 *
 * @param expr - the cron expression.
 * @param opts - `timezone`: the IANA zone the fields are read in (default `"UTC"`).
 * @throws InvalidScheduleError naming the expression, the field and the bad value, or the unknown
 *   time zone.
 * @example
 * parseCron("30 2 * * *", { timezone: "America/New_York" }).next(new Date("2026-03-08T00:00:00Z"));
 * // 2026-03-08T07:00:00.000Z: 02:30 does not exist that day, so the run fires at 03:00 EDT.
 */
export function parseCron(expr: string, opts: ParseCronOptions = {}): CronSchedule {
  const timezone = validateTimezone(opts.timezone ?? opts.tz ?? "UTC", "timezone");
  const rawFields = splitFields(expr);
  const parserFields = rawFields.map((raw, index) =>
    unionOfList(index === 5 ? sundayEndsAtSeven(raw) : raw, index),
  );
  const fields = compileFields(parseFields(expr, rawFields, parserFields), rawFields[3]!, rawFields[5]!);
  const kind = classify(rawFields);
  return new ParsedCronSchedule(expr, timezone, kind, fields, zoneOffsets(timezone));
}

/** The six raw fields, seconds first (`0` when the expression has five). */
function splitFields(expr: string): string[] {
  if (typeof expr !== "string") {
    throw new InvalidScheduleError(`cron expression must be a string, got ${typeof expr}; ${EXPECTED_SHAPE}`);
  }
  let text = expr.trim();
  if (text.startsWith("@")) {
    const expansion = MACROS[text.toLowerCase()];
    if (expansion === undefined) {
      throw new InvalidScheduleError(
        `invalid cron expression ${quote(expr)}: unknown macro; ${EXPECTED_SHAPE}`,
      );
    }
    text = expansion;
  }
  const rawFields = text === "" ? [] : text.split(/\s+/);
  if (rawFields.length !== 5 && rawFields.length !== 6) {
    throw new InvalidScheduleError(
      `invalid cron expression ${quote(expr)}: found ${rawFields.length} fields; ${EXPECTED_SHAPE}`,
    );
  }
  if (rawFields.length === 5) rawFields.unshift("0");
  rawFields.forEach((raw, index) => {
    if (HASHED_VALUE.test(raw)) {
      throw new InvalidScheduleError(
        `invalid cron expression ${quote(expr)}: ${FIELD_NAMES[index]} field ${quote(raw)} uses H, ` +
          "which is not supported; list the values explicitly",
      );
    }
  });
  return rawFields;
}

/** cron-parser's names of the six fields, seconds first. */
const PARSER_FIELDS = ["second", "minute", "hour", "dayOfMonth", "month", "dayOfWeek"] as const;

/** A list element that names the last day (`L`) or the last such weekday (`5L`) of the month. */
const LAST_ELEMENT = /^\d*L$/i;

/** A list element cron-parser reads only alone or not in a list: `1#2`, `?`. */
const UNLISTABLE_ELEMENT = /#|\?/;

/**
 * A list field as cron-parser accepts it. Vixie cron reads a list as the union of its elements, so
 * elements may overlap (`*\/15,30`, `1-5,3`, `0,7`: Sunday twice, `L,L`); cron-parser refuses a
 * value listed twice. A list whose elements overlap is written as the sorted union of their
 * values (day-of-week 7 as 0), then its `L` elements, each once; any other field is left as
 * written, and so is a list with an element cron-parser refuses alone (its error then names the
 * field) or takes in no list (`1#2`, `?`).
 */
function unionOfList(field: string, index: number): string {
  if (!field.includes(",")) return field;
  const union = new Set<number>();
  const lasts = new Set<string>();
  let listed = 0;
  for (const element of field.split(",")) {
    if (element === "" || UNLISTABLE_ELEMENT.test(element)) return field;
    if (LAST_ELEMENT.test(element)) {
      lasts.add(element.toUpperCase());
      listed++;
      continue;
    }
    const alone = PARSER_FIELDS.map((_, other) => (other === index ? element : "*")).join(" ");
    let values: readonly (number | string)[];
    try {
      values = CronExpressionParser.parse(alone).fields[PARSER_FIELDS[index]!].values;
    } catch {
      return field;
    }
    for (const value of values) {
      if (typeof value !== "number") return field;
      union.add(index === 5 ? value % 7 : value);
      listed++;
    }
  }
  if (union.size + lasts.size === listed) return field;
  return [...[...union].sort((a, b) => a - b), ...lasts].join(",");
}

const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** One day-of-week list element that is a range, `start-end` with an optional `/step`. */
const DAY_RANGE = /^([0-9]+|[a-z]{3})-([0-9]+|[a-z]{3})(\/.*)?$/i;

/** A day-of-week value as a number (names are Sunday = 0), or `undefined` when it is neither. */
function dayNumber(text: string): number | undefined {
  if (/^[0-9]+$/.test(text)) return Number(text);
  const index = DAY_NAMES.indexOf(text.toLowerCase() as (typeof DAY_NAMES)[number]);
  return index === -1 ? undefined : index;
}

/**
 * Rewrites day-of-week ranges that end at Sunday spelled `SUN` or `0` (`SAT-SUN`, `FRI-0/2`) to
 * end at 7, as Vixie cron reads them: cron-parser maps `SUN` to 0 and refuses `6-0` as a
 * backwards range. A range that also starts at Sunday (`SUN-SUN`, `0-0`) is left alone, since
 * reading it as `0-7` would mean every day; anything else, including genuinely backwards ranges
 * such as `TUE-MON`, goes to cron-parser unchanged so that it rejects it.
 */
function sundayEndsAtSeven(rawDayOfWeek: string): string {
  return rawDayOfWeek
    .split(",")
    .map((element) => {
      const range = DAY_RANGE.exec(element);
      if (range === null) return element;
      const start = dayNumber(range[1]!);
      const end = dayNumber(range[2]!);
      if (start === undefined || start < 1 || start > 7 || end !== 0) return element;
      return `${range[1]}-7${range[3] ?? ""}`;
    })
    .join(",");
}

/**
 * Validation and field expansion are cron-parser's. Its errors do not say which field failed,
 * so on failure each field is re-parsed alone against wildcards to name the culprit. Errors quote
 * `rawFields`, the fields as written; cron-parser reads `parserFields`, the same fields after
 * {@link sundayEndsAtSeven}.
 */
function parseFields(
  expr: string,
  rawFields: readonly string[],
  parserFields: readonly string[],
): CronFieldCollection {
  try {
    return CronExpressionParser.parse(parserFields.join(" ")).fields;
  } catch (error) {
    for (let index = 0; index < parserFields.length; index++) {
      const alone = FIELD_NAMES.map((_, other) => (other === index ? parserFields[index] : "*")).join(" ");
      try {
        CronExpressionParser.parse(alone);
      } catch (fieldError) {
        // cron-parser reads an open range ("MON-") as a range to NaN: say what is wrong instead.
        const raw = rawFields[index]!;
        const detail = /(^|,)[^,]*-($|,|\/)|(^|,)-/.test(raw)
          ? "a range needs a start and an end, e.g. 1-5"
          : /[a-z]{4,}/i.test(raw)
            ? "names are written with their first three letters, e.g. MON or JAN"
            : /(^|,)\//.test(raw)
              ? "a step follows * or a range, e.g. */5 or 0-30/5"
              : messageOf(fieldError);
        throw new InvalidScheduleError(
          `invalid cron expression ${quote(expr)}: ${FIELD_NAMES[index]} field ${quote(raw)} is invalid (${detail})`,
          { cause: fieldError },
        );
      }
    }
    // Every field is valid alone, so the combination is not; in cron-parser 5 that means a
    // day of month that no chosen month has, such as 30 February.
    const problem = /day of month/i.test(messageOf(error))
      ? `day-of-month ${quote(rawFields[3]!)} never occurs in month ${quote(rawFields[4]!)}`
      : "its fields cannot be combined";
    throw new InvalidScheduleError(
      `invalid cron expression ${quote(expr)}: ${problem} (${messageOf(error)})`,
      {
        cause: error,
      },
    );
  }
}

/** docs/architecture.md §3: fixed-time means no wildcard and no step in the second, minute and hour fields. */
function classify(rawFields: readonly string[]): CronKind {
  const timeOfDay = rawFields.slice(0, 3);
  return timeOfDay.some((raw) => /[*?/]/.test(raw)) ? "interval" : "fixed-time";
}

function quote(text: string): string {
  return quoteText(text, 120);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class ParsedCronSchedule implements CronSchedule {
  readonly expression: string;
  readonly timezone: string;
  readonly kind: CronKind;
  readonly #fields: CronFields;
  readonly #zone: ZoneOffsets;

  constructor(expression: string, timezone: string, kind: CronKind, fields: CronFields, zone: ZoneOffsets) {
    this.expression = expression;
    this.timezone = timezone;
    this.kind = kind;
    this.#fields = fields;
    this.#zone = zone;
  }

  next(after: Date): Date | null {
    const afterMs = dateMs(after);
    if (Number.isNaN(afterMs)) {
      throw new InvalidArgumentError("after", `expected a valid Date, got ${describeValue(after)}`);
    }
    const run =
      this.kind === "fixed-time"
        ? nextFixedTimeRun(this.#fields, this.#zone, afterMs)
        : nextIntervalRun(this.#fields, this.#zone, afterMs);
    return run === null ? null : new Date(run);
  }

  toString(): string {
    return this.timezone === "UTC" ? this.expression : `${this.expression} (${this.timezone})`;
  }
}
