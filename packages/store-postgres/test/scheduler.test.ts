import { createScheduler, type Job } from "@sched/core";
import { createTestClock, runUntilIdle } from "@sched/testing";
import { afterAll, describe, expect, it } from "vitest";
import { eventually, TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();
afterAll(() => schemas.dropAll());

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe("createScheduler({ store: PostgresStore })", () => {
  it("runs 300 jobs with retries and dead letters, fires a cron schedule once per tick, and stops", async () => {
    const schema = await schemas.migrated("sched_e2e");
    const store = schemas.store(schema);
    const clock = createTestClock(new Date("2030-01-01T00:00:00.000Z"));
    const scheduler = createScheduler({
      store,
      clock,
      workers: 20,
      logger: quiet,
      retry: { maxAttempts: 3, initialDelay: "1s", multiplier: 2, maxDelay: "10s" },
    });
    const attempts = new Map<number, number>();
    const succeeded = new Set<number>();
    const deadLettered: number[] = [];
    const ticks: string[] = [];

    // Every 5th job fails its first attempt; every 50th fails all three and goes to the dead letters.
    scheduler.register("work", async (job: Job<{ n: number }>, ctx) => {
      const { n } = job.payload;
      attempts.set(n, (attempts.get(n) ?? 0) + 1);
      if (n % 50 === 0) throw new Error(`job ${n} always fails`);
      if (n % 5 === 0 && ctx.attempt === 1) throw new Error(`job ${n} fails once`);
      succeeded.add(n);
    });
    scheduler.register("dead", async (job: Job<{ n: number }>) => {
      deadLettered.push(job.payload.n);
    });
    await scheduler.schedule("report", "*/10 * * * * *", async (job) => {
      ticks.push(job.scheduledAt.toISOString());
    });

    await scheduler.start();
    await scheduler.enqueueMany(Array.from({ length: 300 }, (_, n) => ({ name: "work", payload: { n } })));
    await runUntilIdle(scheduler, { clock, maxAdvance: "1m", timeout: "20s" });

    const total = 300;
    const alwaysFailing = Array.from({ length: total }, (_, n) => n).filter((n) => n % 50 === 0);
    expect(succeeded.size).toBe(total - alwaysFailing.length);
    for (let n = 0; n < total; n++) {
      const expected = n % 50 === 0 ? 3 : n % 5 === 0 ? 2 : 1;
      expect(attempts.get(n), `attempts of job ${n}`).toBe(expected);
    }
    // runUntilIdle sees the jobs dead in the store; their dead-letter handler may still be on its way.
    await eventually(() => deadLettered.length >= alwaysFailing.length, "the dead-letter handler calls");
    expect(deadLettered.sort((a, b) => a - b)).toEqual(alwaysFailing);

    // The cron schedule: one job per 10-second tick, never two. The clock moves one tick at a
    // time, and each tick (a round trip to the database) is waited for before the next.
    const firstTicks = ticks.length;
    for (let step = 1; step <= 6; step++) {
      await clock.advance("10s");
      await eventually(() => ticks.length >= firstTicks + step, `tick ${step}`);
    }
    await runUntilIdle(scheduler, { timeout: "20s" });
    expect(ticks.length).toBe(firstTicks + 6);
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks.every((at) => /:[0-5]0\.000Z$/.test(at))).toBe(true);

    const stats = await scheduler.stats();
    expect(stats).toMatchObject({
      pending: 0,
      running: 0,
      failed: 0,
      dead: alwaysFailing.length,
      completed: total - alwaysFailing.length + ticks.length,
    });
    expect((await store.getSchedule("report"))?.occurrences).toBe(ticks.length);

    await scheduler.stop({ timeout: "5s" });
    expect(scheduler.running).toBe(false);
    await store.close();
  });

  it("a second instance on the same tables sees the jobs, and a stopped scheduler leaves its store usable", async () => {
    const schema = await schemas.migrated("sched_e2e");
    const producerStore = schemas.store(schema);
    const workerStore = schemas.store(schema);
    const producer = createScheduler({ store: producerStore, logger: quiet });
    const worker = createScheduler({ store: workerStore, logger: quiet, workers: 10, pollInterval: "50ms" });
    const ran: number[] = [];
    worker.register("hello", async (job: Job<{ n: number }>) => {
      ran.push(job.payload.n);
    });
    try {
      await worker.start();
      await producer.enqueueMany(Array.from({ length: 50 }, (_, n) => ({ name: "hello", payload: { n } })));
      await runUntilIdle(worker, { timeout: "20s" });
      expect(ran.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, n) => n));
      await worker.stop();
      expect((await producerStore.stats()).completed).toBe(50);
    } finally {
      await worker.stop();
      await Promise.all([producerStore.close(), workerStore.close()]);
    }
  });
});

describe("bad input through the scheduler", () => {
  it("a payload over the size limit is PayloadTooLargeError and leaves the table as it was", async () => {
    const schema = await schemas.migrated("sched_payload");
    const store = schemas.store(schema);
    const scheduler = createScheduler({ store, logger: quiet, maxPayloadBytes: 1024 });
    await scheduler.enqueue({ name: "small", payload: { text: "ok" } });
    await expect(
      scheduler.enqueue({ name: "big", payload: { text: "x".repeat(2000) } }),
    ).rejects.toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
    });
    await expect(
      scheduler.enqueueMany([{ name: "fine" }, { name: "big", payload: "y".repeat(5000) }]),
    ).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    expect((await store.listJobs({})).map((j) => j.name)).toEqual(["small"]);
    await store.close();
  });
});
