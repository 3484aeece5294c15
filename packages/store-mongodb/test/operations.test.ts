import { encodeJobCursor } from "@sched/core";
import { describe, expect, it } from "vitest";
import type { MongoStore } from "../src/index.js";
import { job, storesOnOnePrefix as sharedStoresOnOnePrefix, useDeployment } from "./servers.js";

// The store-specific side of the operations surface on MongoDB: how a cursor's bound meets the
// selector's createdAt range, retryJobs over keyed and unkeyed jobs together, staged batches left
// out of bulk operations, and concurrent first writes of a throughput minute, on the CongoDB
// emulator (or the real MongoDB of SCHED_MONGODB_URL).

const DB = "sched_operations";
const T0 = new Date("2030-01-01T00:00:00.000Z");
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const files = useDeployment();
const { opened } = files;

/** `count` stores on one fresh prefix, as `count` instances would open them. */
const storesOnOnePrefix = (count: number): Promise<MongoStore[]> =>
  sharedStoresOnOnePrefix(files.deployment, DB, "ops", count, opened);

async function ids(store: MongoStore, filter: Parameters<MongoStore["listJobs"]>[0]): Promise<string[]> {
  return (await store.listJobs(filter)).jobs.map((each) => each.id);
}

describe("MongoStore operations", () => {
  it("a cursor before the selector's from, or after its to, keeps the selector's bound", async () => {
    const [store] = (await storesOnOnePrefix(1)) as [MongoStore];
    const jobs = [job({ createdAt: at(1) }), job({ createdAt: at(5) }), job({ createdAt: at(9) })];
    await store.createJobs(jobs);
    const early = encodeJobCursor({ createdAt: at(0), id: "a" });
    expect(await ids(store, { from: at(5), cursor: early })).toEqual([jobs[1]?.id, jobs[2]?.id]);
    const late = encodeJobCursor({ createdAt: at(20), id: "z" });
    expect(await ids(store, { to: at(9), cursor: late, order: "desc" })).toEqual([jobs[1]?.id, jobs[0]?.id]);
    const inside = encodeJobCursor({ createdAt: at(5), id: jobs[1]?.id ?? "" });
    expect(await ids(store, { from: at(1), to: at(9), cursor: inside })).toEqual([]);
    expect(await ids(store, { from: at(1), to: at(9), cursor: inside, order: "desc" })).toEqual([
      jobs[0]?.id,
    ]);
  });

  it("retryJobs moves unkeyed jobs of several queues and keyed ones whose key is free, waking each queue", async () => {
    const [store] = (await storesOnOnePrefix(1)) as [MongoStore];
    const created = await store.createJobs([
      job({ queue: "r1" }),
      job({ queue: "r2" }),
      job({ queue: "r2", uniqueKey: "free" }),
      job({ queue: "r2", uniqueKey: "held" }),
    ]);
    for (const each of created) await store.cancelJob(each.id, at(1));
    await store.createJobs([job({ queue: "r2", uniqueKey: "held" })]);
    const woken: string[] = [];
    const unsubscribe = store.subscribe((event) => {
      if (event.type === "jobs") woken.push(event.queue);
    });
    try {
      expect(await store.retryJobs({}, at(2))).toBe(3);
    } finally {
      unsubscribe();
    }
    const statuses = await Promise.all(created.map(async (each) => (await store.getJob(each.id))?.status));
    expect(statuses).toEqual(["pending", "pending", "pending", "cancelled"]);
    expect(new Set(woken)).toEqual(new Set(["r1", "r2"]));
    // The moved keyed job holds its key again.
    await expect(store.createJobs([job({ queue: "r2", uniqueKey: "free" })])).rejects.toMatchObject({
      code: "JOB_ALREADY_EXISTS",
    });
  });

  it("bulk operations and listings never see a staged batch", async () => {
    const [store] = (await storesOnOnePrefix(1)) as [MongoStore];
    const staged = job({ queue: "s" });
    const db = files.deployment.client.db(DB);
    await store.createJobs([job({ queue: "s" })]);
    // A batch whose insert is still under way: its documents are staged (see job-inserts.ts).
    await db.collection(`${store.collectionPrefix}jobs`).insertOne({
      ...staged,
      id: staged.id,
      status: "staged",
      stagedStatus: "pending",
      payload: "null",
      metadata: "{}",
    });
    expect(await store.deleteJobs({ queue: "s" })).toBe(1);
    expect(await ids(store, {})).toEqual([]);
    expect(await db.collection(`${store.collectionPrefix}jobs`).countDocuments({ status: "staged" })).toBe(1);
  });

  it("two instances adding to the same new minute at once lose no count", async () => {
    const stores = await storesOnOnePrefix(2);
    const minute = at(0);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (stores[i % 2] as MongoStore).addThroughput(
          [
            { queue: "a", minute, completed: 1, failed: 0 },
            { queue: "b", minute, completed: 0, failed: 2 },
          ],
          at(-60_000),
        ),
      ),
    );
    expect(await (stores[0] as MongoStore).throughput({ queue: null, since: minute })).toEqual([
      { queue: "a", minute, completed: 20, failed: 0 },
      { queue: "b", minute, completed: 0, failed: 40 },
    ]);
  });
});
