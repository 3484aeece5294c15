import { createScheduler, type Job } from "@sched/core";
import { createTestClock, runUntilIdle } from "@sched/testing";
import { afterAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { adminClient, deleteKeys, keysOf, uniquePrefix } from "./helpers.js";

const admin = adminClient();
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(admin, prefix);
  await admin.quit();
});

function newStore(label: string): RedisStore {
  const keyPrefix = uniquePrefix(label);
  prefixes.push(keyPrefix);
  return new RedisStore({ client: admin, keyPrefix });
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function eventually(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("createScheduler({ store: RedisStore })", () => {
  it("runs 300 jobs with retries and dead letters, fires a cron schedule once per tick, and stops", async () => {
    const store = newStore("e2e");
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

    const alwaysFailing = Array.from({ length: 300 }, (_, n) => n).filter((n) => n % 50 === 0);
    expect(succeeded.size).toBe(300 - alwaysFailing.length);
    for (let n = 0; n < 300; n++) {
      expect(attempts.get(n), `attempts of job ${n}`).toBe(n % 50 === 0 ? 3 : n % 5 === 0 ? 2 : 1);
    }
    await eventually(() => deadLettered.length >= alwaysFailing.length, "the dead-letter handler calls");
    expect(deadLettered.sort((a, b) => a - b)).toEqual(alwaysFailing);

    const firstTicks = ticks.length;
    for (let step = 1; step <= 6; step++) {
      await clock.advance("10s");
      await eventually(() => ticks.length >= firstTicks + step, `tick ${step}`);
    }
    await runUntilIdle(scheduler, { timeout: "20s" });
    expect(ticks.length).toBe(firstTicks + 6);
    expect(new Set(ticks).size).toBe(ticks.length);

    const stats = await scheduler.stats();
    expect(stats).toMatchObject({
      pending: 0,
      running: 0,
      failed: 0,
      dead: alwaysFailing.length,
      completed: 300 - alwaysFailing.length + ticks.length,
    });
    expect((await store.getSchedule("report"))?.occurrences).toBe(ticks.length);
    await scheduler.stop({ timeout: "5s" });
    expect(scheduler.running).toBe(false);
    await store.close();
  });

  it("a second instance sees the jobs through a wake-up, and a stopped scheduler leaves its store usable", async () => {
    const producerStore = newStore("two");
    const workerStore = new RedisStore({ client: admin, keyPrefix: producerStore.keyPrefix });
    const producer = createScheduler({ store: producerStore, logger: quiet });
    // A long poll interval: only the blocking-pop wake-up can start these jobs quickly.
    const worker = createScheduler({ store: workerStore, logger: quiet, workers: 10, pollInterval: "1h" });
    const ran: number[] = [];
    worker.register("hello", async (job: Job<{ n: number }>) => {
      ran.push(job.payload.n);
    });
    try {
      await worker.start();
      await producer.enqueueMany(Array.from({ length: 50 }, (_, n) => ({ name: "hello", payload: { n } })));
      await eventually(() => ran.length === 50, "50 jobs to run", 10_000);
      expect(ran.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, n) => n));
      await worker.stop();
      expect((await producerStore.stats()).completed).toBe(50);
    } finally {
      await worker.stop();
      await Promise.all([producerStore.close(), workerStore.close()]);
    }
  });

  it("after many jobs complete and cleanup runs, the keys of the prefix return to a small constant", async () => {
    const store = newStore("memory");
    const scheduler = createScheduler({ store, logger: quiet, workers: 50, completedRetention: "1h" });
    scheduler.register("noop", async () => {});
    await scheduler.start();
    for (let round = 0; round < 4; round++) {
      await scheduler.enqueueMany(
        Array.from({ length: 500 }, (_, n) => ({ name: "noop", payload: { n }, queue: `q${n % 3}` })),
      );
    }
    await runUntilIdle(scheduler, { timeout: "20s" });
    await scheduler.stop();
    expect((await store.stats()).completed).toBe(2_000);
    expect((await keysOf(admin, store.keyPrefix)).length).toBeGreaterThan(2_000);
    const far = new Date(Date.now() + 86_400_000);
    expect(await store.cleanup({ completedBefore: far, deadBefore: far, cancelledBefore: far })).toBe(2_000);
    // Left: the queue set, the wake list, and one counts hash per queue.
    const left = await keysOf(admin, store.keyPrefix);
    expect(left.length).toBeLessThanOrEqual(5);
    expect(left.every((key) => /:(queues|wake|counts)$/.test(key))).toBe(true);
    await store.close();
  });
});

describe("bad input through the scheduler", () => {
  it("a payload over the size limit is PAYLOAD_TOO_LARGE and nothing is stored", async () => {
    const store = newStore("payload");
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

describe("bulk enqueue", () => {
  it("enqueues 30,000 jobs in one enqueueMany call", async () => {
    const store = newStore("bulk");
    const scheduler = createScheduler({ store, logger: quiet });
    const jobs = await scheduler.enqueueMany(
      Array.from({ length: 30_000 }, (_, n) => ({ name: "bulk", payload: { n, text: "x".repeat(20) } })),
    );
    expect(jobs).toHaveLength(30_000);
    expect((await store.stats()).pending).toBe(30_000);
    await store.close();
  });
});
