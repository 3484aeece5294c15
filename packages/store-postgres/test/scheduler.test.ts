import { createScheduler, type Job } from "@sched/core";
import { runUntilIdle, waitFor } from "@sched/testing";
import { storeSchedulerScenarios } from "@sched/testing/conformance";
import { afterAll, describe, expect, it } from "vitest";
import type { PostgresStore } from "../src/index.js";
import { TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();
afterAll(() => schemas.dropAll());

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

// Each test gets a schema of its own; a second instance is another store (another pool) on it.
storeSchedulerScenarios("PostgresStore", async () => schemas.store(await schemas.migrated("sched_e2e")), {
  openPeer: (store) => schemas.store((store as PostgresStore).schema),
});

describe("createScheduler({ store: PostgresStore })", () => {
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

describe("claim size", () => {
  it("a claim takes the free slots and the whole prefetch (largeClaims, wholePrefetchClaims): workers 50 claim up to 200", async () => {
    const store = schemas.store(await schemas.migrated("sched_claims"));
    expect(store.capabilities).toMatchObject({ largeClaims: true, wholePrefetchClaims: true });
    const scheduler = createScheduler({ store, logger: quiet, workers: 50 });
    expect(scheduler.options).toMatchObject({ prefetch: 150, claimBatchSize: 200 });
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
    await scheduler.enqueueMany(Array.from({ length: 4_000 }, (_, n) => ({ name: "short", payload: { n } })));
    try {
      await scheduler.start();
      await waitFor(() => ran === 4_000, { timeout: "30s", description: "4,000 jobs to run" });
      // Once jobs have ended here, a claim takes the free slots and more than as many again to wait
      // (twice the workers would stop at 100), never more than the slots and the prefetch.
      expect(Math.max(...claimed)).toBeGreaterThan(100);
      expect(Math.max(...claimed)).toBeLessThanOrEqual(200);
    } finally {
      await scheduler.stop();
      await store.close();
    }
  });
});
