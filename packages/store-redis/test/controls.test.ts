import { describe, expect, it } from "vitest";
import type { RedisStore } from "../src/index.js";
import { keysOf, newJob, storesOnOneClient } from "./helpers.js";

const stores = storesOnOneClient("ctl");
const { client } = stores;
const T0 = Date.UTC(2030, 0, 1);
const at = (ms: number) => new Date(T0 + ms);

function open(): RedisStore {
  return stores.open();
}

const claim = (store: RedisStore, limit: number, now = at(0), queues: string[] | null = ["q"]) =>
  store.claimDueJobs({ queues, names: null, limit, now, lockedUntil: at(60_000), workerId: "w" });

describe("queue controls on Redis", () => {
  it("grouped jobs rotate between groups, one per group per round, least recently served first", async () => {
    const store = open();
    const jobs = ["a", "a", "a", "b", "b", "c"].map((group, i) =>
      newJob({ id: `j${i}`, queue: "q", group, scheduledAt: at(i), createdAt: at(i) }),
    );
    await store.createJobs(jobs);
    const first = await claim(store, 2, at(100));
    expect(first.map((job) => [job.id, job.group])).toEqual([
      ["j0", "a"],
      ["j3", "b"],
    ]);
    const rest = await claim(store, 10, at(100));
    expect(rest.map((job) => job.id)).toEqual(["j5", "j1", "j4", "j2"]);
  });

  it("keeps grouped jobs out of the lanes and in per-group sets of the queue's slot", async () => {
    const store = open();
    await store.createJobs([newJob({ id: "g1", queue: "q", group: "tenant:1" })]);
    const keys = await keysOf(client, store.keyPrefix);
    const base = `${store.keyPrefix}{q}:`;
    expect(keys).toContain(`${base}gwait:0:tenant:1`);
    expect(keys).toContain(`${base}gprios:tenant:1`);
    expect(keys).toContain(`${base}control`);
    expect(keys.some((key) => key.startsWith(`${base}wait:`))).toBe(false);
    expect((await store.getJob("g1"))?.group).toBe("tenant:1");
    expect(await store.getQueue("q")).toBeNull();
  });

  it("group concurrency 1 holds until the running job of the group finishes", async () => {
    const store = open();
    await store.updateQueue("q", { group: { concurrency: 1, rateLimit: null } }, at(0));
    await store.createJobs(
      ["a", "a", "b"].map((group, i) => newJob({ id: `j${i}`, queue: "q", group, scheduledAt: at(i) })),
    );
    const first = await claim(store, 10, at(10));
    expect(first.map((job) => job.id)).toEqual(["j0", "j2"]);
    expect(await claim(store, 10, at(10))).toEqual([]);
    const [done] = first;
    await store.completeJobs([{ id: "j0", queue: "q", attempt: done?.attempt ?? 1, lockedBy: "w" }], {
      now: at(20),
      removeOnComplete: false,
    });
    expect((await claim(store, 10, at(20))).map((job) => job.id)).toEqual(["j1"]);
  });

  it("a queue rate limit counts claims in fixed windows aligned to the epoch", async () => {
    const store = open();
    await store.updateQueue("q", { rateLimit: { max: 2, per: 1_000 } }, at(0));
    await store.createJobs(
      [0, 1, 2, 3, 4].map((i) => newJob({ id: `j${i}`, queue: "q", scheduledAt: at(0) })),
    );
    expect(await claim(store, 10, at(500))).toHaveLength(2);
    expect(await claim(store, 10, at(999))).toHaveLength(0);
    expect(await claim(store, 10, at(1_000))).toHaveLength(2);
  });

  it("pause stops claims and nextDueAt; resume brings them back; listQueues shows the record", async () => {
    const store = open();
    await store.createJobs([newJob({ id: "j", queue: "q", scheduledAt: at(0) })]);
    const paused = await store.updateQueue("q", { paused: true, concurrency: 3 }, at(5));
    expect(paused).toMatchObject({ name: "q", paused: true, concurrency: 3, rateLimit: null, group: null });
    expect(await claim(store, 1, at(10))).toEqual([]);
    expect(await store.nextDueAt({ queues: ["q"], names: null })).toBeNull();
    await store.updateQueue("q", { paused: false }, at(6));
    expect(await store.listQueues()).toMatchObject([{ name: "q", paused: false, concurrency: 3 }]);
    expect(await claim(store, 1, at(10))).toHaveLength(1);
  });

  it("rateLimitJob pushes back the group, not the queue", async () => {
    const store = open();
    await store.createJobs([
      newJob({ id: "a1", queue: "q", group: "a", scheduledAt: at(0) }),
      newJob({ id: "a2", queue: "q", group: "a", scheduledAt: at(1) }),
      newJob({ id: "b1", queue: "q", group: "b", scheduledAt: at(2) }),
    ]);
    const [job] = await claim(store, 1, at(10));
    expect(job?.id).toBe("a1");
    const ref = { id: "a1", queue: "q", attempt: 1, lockedBy: "w" };
    expect(await store.rateLimitJob(ref, { now: at(10), until: at(5_000), scope: "group" })).toBe(true);
    expect(await store.rateLimitJob(ref, { now: at(10), until: at(5_000), scope: "group" })).toBe(false);
    expect((await claim(store, 10, at(20))).map((j) => j.id)).toEqual(["b1"]);
    expect((await claim(store, 10, at(5_000))).map((j) => j.id)).toEqual(["a2", "a1"]);
  });

  it("throttle drops a second job within the window; debounce folds it into the waiting one", async () => {
    const store = open();
    const throttle = { key: "k", mode: "throttle" as const, ttl: 1_000, maxWait: null };
    const first = await store.createDedupedJob(newJob({ id: "t1", queue: "q" }), throttle, at(0));
    expect(first.outcome).toBe("created");
    const second = await store.createDedupedJob(newJob({ id: "t2", queue: "q" }), throttle, at(999));
    expect(second).toMatchObject({ outcome: "throttled", jobId: "t1" });
    const third = await store.createDedupedJob(newJob({ id: "t3", queue: "q" }), throttle, at(1_000));
    expect(third.outcome).toBe("created");

    const debounce = { key: "d", mode: "debounce" as const, ttl: 1_000, maxWait: 2_500 };
    const job = (id: string, n: number, ms: number) =>
      newJob({ id, queue: "q", payload: { n }, scheduledAt: at(ms), status: "scheduled" });
    await store.createDedupedJob(job("d1", 1, 1_000), debounce, at(0));
    const folded = await store.createDedupedJob(job("d2", 2, 2_000), debounce, at(1_000));
    expect(folded).toMatchObject({ outcome: "debounced", jobId: "d1" });
    expect(folded.job).toMatchObject({ payload: { n: 2 }, scheduledAt: at(2_000), status: "scheduled" });
    const capped = await store.createDedupedJob(job("d3", 3, 4_000), debounce, at(2_000));
    expect(capped.job?.scheduledAt).toEqual(at(2_500));
    expect(await store.getJob("d2")).toBeNull();
  });

  it("a claim of several queues keeps each controlled queue's own order", async () => {
    const store = open();
    await store.createJobs([
      newJob({ id: "a1", queue: "q", group: "a", scheduledAt: at(0) }),
      newJob({ id: "a2", queue: "q", group: "a", scheduledAt: at(1) }),
      newJob({ id: "b1", queue: "q", group: "b", scheduledAt: at(2) }),
      newJob({ id: "p1", queue: "p", scheduledAt: at(0) }),
    ]);
    const claimed = await claim(store, 3, at(10), ["q", "p"]);
    expect(claimed.filter((j) => j.queue === "q").map((j) => j.id)).toEqual(["a1", "b1"]);
    expect(claimed.map((j) => j.id)).toContain("p1");
  });
});
