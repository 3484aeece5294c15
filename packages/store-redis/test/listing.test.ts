import {
  ACTIVE_STATUSES,
  encodeJobCursor,
  FINAL_STATUSES,
  type Job,
  type JobStatus,
} from "@sched/core/adapter";
import { describe, expect, it } from "vitest";
import type { RedisStore } from "../src/index.js";
import { SCRIPTS } from "../src/scripts.js";
import { newJob, storesOnOneClient } from "./helpers.js";

const stores = storesOnOneClient("list");
const { client } = stores;
const T0 = Date.UTC(2030, 0, 1);
const at = (ms: number) => new Date(T0 + ms);
const STATUSES: readonly JobStatus[] = [...ACTIVE_STATUSES, ...FINAL_STATUSES];

function open(): RedisStore {
  return stores.open();
}

const claim = (store: RedisStore, queue: string, limit: number, now = at(0)) =>
  store.claimDueJobs({ queues: [queue], names: null, limit, now, lockedUntil: at(60_000), workerId: "w" });
const ref = (job: Job) => ({ id: job.id, queue: job.queue, attempt: job.attempt, lockedBy: "w" });

/**
 * Each status's listing index of `queue`, as Redis holds it. Running jobs have none: they are
 * listed from `Q:running`, which holds them all, and `Q:listed:running` never exists.
 */
async function listingIndexes(store: RedisStore, queue: string): Promise<Record<string, string[]>> {
  const base = `${store.keyPrefix}{${queue}}:`;
  expect(await client.exists(`${base}listed:running`)).toBe(0);
  const indexes: Record<string, string[]> = {};
  for (const status of STATUSES) {
    const key = status === "running" ? `${base}running` : `${base}listed:${status}`;
    const ids = await client.zrange(key, "0", "-1");
    if (ids.length > 0) indexes[status] = ids.sort();
  }
  return indexes;
}

/** The ids of the jobs `ids` grouped by their status, as getJob reads them. */
async function byStatus(store: RedisStore, ids: readonly string[]): Promise<Record<string, string[]>> {
  const groups: Record<string, string[]> = {};
  for (const id of ids) {
    const job = await store.getJob(id);
    if (job === null) continue;
    const group = groups[job.status] ?? [];
    group.push(id);
    groups[job.status] = group;
  }
  for (const group of Object.values(groups)) group.sort();
  return groups;
}

/** Every job of `filter`, page after page of `limit`. */
async function everyPage(store: RedisStore, limit: number, order: "asc" | "desc"): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listJobs({ limit, cursor, order });
    ids.push(...page.jobs.map((job) => job.id));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

describe("listing indexes on Redis", () => {
  it("every job sits in the listing index of its status through each change of status", async () => {
    const store = open();
    const ids = Array.from({ length: 12 }, (_, i) => `j${String(i).padStart(2, "0")}`);
    await store.createJobs(
      ids.map((id, i) =>
        newJob({
          id,
          queue: "q",
          createdAt: at(i),
          scheduledAt: at(i < 10 ? 0 : 100_000),
          status: i < 10 ? "pending" : "scheduled",
        }),
      ),
    );
    expect(await listingIndexes(store, "q")).toEqual(await byStatus(store, ids));
    const running = await claim(store, "q", 8, at(1_000));
    expect(running).toHaveLength(8);
    const [done, failed, dead, released, cancelled, lost] = running;
    await store.completeJobs([ref(done as Job)], { now: at(1_001), removeOnComplete: false });
    await store.failJob(ref(failed as Job), { now: at(1_002), error: "x", retryAt: at(5_000) });
    await store.failJob(ref(dead as Job), { now: at(1_003), error: "x", retryAt: null });
    await store.releaseJobs([ref(released as Job)], { now: at(1_004) });
    await store.cancelJob((cancelled as Job).id, at(1_005));
    await store.completeJobs([ref(running[6] as Job)], { now: at(1_006), removeOnComplete: true });
    expect(await listingIndexes(store, "q")).toEqual(await byStatus(store, ids));
    await store.recoverExpiredLeases({
      now: at(70_000),
      limit: 10,
      error: "lost",
      maxLostLeases: 0,
      deadLetter: null,
    });
    await store.requeueJob((dead as Job).id, at(70_001));
    await store.promoteJob("j10", at(70_002));
    await store.promoteJob((failed as Job).id, at(70_003));
    expect((await store.getJob((lost as Job).id))?.status).toBe("dead");
    expect(await listingIndexes(store, "q")).toEqual(await byStatus(store, ids));
    await store.deleteJobs({ status: "pending", queue: "q" });
    const far = at(10_000_000);
    await store.cleanup({ completedBefore: far, deadBefore: far, cancelledBefore: far });
    expect(await listingIndexes(store, "q")).toEqual(await byStatus(store, ids));
  });

  it("running jobs page in listing order from Q:running, with a cursor, both orders and a createdAt range", async () => {
    const store = open();
    // Claimed in another order than the listing's: priority first, and createdAt ties broken by id.
    const created = [3, 1, 2, 1, 0, 5];
    const jobs = created.map((ms, i) =>
      newJob({ id: `r${i}`, queue: "q", createdAt: at(ms), priority: i, name: i % 2 ? "odd" : "even" }),
    );
    await store.createJobs([...jobs, newJob({ id: "waiting", queue: "q", createdAt: at(2) })]);
    await store.claimDueJobs({
      queues: ["q"],
      names: ["odd", "even"],
      limit: 6,
      now: at(0),
      lockedUntil: at(60_000),
      workerId: "w",
    });
    const order = ["r4", "r1", "r3", "r2", "r0", "r5"];
    const pages = async (filter: Parameters<RedisStore["listJobs"]>[0]): Promise<string[][]> => {
      const out: string[][] = [];
      let cursor: string | null = null;
      do {
        const page = await store.listJobs({ ...filter, cursor, limit: 2 });
        out.push(page.jobs.map((job) => job.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      return out;
    };
    expect((await pages({ status: "running" })).flat()).toEqual(order);
    expect((await pages({ status: "running", order: "desc" })).flat()).toEqual([...order].reverse());
    expect((await pages({ status: "running", from: at(1), to: at(3) })).flat()).toEqual(["r1", "r3", "r2"]);
    expect((await pages({ status: "running", name: "odd" })).flat()).toEqual(["r1", "r3", "r5"]);
    expect((await pages({ status: ["running", "pending"] })).flat()).toEqual([
      "r4",
      "r1",
      "r3",
      "r2",
      "waiting",
      "r0",
      "r5",
    ]);
  });

  it("cleanup deletes the listing index of running jobs that earlier versions kept", async () => {
    const store = open();
    await store.createJobs([newJob({ queue: "q" })]);
    const stale = `${store.keyPrefix}{q}:listed:running`;
    await client.zadd(stale, 1, "gone");
    const far = at(10_000_000);
    await store.cleanup({ completedBefore: far, deadBefore: far, cancelledBefore: far });
    expect(await client.exists(stale)).toBe(0);
  });

  it("pages across queues hold every job exactly once, in order, when createdAt ties across queues", async () => {
    const store = open();
    const jobs = Array.from({ length: 30 }, (_, i) =>
      newJob({ id: `j${String(i).padStart(2, "0")}`, queue: `q${i % 3}`, createdAt: at(Math.floor(i / 6)) }),
    );
    await store.createJobs(jobs);
    const ascending = jobs.map((job) => job.id);
    expect(await everyPage(store, 4, "asc")).toEqual(ascending);
    expect(await everyPage(store, 4, "desc")).toEqual([...ascending].reverse());
  });

  it("each queue answers a page with at most the jobs the page lacks (and one to tell whether more follow), however deep the cursor", async () => {
    const store = open();
    const perQueue = 2_000;
    const id = (queue: string, i: number) => `${queue}${String(i).padStart(5, "0")}`;
    for (const queue of ["a", "b", "c"]) {
      await store.createJobs(
        Array.from({ length: perQueue }, (_, i) => newJob({ id: id(queue, i), queue, createdAt: at(i) })),
      );
    }
    const answers: number[] = [];
    const run = SCRIPTS.listJobs.run.bind(SCRIPTS.listJobs);
    SCRIPTS.listJobs.run = async (redis, keys, args) => {
      const reply = (await run(redis, keys, args)) as unknown[];
      answers.push((reply.length - 3) / 2);
      return reply;
    };
    try {
      const cursor = encodeJobCursor({ createdAt: at(1_500), id: id("c", 1_500) });
      const page = await store.listJobs({ limit: 10, cursor });
      const expected = Array.from({ length: 10 }, (_, n) =>
        id("abc"[n % 3] as string, 1_501 + Math.floor(n / 3)),
      );
      expect(page.jobs.map((job) => job.id)).toEqual(expected);
      expect(answers).toEqual([11, 11, 11]);
      answers.length = 0;
      const back = await store.listJobs({ limit: 4, cursor, order: "desc" });
      expect(back.jobs.map((job) => job.id)).toEqual([
        id("b", 1_500),
        id("a", 1_500),
        id("c", 1_499),
        id("b", 1_499),
      ]);
      expect(answers).toEqual([5, 5, 5]);
    } finally {
      SCRIPTS.listJobs.run = run;
    }
  });

  it("a name filter finds its jobs beyond one script's scan budget", async () => {
    const store = open();
    const many = Array.from({ length: 10_050 }, (_, i) =>
      newJob({ id: `a${String(i).padStart(5, "0")}`, queue: "q", name: "many", createdAt: at(i) }),
    );
    for (let i = 0; i < many.length; i += 2_000) await store.createJobs(many.slice(i, i + 2_000));
    await store.createJobs(
      [1, 2, 3].map((n) => newJob({ id: `b${n}`, queue: "q", name: "rare", createdAt: at(20_000 + n) })),
    );
    const page = await store.listJobs({ name: "rare", queue: "q" });
    expect(page.jobs.map((job) => job.id)).toEqual(["b1", "b2", "b3"]);
    expect(page.nextCursor).toBeNull();
  });

  it("retryJobs and deleteJobs go through more jobs than one script handles", async () => {
    const store = open();
    const jobs = Array.from({ length: 1_200 }, (_, i) =>
      newJob({ id: `j${String(i).padStart(5, "0")}`, queue: "q", createdAt: at(i) }),
    );
    await store.createJobs(jobs);
    for (const job of jobs) await store.cancelJob(job.id, at(10_000));
    expect(await store.retryJobs({ queue: "q" }, at(20_000))).toBe(1_200);
    expect((await store.stats()).byQueue?.q?.pending).toBe(1_200);
    expect(await store.deleteJobs({ from: at(100) })).toBe(1_100);
    expect((await store.listJobs({ limit: 1_000 })).jobs.map((job) => job.id)).toEqual(
      jobs.slice(0, 100).map((job) => job.id),
    );
  });

  it("moves the all-jobs index of earlier versions to the status indexes when a listing first meets it", async () => {
    const store = open();
    await store.createJobs(
      Array.from({ length: 5 }, (_, i) => newJob({ id: `j${i}`, queue: "q", createdAt: at(i) })),
    );
    const [done] = await claim(store, "q", 1);
    await store.completeJobs([ref(done as Job)], { now: at(10), removeOnComplete: false });
    // The layout of earlier versions: one zset of every job, no status indexes.
    const base = `${store.keyPrefix}{q}:`;
    const before = await listingIndexes(store, "q");
    for (const status of STATUSES) {
      const key = `${base}listed:${status}`;
      for (const [id, score] of pairs(await client.zrange(key, "0", "-1", "WITHSCORES"))) {
        await client.zadd(`${base}created`, score, id);
      }
      await client.del(key);
    }
    await client.zadd(`${base}created`, 3, "gone");
    const page = await store.listJobs({ status: "pending" });
    expect(page.jobs.map((job) => job.id)).toEqual(["j1", "j2", "j3", "j4"]);
    expect(await client.exists(`${base}created`)).toBe(0);
    expect(await listingIndexes(store, "q")).toEqual(before);
  });
});

function pairs(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string]);
  return out;
}
