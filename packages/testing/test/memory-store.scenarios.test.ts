import { MemoryStore, type ScheduleTick, uuidv7Generator } from "@sched/core";
import { afterEach, describe, expect, it } from "vitest";
import { storeSchedulerScenarios } from "../src/conformance/index.js";
import { payloadLimitScenario, workloadScenario } from "../src/store-scheduler-scenarios.js";

storeSchedulerScenarios("MemoryStore", () => new MemoryStore(), { openPeer: (store) => store });

let opened = 0;
let cleanedUp = 0;
storeSchedulerScenarios(
  "MemoryStore with cleanup",
  () => {
    opened++;
    return new MemoryStore();
  },
  {
    cleanup: async (store) => {
      expect(await store.ping()).toBeUndefined(); // still open
      cleanedUp++;
    },
  },
);

const nextId = uuidv7Generator();

/** A store with a bug: it inserts every job of a schedule tick twice. */
class DoubleTickStore extends MemoryStore {
  override fireScheduleTick(tick: ScheduleTick) {
    const copies = tick.jobs.map((job) => ({ ...job, id: nextId(), uniqueKey: null }));
    return super.fireScheduleTick({ ...tick, jobs: [...tick.jobs, ...copies] });
  }
}

describe("the store scenarios catch broken stores", () => {
  const stores: MemoryStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  it("cleanup ran after each test of the suite with cleanup", () => {
    // Vitest runs a file's blocks in order: every scenario of that suite ran before this test.
    expect(opened).toBeGreaterThanOrEqual(2);
    expect(cleanedUp).toBe(opened);
  });

  it("a store that fires a tick's job twice fails the workload", async () => {
    const store = new DoubleTickStore();
    stores.push(store);
    await expect(workloadScenario(store)).rejects.toThrow(/expected \d+ to be \d+/);
  });

  it("a store that is not empty fails the payload scenario", async () => {
    const store = new MemoryStore();
    stores.push(store);
    await store.createJobs([
      {
        id: nextId(),
        name: "left-over",
        payload: null,
        queue: "default",
        priority: 0,
        maxRetries: 0,
        timeout: 1_000,
        scheduledAt: new Date(),
        createdAt: new Date(),
        status: "pending",
        metadata: {},
        uniqueKey: null,
      },
    ]);
    await expect(payloadLimitScenario(store)).rejects.toThrow(/left-over/);
  });
});
