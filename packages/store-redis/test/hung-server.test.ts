import { createScheduler, type Job, type Scheduler } from "@sched/core";
import { PrivateRedis } from "@sched/test-servers";
import { recordingLogger, waitFor } from "@sched/testing";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { newJob, newSchedule, uniquePrefix } from "./helpers.js";

// A server of each test's own, frozen (SIGSTOP) while the test runs: connections stay open and
// nothing answers, as a Redis stuck in a long command, swapping, or cut off by the network.
let server: PrivateRedis;
beforeEach(async () => {
  server = new PrivateRedis();
  await server.start();
});
afterEach(async () => {
  await server.remove();
});

/** How long `action` took to settle (ms), and what it rejected with (`null` when it resolved). */
async function timed(action: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  let error: unknown = null;
  try {
    await action();
  } catch (err) {
    error = err;
  }
  return { ms: performance.now() - started, error };
}

/** Every kind of store call, each with arguments that would succeed on a live server. */
function everyCall(store: RedisStore): Array<[string, () => Promise<unknown>]> {
  const now = new Date();
  const later = new Date(Date.now() + 60_000);
  const ref = { id: "x", queue: "default", attempt: 1, lockedBy: "w" };
  return [
    ["ping", () => store.ping()],
    ["epoch", () => store.epoch()],
    ["createJobs", () => store.createJobs([newJob(), newJob({ queue: "other" })])],
    ["getJob", () => store.getJob("x")],
    ["cancelJob", () => store.cancelJob("x", now)],
    [
      "claimDueJobs",
      () =>
        store.claimDueJobs({ queues: null, names: null, limit: 10, now, lockedUntil: later, workerId: "w" }),
    ],
    ["completeJobs", () => store.completeJobs([ref], { now })],
    ["renewLeases", () => store.renewLeases([ref], later)],
    [
      "recoverExpiredLeases",
      () => store.recoverExpiredLeases({ now, limit: 10, maxLostLeases: 3, error: "lost", deadLetter: null }),
    ],
    ["saveSchedule", () => store.saveSchedule(newSchedule("s", "default", now))],
    ["listSchedules", () => store.listSchedules()],
    ["listJobs", () => store.listJobs({})],
    ["stats", () => store.stats()],
    ["cleanup", () => store.cleanup({ completedBefore: now, deadBefore: now, cancelledBefore: now })],
  ];
}

describe("a Redis that hangs (frozen with SIGSTOP)", () => {
  it("every store call rejects with STORE_TIMEOUT within commandTimeout (default 3 s)", async () => {
    const store = new RedisStore({ url: server.url, keyPrefix: uniquePrefix("hung") });
    const listening = store.subscribe(() => {});
    await store.createJobs([newJob()]);
    server.freeze();
    try {
      const results = await Promise.all(
        everyCall(store).map(async ([name, call]) => [name, await timed(call)] as const),
      );
      for (const [name, { ms, error }] of results) {
        expect(error, name).toMatchObject({ code: "STORE_TIMEOUT" });
        expect(ms, name).toBeLessThan(3_000 + 500);
      }
    } finally {
      server.thaw();
      listening();
      await store.close();
    }
  });

  it("commandTimeout sets the bound, also on a client passed in", async () => {
    // The client's own settings (no commandTimeout, requests queued while reconnecting) do not matter.
    const client = new Redis(server.url, { maxRetriesPerRequest: null });
    client.on("error", () => {});
    const store = new RedisStore({ client, keyPrefix: uniquePrefix("bound"), commandTimeout: "300ms" });
    await store.ping();
    server.freeze();
    try {
      for (const [name, call] of everyCall(store)) {
        const { ms, error } = await timed(call);
        expect(error, name).toMatchObject({ code: "STORE_TIMEOUT" });
        expect(ms, name).toBeGreaterThanOrEqual(290);
        expect(ms, name).toBeLessThan(300 + 300);
      }
    } finally {
      server.thaw();
      await store.close();
      client.disconnect();
    }
  });

  it("close() resolves within 3 s, with an event connection open", async () => {
    const store = new RedisStore({ url: server.url, keyPrefix: uniquePrefix("close") });
    const listening = store.subscribe(() => {});
    await store.ping();
    server.freeze();
    try {
      const { ms, error } = await timed(() => store.close());
      expect(error).toBeNull();
      expect(ms).toBeLessThan(3_000);
      listening();
    } finally {
      server.thaw();
    }
  });

  it("scheduler.start() rejects within commandTimeout", async () => {
    const store = new RedisStore({ url: server.url, keyPrefix: uniquePrefix("start") });
    const scheduler = createScheduler({ store, logger: recordingLogger() });
    server.freeze();
    try {
      const { ms, error } = await timed(() => scheduler.start());
      expect(error).toMatchObject({ code: "STORE_TIMEOUT" });
      expect(ms).toBeLessThan(3_000 + 500);
      expect(scheduler.status).toBe("idle");
    } finally {
      server.thaw();
      await scheduler.stop();
      await store.close();
    }
  });

  describe("under a running scheduler", () => {
    let store: RedisStore;
    let scheduler: Scheduler;
    const started: string[] = [];

    beforeEach(async () => {
      started.length = 0;
      store = new RedisStore({ url: server.url, keyPrefix: uniquePrefix("running") });
      scheduler = createScheduler({ store, logger: recordingLogger(), workers: 5 });
      // A handler that ignores its signal: stop() must not wait for it past its grace.
      scheduler.register("stuck", async (job: Job) => {
        started.push(job.id);
        await new Promise((resolve) => setTimeout(resolve, 30_000));
      });
      await scheduler.start();
      await scheduler.enqueueMany([{ name: "stuck" }, { name: "stuck" }]);
      await waitFor(() => started.length === 2, { timeout: "5s", description: "two jobs to start" });
    });

    afterEach(async () => {
      server.thaw();
      await scheduler.stop({ timeout: 0 });
      await store.close();
    });

    it("healthCheck() rejects within its timeout (default 2 s)", async () => {
      await scheduler.healthCheck()();
      server.freeze();
      const { ms, error } = await timed(() => scheduler.healthCheck()());
      expect(error).toMatchObject({ code: "STORE_TIMEOUT" });
      expect(ms).toBeLessThan(2_000 + 500);
    });

    it("stop({ timeout: '2s' }) resolves within the timeout + 1 s + 3 s, and close() after it within 3 s", async () => {
      server.freeze();
      const stopping = await timed(() => scheduler.stop({ timeout: "2s" }));
      expect(stopping.error).toBeNull();
      // A claim in flight when stop() began ends by commandTimeout (3 s) before the 2 s wait.
      expect(stopping.ms).toBeLessThan(2_000 + 1_000 + 3_000 + 250);
      const closing = await timed(() => store.close());
      expect(closing.error).toBeNull();
      expect(closing.ms).toBeLessThan(3_000);
    });
  });
});
