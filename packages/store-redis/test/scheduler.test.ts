import { createScheduler, type Job } from "@sched/core";
import { runUntilIdle, waitFor } from "@sched/testing";
import { storeSchedulerScenarios } from "@sched/testing/conformance";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { adminClient, deleteKeys, keysOf, peerOf, REDIS_URL, uniquePrefix } from "./helpers.js";

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

// Each test gets a key prefix of its own; a peer is a second instance on it with a client of its own.
storeSchedulerScenarios("RedisStore", () => newStore("e2e"), {
  openPeer: (store) => peerOf(store as RedisStore, () => new Redis(REDIS_URL)),
});

describe("createScheduler({ store: RedisStore })", () => {
  it("a second instance sees the jobs through a wake-up, and a stopped scheduler leaves its store usable", async () => {
    const producerStore = newStore("two");
    const workerStore = new RedisStore({ client: admin, keyPrefix: producerStore.keyPrefix });
    const producer = createScheduler({ store: producerStore, logger: quiet });
    // A long poll interval: only the pushed event can start these jobs quickly.
    const worker = createScheduler({ store: workerStore, logger: quiet, workers: 10, pollInterval: "1h" });
    const ran: number[] = [];
    worker.register("hello", async (job: Job<{ n: number }>) => {
      ran.push(job.payload.n);
    });
    try {
      await worker.start();
      await producer.enqueueMany(Array.from({ length: 50 }, (_, n) => ({ name: "hello", payload: { n } })));
      await waitFor(() => ran.length === 50, { timeout: "10s", description: "50 jobs to run" });
      expect(ran.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, n) => n));
      await worker.stop();
      expect((await producerStore.stats()).completed).toBe(50);
    } finally {
      await worker.stop();
      await Promise.all([producerStore.close(), workerStore.close()]);
    }
  });

  it("two instances serving different queues each hear every enqueue to theirs at once", async () => {
    const emailsStore = newStore("queues");
    const reportsStore = new RedisStore({ client: admin, keyPrefix: emailsStore.keyPrefix });
    // Only pushed events can start these jobs within the test: polling is an hour away.
    const emails = createScheduler({
      store: emailsStore,
      logger: quiet,
      queues: ["emails"],
      pollInterval: "1h",
    });
    const reports = createScheduler({
      store: reportsStore,
      logger: quiet,
      queues: ["reports"],
      pollInterval: "1h",
    });
    const started: string[] = [];
    emails.register("email", async () => {
      started.push("email");
    });
    reports.register("report", async () => {
      started.push("report");
    });
    try {
      await Promise.all([emails.start(), reports.start()]);
      for (let i = 0; i < 10; i++) {
        const before = started.length;
        // Each instance's event would be a wake-up swallowed by the other one with a shared list.
        await emails.enqueue({ name: "report", queue: "reports" });
        await emails.enqueue({ name: "email", queue: "emails" });
        await waitFor(() => started.length === before + 2, {
          timeout: "2s",
          description: `round ${i}: both jobs to start`,
        });
      }
      expect(started.filter((name) => name === "report")).toHaveLength(10);
    } finally {
      await Promise.all([emails.stop(), reports.stop()]);
      await reportsStore.close();
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
    // Left: the queue set, the epoch, one counts hash per queue, and the throughput history (its
    // two hashes and its zset of minutes, bounded by the history's retention).
    const left = await keysOf(admin, store.keyPrefix);
    expect(left.length).toBeLessThanOrEqual(8);
    expect(left.every((key) => /:(queues|epoch|counts|tp:completed|tp:failed|tp:minutes)$/.test(key))).toBe(
      true,
    );
    await store.close();
  });
});

describe("claim size", () => {
  it("claims take the free slots and the prefetch at once (largeClaims): workers 50 claim up to 100", async () => {
    const store = newStore("large-claims");
    expect(store.capabilities.largeClaims).toBe(true);
    const scheduler = createScheduler({ store, logger: quiet, workers: 50 });
    expect(scheduler.options.claimBatchSize).toBe(100);
    const claimed: number[] = [];
    const claim = store.claimDueJobs.bind(store);
    store.claimDueJobs = async (options) => {
      const jobs = await claim(options);
      claimed.push(jobs.length);
      return jobs;
    };
    let ran = 0;
    scheduler.register("short", async () => {
      ran++;
    });
    await scheduler.enqueueMany(Array.from({ length: 2_000 }, (_, n) => ({ name: "short", payload: { n } })));
    try {
      await scheduler.start();
      await waitFor(() => ran === 2_000, { timeout: "20s", description: "2,000 jobs to run" });
      // Once jobs have ended here, a claim takes the 50 free slots and up to 50 to wait for one.
      expect(Math.max(...claimed)).toBeGreaterThan(50);
      expect(Math.max(...claimed)).toBeLessThanOrEqual(100);
    } finally {
      await scheduler.stop();
    }
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
