import { describe, expect, it } from "vitest";
import { resolveOptions } from "../src/config/options.js";
import { ConfigError } from "../src/errors.js";
import type { Job } from "../src/jobs/job.js";
import { MemoryStore } from "../src/memory/index.js";
import { rateLimited } from "../src/retry/retry.js";
import type { Duration } from "../src/time/duration.js";
import { deferred, setup, turns, until } from "./helpers.js";

/** Records the limit of every claim of the claim loop, and how many of the store's jobs were running then. */
function recordClaims(store: MemoryStore) {
  const limits: number[] = [];
  const claim = store.claimDueJobs.bind(store);
  store.claimDueJobs = (options) => {
    limits.push(options.limit);
    return claim(options);
  };
  return limits;
}

/** Enqueues `n` jobs of `name` with payload `{ i }`, i = 0 … n - 1, due now, in that order. */
async function enqueueNumbered(s: ReturnType<typeof setup>["s"], name: string, n: number): Promise<Job[]> {
  return s.enqueueMany(Array.from({ length: n }, (_, i) => ({ name, payload: { i } })));
}

describe("prefetch: claimed jobs waiting here for a free slot", () => {
  it("claims beyond the free slots while jobs end quickly, never runs more than `workers` at once, and runs every job once", async () => {
    const { s, store } = setup({ workers: 2, prefetch: 4 });
    const limits = recordClaims(store);
    const runs: number[] = [];
    let running = 0;
    let most = 0;
    s.register<{ i: number }>("quick", async (job) => {
      running++;
      most = Math.max(most, running);
      runs.push(job.payload.i);
      await turns(1);
      running--;
    });
    await enqueueNumbered(s, "quick", 40);
    await s.start();
    await until(() => runs.length === 40);
    await s.stop();
    expect([...runs].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(most).toBeLessThanOrEqual(2);
    // The first claim knows no run time yet: only the free slots. Later ones add the prefetch.
    expect(limits[0]).toBe(2);
    expect(Math.max(...limits)).toBeGreaterThan(2);
    expect(Math.max(...limits)).toBeLessThanOrEqual(6);
    for (const job of (await s.listJobs({ status: "completed", limit: 100 })).jobs) {
      expect(job.attempt).toBe(1);
    }
  });

  it("a claim that would only top up a little of the prefetch waits for the next job to end and goes out with its slot", async () => {
    // Handlers that end a turn after they start (any async handler): without the wait, the claim
    // loop asked again at once for the few prefetch places its last claim left, so claims
    // alternated between nearly a whole batch and a handful.
    const { s, store } = setup({ workers: 10, prefetch: 10, claimBatchSize: 20 });
    const limits = recordClaims(store);
    // Answers a turn later, as a store over a network does.
    const answer = store.claimDueJobs.bind(store);
    store.claimDueJobs = async (options) => {
      await new Promise((resolve) => setImmediate(resolve));
      return answer(options);
    };
    let ran = 0;
    s.register<{ i: number }>("quick", async (job) => {
      // One job in ten ends a turn later than the others.
      if (job.payload.i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
      ran++;
    });
    await enqueueNumbered(s, "quick", 400);
    await s.start();
    await until(() => ran === 400);
    await s.stop();
    expect(limits.length).toBeGreaterThan(2);
    // Half the prefetch (5) at least, every claim: the first takes the free slots, the others
    // the freed slots and the prefetch together.
    expect(Math.min(...limits)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...limits)).toBe(20);
  });

  it("prefetch: 0 claims only for free slots", async () => {
    const { s, store } = setup({ workers: 2, prefetch: 0 });
    const limits = recordClaims(store);
    let ran = 0;
    s.register("quick", async () => {
      ran++;
    });
    await enqueueNumbered(s, "quick", 20);
    await s.start();
    await until(() => ran === 20);
    await s.stop();
    expect(limits.length).toBeGreaterThan(0);
    for (const limit of limits) expect(limit).toBeLessThanOrEqual(2);
  });

  /**
   * One worker; job 0 ends at once (a run time of 0 ms), job 1 waits for `gate`: the claims made
   * meanwhile prefetch jobs 2 and 3, which wait here for the slot.
   */
  async function busyWithPrefetched(options: { lockTTL?: Duration; lockRefresh?: Duration } = {}) {
    const ctx = setup({
      workers: 1,
      prefetch: 2,
      ...(options.lockTTL
        ? { distributed: { lockTTL: options.lockTTL, lockRefresh: options.lockRefresh ?? "500ms" } }
        : {}),
    });
    const gate = deferred();
    const started: number[] = [];
    ctx.s.register<{ i: number }>("job", async (job) => {
      started.push(job.payload.i);
      if (job.payload.i === 1) await gate.promise;
    });
    const jobs = await enqueueNumbered(ctx.s, "job", 5);
    await ctx.s.start();
    await until(() => started.includes(1));
    await until(async () => (await ctx.store.getJob(jobs[3]?.id as string))?.status === "running");
    await turns();
    expect(started).toEqual([0, 1]);
    return { ...ctx, gate, started, jobs };
  }

  it("starts prefetched jobs in claim order once a slot frees up", async () => {
    const { s, gate, started } = await busyWithPrefetched();
    gate.resolve();
    await until(() => started.length === 5);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    await s.stop();
  });

  it("hands prefetched jobs back to the queue at stop(), without using a retry", async () => {
    const { s, store, gate, started, jobs } = await busyWithPrefetched();
    const stopping = s.stop();
    await until(async () => (await store.getJob(jobs[2]?.id as string))?.status === "pending");
    expect((await store.getJob(jobs[3]?.id as string))?.status).toBe("pending");
    gate.resolve();
    await stopping;
    expect(started).toEqual([0, 1]);
    for (const job of [jobs[2], jobs[3]]) {
      expect(await store.getJob(job?.id as string)).toMatchObject({
        status: "pending",
        retryCount: 0,
        lockedBy: null,
      });
    }
  });

  it("hands a prefetched job back after min(1s, lockTTL / 4) without a slot, and prefetches no more while runs are that long", async () => {
    const { s, store, clock, gate, started, jobs } = await busyWithPrefetched({ lockTTL: "2s" });
    await clock.advance(499);
    await turns();
    expect((await store.getJob(jobs[2]?.id as string))?.status).toBe("running");
    await clock.advance(1);
    await until(async () => (await store.getJob(jobs[2]?.id as string))?.status === "pending");
    await turns();
    for (const job of [jobs[2], jobs[3], jobs[4]]) {
      expect(await store.getJob(job?.id as string)).toMatchObject({
        status: "pending",
        retryCount: 0,
        lockedBy: null,
      });
    }
    gate.resolve();
    await until(() => started.length === 5);
    // Handed back with scheduledAt = now: job 4, never claimed, is ahead of them now.
    expect(started).toEqual([0, 1, 4, 2, 3]);
    await s.stop();
  });

  it("waits at most half of lockTTL - lockRefresh, so that the lease of its claim still holds when renewals reach it", async () => {
    // lockTTL 4 s, lockRefresh 3.5 s: a job claimed just after a renewal and started just before
    // the next would be renewed only 3.5 s after it started; it may wait 250 ms, not 1 s.
    const { s, store, clock, gate, started, jobs } = await busyWithPrefetched({
      lockTTL: "4s",
      lockRefresh: "3500ms",
    });
    await clock.advance(249);
    await turns();
    expect((await store.getJob(jobs[2]?.id as string))?.status).toBe("running");
    await clock.advance(1);
    await until(async () => (await store.getJob(jobs[2]?.id as string))?.status === "pending");
    gate.resolve();
    await until(() => started.length === 5);
    await s.stop();
  });

  it("prefetches nothing when lockTTL - lockRefresh leaves under 2 ms to wait", async () => {
    const { s, store } = setup({
      workers: 1,
      prefetch: 5,
      distributed: { lockTTL: "1000ms", lockRefresh: "999ms" },
    });
    const limits = recordClaims(store);
    let ran = 0;
    s.register("quick", async () => {
      ran++;
    });
    await enqueueNumbered(s, "quick", 10);
    await s.start();
    await until(() => ran === 10);
    await s.stop();
    for (const limit of limits) expect(limit).toBeLessThanOrEqual(1);
  });

  it("hands the prefetched jobs of a queue back when a handler here pushes the queue back (rateLimited)", async () => {
    const { s, store } = setup({ workers: 1, prefetch: 2 });
    const gate = deferred();
    const started: number[] = [];
    s.register<{ i: number }>("job", async (job) => {
      started.push(job.payload.i);
      if (job.payload.i === 1) {
        await gate.promise;
        throw rateLimited("5s", { scope: "queue" });
      }
    });
    const jobs = await enqueueNumbered(s, "job", 4);
    await s.start();
    await until(async () => (await store.getJob(jobs[3]?.id as string))?.status === "running");
    expect(started).toEqual([0, 1]);
    gate.resolve();
    await until(async () => (await store.getJob(jobs[3]?.id as string))?.status === "pending");
    await turns();
    // Held back with the queue: none of them started.
    expect(started).toEqual([0, 1]);
    expect(await store.getJob(jobs[2]?.id as string)).toMatchObject({ status: "pending", retryCount: 0 });
    await s.stop();
  });

  it("hands the prefetched jobs of a queue back when pauseQueue() is called here", async () => {
    const { s, store, gate, started, jobs } = await busyWithPrefetched();
    await s.pauseQueue("default");
    expect(await store.getJob(jobs[2]?.id as string)).toMatchObject({ status: "pending", retryCount: 0 });
    gate.resolve();
    await until(async () => (await store.getJob(jobs[1]?.id as string))?.status === "completed");
    await turns();
    expect(started).toEqual([0, 1]);
    await s.resumeQueue("default");
    await until(() => started.length === 5);
    await s.stop();
  });

  it("never starts a prefetched job that was cancelled while it waited", async () => {
    const { s, store, gate, started, jobs } = await busyWithPrefetched();
    const target = jobs[2]?.id as string;
    expect((await s.cancel(target)).status).toBe("cancelled");
    gate.resolve();
    await until(() => started.length === 4);
    await turns();
    expect(started).toEqual([0, 1, 3, 4]);
    expect((await store.getJob(target))?.status).toBe("cancelled");
    await s.stop();
  });

  it("defaults to 3 × workers prefetched jobs, claims of max(workers, 50), max(workers + min(prefetch, workers), 50) on a store with large claims, or max(workers + prefetch, 50) with whole-prefetch claims; refuses a negative or fractional prefetch", () => {
    expect(resolveOptions({ workers: 10 })).toMatchObject({ prefetch: 30, claimBatchSize: 50 });
    expect(resolveOptions({ workers: 80 })).toMatchObject({ prefetch: 240, claimBatchSize: 80 });
    const store = new MemoryStore();
    expect(resolveOptions({ workers: 40, store })).toMatchObject({ prefetch: 120, claimBatchSize: 50 });
    const large = Object.assign(new MemoryStore(), {
      capabilities: { ...store.capabilities, largeClaims: true },
    });
    // Claims of twice the workers; the prefetch holds the waiting half of one claim and the whole
    // of the next, which is sent while this one's jobs run.
    expect(resolveOptions({ workers: 40, store: large })).toMatchObject({
      prefetch: 120,
      claimBatchSize: 80,
    });
    expect(resolveOptions({ workers: 50, store: large })).toMatchObject({
      prefetch: 150,
      claimBatchSize: 100,
    });
    expect(resolveOptions({ workers: 40, prefetch: 10, store: large })).toMatchObject({
      prefetch: 10,
      claimBatchSize: 50,
    });
    expect(resolveOptions({ workers: 40, prefetch: 0, store: large })).toMatchObject({
      prefetch: 0,
      claimBatchSize: 50,
    });
    // The whole prefetch in one claim: the free slots and every job the prefetch may hold.
    const whole = Object.assign(new MemoryStore(), {
      capabilities: { ...store.capabilities, largeClaims: true, wholePrefetchClaims: true },
    });
    expect(resolveOptions({ workers: 50, store: whole })).toMatchObject({
      prefetch: 150,
      claimBatchSize: 200,
    });
    expect(resolveOptions({ workers: 40, prefetch: 20, store: whole })).toMatchObject({
      prefetch: 20,
      claimBatchSize: 60,
    });
    expect(resolveOptions({ workers: 10, prefetch: 0, store: whole })).toMatchObject({
      prefetch: 0,
      claimBatchSize: 50,
    });
    expect(resolveOptions({ workers: 50, claimBatchSize: 70, store: whole })).toMatchObject({
      claimBatchSize: 70,
    });
    // Without largeClaims the flag sizes nothing.
    const alone = Object.assign(new MemoryStore(), {
      capabilities: { ...store.capabilities, wholePrefetchClaims: true },
    });
    expect(resolveOptions({ workers: 50, store: alone })).toMatchObject({
      prefetch: 150,
      claimBatchSize: 50,
    });
    for (const prefetch of [-1, 1.5, Number.NaN]) {
      expect(() => resolveOptions({ prefetch })).toThrow(ConfigError);
    }
    try {
      resolveOptions({ prefetch: -1 });
    } catch (err) {
      expect(err).toMatchObject({ code: "CONFIG_INVALID", field: "prefetch" });
    }
  });
});
