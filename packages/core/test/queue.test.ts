import { afterEach, describe, expect, it } from "vitest";
import { JobAlreadyExistsError } from "../src/errors.js";
import type { Job } from "../src/jobs/job.js";
import { MemoryStore } from "../src/memory/index.js";
import type { Scheduler } from "../src/scheduler.js";
import { deferred, setup, turns, until } from "./helpers.js";

let current: Scheduler | null = null;
afterEach(async () => {
  await current?.stop({ timeout: 0 });
  current = null;
});

describe("queued jobs", () => {
  it("runs an enqueued job with its payload, attempt and metadata", async () => {
    const { s } = setup();
    current = s;
    const seen: Array<{ payload: unknown; attempt: number; meta: Record<string, string> }> = [];
    s.register("greet", (job, ctx) => {
      seen.push({ payload: job.payload, attempt: ctx.attempt, meta: job.metadata });
    });
    await s.start();
    const job = await s.enqueue({ name: "greet", payload: { to: "a@b.c" }, metadata: { tenant: "t1" } });
    expect(job.status).toBe("pending");
    await until(async () => (await s.getJob(job.id))?.status === "completed");
    expect(seen).toEqual([{ payload: { to: "a@b.c" }, attempt: 1, meta: { tenant: "t1" } }]);
  });

  it("runs higher priority first, then earlier run time, then enqueue order", async () => {
    const { s } = setup({ workers: 1 });
    current = s;
    const order: string[] = [];
    s.register("j", (job) => {
      order.push(job.payload as string);
    });
    await s.enqueue({ name: "j", payload: "low", priority: 0 });
    await s.enqueue({ name: "j", payload: "high", priority: 10 });
    await s.enqueue({ name: "j", payload: "low2", priority: 0 });
    await s.enqueue({ name: "j", payload: "mid", priority: 5 });
    await s.start();
    await until(() => order.length === 4);
    expect(order).toEqual(["high", "mid", "low", "low2"]);
  });

  it("holds a delayed job until its time comes", async () => {
    const { s, clock } = setup();
    current = s;
    const ran: number[] = [];
    s.register("later", () => {
      ran.push(clock.now());
    });
    await s.start();
    const start = clock.now();
    const job = await s.enqueue({ name: "later", delay: "10s" });
    expect(job.status).toBe("scheduled");
    expect(job.scheduledAt.getTime()).toBe(start + 10_000);
    await clock.advance("9s");
    expect(ran).toEqual([]);
    await clock.advance("1s");
    await until(() => ran.length === 1);
    expect(ran[0]).toBe(start + 10_000);
  });

  it("enqueueAt runs the job at the given instant", async () => {
    const { s, clock } = setup();
    current = s;
    const ran: number[] = [];
    s.register("at", () => {
      ran.push(clock.now());
    });
    await s.start();
    const runAt = new Date(clock.now() + 3_600_000);
    await s.enqueueAt({ name: "at" }, runAt);
    await clock.advance("1h");
    await until(() => ran.length === 1);
    expect(ran[0]).toBe(runAt.getTime());
  });

  it("enqueueMany inserts all jobs, or none when one key is taken", async () => {
    const { s } = setup();
    current = s;
    const jobs = await s.enqueueMany([{ name: "a" }, { name: "b", uniqueKey: "k1" }]);
    expect(jobs.map((j) => j.name)).toEqual(["a", "b"]);
    await expect(s.enqueueMany([{ name: "c" }, { name: "d", uniqueKey: "k1" }])).rejects.toBeInstanceOf(
      JobAlreadyExistsError,
    );
    expect((await s.listJobs()).jobs.map((j) => j.name)).toEqual(["a", "b"]);
    expect(await s.enqueueMany([])).toEqual([]);
  });

  it("the jobs of one enqueueMany share one instant, however long reading them takes", async () => {
    const { clock } = setup();
    // A clock that moves 1 ms on every read: one read for the whole batch gives one instant.
    let reads = 0;
    const ticking = {
      now: () => clock.now() + reads++,
      setTimeout: clock.setTimeout.bind(clock),
      clearTimeout: clock.clearTimeout.bind(clock),
    };
    const { s } = setup({ clock: ticking });
    current = s;
    const jobs = await s.enqueueMany([{ name: "a" }, { name: "b" }, { name: "c", delay: 10 }]);
    const created = new Set(jobs.map((job) => job.createdAt.getTime()));
    expect(created.size).toBe(1);
    const [at] = created;
    expect(jobs.map((job) => job.scheduledAt.getTime() - (at as number))).toEqual([0, 0, 10]);
  });

  it("a unique key admits one unfinished job and is free again once it completes", async () => {
    const { s } = setup();
    current = s;
    const gate = deferred();
    s.register("u", () => gate.promise);
    const first = await s.enqueue({ name: "u", uniqueKey: "welcome:42" });
    const err = await s.enqueue({ name: "u", uniqueKey: "welcome:42" }).catch((e) => e);
    expect(err).toBeInstanceOf(JobAlreadyExistsError);
    expect(err.code).toBe("JOB_ALREADY_EXISTS");
    expect((await s.listJobs()).jobs).toHaveLength(1);
    await s.start();
    await until(async () => (await s.getJob(first.id))?.status === "running");
    await expect(s.enqueue({ name: "u", uniqueKey: "welcome:42" })).rejects.toBeInstanceOf(
      JobAlreadyExistsError,
    );
    gate.resolve();
    await until(async () => (await s.getJob(first.id))?.status === "completed");
    const again = await s.enqueue({ name: "u", uniqueKey: "welcome:42" });
    expect(again.id).not.toBe(first.id);
  });

  it("never runs more handlers at once than `workers`", async () => {
    const { s } = setup({ workers: 3 });
    current = s;
    let active = 0;
    let peak = 0;
    let done = 0;
    s.register("w", async () => {
      active++;
      peak = Math.max(peak, active);
      await turns(3);
      active--;
      done++;
    });
    await s.enqueueMany(Array.from({ length: 20 }, () => ({ name: "w" })));
    await s.start();
    await until(() => done === 20);
    expect(peak).toBe(3);
  });

  it("processes only the queues it is given", async () => {
    const { s, store } = setup({ queues: ["emails"] });
    current = s;
    const ran: string[] = [];
    s.register("j", (job) => {
      ran.push(job.queue);
    });
    const other = await s.enqueue({ name: "j", queue: "reports" });
    await s.enqueue({ name: "j", queue: "emails" });
    await s.start();
    await until(() => ran.length === 1);
    await turns();
    expect(ran).toEqual(["emails"]);
    expect((await store.getJob(other.id))?.status).toBe("pending");
  });

  it("takes a handler's queue, priority and retries as defaults for its jobs", async () => {
    const { s } = setup();
    current = s;
    s.register("mail", () => {}, { queue: "emails", priority: 7, maxRetries: 9, timeout: "2s" });
    const job = await s.enqueue({ name: "mail" });
    expect([job.queue, job.priority, job.maxRetries, job.timeout]).toEqual(["emails", 7, 9, 2000]);
    const explicit = await s.enqueue({ name: "mail", queue: "q", priority: 1, maxRetries: 0, timeout: 0 });
    expect([explicit.queue, explicit.priority, explicit.maxRetries, explicit.timeout]).toEqual([
      "q",
      1,
      0,
      0,
    ]);
  });

  it("accepts handler objects with handle()", async () => {
    const { s } = setup();
    current = s;
    const seen: string[] = [];
    s.register("obj", {
      handle(job: Job) {
        seen.push(job.id);
      },
    });
    await s.start();
    const job = await s.enqueue({ name: "obj" });
    await until(() => seen.length === 1);
    expect(seen).toEqual([job.id]);
  });

  it("lists jobs by status, queue and name with limit and offset", async () => {
    const { s } = setup();
    current = s;
    await s.enqueueMany([
      { name: "a", queue: "q1" },
      { name: "b", queue: "q2" },
      { name: "a", queue: "q2" },
    ]);
    expect((await s.listJobs({ name: "a" })).jobs.map((j) => j.queue)).toEqual(["q1", "q2"]);
    expect((await s.listJobs({ queue: "q2" })).jobs.map((j) => j.name)).toEqual(["b", "a"]);
    const first = await s.listJobs({ status: "pending", limit: 1 });
    expect(first.jobs.map((j) => j.name)).toEqual(["a"]);
    const second = await s.listJobs({ status: "pending", limit: 1, cursor: first.nextCursor });
    expect(second.jobs.map((j) => j.name)).toEqual(["b"]);
    await expect(s.listJobs({ limit: 0 })).rejects.toThrow(/limit/);
    await expect(s.listJobs({ offset: 1 } as never)).rejects.toThrow(/offset/);
    await expect(s.listJobs({ cursor: "not-a-cursor" })).rejects.toThrow(/cursor/);
  });

  it("reports stats by status and queue", async () => {
    const { s } = setup();
    current = s;
    await s.enqueueMany([
      { name: "a", queue: "q1" },
      { name: "b", queue: "q2", delay: "1h" },
    ]);
    const stats = await s.stats();
    expect(stats.pending).toBe(1);
    expect(stats.scheduled).toBe(1);
    expect(stats.byQueue?.q1?.pending).toBe(1);
    expect(stats.byQueue?.q2?.scheduled).toBe(1);
  });
});

describe("cancel and retryJob", () => {
  it("a cancelled waiting job never runs", async () => {
    const { s, clock } = setup();
    current = s;
    const ran: string[] = [];
    s.register("c", (job) => {
      ran.push(job.id);
    });
    await s.start();
    const job = await s.enqueue({ name: "c", delay: "1m" });
    const cancelled = await s.cancel(job.id);
    expect(cancelled.status).toBe("cancelled");
    await clock.advance("2m");
    await turns();
    expect(ran).toEqual([]);
  });

  it("cancelling a running job aborts its signal and frees its slot", async () => {
    const { s } = setup({ workers: 1 });
    current = s;
    let reason: unknown = null;
    s.register("long", (_job, ctx) => {
      return new Promise<void>((resolve) => {
        ctx.signal.addEventListener("abort", () => {
          reason = ctx.signal.reason;
          resolve();
        });
      });
    });
    const ran: string[] = [];
    s.register("next", () => {
      ran.push("next");
    });
    await s.start();
    const job = await s.enqueue({ name: "long" });
    await until(async () => (await s.getJob(job.id))?.status === "running");
    await s.enqueue({ name: "next" });
    await s.cancel(job.id);
    await until(() => ran.length === 1);
    expect((reason as Error).name).toBe("JobCancelledError");
    expect((await s.getJob(job.id))?.status).toBe("cancelled");
  });

  it("cancel and retryJob of an unknown id throw JobNotFoundError", async () => {
    const { s } = setup();
    current = s;
    await expect(s.cancel("nope")).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
    await expect(s.retryJob("nope")).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
  });

  it("retryJob moves a dead job back to pending and it runs again", async () => {
    const { s } = setup();
    current = s;
    let fail = true;
    let runs = 0;
    s.register("x", () => {
      runs++;
      if (fail) throw new Error("down");
    });
    await s.start();
    const job = await s.enqueue({ name: "x", maxRetries: 0 });
    await until(async () => (await s.getJob(job.id))?.status === "dead");
    fail = false;
    const retried = await s.retryJob(job.id);
    expect(retried.status).toBe("pending");
    expect(retried.retryCount).toBe(0);
    await until(async () => (await s.getJob(job.id))?.status === "completed");
    expect(runs).toBe(2);
    await expect(s.retryJob(job.id)).rejects.toMatchObject({
      code: "INVALID_JOB_STATE",
      jobId: job.id,
      status: "completed",
    });
  });
});

describe("transactions", () => {
  it("the memory store rejects enqueue inside a transaction, creating nothing", async () => {
    const { s } = setup();
    await expect(s.enqueue({ name: "j" }, { transaction: {} })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect((await s.listJobs()).jobs).toEqual([]);
  });
});

describe("the order of a claimed batch", () => {
  it("jobs claimed together start in claim order across queues, whatever order the store returns them in", async () => {
    // A store that returns a batch queue by queue, in name order (as a store may: the contract
    // leaves the order across queues to it).
    class QueueByQueueStore extends MemoryStore {
      override async claimDueJobs(...args: Parameters<MemoryStore["claimDueJobs"]>) {
        const jobs = await super.claimDueJobs(...args);
        return [...jobs].sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
      }
    }
    const { s } = setup({ store: new QueueByQueueStore(), workers: 4 });
    current = s;
    const started: string[] = [];
    s.register("j", async (job) => {
      started.push(`${job.queue}:${job.priority}`);
    });
    await s.start();
    // Enqueued into idle workers: claimed with their insert, all four in one batch.
    await s.enqueueMany([
      { name: "j", queue: "a", priority: 0 },
      { name: "j", queue: "a", priority: 0 },
      { name: "j", queue: "b", priority: 10 },
      { name: "j", queue: "a", priority: 5 },
    ]);
    await until(async () => (await s.stats()).completed === 4);
    expect(started).toEqual(["b:10", "a:5", "a:0", "a:0"]);
  });
});
