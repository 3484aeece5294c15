import type { Stats } from "@sched/core";
import { type RecordingLogger, recordingLogger } from "@sched/testing";
import { type Collection, type Document, ObjectId, type UpdateFilter } from "mongodb";
import { describe, expect, it } from "vitest";
import { MongoStore } from "../src/index.js";
import { job, uniquePrefix, useDeployment } from "./servers.js";

// The job counts stats() reads from <prefix>counts: that it reads them (a count changed by hand
// shows), that a recount corrects them only once a queue held still between two recounts, what a
// process stopping between a job write and its count write leaves, the delta documents of
// transactions, and a store that held jobs before it kept counts.

const DB = "sched_counts";
const T0 = new Date("2030-01-01T00:00:00.000Z");
/** The stores' operation timeout: a recount rewrites a queue that held still twice as long. */
const TIMEOUT_MS = 1_000;
const SETTLE_MS = 2 * TIMEOUT_MS;
const files = useDeployment();
const { opened } = files;

async function openStore(
  prefix = uniquePrefix("counts"),
  options: { logger?: RecordingLogger } = {},
): Promise<MongoStore> {
  const store = new MongoStore({
    client: files.deployment.client,
    dbName: DB,
    collectionPrefix: prefix,
    operationTimeout: TIMEOUT_MS,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  opened.push(store);
  await store.migrate();
  return store;
}

function collection(store: MongoStore, name: "jobs" | "counts"): Collection<Document> {
  return files.deployment.client.db(DB).collection(`${store.collectionPrefix}${name}`);
}

/** The kept counts document of `queue`. */
async function countsDocument(store: MongoStore, queue: string): Promise<Document | null> {
  return collection(store, "counts").findOne({ kind: "queue", queue });
}

/** The counts of `queue` in `stats`, all zero when it is left out. */
function countsIn(stats: Stats, queue: string): Omit<Stats, "byQueue"> {
  return (
    stats.byQueue?.[queue] ?? {
      pending: 0,
      running: 0,
      completed: 0,
      failed: 0,
      dead: 0,
      scheduled: 0,
      cancelled: 0,
    }
  );
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, SETTLE_MS + 100));

describe("MongoStore job counts", () => {
  it("stats() reads the kept counts: a count changed by hand shows until cleanup recounts the quiet queue", async () => {
    const store = await openStore();
    await store.createJobs([
      job(),
      job(),
      job({ status: "scheduled", scheduledAt: new Date(T0.getTime() + 60_000) }),
    ]);
    await collection(store, "counts").updateOne({ kind: "queue", queue: "q" }, { $inc: { pending: 40 } });
    expect(countsIn(await store.stats(), "q")).toMatchObject({ pending: 42, scheduled: 1 });

    const far = new Date(0);
    await store.cleanup({ completedBefore: far, deadBefore: far, cancelledBefore: far });
    expect(countsIn(await store.stats(), "q").pending).toBe(42);
    await settle();
    await store.cleanup({ completedBefore: far, deadBefore: far, cancelledBefore: far });
    expect(countsIn(await store.stats(), "q")).toMatchObject({ pending: 2, scheduled: 1 });
  });

  it("a job write whose count write never came (the process stopped between them) is counted by the recount", async () => {
    const store = await openStore();
    await store.createJobs([job()]);
    // What a store that stopped after its insert leaves: the job, without its count.
    const lost = job({ queue: "q" });
    await collection(store, "jobs").insertOne({
      _id: new ObjectId(),
      ...lost,
      payload: "null",
      metadata: "{}",
      retryCount: 0,
      attempt: 0,
      lostLeases: 0,
      history: [],
    });
    expect((await store.listJobs({ queue: "q" })).jobs).toHaveLength(2);
    expect(countsIn(await store.stats(), "q").pending).toBe(1);
    expect(await store.recountJobs()).toMatchObject({ verified: [], corrected: [] });
    await settle();
    expect(await store.recountJobs()).toEqual({ verified: ["q"], corrected: ["q"], trusted: true });
    expect(countsIn(await store.stats(), "q").pending).toBe(2);
  });

  it("a recount leaves a queue that changed since the previous recount, or that did not hold still long enough", async () => {
    const store = await openStore();
    await store.createJobs([job({ queue: "busy" }), job({ queue: "still" })]);
    for (const queue of ["busy", "still"])
      await collection(store, "counts").updateOne({ kind: "queue", queue }, { $inc: { pending: 10 } });
    await store.recountJobs();
    // Too soon: nothing is rewritten, whatever the difference.
    expect((await store.recountJobs()).corrected).toEqual([]);
    await store.createJobs([job({ queue: "busy" })]);
    await settle();
    expect((await store.recountJobs()).corrected).toEqual(["still"]);
    expect(countsIn(await store.stats(), "busy").pending).toBe(12);
    await settle();
    expect((await store.recountJobs()).corrected).toEqual(["busy"]);
    expect(countsIn(await store.stats(), "busy").pending).toBe(2);
    await settle();
    expect(await store.recountJobs()).toEqual({ verified: ["busy", "still"], corrected: [], trusted: true });
  });

  it("a count write that fails is logged, the job write stands, and the recount corrects the count", async () => {
    const logger = recordingLogger();
    const store = await openStore(undefined, { logger });
    await store.createJobs([job()]);
    // A counts document the server cannot add to: every $inc of it fails.
    await collection(store, "counts").updateOne(
      { kind: "queue", queue: "q" },
      { $set: { pending: "broken" } },
    );
    const [created] = await store.createJobs([job()]);
    expect(await store.getJob(created?.id ?? "")).toMatchObject({ status: "pending" });
    expect(
      logger.lines.some((entry) => entry.level === "warn" && /job count was not written/.test(entry.message)),
    ).toBe(true);
    await store.recountJobs();
    await settle();
    expect((await store.recountJobs()).corrected).toEqual(["q"]);
    expect(countsIn(await store.stats(), "q").pending).toBe(2);
    expect(await countsDocument(store, "q")).toMatchObject({ pending: 2 });
  });

  it("the delta documents of committed transactions are counted by stats() and folded once by cleanup", async () => {
    const store = await openStore();
    await store.createJobs([job({ queue: "t" })]);
    // What two committed transactions leave (createJobs in a ClientSession): their jobs and a delta each.
    const counts = collection(store, "counts");
    const deltas: [ObjectId, ObjectId] = [new ObjectId(), new ObjectId()];
    await counts.insertMany([
      { _id: deltas[0], kind: "delta", queue: "t", pending: 2 },
      { _id: deltas[1], kind: "delta", queue: "u", scheduled: 1 },
    ]);
    expect(countsIn(await store.stats(), "t").pending).toBe(3);
    expect(countsIn(await store.stats(), "u").scheduled).toBe(1);
    // A fold that stopped after adding the first delta, before deleting it: it is counted once.
    await counts.updateOne({ kind: "queue", queue: "t" }, {
      $inc: { pending: 2, version: 1 },
      $push: { folded: deltas[0] },
    } as unknown as UpdateFilter<Document>);
    expect(countsIn(await store.stats(), "t").pending).toBe(3);
    const far = new Date(0);
    await store.cleanup({ completedBefore: far, deadBefore: far, cancelledBefore: far });
    expect(await counts.countDocuments({ kind: "delta" })).toBe(0);
    expect(await countsDocument(store, "t")).toMatchObject({ pending: 3, folded: [] });
    expect(await countsDocument(store, "u")).toMatchObject({ scheduled: 1, folded: [] });
    expect(countsIn(await store.stats(), "t").pending).toBe(3);
    expect(countsIn(await store.stats(), "u").scheduled).toBe(1);
  });

  it("a store that held jobs before it kept counts counts the jobs until a recount verified every queue", async () => {
    const first = await openStore();
    const prefix = first.collectionPrefix;
    await first.createJobs([job({ queue: "a" }), job({ queue: "a" }), job({ queue: "b" })]);
    // The counts of an install from before counts were kept: none at all.
    await collection(first, "counts").deleteMany({});
    const store = await openStore(prefix);
    await store.createJobs([job({ queue: "a" })]);
    const stats = await store.stats();
    expect(countsIn(stats, "a").pending).toBe(3);
    expect(countsIn(stats, "b").pending).toBe(1);
    expect(await store.recountJobs()).toMatchObject({ trusted: false });
    await settle();
    expect(await store.recountJobs()).toEqual({ verified: ["a", "b"], corrected: ["a", "b"], trusted: true });
    // From now on stats() reads the counts.
    await collection(store, "counts").updateOne({ kind: "queue", queue: "b" }, { $inc: { pending: 5 } });
    expect(countsIn(await store.stats(), "b").pending).toBe(6);
  });

  it("after two instances raced over the same jobs, every kept count equals the jobs' own (none below zero)", async () => {
    const here = await openStore();
    const client = files.deployment.newClient();
    opened.push(client);
    const there = new MongoStore({ client, dbName: DB, collectionPrefix: here.collectionPrefix });
    opened.push(there);
    await here.createJobs(Array.from({ length: 90 }, (_, i) => job({ queue: `r${i % 3}` })));
    await Promise.all(
      [here, there, here, there].map(async (store, worker) => {
        for (let round = 0; round < 10; round += 1) {
          const now = new Date(T0.getTime() + round);
          const claimed = await store.claimDueJobs({
            queues: null,
            names: null,
            limit: 5,
            now,
            lockedUntil: new Date(now.getTime() + 60_000),
            workerId: `w${worker}`,
          });
          const refs = claimed.map((each) => ({
            id: each.id,
            queue: each.queue,
            attempt: each.attempt,
            lockedBy: each.lockedBy ?? "",
          }));
          const [first, ...rest] = refs;
          if (first !== undefined) await store.failJob(first, { now, error: "x", retryAt: null });
          await store.completeJobs(rest, { now, removeOnComplete: round % 2 === 0 });
          const [waiting] = (await store.listJobs({ status: "pending", limit: 1 })).jobs;
          if (waiting !== undefined) await store.cancelJob(waiting.id, now);
          if (round % 3 === 0) await store.retryJobs({}, now);
          if (round % 4 === 0) await store.deleteJobs({ status: "completed" });
        }
      }),
    );
    const kept = await collection(here, "counts").find({ kind: "queue" }).toArray();
    const real = await collection(here, "jobs")
      .aggregate<{ _id: { queue: string; status: string }; n: number }>([
        { $group: { _id: { queue: "$queue", status: "$status" }, n: { $sum: 1 } } },
      ])
      .toArray();
    for (const document of kept) {
      for (const status of ["pending", "running", "completed", "failed", "dead", "scheduled", "cancelled"]) {
        const n = real.find((row) => row._id.queue === document.queue && row._id.status === status)?.n ?? 0;
        expect(document[status] ?? 0, `${status} of ${document.queue}`).toBe(n);
      }
    }
    expect(kept.map((document) => document.queue).sort()).toEqual(["r0", "r1", "r2"]);
  });
});
