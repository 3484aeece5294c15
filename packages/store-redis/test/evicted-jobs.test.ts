import { afterAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { adminClient, deleteKeys, keysOf, newJob, REDIS_URL, uniquePrefix } from "./helpers.js";

// A job's hash can vanish while its queue still lists it: evicted under a maxmemory policy that
// evicts any key, or deleted by hand. A claim must then skip it, not fail on every call after.
const admin = adminClient();
const prefixes: string[] = [];
const stores: RedisStore[] = [];

afterAll(async () => {
  for (const store of stores) await store.close();
  for (const prefix of prefixes) await deleteKeys(admin, prefix);
  admin.disconnect();
});

function open(label: string): RedisStore {
  const prefix = uniquePrefix(label);
  prefixes.push(prefix);
  const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
  stores.push(store);
  return store;
}

/** Deletes the hash of job `id`, leaving every index that lists it. */
async function dropJobHash(store: RedisStore, id: string): Promise<void> {
  const keys = (await keysOf(admin, store.keyPrefix)).filter((key) => key.endsWith(`job:${id}`));
  expect(keys).toHaveLength(1);
  await admin.del(keys[0]!);
}

function claim(queue: string, limit = 10) {
  const now = Date.now();
  return {
    queues: [queue],
    names: null,
    limit,
    now: new Date(now + 1_000),
    lockedUntil: new Date(now + 60_000),
    workerId: "w",
  };
}

describe("a job whose hash is gone", () => {
  it("is skipped by a plain claim, which still hands out the others and counts only them", async () => {
    const store = open("evicted-plain");
    await admin.connect().catch(() => {});
    const jobs = await store.createJobs([0, 1, 2].map(() => newJob({ queue: "plain" })));
    await dropJobHash(store, jobs[1]!.id);
    const claimed = await store.claimDueJobs(claim("plain"));
    expect(claimed.map((job) => job.id).sort()).toEqual([jobs[0]!.id, jobs[2]!.id].sort());
    // Nothing is left to trip the next claim.
    expect(await store.claimDueJobs(claim("plain"))).toEqual([]);
    expect((await store.stats()).running).toBe(2);
  });

  it("is skipped by a claim under group limits, and holds no place of its group", async () => {
    const store = open("evicted-group");
    await store.updateQueue("grouped", { group: { concurrency: 1, rateLimit: null } }, new Date());
    const [lost] = await store.createJobs([newJob({ queue: "grouped", group: "tenant" })]);
    await dropJobHash(store, lost!.id);
    expect(await store.claimDueJobs(claim("grouped"))).toEqual([]);
    // Had the lost job taken the group's one place, this job would never be claimed.
    const [next] = await store.createJobs([newJob({ queue: "grouped", group: "tenant" })]);
    const claimed = await store.claimDueJobs(claim("grouped"));
    expect(claimed.map((job) => job.id)).toEqual([next!.id]);
  });
});
