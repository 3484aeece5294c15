import { describe, expect, it } from "vitest";
import { Daily, parseCron, Weekly } from "../src/cron/index.js";
import { cronRuns } from "./helpers.js";

/**
 * docs/architecture.md §3 in the zones whose transitions cron-parser gets wrong: a 30-minute shift
 * (Lord Howe), transitions at midnight (Santiago, Havana) and a +12:45 offset (Chatham). Every
 * expected instant was worked out by hand from the zone's rules; the transition each block
 * exercises is stated above it in local and UTC time.
 */

describe("Australia/Lord_Howe (30-minute DST)", () => {
  const zone = "Australia/Lord_Howe";

  // Spring forward 2025-10-05: 02:00 (+10:30) becomes 02:30 (+11) at 2025-10-04T15:30Z.
  it("fires a fixed time inside the 30-minute gap at 02:30, the same day", () => {
    expect(cronRuns("15 2 * * *", "2025-10-03T14:00:00Z", 3, zone)).toEqual([
      "2025-10-03T15:45:00.000Z", // 02:15 +10:30 on 4 October
      "2025-10-04T15:30:00.000Z", // 02:30 +11 on 5 October
      "2025-10-05T15:15:00.000Z", // 02:15 +11 on 6 October
    ]);
    expect(cronRuns("0,15,45 2 * * *", "2025-10-04T12:00:00Z", 3, zone)).toEqual([
      "2025-10-04T15:30:00.000Z", // 02:00 and 02:15 are missing and fire once
      "2025-10-04T15:45:00.000Z", // 02:45 +11 exists
      "2025-10-05T15:00:00.000Z",
    ]);
  });

  it("skips the missing half hour for an interval expression", () => {
    expect(cronRuns("*/15 * * * *", "2025-10-04T15:00:00Z", 3, zone)).toEqual([
      "2025-10-04T15:15:00.000Z", // 01:45 +10:30
      "2025-10-04T15:30:00.000Z", // 02:30 +11
      "2025-10-04T15:45:00.000Z", // 02:45 +11
    ]);
  });

  // Fall back 2026-04-05: 02:00 (+11) becomes 01:30 (+10:30) at 2026-04-04T15:00Z; 01:30-02:00 repeats.
  it("fires a repeated fixed time once, at its first occurrence", () => {
    expect(cronRuns("45 1 * * *", "2026-04-04T12:00:00Z", 2, zone)).toEqual([
      "2026-04-04T14:45:00.000Z", // 01:45 +11 on 5 April
      "2026-04-05T15:15:00.000Z", // 01:45 +10:30 on 6 April
    ]);
  });

  it("fires an interval expression on both passes through the repeated half hour", () => {
    expect(cronRuns("*/15 * * * *", "2026-04-04T14:40:00Z", 4, zone)).toEqual([
      "2026-04-04T14:45:00.000Z", // 01:45 +11
      "2026-04-04T15:00:00.000Z", // 01:30 +10:30
      "2026-04-04T15:15:00.000Z", // 01:45 +10:30
      "2026-04-04T15:30:00.000Z", // 02:00 +10:30
    ]);
  });

  it("fires every half hour of real time through a whole year without looping", () => {
    // Both offsets are whole half hours, so local :00 and :30 are always UTC :00 and :30.
    const schedule = parseCron("*/30 * * * *", { timezone: zone });
    const end = Date.parse("2027-01-01T00:00:00Z");
    let previous = Date.parse("2025-12-31T23:30:00Z");
    let count = 0;
    let irregular = 0;
    for (;;) {
      const run = schedule.next(new Date(previous))!.getTime();
      if (run >= end) break;
      if (run - previous !== 30 * 60_000) irregular++;
      previous = run;
      count++;
    }
    expect(irregular).toBe(0);
    expect(count).toBe(365 * 48);
  });
});

describe("America/Santiago (transitions at midnight)", () => {
  const zone = "America/Santiago";

  // Spring forward 2026-09-06: 00:00 (-04) becomes 01:00 (-03) at 04:00Z; that day has no midnight.
  it("fires midnight at 01:00 on the day midnight does not exist", () => {
    expect(cronRuns(Daily, "2026-09-04T12:00:00Z", 3, zone)).toEqual([
      "2026-09-05T04:00:00.000Z", // 00:00 -04 on 5 September
      "2026-09-06T04:00:00.000Z", // 01:00 -03 on 6 September
      "2026-09-07T03:00:00.000Z", // 00:00 -03 on 7 September
    ]);
    expect(cronRuns("30 0 * * *", "2026-09-05T12:00:00Z", 1, zone)).toEqual(["2026-09-06T04:00:00.000Z"]);
  });

  it("skips the missing hour for an interval expression", () => {
    expect(cronRuns("0 * * * *", "2026-09-06T02:30:00Z", 3, zone)).toEqual([
      "2026-09-06T03:00:00.000Z", // 23:00 -04 on 5 September
      "2026-09-06T04:00:00.000Z", // 01:00 -03 on 6 September
      "2026-09-06T05:00:00.000Z", // 02:00 -03
    ]);
  });

  // Fall back 2026-04-05: 24:00 (-03) on 4 April becomes 23:00 (-04) at 03:00Z; 23:00-24:00 repeats.
  it("fires a repeated fixed time once and the following midnight once", () => {
    expect(cronRuns("30 23 * * *", "2026-04-04T12:00:00Z", 2, zone)).toEqual([
      "2026-04-05T02:30:00.000Z", // 23:30 -03 on 4 April
      "2026-04-06T03:30:00.000Z", // 23:30 -04 on 5 April
    ]);
    expect(cronRuns(Daily, "2026-04-04T12:00:00Z", 2, zone)).toEqual([
      "2026-04-05T04:00:00.000Z",
      "2026-04-06T04:00:00.000Z",
    ]);
  });

  it("fires an interval expression on both passes through the repeated hour", () => {
    expect(cronRuns("0 * * * *", "2026-04-05T01:30:00Z", 3, zone)).toEqual([
      "2026-04-05T02:00:00.000Z", // 23:00 -03
      "2026-04-05T03:00:00.000Z", // 23:00 -04
      "2026-04-05T04:00:00.000Z", // 00:00 -04
    ]);
    expect(cronRuns("*/30 23 * * *", "2026-04-04T12:00:00Z", 5, zone)).toEqual([
      "2026-04-05T02:00:00.000Z",
      "2026-04-05T02:30:00.000Z",
      "2026-04-05T03:00:00.000Z",
      "2026-04-05T03:30:00.000Z",
      "2026-04-06T03:00:00.000Z",
    ]);
  });
});

describe("America/Havana (transitions at midnight)", () => {
  const zone = "America/Havana";

  // Spring forward 2026-03-08 (a Sunday): 00:00 CST (-05) becomes 01:00 CDT (-04) at 05:00Z.
  it("fires midnight at 01:00 on the day midnight does not exist", () => {
    expect(cronRuns(Daily, "2026-03-06T12:00:00Z", 3, zone)).toEqual([
      "2026-03-07T05:00:00.000Z", // 00:00 CST
      "2026-03-08T05:00:00.000Z", // 01:00 CDT
      "2026-03-09T04:00:00.000Z", // 00:00 CDT
    ]);
  });

  it("keeps a weekly midnight run on its day when that midnight does not exist", () => {
    expect(cronRuns(Weekly, "2026-03-02T12:00:00Z", 2, zone)).toEqual([
      "2026-03-08T05:00:00.000Z",
      "2026-03-15T04:00:00.000Z",
    ]);
  });

  it("skips the missing hour for an interval expression", () => {
    expect(cronRuns("*/30 * * * *", "2026-03-08T04:15:00Z", 3, zone)).toEqual([
      "2026-03-08T04:30:00.000Z", // 23:30 CST on 7 March
      "2026-03-08T05:00:00.000Z", // 01:00 CDT
      "2026-03-08T05:30:00.000Z", // 01:30 CDT
    ]);
  });

  // Fall back 2026-11-01: 01:00 CDT becomes 00:00 CST at 05:00Z; 00:00-01:00 repeats.
  it("fires a repeated midnight once, at its first occurrence", () => {
    expect(cronRuns(Daily, "2026-10-31T12:00:00Z", 2, zone)).toEqual([
      "2026-11-01T04:00:00.000Z", // 00:00 CDT
      "2026-11-02T05:00:00.000Z", // 00:00 CST
    ]);
    expect(cronRuns("30 0 * * *", "2026-10-31T12:00:00Z", 2, zone)).toEqual([
      "2026-11-01T04:30:00.000Z",
      "2026-11-02T05:30:00.000Z",
    ]);
  });

  it("fires an interval expression on both passes through the repeated hour", () => {
    expect(cronRuns("0 * * * *", "2026-11-01T03:30:00Z", 3, zone)).toEqual([
      "2026-11-01T04:00:00.000Z", // 00:00 CDT
      "2026-11-01T05:00:00.000Z", // 00:00 CST
      "2026-11-01T06:00:00.000Z", // 01:00 CST
    ]);
  });
});

describe("Pacific/Chatham (+12:45 / +13:45)", () => {
  const zone = "Pacific/Chatham";

  // Spring forward 2026-09-27: 02:45 (+12:45) becomes 03:45 (+13:45) at 2026-09-26T14:00Z.
  it("fires a fixed time inside the gap at 03:45, the same day", () => {
    expect(cronRuns("0 3 * * *", "2026-09-26T00:00:00Z", 2, zone)).toEqual([
      "2026-09-26T14:00:00.000Z", // 03:45 +13:45 on 27 September
      "2026-09-27T13:15:00.000Z", // 03:00 +13:45 on 28 September
    ]);
  });

  it("skips the missing hour for an interval expression", () => {
    expect(cronRuns("0 * * * *", "2026-09-26T12:30:00Z", 3, zone)).toEqual([
      "2026-09-26T13:15:00.000Z", // 02:00 +12:45
      "2026-09-26T14:15:00.000Z", // 04:00 +13:45; 03:00 does not exist
      "2026-09-26T15:15:00.000Z", // 05:00 +13:45
    ]);
  });

  // Fall back 2026-04-05: 03:45 (+13:45) becomes 02:45 (+12:45) at 2026-04-04T14:00Z.
  it("fires a repeated fixed time once, at its first occurrence", () => {
    expect(cronRuns("0 3 * * *", "2026-04-04T00:00:00Z", 2, zone)).toEqual([
      "2026-04-04T13:15:00.000Z", // 03:00 +13:45 on 5 April
      "2026-04-05T14:15:00.000Z", // 03:00 +12:45 on 6 April
    ]);
  });

  it("fires an interval expression on both passes through the repeated hour", () => {
    expect(cronRuns("0 * * * *", "2026-04-04T12:00:00Z", 4, zone)).toEqual([
      "2026-04-04T12:15:00.000Z", // 02:00 +13:45
      "2026-04-04T13:15:00.000Z", // 03:00 +13:45
      "2026-04-04T14:15:00.000Z", // 03:00 +12:45
      "2026-04-04T15:15:00.000Z", // 04:00 +12:45
    ]);
  });
});

// Pacific/Apia skipped a whole day: at 24:00 on Thursday 2011-12-29 (-10:00, 2011-12-30T10:00Z)
// its clocks went to 00:00 on Saturday 2011-12-31 (+14:00). A jump of 3 hours or more is not a DST
// change, and its skipped times do not fire (Vixie cron catches up only on shorter jumps).
describe("Pacific/Apia (a skipped day)", () => {
  const zone = "Pacific/Apia";

  it("runs a daily job once a day: nothing for the missing Friday, once on the Saturday", () => {
    expect(cronRuns("0 12 * * *", "2011-12-28T12:00:00Z", 4, zone)).toEqual([
      "2011-12-28T22:00:00.000Z", // 12:00 -10:00 on Wednesday 28 December
      "2011-12-29T22:00:00.000Z", // 12:00 -10:00 on Thursday 29 December
      "2011-12-30T22:00:00.000Z", // 12:00 +14:00 on Saturday 31 December
      "2011-12-31T22:00:00.000Z", // 12:00 +14:00 on 1 January
    ]);
  });

  it("never runs a Friday or 30 December job on the Saturday", () => {
    expect(cronRuns("0 12 * * 5", "2011-12-28T12:00:00Z", 1, zone)).toEqual([
      "2012-01-05T22:00:00.000Z", // 12:00 +14:00 on Friday 6 January 2012
    ]);
    expect(cronRuns("0 12 30 12 *", "2011-12-28T12:00:00Z", 1, zone)).toEqual([
      "2012-12-29T22:00:00.000Z", // 12:00 +14:00 on 30 December 2012
    ]);
  });

  it("an interval expression skips the missing day's hours too", () => {
    expect(cronRuns("0 */12 * * *", "2011-12-29T12:00:00Z", 3, zone)).toEqual([
      "2011-12-29T22:00:00.000Z", // 12:00 -10:00 on 29 December
      "2011-12-30T10:00:00.000Z", // 00:00 +14:00 on 31 December
      "2011-12-30T22:00:00.000Z", // 12:00 +14:00 on 31 December
    ]);
  });
});
