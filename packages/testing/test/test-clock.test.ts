import { MemoryLeader, MemoryLeaderGroup } from "@sched/core";
import { describe, expect, it } from "vitest";
import { createTestClock } from "../src/index.js";

const START = new Date("2030-06-01T12:00:00.000Z");

describe("createTestClock", () => {
  it("starts at the given Date or epoch ms, and at 2030-01-01 by default", () => {
    expect(createTestClock(START).now()).toBe(START.getTime());
    expect(createTestClock(1_000).now()).toBe(1_000);
    expect(createTestClock().now()).toBe(Date.UTC(2030, 0, 1));
  });

  it("rejects a start that is not a valid date", () => {
    expect(() => createTestClock(new Date("nope"))).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });

  it("does not move on its own", async () => {
    const clock = createTestClock(START);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(clock.now()).toBe(START.getTime());
  });

  it("fires a timer when time reaches its due time, not before, with now() at the due time", async () => {
    const clock = createTestClock(START);
    const firedAt: number[] = [];
    clock.setTimeout(() => firedAt.push(clock.now()), 1_000);
    await clock.advance(999);
    expect(firedAt).toEqual([]);
    await clock.advance(1);
    expect(firedAt).toEqual([START.getTime() + 1_000]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("fires timers in time order, and timers due at the same time in the order they were set", async () => {
    const clock = createTestClock(START);
    const order: string[] = [];
    clock.setTimeout(() => order.push("c"), 300);
    clock.setTimeout(() => order.push("a1"), 100);
    clock.setTimeout(() => order.push("b"), 200);
    clock.setTimeout(() => order.push("a2"), 100);
    await clock.advance(1_000);
    expect(order).toEqual(["a1", "a2", "b", "c"]);
    expect(clock.now()).toBe(START.getTime() + 1_000);
  });

  it("accepts duration strings", async () => {
    const clock = createTestClock(START);
    await clock.advance("1h30m");
    expect(clock.now()).toBe(START.getTime() + 90 * 60_000);
  });

  it("advance rejects a negative or malformed duration", async () => {
    const clock = createTestClock(START);
    await expect(clock.advance(-1)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(clock.advance("soon" as never)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(clock.now()).toBe(START.getTime());
  });

  it("treats a negative or non-finite delay as zero", async () => {
    const clock = createTestClock(START);
    let fired = 0;
    clock.setTimeout(() => fired++, -50);
    clock.setTimeout(() => fired++, Number.NaN);
    await clock.advance(0);
    expect(fired).toBe(2);
  });

  it("clearTimeout cancels a timer and ignores unknown handles", async () => {
    const clock = createTestClock(START);
    let fired = false;
    const handle = clock.setTimeout(() => {
      fired = true;
    }, 10);
    clock.clearTimeout(handle);
    clock.clearTimeout(12345);
    clock.clearTimeout(undefined);
    await clock.advance(100);
    expect(fired).toBe(false);
  });

  it("a timer may clear another timer due in the same window", async () => {
    const clock = createTestClock(START);
    const fired: string[] = [];
    const later = clock.setTimeout(() => fired.push("later"), 20);
    clock.setTimeout(() => {
      fired.push("first");
      clock.clearTimeout(later);
    }, 10);
    await clock.advance(100);
    expect(fired).toEqual(["first"]);
  });

  it("timers set during advance fire when they fall due within the window, and not beyond it", async () => {
    const clock = createTestClock(0);
    const fired: number[] = [];
    const tick = (): void => {
      fired.push(clock.now());
      clock.setTimeout(tick, 100);
    };
    clock.setTimeout(tick, 100);
    await clock.advance(350);
    expect(fired).toEqual([100, 200, 300]);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.now()).toBe(350);
  });

  it("async work started by a timer can set further timers that fire in the same advance", async () => {
    const clock = createTestClock(0);
    const fired: number[] = [];
    clock.setTimeout(async () => {
      await Promise.resolve();
      await new Promise<void>((resolve) => queueMicrotask(resolve));
      await Promise.resolve().then(() => Promise.resolve());
      clock.setTimeout(() => fired.push(clock.now()), 50);
    }, 100);
    await clock.advance(200);
    expect(fired).toEqual([150]);
  });

  it("advance lets promise callbacks pending before it run first", async () => {
    const clock = createTestClock(0);
    const fired: number[] = [];
    void Promise.resolve().then(() => clock.setTimeout(() => fired.push(clock.now()), 10));
    await clock.advance(10);
    expect(fired).toEqual([10]);
  });

  it("concurrent advances run one after the other", async () => {
    const clock = createTestClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 150);
    await Promise.all([clock.advance(100), clock.advance(100)]);
    expect(fired).toEqual([150]);
    expect(clock.now()).toBe(200);
  });

  it("a timer that throws rejects advance, and the clock stays usable", async () => {
    const clock = createTestClock(0);
    clock.setTimeout(() => {
      throw new Error("timer failure");
    }, 10);
    await expect(clock.advance(100)).rejects.toThrow("timer failure");
    expect(clock.now()).toBe(10);
    await clock.advance(5);
    expect(clock.now()).toBe(15);
  });

  it("set moves time without firing timers; the next advance fires the overdue ones", async () => {
    const clock = createTestClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 100);
    clock.set(new Date(500));
    expect(clock.now()).toBe(500);
    expect(fired).toEqual([]);
    await clock.advance(0);
    expect(fired).toEqual([500]);
  });

  it("set may move time backwards; timers keep their due instants", async () => {
    const clock = createTestClock(1_000);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 100);
    clock.set(0);
    await clock.advance(1_000);
    expect(fired).toEqual([]);
    await clock.advance(100);
    expect(fired).toEqual([1_100]);
  });

  it("pendingTimers counts timers set and not yet fired or cleared", async () => {
    const clock = createTestClock(0);
    expect(clock.pendingTimers()).toBe(0);
    const a = clock.setTimeout(() => {}, 10);
    clock.setTimeout(() => {}, 20);
    clock.setTimeout(() => {}, 30);
    expect(clock.pendingTimers()).toBe(3);
    clock.clearTimeout(a);
    await clock.advance(20);
    expect(clock.pendingTimers()).toBe(1);
  });

  it("runAll fires every timer, including ones set meanwhile, ending at the last due time", async () => {
    const clock = createTestClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5_000);
    }, 1_000);
    clock.setTimeout(() => fired.push(clock.now()), 3_000);
    await clock.runAll();
    expect(fired).toEqual([1_000, 3_000, 6_000]);
    expect(clock.now()).toBe(6_000);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("runAll rejects when a timer keeps re-arming itself", async () => {
    const clock = createTestClock(0);
    const rearm = (): void => {
      clock.setTimeout(rearm, 1);
    };
    clock.setTimeout(rearm, 1);
    await expect(clock.runAll({ maxTimers: 50 })).rejects.toMatchObject({ code: "TIMER_LOOP" });
  });

  it("drives a component that takes a Clock, such as MemoryLeader's lease", async () => {
    const clock = createTestClock(START);
    const group = new MemoryLeaderGroup();
    const a = new MemoryLeader({ instanceId: "a", ttl: "30s", clock, group });
    const b = new MemoryLeader({ instanceId: "b", ttl: "30s", clock, group });
    expect(await a.acquire()).toBe(true);
    await clock.advance("29s");
    expect(a.isLeader()).toBe(true);
    expect(await b.acquire()).toBe(false);
    await clock.advance("1s");
    expect(a.isLeader()).toBe(false);
    expect(await b.acquire()).toBe(true);
    expect(b.term).toBe(a.term + 1);
  });
});
