import type { ClaimOptions } from "@sched/core/adapter";
import { afterAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { adminClient, deleteKeys, newJob, uniquePrefix } from "./helpers.js";

// Claims and completions change the sorted sets of many jobs with one ZREM or ZADD per set, in
// chunks of 4,000 values (includes/queue.lua, applyMoves): batches past a chunk must come out
// exactly as one job at a time would.
const client = adminClient();
const store = new RedisStore({ client, keyPrefix: uniquePrefix("batched-moves") });

afterAll(async () => {
  await deleteKeys(client, store.keyPrefix);
  await store.close();
  await client.quit();
});

const N = 5_001;

function claimOptions(now: Date, limit: number, queues: string[]): ClaimOptions {
  return {
    queues,
    names: null,
    limit,
    now,
    lockedUntil: new Date(now.getTime() + 60_000),
    workerId: "w-batch",
  };
}

describe("claims and completions of more jobs than one chunk of a sorted-set call", () => {
  it(`claims ${N} jobs in one call and completes them in one call: every set and count exact`, async () => {
    const created = new Date(Date.now() - 1_000);
    const jobs = Array.from({ length: N }, () =>
      newJob({ queue: "bulk", scheduledAt: created, createdAt: created }),
    );
    await store.createJobs(jobs);
    const now = new Date();
    const claimed = await store.claimDueJobs(claimOptions(now, N + 10, ["bulk"]));
    expect(claimed).toHaveLength(N);
    expect(new Set(claimed.map((job) => job.id))).toEqual(new Set(jobs.map((job) => job.id)));
    expect(claimed.every((job) => job.status === "running" && job.attempt === 1)).toBe(true);
    const queueKey = (suffix: string) => `${store.keyPrefix}{bulk}:${suffix}`;
    expect(await client.zcard(queueKey("running"))).toBe(N);
    expect(await client.zcard(queueKey("listed:pending"))).toBe(0);
    expect((await store.stats()).byQueue?.bulk).toMatchObject({ pending: 0, running: N });

    // The first job's ref twice: applied once, then no longer held.
    const refs = claimed.map((job) => ({
      id: job.id,
      queue: job.queue,
      attempt: job.attempt,
      lockedBy: "w-batch",
    }));
    const applied = await store.completeJobs([...refs, refs[0] as (typeof refs)[number]], {
      now: new Date(now.getTime() + 5),
    });
    expect(applied.filter(Boolean)).toHaveLength(N);
    expect(applied.at(-1)).toBe(false);
    expect(await client.zcard(queueKey("running"))).toBe(0);
    expect(await client.zcard(queueKey("completed"))).toBe(N);
    expect(await client.zcard(queueKey("listed:completed"))).toBe(N);
    expect((await store.stats()).byQueue?.bulk).toMatchObject({ running: 0, completed: N });
    const page = await store.listJobs({ queue: "bulk", status: "completed", limit: 3 });
    expect(page.jobs.map((job) => job.status)).toEqual(["completed", "completed", "completed"]);
  });

  it("a running job whose hash lost createdAt does not fail the completion of the others", async () => {
    const now = new Date();
    const jobs = Array.from({ length: 3 }, () =>
      newJob({ queue: "damaged", scheduledAt: now, createdAt: now }),
    );
    await store.createJobs(jobs);
    const claimed = await store.claimDueJobs(claimOptions(new Date(now.getTime() + 1), 3, ["damaged"]));
    expect(claimed).toHaveLength(3);
    await client.hdel(`${store.keyPrefix}{damaged}:job:${claimed[1]?.id}`, "createdAt");
    const refs = claimed.map((job) => ({
      id: job.id,
      queue: job.queue,
      attempt: job.attempt,
      lockedBy: "w-batch",
    }));
    expect(await store.completeJobs(refs, { now: new Date(now.getTime() + 2) })).toEqual([true, true, true]);
    expect(await client.zcard(`${store.keyPrefix}{damaged}:running`)).toBe(0);
    expect(await client.zcard(`${store.keyPrefix}{damaged}:listed:completed`)).toBe(3);
    expect((await store.stats()).byQueue?.damaged).toMatchObject({ running: 0, completed: 3 });
  });
});
