import { createScheduler, MemoryLeader, MemoryLeaderGroup, MemoryStore, type Scheduler } from "@sched/core";
import { afterEach, describe, expect, it } from "vitest";
import { createTestClock, runUntilIdle } from "../src/index.js";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let s: Scheduler | null = null;
afterEach(async () => {
  await s?.stop({ timeout: 0 });
  s = null;
});

describe("runUntilIdle", () => {
  it("waits until every due job has run", async () => {
    s = createScheduler({ logger: quiet });
    let ran = 0;
    s.register("j", async () => {
      await new Promise((r) => setTimeout(r, 1));
      ran++;
    });
    await s.start();
    await s.enqueueMany(Array.from({ length: 30 }, () => ({ name: "j" })));
    await runUntilIdle(s);
    expect(ran).toBe(30);
  });

  it("takes a scheduler of a typed job map (a type error before)", async () => {
    interface Jobs {
      welcome: { userId: number };
    }
    const typed = createScheduler<Jobs>({ logger: quiet });
    const seen: number[] = [];
    typed.register("welcome", (job) => {
      seen.push(job.payload.userId);
    });
    await typed.start();
    await typed.enqueue({ name: "welcome", payload: { userId: 7 } });
    await runUntilIdle(typed);
    expect(seen).toEqual([7]);
    await typed.stop({ timeout: 0 });
  });

  it("with a clock, runs retries with backoff through to the dead-letter queue without sleeping", async () => {
    const clock = createTestClock();
    s = createScheduler({ clock, logger: quiet, retry: { initialDelay: "1m", maxAttempts: 4 } });
    const attempts: number[] = [];
    s.register("flaky", (_job, ctx) => {
      attempts.push(ctx.attempt);
      throw new Error("down");
    });
    await s.start();
    const job = await s.enqueue({ name: "flaky" });
    const start = clock.now();
    await runUntilIdle(s, { clock });
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect((await s.getJob(job.id))?.status).toBe("dead");
    // Backoff of about 1 + 2 + 4 minutes passed on the test clock.
    expect(clock.now() - start).toBeGreaterThanOrEqual(6 * 60_000);
  });

  it("does not advance past maxAdvance", async () => {
    const clock = createTestClock();
    s = createScheduler({ clock, logger: quiet });
    let ran = 0;
    s.register("later", () => {
      ran++;
    });
    await s.start();
    await s.enqueue({ name: "later", delay: "2d" });
    await runUntilIdle(s, { clock, maxAdvance: "1d" });
    expect(ran).toBe(0);
    await runUntilIdle(s, { clock, maxAdvance: "3d" });
    expect(ran).toBe(1);
  });

  it("reaches a job a month ahead well within its timeout: the clock jumps, it does not step through every poll", async () => {
    const clock = createTestClock();
    s = createScheduler({ clock, logger: quiet });
    const ranAt: number[] = [];
    s.register("later", () => {
      ranAt.push(clock.now());
    });
    await s.start();
    const job = await s.enqueue({ name: "later", delay: "30d" });
    // Stepping a 1 s poll through 30 days fires millions of timers: minutes of real time.
    await runUntilIdle(s, { clock, maxAdvance: "60d", timeout: "5s" });
    expect(ranAt).toEqual([job.scheduledAt.getTime()]);
    expect((await s.getJob(job.id))?.status).toBe("completed");
  });

  it("stops at each schedule tick on the way to a due job, each tick run at its time", async () => {
    const clock = createTestClock(new Date("2030-01-01T00:00:00Z"));
    s = createScheduler({ clock, logger: quiet });
    const ticks: string[] = [];
    await s.schedule("hourly", "0 * * * *", (job) => {
      ticks.push(`${job.scheduledAt.toISOString()} ran ${new Date(clock.now()).toISOString()}`);
    });
    let laterAt = 0;
    s.register("later", () => {
      laterAt = clock.now();
    });
    await s.start();
    await s.enqueue({ name: "later", delay: "3h30m" });
    await runUntilIdle(s, { clock });
    expect(ticks).toEqual([
      "2030-01-01T01:00:00.000Z ran 2030-01-01T01:00:00.000Z",
      "2030-01-01T02:00:00.000Z ran 2030-01-01T02:00:00.000Z",
      "2030-01-01T03:00:00.000Z ran 2030-01-01T03:00:00.000Z",
    ]);
    expect(new Date(laterAt).toISOString()).toBe("2030-01-01T03:30:00.000Z");
  });

  it("keeps the leader's lease through a long wait: with distributed on, no jump outlasts lockRefresh", async () => {
    const clock = createTestClock();
    const store = new MemoryStore();
    const group = new MemoryLeaderGroup();
    const changes: string[] = [];
    const make = (id: string) => {
      const leader = new MemoryLeader({ instanceId: id, group, clock, ttl: 30_000 });
      leader.onLeaderChange((leads) => changes.push(`${id} ${leads}`));
      return createScheduler({
        clock,
        store,
        logger: quiet,
        leader,
        distributed: { enabled: true, instanceId: id, lockTTL: "30s", lockRefresh: "10s" },
      });
    };
    const a = make("a");
    const b = make("b");
    s = a;
    try {
      await a.start();
      await b.start();
      await clock.advance(0);
      expect(a.isLeader).toBe(true);
      let ran = 0;
      a.register("later", () => {
        ran++;
      });
      await a.enqueue({ name: "later", delay: "2h" });
      await runUntilIdle(a, { clock });
      expect(ran).toBe(1);
      expect([a.isLeader, b.isLeader]).toEqual([true, false]);
      expect(changes).toEqual(["a true"]);
    } finally {
      await b.stop({ timeout: 0 });
    }
  });

  it("with distributed on, a timeout while stepping by lockRefresh says so", async () => {
    const clock = createTestClock();
    const store = new MemoryStore();
    const leader = new MemoryLeader({ instanceId: "a", group: new MemoryLeaderGroup(), clock, ttl: 30_000 });
    s = createScheduler({
      clock,
      store,
      logger: quiet,
      leader,
      distributed: { enabled: true, instanceId: "a" },
    });
    s.register("later", () => {});
    await s.start();
    await s.enqueue({ name: "later", delay: "30d" });
    const error = await runUntilIdle(s, { clock, maxAdvance: "60d", timeout: "300ms" }).catch(
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ code: "IDLE_TIMEOUT" });
    expect((error as Error).message).toMatch(
      /With distributed on, the clock moves at most lockRefresh \(10000 ms\) at a time/,
    );
  });

  it("rejects with IDLE_TIMEOUT when a handler hangs", async () => {
    s = createScheduler({ logger: quiet });
    s.register("hang", () => new Promise<void>(() => {}));
    await s.start();
    await s.enqueue({ name: "hang" });
    await expect(runUntilIdle(s, { timeout: "200ms" })).rejects.toMatchObject({ code: "IDLE_TIMEOUT" });
  });

  it("rejects with IDLE_TIMEOUT while advancing the clock after a job that comes back without end", async () => {
    const clock = createTestClock();
    const scheduler = createScheduler({ clock, logger: quiet });
    s = scheduler;
    let runs = 0;
    // Each run enqueues the next a second later: as a store that never counts retries would.
    scheduler.register("forever", async () => {
      runs++;
      await scheduler.enqueue({ name: "forever", delay: "1s" });
    });
    await s.start();
    await s.enqueue({ name: "forever" });
    const started = Date.now();
    const error = await runUntilIdle(s, { clock, timeout: "300ms", maxAdvance: "30d" }).catch(
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ code: "IDLE_TIMEOUT" });
    expect((error as Error).message).toMatch(/advances? of the clock to a next due job/);
    // It gave up at its timeout, not after following the job through 30 days of retries.
    expect(runs).toBeGreaterThan(1);
    expect(runs).toBeLessThan(30 * 86_400);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
