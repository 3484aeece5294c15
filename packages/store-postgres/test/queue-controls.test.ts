import { newJob as fixtureJob } from "@sched/testing/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PostgresStore } from "../src/index.js";
import { TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();
let schema: string;
let store: PostgresStore;
const T0 = new Date("2030-01-01T00:00:00.000Z");

beforeAll(async () => {
  schema = await schemas.migrated("sched_controls");
  store = schemas.store(schema);
});

afterAll(async () => {
  await store.close();
  await schemas.dropAll();
});

/** Pending job `id` of `queue` (in `group`), named `work`, with no payload, no retries and no timeout. */
function newJob(id: string, queue: string, group: string | null = null) {
  return fixtureJob({ id, name: "work", payload: null, queue, maxRetries: 0, timeout: 0, group });
}

/** The queues that have a row in the queues table: the ones claimed under their controls. */
async function controlledQueues(): Promise<string[]> {
  const { rows } = await schemas.admin.query<{ name: string }>(
    `SELECT name FROM "${schema}".scheduler_queues ORDER BY name`,
  );
  return rows.map((row) => row.name);
}

const claim = { now: T0, lockedUntil: new Date(T0.getTime() + 60_000), workerId: "w", names: null };

describe("the controlled claim path of PostgresStore", () => {
  it("a queue of jobs without group gets no row, and is claimed by the statement of before", async () => {
    await store.createJobs([newJob("p1", "plain"), newJob("p2", "plain")]);
    expect(await controlledQueues()).toEqual([]);
    expect(await store.claimDueJobs({ ...claim, queues: null, limit: 5 })).toHaveLength(2);
  });

  it("the first job with a group gives its queue a row, which getQueue and listQueues leave out", async () => {
    await store.createJobs([newJob("g1", "grouped", "tenant-1"), newJob("g2", "grouped", "tenant-1")]);
    await store.createJobs([newJob("g3", "grouped", "tenant-2")]);
    expect(await controlledQueues()).toEqual(["grouped"]);
    expect(await store.getQueue("grouped")).toBeNull();
    expect(await store.listQueues()).toEqual([]);
    // Claimed across every queue, the groups still rotate.
    await store.createJobs([newJob("p3", "plain")]);
    const claimed = await store.claimDueJobs({ ...claim, queues: null, limit: 4 });
    expect(claimed.filter((job) => job.queue === "grouped").map((job) => job.group)).toEqual([
      "tenant-1",
      "tenant-2",
      "tenant-1",
    ]);
    expect(claimed.filter((job) => job.queue === "plain").map((job) => job.id)).toEqual(["p3"]);
  });

  it("claims across every queue skip a paused queue's jobs and keep claiming the others", async () => {
    await store.updateQueue("held", { paused: true }, T0);
    await store.createJobs([newJob("h1", "held"), newJob("o1", "other")]);
    const claimed = await store.claimDueJobs({ ...claim, queues: null, limit: 10 });
    expect(claimed.map((job) => job.id)).toEqual(["o1"]);
    expect(await store.nextDueAt({ queues: null, names: null })).toBeNull();
    expect(await store.nextDueAt({ queues: ["held"], names: null })).toBeNull();
    await store.updateQueue("held", { paused: false }, T0);
    expect(await store.nextDueAt({ queues: null, names: null })).toEqual(T0);
  });
});
