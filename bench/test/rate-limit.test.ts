import { describe, expect, it } from "vitest";
import { countPerWindow, highestInSlidingWindow } from "../src/workloads/rate-limit.js";

describe("rate-limit figures", () => {
  it("counts starts per window aligned to the Unix epoch", () => {
    const counts = countPerWindow([999, 1000, 1001, 1999, 2000], 1000);
    expect([...counts]).toEqual([
      [0, 1],
      [1, 3],
      [2, 1],
    ]);
  });

  it("finds the most starts in any span of the window's length, wherever it starts", () => {
    // Two per epoch-aligned window, but three within 100 ms across the boundary.
    expect(highestInSlidingWindow([0, 950, 990, 1010, 1500], 1000)).toBe(4);
    expect(highestInSlidingWindow([0, 950, 990, 1010, 1500], 100)).toBe(3);
    expect(highestInSlidingWindow([5, 5, 5], 1)).toBe(3);
    expect(highestInSlidingWindow([], 1000)).toBe(0);
  });
});
