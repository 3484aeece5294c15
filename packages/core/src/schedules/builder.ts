import { InvalidScheduleError } from "../errors.js";
import type { Handler, HandlerFn } from "../jobs/handler.js";
import type { JobMap, JobName } from "../jobs/new-job.js";
import type { ScheduleDefinition, ScheduleRecord } from "../store/store.js";
import { dateMs } from "../validation/dates.js";
import { quoteText } from "../validation/quote.js";
import { describeValue } from "../validation/text.js";
import type { ScheduleOptions } from "./schedule-options.js";

/** What the builders need: the scheduler's `ScheduleDefiner`. */
export interface ScheduleRegistrar {
  /** Saves a schedule built from `definition` (kind, expression, every, anchor) and registers its handler. */
  define(
    name: string,
    definition: Pick<ScheduleDefinition, "kind" | "expression" | "every" | "anchor">,
    handler: HandlerFn | Handler,
    options: ScheduleOptions,
  ): Promise<ScheduleRecord>;
  /** The current time in ms. */
  now(): number;
}

type Unit = "second" | "minute" | "hour" | "day" | "week";

const UNIT_MS: Record<Unit, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
};

const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;

/**
 * The fluent builder returned by `every(n)`: a unit, optionally a weekday and a wall-clock time,
 * then `.do(name, handler, options)`.
 *
 * Seconds, minutes and hours (and days or weeks without `at`) are fixed intervals of real time
 * that ignore DST; `day().at("09:00")` and `week().monday().at("08:30")` are wall-clock times in
 * the schedule's time zone.
 *
 * @example
 * await s.every(5).minutes().do("healthcheck", check);
 * await s.every(1).day().at("09:00").do("report", report, { timezone: "America/New_York" });
 */
export class EveryBuilder<Jobs extends object = JobMap> {
  private unit: Unit | null = null;
  private weekday: number | null = null;
  private time: [number, number, number] | null = null;

  constructor(
    private readonly registrar: ScheduleRegistrar,
    private readonly n: number,
  ) {
    if (!Number.isInteger(n) || n <= 0) {
      throw new InvalidScheduleError(`every(n): n must be a positive integer, got ${describeValue(n)}`);
    }
  }

  /** Every n seconds. */
  second(): this {
    return this.setUnit("second");
  }
  /** Every n seconds. */
  seconds(): this {
    return this.setUnit("second");
  }
  /** Every n minutes. */
  minute(): this {
    return this.setUnit("minute");
  }
  /** Every n minutes. */
  minutes(): this {
    return this.setUnit("minute");
  }
  /** Every n hours. */
  hour(): this {
    return this.setUnit("hour");
  }
  /** Every n hours. */
  hours(): this {
    return this.setUnit("hour");
  }
  /** Every n days. */
  day(): this {
    return this.setUnit("day");
  }
  /** Every n days. */
  days(): this {
    return this.setUnit("day");
  }
  /** Every n weeks. */
  week(): this {
    return this.setUnit("week");
  }
  /** Every n weeks. */
  weeks(): this {
    return this.setUnit("week");
  }
  /** On Mondays (weekly). */
  monday(): this {
    return this.setWeekday(1);
  }
  /** On Tuesdays (weekly). */
  tuesday(): this {
    return this.setWeekday(2);
  }
  /** On Wednesdays (weekly). */
  wednesday(): this {
    return this.setWeekday(3);
  }
  /** On Thursdays (weekly). */
  thursday(): this {
    return this.setWeekday(4);
  }
  /** On Fridays (weekly). */
  friday(): this {
    return this.setWeekday(5);
  }
  /** On Saturdays (weekly). */
  saturday(): this {
    return this.setWeekday(6);
  }
  /** On Sundays (weekly). */
  sunday(): this {
    return this.setWeekday(0);
  }

  /**
   * At a wall-clock time `"HH:MM"` or `"HH:MM:SS"` (24-hour) in the schedule's time zone. Needs
   * day(s) or week(s). Once per schedule.
   *
   * @throws InvalidScheduleError (`INVALID_SCHEDULE`) for a malformed time, or a second `at()`.
   */
  at(time: string): this {
    const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(typeof time === "string" ? time.trim() : "");
    const h = Number(m?.[1]);
    const min = Number(m?.[2]);
    const s = Number(m?.[3] ?? 0);
    if (!m || h > 23 || min > 59 || s > 59) {
      throw new InvalidScheduleError(
        `at(time): expected "HH:MM" or "HH:MM:SS" (24-hour), got ${typeof time === "string" && time.length <= 20 ? quoteText(time, 20) : describeValue(time)}`,
      );
    }
    // One time per schedule: a second at() would silently replace the first.
    if (this.time !== null) {
      throw new InvalidScheduleError(
        `at(${JSON.stringify(time)}): this schedule already runs at ${this.time.map((n) => String(n).padStart(2, "0")).join(":")}; define one schedule per time (or use a cron expression such as "0 9,17 * * *")`,
      );
    }
    this.time = [h, min, s];
    return this;
  }

  /**
   * Registers `handler` under `name` and saves the schedule. Resolves with the stored schedule.
   * With a typed job map, `name` is one of its names and the handler gets that name's payload.
   */
  async do<N extends JobName<Jobs>>(
    name: N,
    handler: HandlerFn<Jobs[N]> | Handler<Jobs[N]>,
    options: ScheduleOptions = {},
  ): Promise<ScheduleRecord> {
    return this.registrar.define(name, this.definition(), handler as HandlerFn, options);
  }

  private definition(): Pick<ScheduleDefinition, "kind" | "expression" | "every" | "anchor"> {
    const unit = this.unit;
    if (!unit) {
      throw new InvalidScheduleError(
        `every(${this.n}) needs a unit: .seconds(), .minutes(), .hours(), .days() or .weeks()`,
      );
    }
    const anchor = this.registrar.now();
    if (this.time === null && this.weekday === null) {
      return { kind: "interval", every: this.n * UNIT_MS[unit], anchor };
    }
    if (unit !== "day" && unit !== "week") {
      throw new InvalidScheduleError(`at(time) needs .day(s)() or .week(s)(), not .${unit}s()`);
    }
    const [h, m, s] = this.time ?? [0, 0, 0];
    const dow = this.weekday === null ? "*" : String(this.weekday);
    return {
      kind: "daily",
      expression: `${s} ${m} ${h} * * ${dow}`,
      every: unit === "week" ? 7 * this.n : this.n,
      anchor,
    };
  }

  private setUnit(unit: Unit): this {
    if (this.unit && this.unit !== unit) {
      throw new InvalidScheduleError(
        `every(${this.n}) already has the unit ${this.unit}; cannot also use ${unit}`,
      );
    }
    this.unit = unit;
    return this;
  }

  private setWeekday(day: number): this {
    if (this.unit && this.unit !== "week") {
      throw new InvalidScheduleError(`.${WEEKDAYS[day]}() needs .week(s)(), not .${this.unit}s()`);
    }
    // One weekday per schedule: a second one would silently replace the first.
    if (this.weekday !== null && this.weekday !== day) {
      throw new InvalidScheduleError(
        `.${WEEKDAYS[day]}(): this schedule already runs on ${WEEKDAYS[this.weekday]}s; define one schedule per weekday (or use a cron expression such as "0 10 * * 1,5")`,
      );
    }
    this.unit = "week";
    this.weekday = day;
    return this;
  }
}

/**
 * The builder returned by `at(date)`: a job that runs once at `date`.
 *
 * @example
 * await s.at(new Date(Date.now() + 86_400_000)).do("birthday_email", send);
 */
export class AtBuilder<Jobs extends object = JobMap> {
  constructor(
    private readonly registrar: ScheduleRegistrar,
    private readonly date: Date,
  ) {
    if (Number.isNaN(dateMs(date))) {
      throw new InvalidScheduleError(`at(date): expected a valid Date, got ${describeValue(date)}`);
    }
  }

  /**
   * Registers `handler` under `name` and saves the one-time schedule. With a typed job map, `name`
   * is one of its names.
   */
  do<N extends JobName<Jobs>>(
    name: N,
    handler: HandlerFn<Jobs[N]> | Handler<Jobs[N]>,
    options: ScheduleOptions = {},
  ): Promise<ScheduleRecord> {
    return this.registrar.define(
      name,
      { kind: "once", anchor: this.date.getTime() },
      handler as HandlerFn,
      options,
    );
  }
}
