import { describe, expect, it } from "vitest";
import { parseCron, validateTimezone } from "../src/cron/index.js";
import { InvalidScheduleError } from "../src/errors.js";

/** The error `action` throws; fails the test when it does not throw. */
function thrownBy(action: () => unknown): InvalidScheduleError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidScheduleError);
    return error as InvalidScheduleError;
  }
  throw new Error("expected an InvalidScheduleError, but nothing was thrown");
}

describe("parseCron validation", () => {
  it.each([[""], ["   "]])("rejects the empty expression %j", (expr) => {
    const error = thrownBy(() => parseCron(expr));
    expect(error.code).toBe("INVALID_SCHEDULE");
    expect(error.message).toContain("found 0 fields");
    expect(error.message).toContain(JSON.stringify(expr));
  });

  it("rejects a value that is not a string", () => {
    const error = thrownBy(() => parseCron(42 as unknown as string));
    expect(error.code).toBe("INVALID_SCHEDULE");
    expect(error.message).toContain("number");
  });

  it.each([
    ["not a cron", 3],
    ["* * * *", 4],
    ["* * * * * * *", 7],
  ])("rejects %j for having %i fields", (expr, count) => {
    const error = thrownBy(() => parseCron(expr));
    expect(error.code).toBe("INVALID_SCHEDULE");
    expect(error.message).toContain(JSON.stringify(expr));
    expect(error.message).toContain(`found ${count} fields`);
  });

  it.each([
    ["61 * * * *", "minute", "61"],
    ["0 25 * * *", "hour", "25"],
    ["0 0 32 * *", "day-of-month", "32"],
    ["0 0 0 * *", "day-of-month", "0"],
    ["0 0 * 13 *", "month", "13"],
    ["0 0 * * 8", "day-of-week", "8"],
    ["60 * * * * *", "second", "60"],
    ["*/0 * * * *", "minute", "*/0"],
    ["a * * * *", "minute", "a"],
    ["5-1 * * * *", "minute", "5-1"],
    ["1,,2 * * * *", "minute", "1,,2"],
    ["0 0 * foo *", "month", "foo"],
    ["0 0 * * 1#6", "day-of-week", "1#6"],
    ["0 0 W * *", "day-of-month", "W"],
  ])("rejects %j naming the %s field and the bad value", (expr, field, value) => {
    const error = thrownBy(() => parseCron(expr));
    expect(error.code).toBe("INVALID_SCHEDULE");
    expect(error.message).toContain(JSON.stringify(expr));
    expect(error.message).toContain(`${field} field ${JSON.stringify(value)}`);
  });

  it.each([
    ["0 0 * * TUE-MON", "TUE-MON"],
    ["0 0 * * tue-mon", "tue-mon"],
    ["0 0 * * 5-2", "5-2"],
    ["0 0 * * SAT-FRI", "SAT-FRI"],
    ["0 0 * * 1,TUE-MON", "1,TUE-MON"],
    ["0 0 * * 8-0", "8-0"],
    ["0 0 * * SAT-SUN/0", "SAT-SUN/0"],
    ["0 0 0 * * SAT-THU", "SAT-THU"],
  ])("still rejects the backwards day-of-week range in %j", (expr, value) => {
    const error = thrownBy(() => parseCron(expr));
    expect(error.code).toBe("INVALID_SCHEDULE");
    expect(error.message).toContain(JSON.stringify(expr));
    expect(error.message).toContain(`day-of-week field ${JSON.stringify(value)}`);
  });

  it("keeps cron-parser's error as the cause", () => {
    const error = thrownBy(() => parseCron("61 * * * *"));
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("rejects a day of month that never occurs in the chosen months", () => {
    const error = thrownBy(() => parseCron("0 0 30 2 *"));
    expect(error.code).toBe("INVALID_SCHEDULE");
    expect(error.message).toContain('day-of-month "30"');
    expect(error.message).toContain('month "2"');
    expect(thrownBy(() => parseCron("0 0 31 4,6,9,11 *")).code).toBe("INVALID_SCHEDULE");
  });

  it("accepts 30 February when a restricted day-of-week can still match", () => {
    // Vixie cron: either day field may match, so this is "every Monday in February".
    expect(parseCron("0 0 30 2 1").next(new Date("2026-01-01T00:00:00Z"))?.toISOString()).toBe(
      "2026-02-02T00:00:00.000Z",
    );
  });

  it("rejects an unknown macro by name", () => {
    const error = thrownBy(() => parseCron("@reboot"));
    expect(error.code).toBe("INVALID_SCHEDULE");
    expect(error.message).toContain('"@reboot"');
    expect(error.message).toContain("unknown macro");
  });

  it("rejects hashed H values, which would make runs differ between processes", () => {
    const error = thrownBy(() => parseCron("H * * * *"));
    expect(error.code).toBe("INVALID_SCHEDULE");
    expect(error.message).toContain('minute field "H"');
  });

  it("still accepts weekday names that contain the letter H", () => {
    expect(parseCron("0 0 * * THU").next(new Date("2026-01-01T00:00:00Z"))?.toISOString()).toBe(
      "2026-01-08T00:00:00.000Z",
    );
  });

  it("rejects an unknown time zone by name", () => {
    const error = thrownBy(() => parseCron("* * * * *", { timezone: "Mars/Olympus_Mons" }));
    expect(error.code).toBe("INVALID_SCHEDULE");
    expect(error.message).toContain('"Mars/Olympus_Mons"');
    expect(error.message).toContain("timezone");
  });
});

describe("validateTimezone", () => {
  it("returns the canonical spelling of a known zone", () => {
    expect(validateTimezone("Europe/Berlin")).toBe("Europe/Berlin");
    expect(validateTimezone("america/new_york")).toBe("America/New_York");
    expect(validateTimezone("utc")).toBe("UTC");
  });

  it("rejects an unknown zone, naming the zone and the field", () => {
    const error = thrownBy(() => validateTimezone("Nowhere/City", "schedule.timezone"));
    expect(error.code).toBe("INVALID_SCHEDULE");
    expect(error.message).toContain('"Nowhere/City"');
    expect(error.message.startsWith("schedule.timezone:")).toBe(true);
    expect(error.cause).toBeInstanceOf(RangeError);
  });

  it.each([[""], ["  "]])("rejects the blank zone name %j", (tz) => {
    const error = thrownBy(() => validateTimezone(tz));
    expect(error.code).toBe("INVALID_SCHEDULE");
    expect(error.message).toContain(JSON.stringify(tz));
  });

  it("rejects a zone name that is not a string", () => {
    const error = thrownBy(() => validateTimezone(undefined as unknown as string));
    expect(error.message).toContain("undefined");
  });
});

describe("cron-parser's puzzling refusals are said plainly", () => {
  it.each([
    ["0 0 * * MONDAY", "day-of-week", "MONDAY", /first three letters/],
    ["0 0 1 JANUARY *", "month", "JANUARY", /first three letters/],
    ["/5 * * * *", "minute", "/5", /a step follows \* or a range/],
    ["0 0 * * 1,/2", "day-of-week", "1,/2", /a step follows \* or a range/],
  ])("%j", (expr, field, value, detail) => {
    const error = thrownBy(() => parseCron(expr));
    expect(error.code).toBe("INVALID_SCHEDULE");
    expect(error.message).toContain(`${field} field ${JSON.stringify(value)}`);
    expect(error.message).toMatch(detail);
  });
});
