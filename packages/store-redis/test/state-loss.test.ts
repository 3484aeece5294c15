import { createScheduler, type Job, type Scheduler } from "@sched/core";
import { PrivateRedis } from "@sched/test-servers";
import { recordingLogger, waitFor } from "@sched/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { uniquePrefix } from "./helpers.js";

// A server of this file's own: it is restarted empty and flushed under running schedulers.
const server = new PrivateRedis();
let admin: Redis;

beforeAll(async () => {
  await server.start();
  admin = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: null });
  admin.on("error", () => {});
});

afterAll(async () => {
  admin?.disconnect();
  await server.remove();
});

/** How often the scheduler checks the store's epoch (its `distributed.lockRefresh`). */
const LOCK_REFRESH_MS = 500;

/**
 * A running scheduler on the private server with a schedule ticking every second, a handler for
 * `work`, and waiting jobs (due in an hour), as an application has when Redis loses its data.
 */
async function runningScheduler(label: string) {
  const logger = recordingLogger();
  const store = new RedisStore({ url: server.url, keyPrefix: uniquePrefix(label) });
  const scheduler: Scheduler = createScheduler({
    store,
    logger,
    pollInterval: "100ms",
    distributed: { lockRefresh: LOCK_REFRESH_MS, lockTTL: "3s" },
  });
  const ticks: number[] = [];
  const ran: number[] = [];
  await scheduler.schedule("tick", "* * * * * *", () => {
    ticks.push(Date.now());
  });
  scheduler.register("work", async (job: Job<{ n: number }>) => {
    ran.push(job.payload.n);
  });
  await scheduler.start();
  const later = new Date(Date.now() + 3_600_000);
  await scheduler.enqueueMany(
    [1, 2, 3].map((n) => ({ name: "work", payload: { n: -n }, runAt: later, queue: `waiting-${n}` })),
  );
  await waitFor(() => ticks.length > 0, { timeout: "5s", description: "a first tick" });
  const lossLogged = () =>
    logger.lines.some((line) => line.level === "error" && /the store lost its data/.test(line.message));
  return { scheduler, store, logger, ticks, ran, lossLogged };
}

/** Runs `lose` under a running scheduler and checks everything the scheduler can do about it. */
async function loseDataUnderScheduler(label: string, lose: () => Promise<void>): Promise<void> {
  const { scheduler, store, ticks, ran, lossLogged } = await runningScheduler(label);
  try {
    await scheduler.healthCheck()();
    expect((await scheduler.stats()).scheduled).toBe(3);

    const jobKeys = (await admin.keys("*job:*")).length;
    expect(jobKeys).toBeGreaterThan(0);
    await lose();
    const lostAt = Date.now();
    // The jobs' hashes are gone (a scheduler reconnecting at once may already have written a key
    // of its own, such as a new epoch, so the database need not be empty).
    expect(await admin.keys("*job:*")).toEqual([]);
    // Noticed within lockRefresh (plus the time a failed call backs off while Redis restarts).
    await waitFor(lossLogged, { timeout: "5s", interval: "20ms", description: "the loss to be logged" });
    expect(Date.now() - lostAt).toBeLessThan(LOCK_REFRESH_MS + 2_500);
    await expect(scheduler.healthCheck()()).rejects.toMatchObject({ code: "STORE_STATE_LOST" });

    // The waiting jobs are gone with the data; the schedule is restored and ticks again.
    expect((await scheduler.stats()).scheduled).toBe(0);
    await waitFor(async () => (await store.getSchedule("tick")) !== null, {
      timeout: "5s",
      description: "the schedule to be restored",
    });
    const ticksBefore = ticks.length;
    await waitFor(() => ticks.length >= ticksBefore + 2, {
      timeout: "5s",
      description: "the schedule to tick again",
    });

    // A job enqueued now, to a queue this process had registered before, is found and runs.
    await scheduler.enqueue({ name: "work", payload: { n: 1 }, queue: "waiting-1" });
    await scheduler.enqueue({ name: "work", payload: { n: 2 } });
    await waitFor(() => ran.includes(1) && ran.includes(2), {
      timeout: "5s",
      description: "jobs enqueued after the loss to run",
    });
    expect(await admin.smembers(`${store.keyPrefix}{#${store.keyPrefix}}:queues`)).toEqual(
      expect.arrayContaining(["waiting-1", "default"]),
    );
  } finally {
    await scheduler.stop({ timeout: 0 });
    await store.close();
  }
}

describe("a Redis that loses its data under a running scheduler", () => {
  it("restarted empty: the loss is logged and reported by healthCheck, the schedule ticks again, new jobs run", async () => {
    await loseDataUnderScheduler("restart-empty", () => server.restartEmpty());
  });

  it("flushed (FLUSHDB): the loss is logged and reported by healthCheck, the schedule ticks again, new jobs run", async () => {
    await loseDataUnderScheduler("flushdb", async () => {
      await admin.flushdb();
    });
  });
});
