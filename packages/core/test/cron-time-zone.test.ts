import { describe, expect, it } from "vitest";
import { parseCron } from "../src/cron/cron.js";
import { zoneOffsets } from "../src/cron/time-zone.js";

const HOUR_MS = 3_600_000;
const NO_TRANSITION = Number.POSITIVE_INFINITY;

describe("zone offset tables", () => {
  it("give the offset in force on either side of a transition, to the millisecond", () => {
    const newYork = zoneOffsets("America/New_York");
    const springForward = Date.parse("2026-03-08T07:00:00Z");
    expect(newYork.offsetAt(springForward - 1)).toBe(-5 * HOUR_MS);
    expect(newYork.offsetAt(springForward)).toBe(-4 * HOUR_MS);
    const fallBack = Date.parse("2026-11-01T06:00:00Z");
    expect(newYork.offsetAt(fallBack - 1)).toBe(-4 * HOUR_MS);
    expect(newYork.offsetAt(fallBack)).toBe(-5 * HOUR_MS);
  });

  it("find the next transition, also in a later year", () => {
    const newYork = zoneOffsets("America/New_York");
    const until = Date.parse("2030-01-01T00:00:00Z");
    expect(newYork.nextTransitionAfter(Date.parse("2026-04-01T00:00:00Z"), until)).toBe(
      Date.parse("2026-11-01T06:00:00Z"),
    );
    expect(newYork.nextTransitionAfter(Date.parse("2026-11-01T06:00:00Z"), until)).toBe(
      Date.parse("2027-03-14T07:00:00Z"),
    );
  });

  it("report no transition when the next one lies past the limit", () => {
    const newYork = zoneOffsets("America/New_York");
    const from = Date.parse("2026-04-01T00:00:00Z");
    expect(newYork.nextTransitionAfter(from, Date.parse("2026-11-01T05:59:59Z"))).toBe(NO_TRANSITION);
    expect(newYork.nextTransitionAfter(from, Date.parse("2026-11-01T06:00:00Z"))).toBe(
      Date.parse("2026-11-01T06:00:00Z"),
    );
  });

  it("handle 30- and 45-minute offsets and 30-minute shifts", () => {
    const lordHowe = zoneOffsets("Australia/Lord_Howe");
    expect(lordHowe.offsetAt(Date.parse("2026-01-15T00:00:00Z"))).toBe(11 * HOUR_MS);
    expect(lordHowe.offsetAt(Date.parse("2026-06-15T00:00:00Z"))).toBe(10.5 * HOUR_MS);
    expect(
      lordHowe.nextTransitionAfter(Date.parse("2026-01-01T00:00:00Z"), Date.parse("2027-01-01T00:00:00Z")),
    ).toBe(Date.parse("2026-04-04T15:00:00Z"));
    const chatham = zoneOffsets("Pacific/Chatham");
    expect(chatham.offsetAt(Date.parse("2026-06-15T00:00:00Z"))).toBe(12.75 * HOUR_MS);
    expect(
      chatham.nextTransitionAfter(Date.parse("2026-06-01T00:00:00Z"), Date.parse("2027-01-01T00:00:00Z")),
    ).toBe(Date.parse("2026-09-26T14:00:00Z"));
  });

  it("keep the seconds of historical local mean time offsets", () => {
    // New York kept local mean time, UTC-4:56:02, until 1883.
    expect(zoneOffsets("America/New_York").offsetAt(Date.UTC(1850, 0, 1))).toBe(
      -(4 * HOUR_MS + 56 * 60_000 + 2_000),
    );
  });

  it("report no transitions for UTC and for zones without DST", () => {
    const from = Date.parse("2026-01-01T00:00:00Z");
    const until = Date.parse("2034-01-01T00:00:00Z");
    expect(zoneOffsets("UTC").offsetAt(from)).toBe(0);
    expect(zoneOffsets("UTC").nextTransitionAfter(from, until)).toBe(NO_TRANSITION);
    expect(zoneOffsets("Asia/Kolkata").offsetAt(from)).toBe(5.5 * HOUR_MS);
    expect(zoneOffsets("Asia/Kolkata").nextTransitionAfter(from, until)).toBe(NO_TRANSITION);
  });
});

describe("parseCron options", () => {
  it("accepts tz as an alias of timezone", () => {
    const s = parseCron("0 9 * * *", { tz: "Europe/Berlin" });
    expect(s.timezone).toBe("Europe/Berlin");
    expect(s.next(new Date("2030-01-01T00:00:00Z"))?.toISOString()).toBe("2030-01-01T08:00:00.000Z");
  });
});
