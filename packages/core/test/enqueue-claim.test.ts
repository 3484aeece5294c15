import { describe, expect, it } from "vitest";
import type { HandlerFn } from "../src/jobs/handler.js";
import type { Job } from "../src/jobs/job.js";
import { MemoryStore } from "../src/memory/index.js";
import { createScheduler } from "../src/scheduler.js";
import type { ClaimOptions } from "../src/store/store.js";
import { deferred, turns, until } from "./helpers.js";

/** A MemoryStore that records its claims: those of the claim loop and those made with an enqueue. */
function countingStore(gate: Promise<void> = Promise.resolve()) {
  const store = new MemoryStore();
  const calls = { claims: 0, enqueueClaims: [] as ClaimOptions[], creates: 0 };
  let inEnqueue = false;
  const claim = store.claimDueJobs.bind(store);
  store.claimDueJobs = (options) => {
    // The memory store's createJobsAndClaim claims through its own claimDueJobs.
    if (!inEnqueue) calls.claims++;
    return claim(options);
  };
  const createAndClaim = store.createJobsAndClaim.bind(store);
  store.createJobsAndClaim = async (jobs, options) => {
    calls.enqueueClaims.push(options);
    inEnqueue = true;
    const pending = createAndClaim(jobs, options);
    inEnqueue = false;
    const result = await pending;
    await gate;
    return result;
  };
  const create = store.createJobs.bind(store);
  store.createJobs = (jobs, options) => {
    calls.creates++;
    return create(jobs, options);
  };
  return { store, calls };
}

describe("an enqueue into idle workers claims in the insert's round trip", () => {
  it("starts the new job without a claim of the claim loop, after onEnqueue", async () => {
    const { store, calls } = countingStore();
    const order: string[] = [];
    const s = createScheduler({
      store,
      workers: 4,
      hooks: [
        {
          onEnqueue: (job) => order.push(`enqueue ${job.status}`),
          beforeJob: (job) => order.push(`before ${job.status} ${job.attempt}`),
        },
      ],
    });
    let claimsAtStart = -1;
    const ran = deferred<Job>();
    s.register("mail", async (job) => {
      claimsAtStart = calls.claims;
      ran.resolve(job);
    });
    await s.start();
    await until(() => calls.claims > 0);
    await turns();
    const claimsBefore = calls.claims;
    const job = await s.enqueue({ name: "mail", payload: { to: "a@b.c" } });
    // enqueue() returns the job as enqueued, whatever happened to it since.
    expect(job).toMatchObject({ status: "pending", attempt: 0 });
    const started = await ran.promise;
    expect(started).toMatchObject({ id: job.id, status: "running", attempt: 1 });
    expect(claimsAtStart).toBe(claimsBefore);
    expect(calls.enqueueClaims).toHaveLength(1);
    expect(calls.enqueueClaims[0]).toMatchObject({ names: ["mail"], queues: null, limit: 1 });
    expect(order).toEqual(["enqueue pending", "before running 1"]);
    await until(async () => (await s.getJob(job.id))?.status === "completed");
    await s.stop();
  });

  it("claims at most the free slots, and not while every worker is busy", async () => {
    const { store, calls } = countingStore();
    const s = createScheduler({ store, workers: 2 });
    const release = deferred();
    let running = 0;
    let most = 0;
    s.register("slow", async () => {
      running++;
      most = Math.max(most, running);
      await release.promise;
      running--;
    });
    await s.start();
    await until(() => calls.claims > 0);
    await turns();
    await s.enqueueMany([{ name: "slow" }, { name: "slow" }, { name: "slow" }]);
    expect(calls.enqueueClaims.map((claim) => claim.limit)).toEqual([2]);
    await until(() => running === 2);
    const late = await s.enqueue({ name: "slow" });
    // Both workers busy: a plain insert.
    expect(calls.enqueueClaims).toHaveLength(1);
    expect((await s.getJob(late.id))?.status).toBe("pending");
    expect(most).toBe(2);
    release.resolve();
    await until(async () => (await s.getJob(late.id))?.status === "completed");
    expect(most).toBe(2);
    await s.stop();
  });

  it("does not claim for names without a handler here, nor inside a transaction, nor before start()", async () => {
    const { store, calls } = countingStore();
    const s = createScheduler({ store, workers: 2 });
    s.register("known", async () => {});
    await s.enqueue({ name: "known" });
    expect(calls.enqueueClaims).toHaveLength(0);
    await s.start();
    await until(async () => (await store.stats()).completed === 1);
    await turns();
    const other = await s.enqueue({ name: "unknown" });
    expect(calls.enqueueClaims.at(-1)?.names).toEqual(["known"]);
    expect((await s.getJob(other.id))?.status).toBe("pending");
    const later = await s.enqueue({ name: "known", runAt: new Date(Date.now() + 60_000) });
    expect((await s.getJob(later.id))?.status).toBe("scheduled");
    await s.stop();
  });

  it("keeps queue controls: a paused queue's job waits", async () => {
    const { store, calls } = countingStore();
    const s = createScheduler({ store, workers: 2 });
    const ran: string[] = [];
    s.register("task", async (job) => {
      ran.push(job.id);
    });
    await s.pauseQueue("held");
    await s.start();
    await turns();
    const job = await s.enqueue({ name: "task", queue: "held" });
    expect(calls.enqueueClaims.length).toBeGreaterThan(0);
    await turns();
    expect(ran).toEqual([]);
    expect((await s.getJob(job.id))?.status).toBe("pending");
    await s.resumeQueue("held");
    await until(() => ran.length === 1);
    await s.stop();
  });

  it("a job leased by an enqueue whose middleware then failed still runs here", async () => {
    const { store } = countingStore();
    const s = createScheduler({ store, workers: 2 });
    const failing = Object.assign((next: HandlerFn) => next, {
      wrapEnqueue: async (_jobs: unknown, insert: () => Promise<Job[]>): Promise<Job[]> => {
        await insert();
        throw new Error("the middleware failed after the insert");
      },
    });
    s.use(failing);
    const ran = deferred<string>();
    s.register("task", async (job) => ran.resolve(job.id));
    await s.start();
    await turns();
    await expect(s.enqueue({ name: "task" })).rejects.toThrow("the middleware failed after the insert");
    const id = await ran.promise;
    await until(async () => (await s.getJob(id))?.status === "completed");
    await s.stop();
  });

  it("an enqueue claim answered after stop() began hands its jobs back", async () => {
    const gate = deferred();
    const { store } = countingStore(gate.promise);
    const s = createScheduler({ store, workers: 2 });
    const ran: string[] = [];
    s.register("task", async (job) => {
      ran.push(job.id);
    });
    await s.start();
    await turns();
    const enqueued = s.enqueue({ name: "task" });
    await turns();
    const stopped = s.stop();
    gate.resolve();
    const job = await enqueued;
    await stopped;
    expect(ran).toEqual([]);
    const stored = await store.getJob(job.id);
    expect(stored).toMatchObject({ status: "pending", attempt: 1, lockedBy: null });
  });
});
