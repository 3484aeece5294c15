import { createScheduler, type Job } from "@sched/core";
import { runUntilIdle } from "@sched/testing";
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
