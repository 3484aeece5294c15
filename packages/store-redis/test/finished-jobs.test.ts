import type { Duration, Job } from "@sched/core/adapter";
import { describe, expect, it } from "vitest";
import type { RedisStore } from "../src/index.js";
import { newJob, storesOnOneClient } from "./helpers.js";

const stores = storesOnOneClient("finished");
const { client } = stores;
const T0 = Date.UTC(2030, 0, 1);
const at = (ms: number) => new Date(T0 + ms);

function open(finishedJobTtl: Duration): RedisStore {
  return stores.open({ finishedJobTtl });
}

const ref = (job: Job) => ({ id: job.id, queue: job.queue, attempt: job.attempt, lockedBy: "w" });

/** `count` jobs of `queue` created, claimed and completed at `ms` (T0-relative). */
async function completedAt(store: RedisStore, queue: string, count: number, ms: number): Promise<Job[]> {
  const created = await store.createJobs(
    Array.from({ length: count }, () => newJob({ queue, createdAt: at(ms), scheduledAt: at(ms) })),
  );
  const claimed = await store.claimDueJobs({
    queues: [queue],
    names: null,
    limit: count,
    now: at(ms),
    lockedUntil: at(ms + 60_000),
    workerId: "w",
  });
  expect(claimed.map((job) => job.id).sort()).toEqual(created.map((job) => job.id).sort());
  const applied = await store.completeJobs(claimed.map(ref), { now: at(ms), removeOnComplete: false });
  expect(applied).toEqual(claimed.map(() => true));
  return claimed;
}

const hashOf = (store: RedisStore, job: Job) => `${store.keyPrefix}{${job.queue}}:job:${job.id}`;

describe("finished jobs (finishedJobTtl, the safety net should cleanup never run)", () => {
  it("deletes completed jobs older than finishedJobTtl at later completions of their queue, with their listing and count", async () => {
    const store = open("10s");
    const old = await completedAt(store, "q", 30, 0);
    const other = await completedAt(store, "other", 5, 0);
    // Completed jobs carry no expiry: later completions delete them.
    expect(await client.ttl(hashOf(store, old[0] as Job))).toBe(-1);

    // Within the TTL nothing goes.
    const recent = await completedAt(store, "q", 1, 9_000);
    expect((await store.stats()).completed).toBe(36);

    // Past it, each completion deletes as many old jobs as it completed and 10 more, oldest first.
    const later = await completedAt(store, "q", 5, 15_000);
    const left = async () =>
      (await Promise.all(old.map((job) => store.getJob(job.id)))).filter((job) => job !== null).length;
    expect(await left()).toBe(15);
    later.push(...(await completedAt(store, "q", 5, 16_000)));
    expect(await left()).toBe(0);
    for (const job of old) expect(await client.exists(hashOf(store, job))).toBe(0);

    // What is left: the jobs within the TTL, listed and counted; another queue's completed jobs
    // wait for a completion of their own queue.
    const kept = [...recent, ...later].map((job) => job.id).sort();
    const page = await store.listJobs({ queue: "q", status: "completed", limit: 100 });
    expect(page.jobs.map((job) => job.id).sort()).toEqual(kept);
    expect((await store.getJob((other[0] as Job).id))?.status).toBe("completed");
    const stats = await store.stats();
    expect(stats.byQueue?.q?.completed).toBe(11);
    expect(stats.byQueue?.other?.completed).toBe(5);
    expect(stats.completed).toBe(16);
  });

  it("with finishedJobTtl 0, completions delete nothing", async () => {
    const store = open(0);
    const old = await completedAt(store, "q", 10, 0);
    await completedAt(store, "q", 10, 400 * 86_400_000);
    expect((await store.stats()).completed).toBe(20);
    expect((await store.getJob((old[0] as Job).id))?.status).toBe("completed");
  });

  it("gives a dead job's hash the expiry, and a completed job's none, both without their lease", async () => {
    const store = open("1h");
    const [created] = await store.createJobs([newJob({ createdAt: at(0), scheduledAt: at(0) })]);
    const [claimed] = await store.claimDueJobs({
      queues: null,
      names: null,
      limit: 1,
      now: at(0),
      lockedUntil: at(60_000),
      workerId: "w",
    });
    expect(claimed?.id).toBe(created?.id);
    await store.failJob(ref(claimed as Job), { now: at(1), error: "boom", retryAt: null });
    const ttl = await client.ttl(hashOf(store, claimed as Job));
    expect(ttl).toBeGreaterThan(3_500);
    expect(ttl).toBeLessThanOrEqual(3_600);

    const [done] = await completedAt(store, "default", 1, 5);
    expect(await client.ttl(hashOf(store, done as Job))).toBe(-1);
    expect(await client.hmget(hashOf(store, done as Job), "lockedBy", "lockedUntil")).toEqual([null, null]);
    expect(await store.getJob((done as Job).id)).toMatchObject({
      status: "completed",
      lockedBy: null,
      lockedUntil: null,
    });
  });
});
