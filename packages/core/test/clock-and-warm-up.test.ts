import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryStore } from "../src/memory/index.js";
import { createScheduler } from "../src/scheduler.js";
import type { ClaimOptions, NextDueOptions } from "../src/store/store.js";
import { type Clock, systemClock } from "../src/time/clock.js";
import { setLongTimeout } from "../src/time/long-timeout.js";
import { ManualClock } from "../src/time/manual-clock.js";
import { WARM_UP_MS } from "../src/time/warm-up.js";
import { setup, turns, until } from "./helpers.js";

/**
 * Fake timers that systemClock takes for real ones: the marker `@sinonjs/fake-timers` puts on its
 * functions is removed, so that the two stages of a long wait can be stepped through.
 */
function fakeTimersUnmarked(config?: Parameters<typeof vi.useFakeTimers>[0]): void {
  vi.useFakeTimers(config);
  delete (globalThis.setTimeout as { clock?: unknown }).clock;
}

describe("systemClock timers fire when their wait has passed, not late by the host's oversleep", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a long wait wakes 1/64 of it early, then sleeps the rest: it fires at its time, not before", () => {
    fakeTimersUnmarked();
    const sleeps = vi.spyOn(globalThis, "setTimeout");
    const fired: number[] = [];
    const start = Date.now();
    systemClock.setTimeout(() => fired.push(Date.now() - start), 1_000);
    // The first stage: all but 1/64 of the wait.
    expect(sleeps.mock.calls.map((call) => call[1])).toEqual([984]);
    vi.advanceTimersByTime(983);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    // Woke early on purpose: a second timer for the rest, nothing fired yet.
    expect(fired).toEqual([]);
    expect(sleeps.mock.calls.map((call) => call[1])).toEqual([984, 16]);
    vi.advanceTimersByTime(15);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([1_000]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a stage that overslept sleeps only what is left; a clock set back cannot hold it longer", () => {
    fakeTimersUnmarked();
    const fired: number[] = [];
    const start = Date.now();
    systemClock.setTimeout(() => fired.push(Date.now() - start), 6_400);
    // The host overslept the first stage by 60 ms (its end reads 60 ms later): 40 ms are left.
    vi.setSystemTime(start + 60);
    vi.advanceTimersByTime(6_300);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(39);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([6_400]);

    // The wall clock set back an hour while the first stage slept: the rest is still 1/64 of the wait.
    const again = Date.now();
    const late: number[] = [];
    systemClock.setTimeout(() => late.push(Date.now()), 6_400);
    vi.setSystemTime(again - 3_600_000);
    vi.advanceTimersByTime(6_300 + 99);
    expect(late).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(late).toHaveLength(1);
  });

  it("a wait past one Node.js timer's limit (2^31 - 1 ms) fires at its time, not at once; Infinity never", () => {
    fakeTimersUnmarked();
    const fired: number[] = [];
    const start = Date.now();
    const days30 = 30 * 86_400_000;
    systemClock.setTimeout(() => fired.push(Date.now() - start), days30);
    systemClock.setTimeout(() => fired.push(-1), Number.POSITIVE_INFINITY);
    vi.advanceTimersByTime(2_147_483_647);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(days30 - 2_147_483_647 - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([days30]);
    // Cleared in its second step, it never fires.
    const cleared = systemClock.setTimeout(() => fired.push(-2), days30);
    vi.advanceTimersByTime(2_147_483_648);
    systemClock.clearTimeout(cleared);
    vi.advanceTimersByTime(days30);
    expect(fired).toEqual([days30]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("setLongTimeout sleeps a long wait in steps, and clear() stops it in any step", () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    const days30 = 30 * 86_400_000;
    setLongTimeout(() => fired.push("long"), days30);
    const stopped = setLongTimeout(() => fired.push("stopped"), days30);
    setLongTimeout(() => fired.push("never"), Number.POSITIVE_INFINITY);
    setLongTimeout(() => fired.push("negative"), -5);
    vi.advanceTimersByTime(0);
    expect(fired).toEqual(["negative"]);
    vi.advanceTimersByTime(2_147_483_648);
    stopped.clear();
    stopped.clear();
    vi.advanceTimersByTime(days30 - 2_147_483_649);
    expect(fired).toEqual(["negative"]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(["negative", "long"]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("with only setTimeout faked (Date real), a wait still ends after its fake time", () => {
    fakeTimersUnmarked({ toFake: ["setTimeout", "clearTimeout"] });
    const fired: string[] = [];
    systemClock.setTimeout(() => fired.push("done"), 2_000);
    vi.advanceTimersByTime(1_999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(["done"]);
  });

  it("under fake timers a long wait is one timer: stepping one timer fires it", () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    systemClock.setTimeout(() => fired.push("long"), 1_000);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersToNextTimer();
    expect(fired).toEqual(["long"]);
    systemClock.setTimeout(() => fired.push("pending"), 60_000);
    vi.runOnlyPendingTimers();
    expect(fired).toEqual(["long", "pending"]);
  });

  it("a short wait is one timer, and clearTimeout cancels a timer in either stage", () => {
    fakeTimersUnmarked();
    const fired: string[] = [];
    systemClock.setTimeout(() => fired.push("short"), 30);
    vi.advanceTimersByTime(29);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(["short"]);

    const early = systemClock.setTimeout(() => fired.push("cleared in stage 1"), 10_000);
    vi.advanceTimersByTime(5_000);
    systemClock.clearTimeout(early);
    const late = systemClock.setTimeout(() => fired.push("cleared in stage 2"), 6_400);
    vi.advanceTimersByTime(6_350);
    expect(vi.getTimerCount()).toBe(1);
    systemClock.clearTimeout(late);
    vi.advanceTimersByTime(20_000);
    expect(fired).toEqual(["short"]);
    expect(vi.getTimerCount()).toBe(0);
    // Handles it did not make are ignored.
    systemClock.clearTimeout(undefined);
    systemClock.clearTimeout(42);
    systemClock.clearTimeout({});
  });

  it("a wait out of range is clamped: negative or NaN fires at once", () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    systemClock.setTimeout(() => fired.push("negative"), -5);
    systemClock.setTimeout(() => fired.push("nan"), Number.NaN);
    vi.advanceTimersByTime(1);
    expect(fired.sort()).toEqual(["nan", "negative"]);
  });
});

describe("the claim loop at a due job's time", () => {
  /**
   * A scheduler (10 workers) on a store that records the claim loop's claims (clock time and
   * limit) and its nextDueAt calls; `ran` holds the clock time each job of `later` started.
   */
  function recording(clock: Clock) {
    const store = new MemoryStore();
    const calls: Array<[string, number, number?]> = [];
    const claim = store.claimDueJobs.bind(store);
    store.claimDueJobs = (options: ClaimOptions) => {
      calls.push(["claim", clock.now(), options.limit]);
      return claim(options);
    };
    const nextDueAt = store.nextDueAt.bind(store);
    store.nextDueAt = (options: NextDueOptions) => {
      calls.push(["nextDueAt", clock.now()]);
      return nextDueAt(options);
    };
    const s = createScheduler({ clock, store, workers: 10, pollInterval: "10s" });
    const ran: number[] = [];
    s.register("later", async () => {
      ran.push(clock.now());
    });
    return { s, calls, ran };
  }

  it("claims the first due job alone when nothing runs here, then the rest at once", async () => {
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const { s, calls, ran } = recording(clock);
    await s.start();
    const due = clock.now() + 1_000;
    await s.enqueueMany(Array.from({ length: 5 }, () => ({ name: "later", runAt: new Date(due) })));
    await turns();
    calls.length = 0;
    await clock.advance(1_000);
    await until(() => ran.length === 5);
    expect(ran).toEqual([due, due, due, due, due]);
    const claims = calls.filter(([call]) => call === "claim");
    // The first job starts after a claim of one; the next claim, without waiting, takes the rest.
    expect(claims[0]).toEqual(["claim", due, 1]);
    expect(claims[1]?.[1]).toBe(due);
    expect(claims[1]?.[2]).toBeGreaterThanOrEqual(4);
    await s.stop();
  });

  it("a timer that wakes a millisecond early does not claim before the due time", async () => {
    const manual = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    // Long waits that end a millisecond early by now(), as systemClock's may (Date.now() counts
    // whole ms); short ones end on time.
    const clock: Clock = {
      now: () => manual.now(),
      setTimeout: (fn, ms) => manual.setTimeout(fn, ms >= 64 ? ms - 1 : ms),
      clearTimeout: (handle) => manual.clearTimeout(handle),
    };
    const { s, calls, ran } = recording(clock);
    await s.start();
    await turns();
    const due = clock.now() + 1_000;
    await s.enqueue({ name: "later", runAt: new Date(due) });
    await turns();
    calls.length = 0;
    await manual.advance(1_000);
    await until(() => ran.length === 1);
    expect(ran).toEqual([due]);
    // The warm-up look, then one claim at the due time: no empty claim a millisecond before it.
    const claims = calls.filter(([call]) => call === "claim");
    expect(claims[0]?.[1]).toBe(due);
    expect(calls.filter(([call, at]) => call === "claim" && at < due)).toEqual([]);
    await s.stop();
  });

  it(`reads nextDueAt ${WARM_UP_MS} ms before the due time, then claims at it`, async () => {
    const { s, clock, store } = setup({ pollInterval: "10s" });
    const calls: Array<[string, number]> = [];
    const nextDueAt = store.nextDueAt.bind(store);
    store.nextDueAt = (options: NextDueOptions) => {
      calls.push(["nextDueAt", clock.now()]);
      return nextDueAt(options);
    };
    const claim = store.claimDueJobs.bind(store);
    store.claimDueJobs = (options) => {
      calls.push(["claim", clock.now()]);
      return claim(options);
    };
    const ran: number[] = [];
    s.register("later", async () => {
      ran.push(clock.now());
    });
    await s.start();
    const t0 = clock.now();
    await s.enqueue({ name: "later", payload: {}, runAt: new Date(t0 + 1_000) });
    await turns();
    calls.length = 0;
    await clock.advance(1_000 - WARM_UP_MS - 1);
    expect(calls).toEqual([]);
    await clock.advance(1);
    expect(calls).toEqual([["nextDueAt", t0 + 1_000 - WARM_UP_MS]]);
    await clock.advance(WARM_UP_MS);
    await until(() => ran.length === 1);
    expect(calls[1]).toEqual(["claim", t0 + 1_000]);
    expect(ran).toEqual([t0 + 1_000]);
    await s.stop();
  });

  it("no look for a wait under twice the warm-up, nor for a poll; none after stop()", async () => {
    const { s, clock, store } = setup({ pollInterval: "1s" });
    let looks = 0;
    const nextDueAt = store.nextDueAt.bind(store);
    store.nextDueAt = (options: NextDueOptions) => {
      looks++;
      return nextDueAt(options);
    };
    s.register("soon", async () => {});
    await s.start();
    await turns();
    // Idle: the loop polls every second and reads nextDueAt only after each empty claim.
    const before = looks;
    await clock.advance(1_000);
    await turns();
    expect(looks).toBe(before + 1);
    // A job due in 2 × WARM_UP_MS - 1 ms: no look ahead of it.
    const t0 = clock.now();
    await s.enqueue({ name: "soon", payload: {}, runAt: new Date(t0 + 2 * WARM_UP_MS - 1) });
    await turns();
    const afterEnqueue = looks;
    await clock.advance(2 * WARM_UP_MS - 2);
    expect(looks).toBe(afterEnqueue);
    // A job due later, then stop(): the look ahead of it is cancelled with the loop.
    await clock.advance(10);
    await turns();
    await s.enqueue({ name: "soon", payload: {}, runAt: new Date(clock.now() + 500) });
    await turns();
    await s.stop();
    const atStop = looks;
    await clock.advance(1_000);
    expect(looks).toBe(atStop);
  });
});

describe("the leader pings the store just before a schedule's next run", () => {
  it(`pings ${WARM_UP_MS} ms before the tick, fires at it, and pings no more after stop()`, async () => {
    const { s, clock, store } = setup({ pollInterval: "1m" });
    const pings: number[] = [];
    const ping = store.ping.bind(store);
    store.ping = () => {
      pings.push(clock.now());
      return ping();
    };
    const ran: number[] = [];
    await s.schedule("tick", "*/10 * * * * *", async () => {
      ran.push(clock.now());
    });
    await s.start();
    await turns();
    const t0 = clock.now();
    const tick = Math.ceil((t0 + 1) / 10_000) * 10_000;
    pings.length = 0;
    await clock.advance(tick - t0 - WARM_UP_MS - 1);
    expect(pings).toEqual([]);
    await clock.advance(1);
    expect(pings).toEqual([tick - WARM_UP_MS]);
    await clock.advance(WARM_UP_MS);
    await until(() => ran.length === 1);
    expect(ran).toEqual([tick]);
    await s.stop();
    const atStop = pings.length;
    await clock.advance(60_000);
    expect(pings).toHaveLength(atStop);
  });
});
