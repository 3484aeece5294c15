import type { ClaimOptions, Job, JobRef } from "@sched/core";
import { describe, expect, it } from "vitest";
import type { MongoStore } from "../src/index.js";
import { job, storesOnOnePrefix as sharedStoresOnOnePrefix, useDeployment } from "./servers.js";

// The store-specific side of queue controls on MongoDB: the claim lock between instances, the
// control and group documents, and the operators they rely on ($max, $first after $sort), on the
// CongoDB emulator (or the real MongoDB of SCHED_MONGODB_URL).

const DB = "sched_controls";
const T0 = new Date("2030-01-01T00:00:00.000Z");
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const files = useDeployment();
const { opened } = files;

/** `count` stores on one fresh prefix, as `count` instances would open them. */
const storesOnOnePrefix = (count: number): Promise<MongoStore[]> =>
  sharedStoresOnOnePrefix(files.deployment, DB, "ctl", count, opened);

function claim(now: Date, overrides: Partial<ClaimOptions> = {}): ClaimOptions {
  return { queues: null, names: null, limit: 10, now, lockedUntil: at(60_000), workerId: "w", ...overrides };
}

const refOf = (claimed: Job): JobRef => ({
  id: claimed.id,
  queue: claimed.queue,
  attempt: claimed.attempt,
  lockedBy: claimed.lockedBy ?? "",
});

describe("MongoStore queue controls", () => {
  it("a queue's controls are stored, listed, and merged field by field", async () => {
    const [store] = (await storesOnOnePrefix(1)) as [MongoStore];
    expect(await store.getQueue("q")).toBeNull();
    await store.updateQueue("q", { concurrency: 2 }, T0);
    const after = await store.updateQueue(
      "q",
      { paused: true, group: { concurrency: 1, rateLimit: null } },
      at(5),
    );
    expect(after).toEqual({
      name: "q",
      paused: true,
      concurrency: 2,
      rateLimit: null,
      group: { concurrency: 1, rateLimit: null },
      limitedUntil: null,
      updatedAt: at(5),
    });
    await store.createJobs([job({ queue: "grouped", group: "g" })]);
    expect((await store.listQueues()).map((queue) => queue.name)).toEqual(["q"]);
  });

  it("a paused queue gives no job and is left out of nextDueAt until it is resumed", async () => {
    const [store] = (await storesOnOnePrefix(1)) as [MongoStore];
    await store.createJobs([job()]);
    await store.updateQueue("q", { paused: true }, T0);
    expect(await store.claimDueJobs(claim(T0))).toEqual([]);
    expect(await store.nextDueAt({ queues: null, names: null })).toBeNull();
    await store.updateQueue("q", { paused: false }, T0);
    expect(await store.claimDueJobs(claim(T0))).toHaveLength(1);
  });

  it("four instances claiming at once never run more jobs of a queue than its concurrency", async () => {
    const stores = await storesOnOnePrefix(4);
    const [first] = stores as [MongoStore];
    await first.updateQueue("q", { concurrency: 3 }, T0);
    await first.createJobs(Array.from({ length: 20 }, () => job()));
    const claims = await Promise.all(
      stores.map((store, i) => store.claimDueJobs(claim(T0, { workerId: `w${i}` }))),
    );
    const claimed = claims.flat();
    expect(claimed).toHaveLength(3);
    expect(new Set(claimed.map((each) => each.id)).size).toBe(3);
  });

  it("groups are served in rounds, least recently served first, ties by their head job", async () => {
    const [store] = (await storesOnOnePrefix(1)) as [MongoStore];
    const jobs = [job({ group: "a" }), job({ group: "a" }), job({ group: "b" }), job({ group: "c" }), job()];
    await store.createJobs(jobs);
    const firstClaim = await store.claimDueJobs(claim(T0, { limit: 2 }));
    expect(firstClaim.map((each) => each.group)).toEqual(["a", "b"]);
    const secondClaim = await store.claimDueJobs(claim(T0, { limit: 10 }));
    expect(secondClaim.map((each) => each.group)).toEqual(["c", null, "a"]);
  });

  it("a group concurrency of 1 holds the group's next job until its running one completes", async () => {
    const [store] = (await storesOnOnePrefix(1)) as [MongoStore];
    await store.updateQueue("q", { group: { concurrency: 1, rateLimit: null } }, T0);
    const jobs = [job({ group: "a" }), job({ group: "a" }), job({ group: "b" })];
    await store.createJobs(jobs);
    const firstClaim = await store.claimDueJobs(claim(T0));
    expect(firstClaim.map((each) => each.id)).toEqual([jobs[0]?.id, jobs[2]?.id]);
    expect(await store.claimDueJobs(claim(T0))).toEqual([]);
    await store.completeJobs([refOf(firstClaim[0] as Job)], { now: T0 });
    expect((await store.claimDueJobs(claim(T0))).map((each) => each.id)).toEqual([jobs[1]?.id]);
  });

  it("a queue rate limit counts claims in fixed windows aligned to the epoch", async () => {
    const [store] = (await storesOnOnePrefix(1)) as [MongoStore];
    await store.updateQueue("q", { rateLimit: { max: 2, per: 1_000 } }, T0);
    await store.createJobs(Array.from({ length: 5 }, () => job()));
    expect(await store.claimDueJobs(claim(at(100)))).toHaveLength(2);
    expect(await store.claimDueJobs(claim(at(999)))).toHaveLength(0);
    expect(await store.claimDueJobs(claim(at(1_000)))).toHaveLength(2);
  });

  it("a push-back of a group holds that group only, and never shortens a longer one", async () => {
    const [store] = (await storesOnOnePrefix(1)) as [MongoStore];
    await store.createJobs([job({ group: "a" }), job({ group: "a" }), job({ group: "b" })]);
    const [running] = await store.claimDueJobs(claim(T0, { limit: 1 }));
    expect(running?.group).toBe("a");
    expect(
      await store.rateLimitJob(refOf(running as Job), { now: T0, until: at(5_000), scope: "group" }),
    ).toBe(true);
    expect(
      await store.rateLimitJob(refOf(running as Job), { now: T0, until: at(9_000), scope: "group" }),
    ).toBe(false);
    expect((await store.claimDueJobs(claim(at(1_000)))).map((each) => each.group)).toEqual(["b"]);
    expect(await store.getJob(running?.id ?? "")).toMatchObject({
      status: "scheduled",
      scheduledAt: at(5_000),
    });
    expect((await store.claimDueJobs(claim(at(5_000)))).map((each) => each.group)).toEqual(["a", "a"]);
  });

  it("of 20 concurrent throttled enqueues with one key exactly one inserts", async () => {
    const stores = await storesOnOnePrefix(2);
    const dedupe = { key: "k", mode: "throttle" as const, ttl: 10_000, maxWait: null };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (stores[i % 2] as MongoStore).createDedupedJob(job(), dedupe, T0)),
    );
    const created = results.filter((result) => result.outcome === "created");
    expect(created).toHaveLength(1);
    for (const result of results) expect(result.jobId).toBe(created[0]?.jobId);
    expect((await stores[0]?.listJobs({}))?.jobs.map((each) => each.id)).toEqual([created[0]?.jobId]);
    const later = await (stores[0] as MongoStore).createDedupedJob(job(), dedupe, at(10_000));
    expect(later.outcome).toBe("created");
  });

  it("a debounced enqueue folds into the waiting job, its run time capped by maxWait", async () => {
    const [store] = (await storesOnOnePrefix(1)) as [MongoStore];
    const dedupe = { key: "k", mode: "debounce" as const, ttl: 0, maxWait: 3_000 };
    const first = await store.createDedupedJob(
      job({ status: "scheduled", scheduledAt: at(1_000), payload: 1 }),
      dedupe,
      T0,
    );
    const second = await store.createDedupedJob(
      job({ status: "scheduled", scheduledAt: at(5_000), payload: 2 }),
      dedupe,
      at(500),
    );
    expect(second).toMatchObject({ outcome: "debounced", jobId: first.jobId });
    expect(second.job).toMatchObject({ payload: 2, scheduledAt: at(3_000), status: "scheduled" });
  });
});
