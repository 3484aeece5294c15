import type { ClaimOptions } from "@sched/core/adapter";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { adminClient, deleteKeys, newJob, uniquePrefix } from "./helpers.js";

// A claim's reply: one JSON text for jobs of little text, the RESP array of job replies for jobs of
// much text (cjson would escape their payloads' JSON again). Both give back the jobs exactly.
const client = adminClient();
const stores: RedisStore[] = [];
/** The form of each claim reply the store received (`createJobsAndClaim` replies: their third part). */
const forms: string[] = [];
type Call = (...args: unknown[]) => Promise<unknown>;
// A script runs with EVALSHA, or with EVAL the first time the server meets it.
for (const command of ["evalsha", "eval"] as const) {
  const original = (client[command] as Call).bind(client);
  (client as unknown as Record<string, Call>)[command] = async (...args) => {
    const reply = await original(...args);
    const claimed = Array.isArray(reply) && (reply[0] === "ok" || reply[0] === "new") ? reply[2] : reply;
    if (typeof claimed === "string" && claimed.startsWith("[")) forms.push("json");
    else if (Array.isArray(claimed) && Array.isArray(claimed[0])) forms.push("array");
    return reply;
  };
}

function open(): RedisStore {
  const store = new RedisStore({ client, keyPrefix: uniquePrefix("claim-reply") });
  stores.push(store);
  return store;
}

afterEach(async () => {
  forms.length = 0;
  for (const store of stores.splice(0)) {
    await deleteKeys(client, store.keyPrefix);
    await store.close();
  }
});
afterAll(async () => {
  await client.quit();
});

const claimOf = (overrides: Partial<ClaimOptions> = {}): ClaimOptions => ({
  queues: ["default"],
  names: null,
  limit: 50,
  now: new Date(Date.now() + 1_000),
  lockedUntil: new Date(Date.now() + 60_000),
  workerId: "w",
  ...overrides,
});

/** A payload of about `bytes` bytes that JSON escapes heavily: slashes, quotes and backslashes. */
const heavy = (bytes: number) => ({
  text: '/"\\'.repeat(Math.ceil(bytes / 3)).slice(0, bytes),
  n: [] as number[],
});

describe("claim replies", () => {
  it("jobs of little text come back as one JSON text, equal to what getJob reads", async () => {
    const store = open();
    const jobs = Array.from({ length: 20 }, (_, i) =>
      newJob({ payload: { i, empty: {}, none: [], nested: [[], {}] }, metadata: { k: '/\\"' } }),
    );
    await store.createJobs(jobs);
    const claimed = await store.claimDueJobs(claimOf());
    expect(forms).toEqual(["json"]);
    expect(claimed.map((job) => job.id)).toEqual(jobs.map((job) => job.id));
    for (const job of claimed) expect(job).toEqual(await store.getJob(job.id));
    expect(claimed[3]!.payload).toEqual({ i: 3, empty: {}, none: [], nested: [[], {}] });
  });

  it("jobs of much text come back as an array of job replies, equal to what getJob reads", async () => {
    const store = open();
    const jobs = Array.from({ length: 5 }, () => newJob({ payload: heavy(300_000) }));
    await store.createJobs(jobs);
    const claimed = await store.claimDueJobs(claimOf());
    expect(forms).toEqual(["array"]);
    expect(claimed).toHaveLength(5);
    for (const [i, job] of claimed.entries()) {
      expect(job.payload).toEqual(jobs[i]!.payload);
      expect(job).toEqual(await store.getJob(job.id));
    }
  });

  it("the form follows the text of the jobs of one claim (64 KiB in all), also through createJobsAndClaim", async () => {
    const store = open();
    // Stored as JSON, these payloads take about 5/3 of their characters: 50 KB, then 2 × 40 KB.
    await store.createJobs([newJob({ payload: heavy(30_000) })]);
    const [small] = await store.claimDueJobs(claimOf());
    await store.createJobs([newJob({ payload: heavy(24_000) }), newJob({ payload: heavy(24_000) })]);
    const two = await store.claimDueJobs(claimOf());
    const created = newJob({ payload: heavy(70_000) });
    const { claimed } = await store.createJobsAndClaim([created], claimOf());
    expect(forms).toEqual(["json", "array", "array"]);
    expect(small!.payload).toEqual(heavy(30_000));
    expect(two.map((job) => job.payload)).toEqual([heavy(24_000), heavy(24_000)]);
    expect(claimed.map((job) => job.id)).toEqual([created.id]);
    expect(claimed[0]).toEqual(await store.getJob(created.id));
  });
});
