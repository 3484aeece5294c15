import { describe, expect, it } from "vitest";
import { lastHourData, MINUTES } from "../src/ui/throughput-grid.js";

const NOW = Date.parse("2030-05-01T12:34:56.789Z");
const minute = (iso: string) => Date.parse(iso) / 1000;

describe("the throughput chart's data", () => {
  it("is a grid of the 60 minutes ending with the current one, whatever minutes had jobs", () => {
    // One point only: the time axis must still span the hour (uPlot stretched it over years).
    const [minutes, completed, failed] = lastHourData(
      [{ minute: "2030-05-01T12:30:00.000Z", completed: 4, failed: 10 }],
      NOW,
    );
    expect(minutes).toHaveLength(MINUTES);
    expect(minutes[0]).toBe(minute("2030-05-01T11:35:00.000Z"));
    expect(minutes[MINUTES - 1]).toBe(minute("2030-05-01T12:34:00.000Z"));
    for (let i = 1; i < MINUTES; i++) expect((minutes[i] as number) - (minutes[i - 1] as number)).toBe(60);
    const at = minutes.indexOf(minute("2030-05-01T12:30:00.000Z"));
    expect(completed[at]).toBe(4);
    expect(failed[at]).toBe(10);
    expect(completed.reduce((a, b) => a + b, 0)).toBe(4);
    expect(failed.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it("adds up points of the same minute and leaves out those outside the hour", () => {
    const [, completed, failed] = lastHourData(
      [
        { minute: "2030-05-01T12:34:00.000Z", completed: 1, failed: 0 },
        { minute: "2030-05-01T12:34:00.000Z", completed: 2, failed: 3 },
        { minute: "2030-05-01T11:34:00.000Z", completed: 100, failed: 100 },
        { minute: "2030-05-01T12:35:00.000Z", completed: 100, failed: 100 },
        { minute: "not a date", completed: 100, failed: 100 },
      ],
      NOW,
    );
    expect(completed[MINUTES - 1]).toBe(3);
    expect(failed[MINUTES - 1]).toBe(3);
    expect(completed.reduce((a, b) => a + b, 0)).toBe(3);
    expect(failed.reduce((a, b) => a + b, 0)).toBe(3);
  });
});
