import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { boundedWait } from "../src/adapter/index.js";

describe("boundedWait", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("ends at release: done resolves, onBound never runs and no timer is left", async () => {
    const onBound = vi.fn();
    const wait = boundedWait(2_000, onBound);
    expect(wait.pending).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
    wait.release();
    expect(wait.pending).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    await wait.done;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(onBound).not.toHaveBeenCalled();
    wait.release();
    expect(wait.pending).toBe(false);
  });

  it("ends at its bound: onBound runs once, before done resolves", async () => {
    const order: string[] = [];
    const wait = boundedWait(2_000, () => order.push("bound"));
    void wait.done.then(() => order.push("done"));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(order).toEqual([]);
    expect(wait.pending).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(order).toEqual(["bound", "done"]);
    expect(wait.pending).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    wait.release();
    expect(order).toEqual(["bound", "done"]);
  });

  it("sleeps a bound past 2^31 - 1 ms in steps instead of firing at once", async () => {
    const onBound = vi.fn();
    const wait = boundedWait(2 ** 31 + 10_000, onBound);
    await vi.advanceTimersByTimeAsync(2 ** 31 - 1);
    expect(onBound).not.toHaveBeenCalled();
    expect(wait.pending).toBe(true);
    await vi.advanceTimersByTimeAsync(10_001);
    expect(onBound).toHaveBeenCalledTimes(1);
  });

  it("never ends by itself with an Infinity bound", async () => {
    const wait = boundedWait(Number.POSITIVE_INFINITY);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * 2 ** 31);
    expect(wait.pending).toBe(true);
    wait.release();
    await expect(wait.done).resolves.toBeUndefined();
  });
});
