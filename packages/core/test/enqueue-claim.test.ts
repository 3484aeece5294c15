import { describe, expect, it } from "vitest";
import type { HandlerFn } from "../src/jobs/handler.js";
import type { Job } from "../src/jobs/job.js";
import { MemoryStore } from "../src/memory/index.js";
import { createScheduler } from "../src/scheduler.js";
import type { ClaimOptions } from "../src/store/store.js";
import { ManualClock } from "../src/time/manual-clock.js";
import { deferred, recordingLogger, turns, until } from "./helpers.js";

/** A MemoryStore that records its claims: those of the claim loop and those made with an enqueue. */
function countingStore(gate: Promise<void> = Promise.resolve()) {
  const store = new MemoryStore();
  const calls = { claims: 0, enqueueClaims: [] as ClaimOptions[], creates: 0, nextDueAts: 0 };
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
  const nextDue = store.nextDueAt.bind(store);
  store.nextDueAt = (options) => {
    calls.nextDueAts++;
    return nextDue(options);
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

  it("a job leased by an enqueue whose middleware then failed still runs here, and the enqueue returns it", async () => {
    const { store } = countingStore();
    const logger = recordingLogger();
    const s = createScheduler({ store, workers: 2, logger });
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
    // The job is stored: rejecting would have the caller enqueue it twice.
    const job = await s.enqueue({ name: "task" });
    const id = await ran.promise;
    expect(id).toBe(job.id);
    await until(async () => (await s.getJob(id))?.status === "completed");
    expect(logger.lines).toContainEqual(
      expect.stringMatching(/^error an enqueue middleware \(wrapEnqueue\) threw after the jobs were stored/),
    );
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

describe("an idle claim loop stays settled while the jobs enqueued here start with their enqueue", () => {
  it("a job that started with its enqueue and ended asks the store for nothing more", async () => {
    const { store, calls } = countingStore();
    // Only wake-ups claim: the poll is an hour away.
    const s = createScheduler({ store, workers: 4, pollInterval: "1h" });
    let ended = 0;
    s.register("mail", async () => {
      ended++;
    });
    await s.start();
    await until(() => calls.nextDueAts > 0);
    await turns();
    const before = { claims: calls.claims, nextDueAts: calls.nextDueAts };
    for (let i = 1; i <= 5; i++) {
      const job = await s.enqueue({ name: "mail", payload: { i } });
      await until(async () => ended === i && (await s.getJob(job.id))?.status === "completed");
      await turns();
    }
    expect(calls.enqueueClaims).toHaveLength(5);
    // Each job's end asked for no claim, and so no nextDueAt after an empty one either.
    expect({ claims: calls.claims, nextDueAts: calls.nextDueAts }).toEqual(before);
    await s.stop();
  });

  it("still claims at once what a job's end makes claimable: its retry, its dead letter, a job held back by a limit", async () => {
    const { store, calls } = countingStore();
    // No store events either: the claim loop must wake itself.
    (store as { subscribe?: unknown }).subscribe = undefined;
    const s = createScheduler({
      store,
      workers: 4,
      pollInterval: "1h",
      retry: { initialDelay: "20ms", multiplier: 1, maxAttempts: 2 },
    });
    const runs: string[] = [];
    s.register("flaky", async (job) => {
      runs.push(`flaky ${job.attempt}`);
      throw new Error("boom");
    });
    s.register("dead", async () => {
      runs.push("dead letter");
    });
    const release = deferred();
    s.register("capped", async (job) => {
      runs.push(`capped ${job.payload}`);
      if (job.payload === 1) await release.promise;
    });
    await s.configureQueue("one-at-a-time", { concurrency: 1 });
    await s.start();
    await until(() => calls.nextDueAts > 0);
    await turns();
    // Started by its enqueue, with no retry: its dead letter, inserted with the failure, is
    // claimable at once. No poll within the hour, and no store event, would find it.
    await s.enqueue({ name: "flaky", maxRetries: 0 });
    await until(() => runs.includes("dead letter"), 3_000);
    expect(runs).toEqual(["flaky 1", "dead letter"]);
    // The retry 20 ms later, then the dead letter.
    await s.enqueue({ name: "flaky" });
    await until(() => runs.filter((run) => run === "dead letter").length === 2, 3_000);
    expect(runs).toEqual(["flaky 1", "dead letter", "flaky 1", "flaky 2", "dead letter"]);
    await s.enqueue({ name: "capped", payload: 1, queue: "one-at-a-time" });
    await until(() => runs.includes("capped 1"));
    await s.enqueue({ name: "capped", payload: 2, queue: "one-at-a-time" });
    await turns();
    expect(runs).not.toContain("capped 2");
    release.resolve();
    await until(() => runs.includes("capped 2"), 3_000);
    await s.stop();
  });

  it("a wake-up that came while a failed enqueue held the free slots still claims", async () => {
    const { store, calls } = countingStore();
    const s = createScheduler({ store, workers: 1, pollInterval: "1h" });
    const gate = deferred();
    s.use(
      Object.assign((next: HandlerFn) => next, {
        wrapEnqueue: async (
          jobs: readonly { name: string }[],
          insert: () => Promise<Job[]>,
        ): Promise<Job[]> => {
          if (jobs[0]?.name !== "refused") return insert();
          await gate.promise;
          throw new Error("refused by the middleware");
        },
      }),
    );
    const ran: string[] = [];
    s.register("refused", async () => {});
    s.register("task", async (job) => {
      ran.push(job.id);
    });
    await s.start();
    await until(() => calls.nextDueAts > 0);
    await turns();
    // The enqueue holds the free slot for its claim while its middleware waits...
    const refused = s.enqueue({ name: "refused" });
    await turns();
    // ...when another instance enqueues a job: its wake-up finds no free slot here.
    const producer = createScheduler({ store });
    const other = await producer.enqueue({ name: "task" });
    await turns();
    gate.resolve();
    await expect(refused).rejects.toThrow("refused by the middleware");
    await until(() => ran.includes(other.id), 2_000);
    await s.stop();
  });
});

describe("a claim that took some of the jobs it asked for", () => {
  it("does not make a job due while those run wait for them or for the poll", async () => {
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const s = createScheduler({ clock, store: new MemoryStore(), workers: 4, pollInterval: "1h" });
    const release = deferred();
    const started: Array<[string, number]> = [];
    s.register("long", async () => {
      started.push(["long", clock.now()]);
      await release.promise;
    });
    s.register("short", async () => {
      started.push(["short", clock.now()]);
    });
    await s.start();
    await turns();
    const due = clock.now() + 1_000;
    await s.enqueueMany([
      { name: "long", runAt: new Date(due) },
      { name: "long", runAt: new Date(due) },
      { name: "short", runAt: new Date(due + 300) },
    ]);
    await turns();
    await clock.advance(1_000);
    await until(() => started.length === 2);
    await turns();
    // Two of four workers run long jobs; the short one is due 300 ms later.
    await clock.advance(300);
    await until(() => started.length === 3, 2_000);
    expect(started).toEqual([
      ["long", due],
      ["long", due],
      ["short", due + 300],
    ]);
    release.resolve();
    await s.stop();
  });
});

describe("jobs that start one another without I/O leave the event loop turning", () => {
  it("a handler that enqueues its next job on MemoryStore lets timers run and stop() end it", async () => {
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const s = createScheduler({ store: new MemoryStore(), workers: 5, logger: quiet });
    let runs = 0;
    // Each enqueue is claimed in its own call (no I/O): without a bound, the chain would run in
    // promise callbacks alone, and the timer below would never fire.
    s.register("again", async () => {
      runs++;
      await s.enqueue({ name: "again" });
    });
    await s.start();
    await s.enqueue({ name: "again" });
    const fired = await new Promise<number>((resolve) => setTimeout(() => resolve(runs), 50));
    expect(fired).toBeGreaterThan(0);
    await s.stop({ timeout: 0 });
    const after = runs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runs).toBe(after);
  });
});
