import { describe, expect, it } from "vitest";
import { parseCron } from "../src/cron/index.js";
import { cronRuns } from "./helpers.js";

/**
 * docs/architecture.md §3 across DST changes. Every expected instant below was worked out by hand from the
 * zone's rules; the transition each block exercises is stated above it in local and UTC time.
 */

describe("America/New_York", () => {
  const zone = "America/New_York";

  // Spring forward 2026-03-08: 02:00 EST (-05) becomes 03:00 EDT (-04) at 07:00Z.
  it("fires a fixed time inside the spring-forward gap at 03:00 EDT, the same day", () => {
    expect(cronRuns("30 2 * * *", "2026-03-07T00:00:00Z", 3, zone)).toEqual([
      "2026-03-07T07:30:00.000Z",
      "2026-03-08T07:00:00.000Z",
      "2026-03-09T06:30:00.000Z",
    ]);
  });

  it("fires several missing fixed times that meet at the end of the gap once", () => {
    expect(cronRuns("0,30 2 * * *", "2026-03-07T12:00:00Z", 3, zone)).toEqual([
      "2026-03-08T07:00:00.000Z",
      "2026-03-09T06:00:00.000Z",
      "2026-03-09T06:30:00.000Z",
    ]);
    expect(cronRuns("0 2,3 * * *", "2026-03-07T12:00:00Z", 3, zone)).toEqual([
      "2026-03-08T07:00:00.000Z",
      "2026-03-09T06:00:00.000Z",
      "2026-03-09T07:00:00.000Z",
    ]);
  });

  it("fires the gap's fixed time when asked from just before the gap ends, and not again after it", () => {
    const schedule = parseCron("30 2 * * *", { timezone: zone });
    expect(schedule.next(new Date("2026-03-08T06:59:59.500Z"))?.toISOString()).toBe(
      "2026-03-08T07:00:00.000Z",
    );
    expect(schedule.next(new Date("2026-03-08T07:00:00.000Z"))?.toISOString()).toBe(
      "2026-03-09T06:30:00.000Z",
    );
  });

  it("fires a whole missing hour of fixed times once, and a six-field time at the gap's end", () => {
    expect(cronRuns("0-59 2 * * *", "2026-03-08T06:59:00Z", 2, zone)).toEqual([
      "2026-03-08T07:00:00.000Z", // 02:00-02:59 are all missing
      "2026-03-09T06:00:00.000Z", // 02:00 EDT the next day
    ]);
    expect(cronRuns("30 30 2 * * *", "2026-03-08T00:00:00Z", 1, zone)).toEqual(["2026-03-08T07:00:00.000Z"]);
  });

  it("skips the missing hour for an interval expression", () => {
    expect(cronRuns("*/30 * * * *", "2026-03-08T06:15:00Z", 3, zone)).toEqual([
      "2026-03-08T06:30:00.000Z", // 01:30 EST
      "2026-03-08T07:00:00.000Z", // 03:00 EDT
      "2026-03-08T07:30:00.000Z", // 03:30 EDT
    ]);
    expect(cronRuns("30 * * * *", "2026-03-08T06:00:00Z", 2, zone)).toEqual([
      "2026-03-08T06:30:00.000Z", // 01:30 EST; 02:30 does not exist
      "2026-03-08T07:30:00.000Z", // 03:30 EDT
    ]);
  });

  // Fall back 2026-11-01: 02:00 EDT (-04) becomes 01:00 EST (-05) at 06:00Z; 01:00-02:00 repeats.
  it("fires a repeated fixed time once, at its first occurrence", () => {
    expect(cronRuns("30 1 * * *", "2026-10-31T12:00:00Z", 2, zone)).toEqual([
      "2026-11-01T05:30:00.000Z", // 01:30 EDT
      "2026-11-02T06:30:00.000Z", // 01:30 EST, the next day
    ]);
    expect(cronRuns("0 2 * * *", "2026-10-31T12:00:00Z", 1, zone)).toEqual(["2026-11-01T07:00:00.000Z"]);
  });

  it("does not fire a repeated fixed time again when asked during the second pass", () => {
    const schedule = parseCron("30 1 * * *", { timezone: zone });
    // 06:10Z is 01:10 EST, in the second pass; 01:30 already fired at 05:30Z.
    expect(schedule.next(new Date("2026-11-01T06:10:00Z"))?.toISOString()).toBe("2026-11-02T06:30:00.000Z");
    expect(schedule.next(new Date("2026-11-01T05:30:00Z"))?.toISOString()).toBe("2026-11-02T06:30:00.000Z");
  });

  it("skips the rest of a repeated hour of fixed times when asked during its second pass", () => {
    // 06:10Z is 01:10 EST; 01:11-01:59 already fired in the first pass (05:11Z-05:59Z).
    expect(cronRuns("0-59 1 * * *", "2026-11-01T06:10:00Z", 1, zone)).toEqual(["2026-11-02T06:00:00.000Z"]);
    expect(cronRuns("0-59 1 * * *", "2026-11-01T05:58:00Z", 2, zone)).toEqual([
      "2026-11-01T05:59:00.000Z",
      "2026-11-02T06:00:00.000Z",
    ]);
  });

  it("fires an interval expression on both passes through the repeated hour, first pass first", () => {
    expect(cronRuns("*/30 * * * *", "2026-11-01T04:45:00Z", 5, zone)).toEqual([
      "2026-11-01T05:00:00.000Z", // 01:00 EDT
      "2026-11-01T05:30:00.000Z", // 01:30 EDT
      "2026-11-01T06:00:00.000Z", // 01:00 EST
      "2026-11-01T06:30:00.000Z", // 01:30 EST
      "2026-11-01T07:00:00.000Z", // 02:00 EST
    ]);
    expect(cronRuns("*/30 1 * * *", "2026-10-31T12:00:00Z", 5, zone)).toEqual([
      "2026-11-01T05:00:00.000Z",
      "2026-11-01T05:30:00.000Z",
      "2026-11-01T06:00:00.000Z",
      "2026-11-01T06:30:00.000Z",
      "2026-11-02T06:00:00.000Z",
    ]);
  });
});

describe("Europe/London", () => {
  const zone = "Europe/London";

  // Spring forward 2026-03-29: 01:00 GMT becomes 02:00 BST (+01) at 01:00Z.
  it("fires a fixed time inside the gap at 02:00 BST", () => {
    expect(cronRuns("30 1 * * *", "2026-03-28T12:00:00Z", 2, zone)).toEqual([
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T00:30:00.000Z",
    ]);
  });

  it("skips the missing hour for an interval expression", () => {
    expect(cronRuns("15 * * * *", "2026-03-29T00:00:00Z", 3, zone)).toEqual([
      "2026-03-29T00:15:00.000Z", // 00:15 GMT
      "2026-03-29T01:15:00.000Z", // 02:15 BST; 01:15 does not exist
      "2026-03-29T02:15:00.000Z",
    ]);
  });

  // Fall back 2026-10-25: 02:00 BST becomes 01:00 GMT at 01:00Z; 01:00-02:00 repeats.
  it("fires a repeated fixed time once, at its first occurrence", () => {
    expect(cronRuns("30 1 * * *", "2026-10-24T12:00:00Z", 2, zone)).toEqual([
      "2026-10-25T00:30:00.000Z", // 01:30 BST
      "2026-10-26T01:30:00.000Z", // 01:30 GMT, the next day
    ]);
  });

  it("fires an interval expression on both passes through the repeated hour", () => {
    expect(cronRuns("15 * * * *", "2026-10-24T23:30:00Z", 3, zone)).toEqual([
      "2026-10-25T00:15:00.000Z", // 01:15 BST
      "2026-10-25T01:15:00.000Z", // 01:15 GMT
      "2026-10-25T02:15:00.000Z", // 02:15 GMT
    ]);
  });
});

describe("Europe/Berlin", () => {
  const zone = "Europe/Berlin";

  // Spring forward 2026-03-29: 02:00 CET (+01) becomes 03:00 CEST (+02) at 01:00Z.
  it("fires a fixed time inside the gap at 03:00 CEST", () => {
    expect(cronRuns("0 2 * * *", "2026-03-28T12:00:00Z", 2, zone)).toEqual([
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T00:00:00.000Z",
    ]);
  });

  it("skips the whole missing hour for an interval expression limited to that hour", () => {
    expect(cronRuns("*/20 2 * * *", "2026-03-28T12:00:00Z", 2, zone)).toEqual([
      "2026-03-30T00:00:00.000Z",
      "2026-03-30T00:20:00.000Z",
    ]);
  });

  // Fall back 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00Z; 02:00-03:00 repeats.
  it("fires a repeated fixed time once, at its first occurrence", () => {
    expect(cronRuns("30 2 * * *", "2026-10-24T12:00:00Z", 2, zone)).toEqual([
      "2026-10-25T00:30:00.000Z", // 02:30 CEST
      "2026-10-26T01:30:00.000Z", // 02:30 CET, the next day
    ]);
  });

  it("fires an interval expression on both passes through the repeated hour", () => {
    expect(cronRuns("*/20 2 * * *", "2026-10-24T12:00:00Z", 7, zone)).toEqual([
      "2026-10-25T00:00:00.000Z",
      "2026-10-25T00:20:00.000Z",
      "2026-10-25T00:40:00.000Z",
      "2026-10-25T01:00:00.000Z",
      "2026-10-25T01:20:00.000Z",
      "2026-10-25T01:40:00.000Z",
      "2026-10-26T01:00:00.000Z",
    ]);
  });
});

describe("Australia/Sydney", () => {
  const zone = "Australia/Sydney";

  // Fall back 2026-04-05: 03:00 AEDT (+11) becomes 02:00 AEST (+10) at 2026-04-04T16:00Z.
  it("fires a repeated fixed time once, at its first occurrence", () => {
    expect(cronRuns("30 2 * * *", "2026-04-04T00:00:00Z", 2, zone)).toEqual([
      "2026-04-04T15:30:00.000Z", // 02:30 AEDT on 5 April
      "2026-04-05T16:30:00.000Z", // 02:30 AEST on 6 April
    ]);
  });

  it("fires an interval expression on both passes through the repeated hour", () => {
    expect(cronRuns("0 * * * *", "2026-04-04T14:30:00Z", 3, zone)).toEqual([
      "2026-04-04T15:00:00.000Z", // 02:00 AEDT
      "2026-04-04T16:00:00.000Z", // 02:00 AEST
      "2026-04-04T17:00:00.000Z", // 03:00 AEST
    ]);
  });

  // Spring forward 2026-10-04: 02:00 AEST (+10) becomes 03:00 AEDT (+11) at 2026-10-03T16:00Z.
  it("fires a fixed time inside the gap at 03:00 AEDT", () => {
    expect(cronRuns("30 2 * * *", "2026-10-03T00:00:00Z", 2, zone)).toEqual([
      "2026-10-03T16:00:00.000Z",
      "2026-10-04T15:30:00.000Z",
    ]);
  });

  it("skips the missing hour for an interval expression", () => {
    expect(cronRuns("0 * * * *", "2026-10-03T14:30:00Z", 3, zone)).toEqual([
      "2026-10-03T15:00:00.000Z", // 01:00 AEST
      "2026-10-03T16:00:00.000Z", // 03:00 AEDT; 02:00 does not exist
      "2026-10-03T17:00:00.000Z", // 04:00 AEDT
    ]);
  });
});
