import { describe, expect, it } from "vitest";
import { Daily, EveryMinute, Hourly, Monthly, parseCron, Weekly, Yearly } from "../src/cron/index.js";
import { InvalidArgumentError } from "../src/errors.js";
import { cronRuns } from "./helpers.js";

describe("parseCron in UTC", () => {
  it("reads a five-field expression as minute hour day-of-month month day-of-week, at second 0", () => {
    expect(cronRuns("*/15 * * * *", "2026-01-01T00:07:30Z", 4)).toEqual([
      "2026-01-01T00:15:00.000Z",
      "2026-01-01T00:30:00.000Z",
      "2026-01-01T00:45:00.000Z",
      "2026-01-01T01:00:00.000Z",
    ]);
  });

  it("reads the first of six fields as seconds", () => {
    expect(cronRuns("*/20 * * * * *", "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-01T00:00:20.000Z",
      "2026-01-01T00:00:40.000Z",
      "2026-01-01T00:01:00.000Z",
    ]);
    expect(cronRuns("10 30 9 * * *", "2026-01-01T00:00:00Z", 2)).toEqual([
      "2026-01-01T09:30:10.000Z",
      "2026-01-02T09:30:10.000Z",
    ]);
  });

  it("fires on the listed hours of the listed weekdays only", () => {
    // 2026-01-02 is a Friday.
    expect(cronRuns("0 9,17 * * 1-5", "2026-01-02T10:00:00Z", 4)).toEqual([
      "2026-01-02T17:00:00.000Z",
      "2026-01-05T09:00:00.000Z",
      "2026-01-05T17:00:00.000Z",
      "2026-01-06T09:00:00.000Z",
    ]);
  });

  it("steps through a range from its first value", () => {
    expect(cronRuns("10-40/15 3 * * *", "2026-01-01T00:00:00Z", 4)).toEqual([
      "2026-01-01T03:10:00.000Z",
      "2026-01-01T03:25:00.000Z",
      "2026-01-01T03:40:00.000Z",
      "2026-01-02T03:10:00.000Z",
    ]);
    expect(cronRuns("0 0-23/8 * * *", "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-01T08:00:00.000Z",
      "2026-01-01T16:00:00.000Z",
      "2026-01-02T00:00:00.000Z",
    ]);
  });

  it("accepts month and weekday names", () => {
    expect(cronRuns("0 12 * jan,jul mon", "2026-01-01T00:00:00Z", 5)).toEqual([
      "2026-01-05T12:00:00.000Z",
      "2026-01-12T12:00:00.000Z",
      "2026-01-19T12:00:00.000Z",
      "2026-01-26T12:00:00.000Z",
      "2026-07-06T12:00:00.000Z",
    ]);
  });

  it("reads a list as the union of its elements, which may overlap, as Vixie cron does", () => {
    const from = "2026-01-01T00:00:00Z";
    expect(cronRuns("*/15,30 * * * *", from, 5)).toEqual(cronRuns("*/15 * * * *", from, 5));
    expect(cronRuns("0-10,5 * * * *", from, 12)).toEqual(cronRuns("0-10 * * * *", from, 12));
    expect(cronRuns("0 0 1,1 * *", from, 2)).toEqual(cronRuns("0 0 1 * *", from, 2));
    expect(cronRuns("0 0 * * 1-3,2", from, 4)).toEqual(cronRuns("0 0 * * 1-3", from, 4));
    for (const sundays of ["0,7", "sun,7", "7,sun", "*/2,7", "sat-sun,sun", "1,SUN-MON"]) {
      const plain = { "*/2,7": "0,2,4,6", "sat-sun,sun": "0,6", "1,SUN-MON": "0,1" }[sundays] ?? "0";
      expect(cronRuns(`0 0 * * ${sundays}`, from, 4)).toEqual(cronRuns(`0 0 * * ${plain}`, from, 4));
    }
    // L elements too: each once, beside the union of the numbers.
    expect(cronRuns("0 0 L,L * *", from, 3)).toEqual(cronRuns("0 0 L * *", from, 3));
    expect(cronRuns("0 0 1,L,1 * *", from, 4)).toEqual(cronRuns("0 0 1,L * *", from, 4));
    expect(cronRuns("0 0 * * 5L,5l,1", from, 4)).toEqual(cronRuns("0 0 * * 1,5L", from, 4));
    // The expression is kept as written, and its kind and day rule still read the raw fields.
    expect(parseCron("*/15,30 * * * *").expression).toBe("*/15,30 * * * *");
    expect(parseCron("*/15,30 * * * *").kind).toBe("interval");
  });

  it("treats day-of-week 7 as Sunday, like 0", () => {
    // 2026-01-04 is a Sunday.
    expect(cronRuns("0 0 * * 7", "2026-01-01T00:00:00Z", 2)).toEqual(
      cronRuns("0 0 * * 0", "2026-01-01T00:00:00Z", 2),
    );
    expect(cronRuns("0 0 * * 7", "2026-01-01T00:00:00Z", 2)).toEqual([
      "2026-01-04T00:00:00.000Z",
      "2026-01-11T00:00:00.000Z",
    ]);
    expect(cronRuns("0 0 * * 5-7", "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-02T00:00:00.000Z",
      "2026-01-03T00:00:00.000Z",
      "2026-01-04T00:00:00.000Z",
    ]);
  });

  it.each([
    ["SAT-SUN", "6-7"],
    ["sat-sun", "6-7"],
    ["Fri-Sun", "5-7"],
    ["FRI-SUN", "5-7"],
    ["MON-SUN", "1-7"],
    ["MON-SUN/2", "1-7/2"],
    ["mon-sun/3", "1-7/3"],
    ["1,FRI-SUN", "1,5-7"],
    ["FRI-SUN,2", "5-7,2"],
    ["6-SUN", "6-7"],
    ["SAT-0", "6-7"],
    ["6-0", "6-7"],
    ["1-0/2", "1-7/2"],
    ["SUN-SAT", "0-6"],
    ["SUN-SUN", "0"],
  ])("reads the day-of-week range %j as %j, ending at Sunday", (named, numeric) => {
    const from = "2026-01-01T00:00:00Z";
    expect(cronRuns(`0 9 * * ${named}`, from, 14)).toEqual(cronRuns(`0 9 * * ${numeric}`, from, 14));
    expect(cronRuns(`30 0 9 * * ${named}`, from, 14)).toEqual(cronRuns(`30 0 9 * * ${numeric}`, from, 14));
    expect(cronRuns(`*/20 * * * ${named}`, from, 200)).toEqual(cronRuns(`*/20 * * * ${numeric}`, from, 200));
  });

  it("fires on Saturdays and Sundays only for SAT-SUN", () => {
    // 2026-01-03 is a Saturday.
    expect(cronRuns("0 0 * * SAT-SUN", "2026-01-01T00:00:00Z", 4)).toEqual([
      "2026-01-03T00:00:00.000Z",
      "2026-01-04T00:00:00.000Z",
      "2026-01-10T00:00:00.000Z",
      "2026-01-11T00:00:00.000Z",
    ]);
  });

  it("reads a Sunday-ending range in a time zone as its numeric spelling", () => {
    const from = "2026-03-01T00:00:00Z";
    expect(cronRuns("0 2 * * FRI-SUN", from, 12, "Europe/Berlin")).toEqual(
      cronRuns("0 2 * * 5-7", from, 12, "Europe/Berlin"),
    );
  });

  it("expands every macro to its five-field equivalent", () => {
    const from = "2026-01-15T10:20:00Z";
    expect(cronRuns("@yearly", from, 1)).toEqual(["2027-01-01T00:00:00.000Z"]);
    expect(cronRuns("@annually", from, 1)).toEqual(["2027-01-01T00:00:00.000Z"]);
    expect(cronRuns("@monthly", from, 1)).toEqual(["2026-02-01T00:00:00.000Z"]);
    expect(cronRuns("@weekly", from, 1)).toEqual(["2026-01-18T00:00:00.000Z"]);
    expect(cronRuns("@daily", from, 1)).toEqual(["2026-01-16T00:00:00.000Z"]);
    expect(cronRuns("@midnight", from, 1)).toEqual(["2026-01-16T00:00:00.000Z"]);
    expect(cronRuns("@hourly", from, 1)).toEqual(["2026-01-15T11:00:00.000Z"]);
    expect(cronRuns(" @Daily ", from, 1)).toEqual(["2026-01-16T00:00:00.000Z"]);
  });

  it("exports the common cadences as constants", () => {
    expect([EveryMinute, Hourly, Daily, Weekly, Monthly, Yearly]).toEqual([
      "* * * * *",
      "0 * * * *",
      "0 0 * * *",
      "0 0 * * 0",
      "0 0 1 * *",
      "0 0 1 1 *",
    ]);
    const from = "2026-01-15T10:20:30Z";
    expect(cronRuns(EveryMinute, from, 1)).toEqual(["2026-01-15T10:21:00.000Z"]);
    expect(cronRuns(Hourly, from, 1)).toEqual(["2026-01-15T11:00:00.000Z"]);
    expect(cronRuns(Daily, from, 1)).toEqual(["2026-01-16T00:00:00.000Z"]);
    expect(cronRuns(Weekly, from, 1)).toEqual(["2026-01-18T00:00:00.000Z"]);
    expect(cronRuns(Monthly, from, 1)).toEqual(["2026-02-01T00:00:00.000Z"]);
    expect(cronRuns(Yearly, from, 1)).toEqual(["2027-01-01T00:00:00.000Z"]);
  });

  it("reads L in day-of-month as the last day of each month, leap years included", () => {
    expect(cronRuns("0 0 L * *", "2026-01-01T00:00:00Z", 4)).toEqual([
      "2026-01-31T00:00:00.000Z",
      "2026-02-28T00:00:00.000Z",
      "2026-03-31T00:00:00.000Z",
      "2026-04-30T00:00:00.000Z",
    ]);
    expect(cronRuns("0 0 L 2 *", "2027-03-01T00:00:00Z", 1)).toEqual(["2028-02-29T00:00:00.000Z"]);
  });

  it("reads 5#2 in day-of-week as the second Friday of the month", () => {
    expect(cronRuns("0 0 * * 5#2", "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-09T00:00:00.000Z",
      "2026-02-13T00:00:00.000Z",
      "2026-03-13T00:00:00.000Z",
    ]);
  });

  it("reads 5L in day-of-week as the last Friday of the month", () => {
    expect(cronRuns("0 0 * * 5L", "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-30T00:00:00.000Z",
      "2026-02-27T00:00:00.000Z",
      "2026-03-27T00:00:00.000Z",
    ]);
  });

  it("fires on 29 February only in leap years", () => {
    expect(cronRuns("0 0 29 2 *", "2026-01-01T00:00:00Z", 2)).toEqual([
      "2028-02-29T00:00:00.000Z",
      "2032-02-29T00:00:00.000Z",
    ]);
  });

  it("finds a rare combination within the search horizon", () => {
    // February has a fifth Monday only in a leap year whose 1 February is a Monday: 2016, then 2044.
    expect(cronRuns("0 0 * 2 1#5", "2015-06-01T00:00:00Z", 1)).toEqual(["2016-02-29T00:00:00.000Z"]);
  });

  it("finds one decades ahead: the search covers the Gregorian calendar's 400-year cycle", () => {
    // An expression that matches at all is never "no run": a schedule of it would never fire.
    expect(cronRuns("0 0 * 2 1#5", "2026-01-01T00:00:00Z", 2)).toEqual([
      "2044-02-29T00:00:00.000Z",
      "2072-02-29T00:00:00.000Z",
    ]);
    // Across 2100, which is no leap year: 2072, then 2112 (not 2100).
    expect(cronRuns("0 0 * 2 1#5", "2073-01-01T00:00:00Z", 1)).toEqual(["2112-02-29T00:00:00.000Z"]);
  });
});

describe("the Vixie day-of-month / day-of-week rule", () => {
  it("fires on every 13th and on every Friday when both day fields are restricted", () => {
    // January 2026: Fridays are the 2nd, 9th, 16th, 23rd and 30th; 13 February is a Friday and fires once.
    expect(cronRuns("0 0 13 * 5", "2026-01-01T00:00:00Z", 9)).toEqual([
      "2026-01-02T00:00:00.000Z",
      "2026-01-09T00:00:00.000Z",
      "2026-01-13T00:00:00.000Z",
      "2026-01-16T00:00:00.000Z",
      "2026-01-23T00:00:00.000Z",
      "2026-01-30T00:00:00.000Z",
      "2026-02-06T00:00:00.000Z",
      "2026-02-13T00:00:00.000Z",
      "2026-02-20T00:00:00.000Z",
    ]);
  });

  it("fires only on Fridays when day-of-month is a wildcard", () => {
    expect(cronRuns("0 0 * * 5", "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-02T00:00:00.000Z",
      "2026-01-09T00:00:00.000Z",
      "2026-01-16T00:00:00.000Z",
    ]);
  });

  it("fires only on 13ths when day-of-week is a wildcard", () => {
    expect(cronRuns("0 0 13 * *", "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-13T00:00:00.000Z",
      "2026-02-13T00:00:00.000Z",
      "2026-03-13T00:00:00.000Z",
    ]);
  });

  it("requires both day fields to match when either starts with *, as Vixie cron does", () => {
    // Days 1, 11, 21 and 31 that are Mondays: the first is 11 May 2026.
    expect(cronRuns("0 0 */10 * 1", "2026-01-01T00:00:00Z", 1)).toEqual(["2026-05-11T00:00:00.000Z"]);
    // 13ths that fall on Sunday, Tuesday, Thursday or Saturday: 13 January 2026 is a Tuesday.
    expect(cronRuns("0 0 13 * */2", "2026-01-01T00:00:00Z", 2)).toEqual([
      "2026-01-13T00:00:00.000Z",
      "2026-06-13T00:00:00.000Z",
    ]);
  });

  it("treats a restricted field that lists every value as restricted", () => {
    // 1-31 is not *, so either field matching is enough: every day fires.
    expect(cronRuns("0 0 1-31 * 1", "2026-01-01T00:00:00Z", 2)).toEqual([
      "2026-01-02T00:00:00.000Z",
      "2026-01-03T00:00:00.000Z",
    ]);
  });

  it("treats ? like * in the day fields", () => {
    expect(cronRuns("0 0 ? * 5", "2026-01-01T00:00:00Z", 3)).toEqual(
      cronRuns("0 0 * * 5", "2026-01-01T00:00:00Z", 3),
    );
    expect(cronRuns("0 0 13 * ?", "2026-01-01T00:00:00Z", 3)).toEqual(
      cronRuns("0 0 13 * *", "2026-01-01T00:00:00Z", 3),
    );
  });

  it("combines L in day-of-month with a restricted day-of-week by either matching", () => {
    // Mondays of January 2026 (5, 12, 19, 26) and its last day (Saturday 31).
    expect(cronRuns("0 0 L * 1", "2026-01-01T00:00:00Z", 6)).toEqual([
      "2026-01-05T00:00:00.000Z",
      "2026-01-12T00:00:00.000Z",
      "2026-01-19T00:00:00.000Z",
      "2026-01-26T00:00:00.000Z",
      "2026-01-31T00:00:00.000Z",
      "2026-02-02T00:00:00.000Z",
    ]);
  });
});

describe("CronSchedule", () => {
  it("keeps the expression as given and reports the canonical time zone", () => {
    const schedule = parseCron("  0 9 * * 1-5 ", { timezone: "europe/berlin" });
    expect(schedule.expression).toBe("  0 9 * * 1-5 ");
    expect(schedule.timezone).toBe("Europe/Berlin");
    expect(parseCron("0 9 * * *").timezone).toBe("UTC");
  });

  it.each([
    ["30 2 * * *"],
    ["0 9,17 * * 1-5"],
    ["15 1-3 * * *"],
    ["0 30 2 * * *"],
    ["0 0 1 1 *"],
    ["@daily"],
    ["@weekly"],
  ])("classifies %s as fixed-time", (expr) => {
    expect(parseCron(expr).kind).toBe("fixed-time");
  });

  it.each([
    ["*/15 * * * *"],
    ["30 * * * *"],
    ["0 0-23/2 * * *"],
    ["* * * * * *"],
    ["*/10 30 2 * * *"],
    ["0 5/10 1 * * *"],
    ["0 0 ? * * *"],
    ["@hourly"],
  ])("classifies %s as interval", (expr) => {
    expect(parseCron(expr).kind).toBe("interval");
  });

  it("returns a run strictly after its argument, even when the argument is itself a run", () => {
    const hourly = parseCron("0 * * * *");
    expect(hourly.next(new Date("2026-01-01T12:00:00.000Z"))?.toISOString()).toBe("2026-01-01T13:00:00.000Z");
    expect(hourly.next(new Date("2026-01-01T11:59:59.999Z"))?.toISOString()).toBe("2026-01-01T12:00:00.000Z");
    expect(hourly.next(new Date("2026-01-01T12:00:00.001Z"))?.toISOString()).toBe("2026-01-01T13:00:00.000Z");
    const daily = parseCron("0 12 * * *");
    expect(daily.next(new Date("2026-01-01T12:00:00.000Z"))?.toISOString()).toBe("2026-01-02T12:00:00.000Z");
  });

  it("returns whole seconds when the argument is not on a second boundary", () => {
    expect(parseCron("* * * * * *").next(new Date("2026-01-01T12:00:00.250Z"))?.toISOString()).toBe(
      "2026-01-01T12:00:01.000Z",
    );
  });

  it("rejects an invalid date passed to next", () => {
    const schedule = parseCron("* * * * *");
    expect(() => schedule.next(new Date(Number.NaN))).toThrow(InvalidArgumentError);
  });
});
