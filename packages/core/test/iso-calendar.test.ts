import { describe, expect, it } from "vitest";
import { isValidIsoCalendar } from "../src/index.js";

describe("isValidIsoCalendar", () => {
  it("takes dates and date-times whose fields are in range", () => {
    for (const text of [
      "2026-01-31",
      "2024-02-29",
      "2000-02-29T00:00:00Z",
      "2026-04-30T23:59:59.999Z",
      "2026-12-31T23:59+14:00",
      "0001-01-01T00:00:00-05:30",
      "9999-12-31T23:59:59.999Z",
    ]) {
      expect(isValidIsoCalendar(text), text).toBe(true);
    }
  });

  it("refuses what Date.parse would roll over, and text that is no date", () => {
    for (const text of [
      "2026-02-29",
      "1900-02-29T00:00:00Z",
      "2026-02-30",
      "2026-04-31T00:00:00Z",
      "2026-13-01",
      "2026-00-10",
      "2026-01-00",
      "2026-01-01T24:00:00Z",
      "2026-01-01T12:60:00Z",
      "2026-01-01T12:00:60Z",
      "2026-01-01T12:00:00+24:00",
      "2026-01-01T12:00:00+02:60",
      "yesterday",
      "26-01-01",
    ]) {
      expect(isValidIsoCalendar(text), text).toBe(false);
    }
    // The cases above that Date.parse takes, rolled over.
    expect(Number.isNaN(Date.parse("2026-02-30"))).toBe(false);
  });
});
