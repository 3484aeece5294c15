import type { Scheduler } from "@sched/core";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditEntry, HttpHandler } from "../src/index.js";
import { call, handlerFor, READ_TOKEN, startedScheduler, until } from "./harness.js";
import { memory, postgres, redis, type StoreKind } from "./stores.js";

const kinds: StoreKind[] = [memory, postgres(), redis()];

afterAll(async () => {
  for (const kind of kinds) await kind.cleanup();
});

describe.each(kinds)("on the $name store", (kind) => {
  let scheduler: Scheduler;
  let handler: HttpHandler;
  let audit: AuditEntry[];

  beforeEach(async () => {
    const store = kind.create();
    // The scheduler works the `work` queue only: jobs of other queues wait, so tests see them as left.
    scheduler = await startedScheduler({ ...(store ? { store } : {}), queues: ["work"] });
    audit = [];
    handler = handlerFor(scheduler, {}, audit);
  });

  afterEach(async () => {
    await scheduler?.stop();
  });

  it("lists jobs page by page with the cursor, filtered by queue, status and time", async () => {
    const jobs = [];
    for (let i = 0; i < 5; i++)
      jobs.push(await scheduler.enqueue({ name: "send", queue: "emails", payload: { i } }));
    await scheduler.enqueue({ name: "build", queue: "reports" });

    const first = await call(handler, "GET", "/api/jobs?queue=emails&limit=2");
    expect(first.status).toBe(200);
    expect(first.body.jobs.map((job: { id: string }) => job.id)).toEqual([jobs[0]!.id, jobs[1]!.id]);
    expect(typeof first.body.jobs[0].createdAt).toBe("string");
    const second = await call(
      handler,
      "GET",
      `/api/jobs?queue=emails&limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.jobs.map((job: { id: string }) => job.id)).toEqual([jobs[2]!.id, jobs[3]!.id]);
    const newest = await call(
      handler,
      "GET",
      "/api/jobs?queue=emails&order=desc&limit=1&status=pending,scheduled",
    );
    expect(newest.body.jobs[0].id).toBe(jobs[4]!.id);
    const none = await call(
      handler,
      "GET",
      `/api/jobs?queue=emails&from=${new Date(Date.now() + 60_000).toISOString()}`,
    );
    expect(none.body).toEqual({ jobs: [], nextCursor: null });
  });

  it("reads a job, cancels it, retries it, and promotes a scheduled one", async () => {
    const job = await scheduler.enqueue({ name: "send", queue: "emails", payload: { to: "a@b.c" } });
    const read = await call(handler, "GET", `/api/jobs/${job.id}`);
    expect(read.body).toMatchObject({ id: job.id, status: "pending", payload: { to: "a@b.c" } });

    const cancelled = await call(handler, "POST", `/api/jobs/${job.id}/cancel`);
    expect(cancelled.body.status).toBe("cancelled");
    const retried = await call(handler, "POST", `/api/jobs/${job.id}/retry`);
    expect(retried.body.status).toBe("pending");

    const later = await scheduler.enqueue({ name: "send", queue: "emails", delay: "1h" });
    expect(later.status).toBe("scheduled");
    const promoted = await call(handler, "POST", `/api/jobs/${later.id}/promote`);
    expect(promoted.body.status).toBe("pending");
    expect((await scheduler.getJob(later.id))!.status).toBe("pending");

    const deleted = await call(handler, "DELETE", `/api/jobs/${later.id}`);
    expect(deleted.body).toMatchObject({ id: later.id, status: "pending" });
    expect(await scheduler.getJob(later.id)).toBeNull();
    expect((await call(handler, "DELETE", `/api/jobs/${later.id}`)).status).toBe(404);

    expect(audit.map((entry) => [entry.who, entry.action, entry.target, entry.ok])).toEqual([
      ["ops", "job.cancel", job.id, true],
      ["ops", "job.retry", job.id, true],
      ["ops", "job.promote", later.id, true],
      ["ops", "job.delete", later.id, true],
      ["ops", "job.delete", later.id, false],
    ]);
  });

  it("answers 404 for a job that does not exist, and 409 for an action its status does not allow", async () => {
    expect((await call(handler, "GET", "/api/jobs/0190a000-0000-7000-8000-000000000000")).status).toBe(404);
    const job = await scheduler.enqueue({ name: "send", queue: "emails" });
    const refused = await call(handler, "POST", `/api/jobs/${job.id}/retry`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("INVALID_JOB_STATE");
    expect(audit.at(-1)).toMatchObject({ action: "job.retry", ok: false, error: "INVALID_JOB_STATE" });
    const notPromotable = await call(handler, "POST", `/api/jobs/${job.id}/promote`);
    expect([notPromotable.status, notPromotable.body.error.code]).toEqual([409, "INVALID_JOB_STATE"]);
    // A finished job is not cancelled: 409, and it stays as it was.
    scheduler.register("ping", () => {});
    const done = await scheduler.enqueue({ name: "ping", queue: "work" });
    await until(async () => (await scheduler.getJob(done.id))?.status === "completed", "the job to complete");
    const late = await call(handler, "POST", `/api/jobs/${done.id}/cancel`);
    expect([late.status, late.body.error.code]).toEqual([409, "INVALID_JOB_STATE"]);
    expect((await scheduler.getJob(done.id))!.status).toBe("completed");
  });

  it("retries every dead job of a queue and deletes jobs by filter in bulk", async () => {
    scheduler.register("fail", () => {
      throw new Error("boom");
    });
    const dead = [
      await scheduler.enqueue({ name: "fail", queue: "work", maxRetries: 0 }),
      await scheduler.enqueue({ name: "fail", queue: "work", maxRetries: 0 }),
    ];
    await until(async () => (await scheduler.getJob(dead[1]!.id))?.status === "dead", "the jobs to be dead");
    await until(async () => (await scheduler.getJob(dead[0]!.id))?.status === "dead", "the jobs to be dead");
    await scheduler.enqueue({ name: "send", queue: "emails" });

    const deadList = await call(handler, "GET", "/api/jobs?status=dead");
    expect(deadList.body.jobs).toHaveLength(2);
    await scheduler.pauseQueue("work");
    // Neither an empty filter nor a missing body means "every dead job".
    for (const body of [{}, undefined]) {
      const refusedRetry = await call(handler, "POST", "/api/jobs/retry", body === undefined ? {} : { body });
      expect(refusedRetry.status).toBe(400);
      expect(refusedRetry.body.error.code).toBe("INVALID_BODY");
    }
    expect((await scheduler.getJob(dead[0]!.id))!.status).toBe("dead");
    const retried = await call(handler, "POST", "/api/jobs/retry", {
      body: { queue: "work", status: "dead" },
    });
    expect(retried.body).toEqual({ count: 2 });
    expect((await scheduler.getJob(dead[0]!.id))!.status).toBe("pending");

    const refused = await call(handler, "POST", "/api/jobs/delete", { body: {} });
    expect(refused.status).toBe(400);
    const deleted = await call(handler, "POST", "/api/jobs/delete", { body: { queue: "work" } });
    expect(deleted.body).toEqual({ count: 2 });
    expect(await scheduler.getJob(dead[0]!.id)).toBeNull();
    expect((await scheduler.listJobs({ queue: "emails" })).jobs).toHaveLength(1);
  });

  it("shows, pauses, resumes and configures queues", async () => {
    await scheduler.enqueue({ name: "send", queue: "emails" });
    const list = await call(handler, "GET", "/api/queues");
    expect(list.body.find((queue: { name: string }) => queue.name === "emails")).toMatchObject({
      paused: false,
      counts: { pending: 1 },
    });
    expect((await call(handler, "POST", "/api/queues/emails/pause")).body.paused).toBe(true);
    expect((await scheduler.getQueue("emails")).paused).toBe(true);
    expect((await call(handler, "POST", "/api/queues/emails/resume")).body.paused).toBe(false);
    const configured = await call(handler, "PATCH", "/api/queues/emails", {
      body: { concurrency: 3, rateLimit: { max: 10, per: "1m" } },
    });
    expect(configured.status).toBe(200);
    expect(configured.body).toMatchObject({ concurrency: 3, rateLimit: { max: 10, per: 60_000 } });
    expect((await call(handler, "GET", "/api/queues/emails")).body.concurrency).toBe(3);
    const bad = await call(handler, "PATCH", "/api/queues/emails", { body: { concurrency: 0 } });
    expect(bad.status).toBe(400);
    expect((await scheduler.getQueue("emails")).concurrency).toBe(3);
    // A typo does not leave a record of a queue that never existed; ?create=true asks for one.
    const before = (await scheduler.listQueues()).map((queue) => queue.name);
    for (const [method, path, body] of [
      ["POST", "/api/queues/emials/pause"],
      ["POST", "/api/queues/emials/resume"],
      ["PATCH", "/api/queues/emials", { concurrency: 2 }],
    ] as Array<[string, string, unknown?]>) {
      const unknown = await call(handler, method, path, body === undefined ? {} : { body });
      expect([unknown.status, unknown.body.error.code]).toEqual([404, "QUEUE_NOT_FOUND"]);
    }
    expect((await scheduler.listQueues()).map((queue) => queue.name)).toEqual(before);
    const created = await call(handler, "POST", "/api/queues/reports/pause?create=true");
    expect(created.body).toMatchObject({ name: "reports", paused: true });
    expect((await call(handler, "POST", "/api/queues/emails/pause?create=maybe")).status).toBe(400);
  });

  it("refuses every write action to a read token, records the refusal, and changes nothing", async () => {
    const job = await scheduler.enqueue({ name: "send", queue: "emails" });
    const writes: Array<[string, string, unknown?]> = [
      ["POST", "/api/queues/emails/pause"],
      ["POST", "/api/queues/emails/resume"],
      ["PATCH", "/api/queues/emails", { concurrency: 1 }],
      ["POST", `/api/jobs/${job.id}/cancel`],
      ["POST", `/api/jobs/${job.id}/retry`],
      ["POST", `/api/jobs/${job.id}/promote`],
      ["DELETE", `/api/jobs/${job.id}`],
      ["POST", "/api/jobs/retry", { queue: "emails" }],
      ["POST", "/api/jobs/delete", { queue: "emails" }],
      ["POST", "/api/schedules/nightly/pause"],
      ["POST", "/api/schedules/nightly/resume"],
      ["POST", "/api/schedules/nightly/trigger"],
    ];
    for (const [method, path, body] of writes) {
      const response = await call(handler, method, path, { token: READ_TOKEN, body });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.body.error.code).toBe("FORBIDDEN");
    }
    expect(await scheduler.getJob(job.id)).toMatchObject({ status: "pending" });
    expect(await scheduler.getQueue("emails")).toMatchObject({ paused: false, concurrency: null });
    expect(audit).toHaveLength(writes.length);
    expect(audit.every((entry) => entry.who === "token-2" && !entry.ok && entry.error === "FORBIDDEN")).toBe(
      true,
    );
    expect((await call(handler, "GET", "/api/audit", { token: READ_TOKEN })).status).toBe(403);
  });

  it("shows the overview with this instance as the leader", async () => {
    await scheduler.enqueue({ name: "send", queue: "emails" });
    await until(() => scheduler.isLeader, "leadership");
    await until(async () => (await scheduler.listInstances()).length > 0, "the presence record");
    const overview = await call(handler, "GET", "/api/overview");
    expect(overview.status).toBe(200);
    expect(overview.body.stats.pending).toBe(1);
    expect(overview.body.leader).toBe(scheduler.instanceId);
    expect(overview.body.instances.map((instance: { id: string }) => instance.id)).toContain(
      scheduler.instanceId,
    );
    expect(Date.parse(overview.body.now)).toBeGreaterThan(0);
    expect((await call(handler, "GET", "/api/instances")).body[0]).toMatchObject({
      id: scheduler.instanceId,
    });
  });

  it("counts completed and failed jobs per minute", async () => {
    scheduler.register("ok", () => {});
    const since = new Date(Date.now() - 60_000).toISOString();
    const job = await scheduler.enqueue({ name: "ok", queue: "work" });
    await until(async () => (await scheduler.getJob(job.id))?.status === "completed", "the job to complete");
    const points = await call(handler, "GET", `/api/throughput?queue=work&since=${since}`);
    expect(points.status).toBe(200);
    expect(points.body.reduce((sum: number, point: { completed: number }) => sum + point.completed, 0)).toBe(
      1,
    );
    expect(typeof points.body[0].minute).toBe("string");
  });
});

describe("schedules (memory store)", () => {
  it("lists schedules, shows the next runs, pauses, resumes and triggers one", async () => {
    const scheduler = await startedScheduler({ queues: ["none"] });
    const audit: AuditEntry[] = [];
    const handler = handlerFor(scheduler, {}, audit);
    try {
      await scheduler.schedule("nightly", "0 3 * * *", () => {}, { payload: { kind: "daily" } });
      await until(async () => (await scheduler.getSchedule("nightly")) !== null, "the schedule to be stored");
      const list = await call(handler, "GET", "/api/schedules");
      expect(list.body).toHaveLength(1);
      expect(list.body[0]).toMatchObject({ name: "nightly", paused: false });
      const one = await call(handler, "GET", "/api/schedules/nightly?preview=3");
      expect(one.body.next).toHaveLength(3);
      expect(one.body.next[0]).toMatch(/T03:00:00\.000Z$/);
      expect((await call(handler, "POST", "/api/schedules/nightly/pause")).body.paused).toBe(true);
      expect((await call(handler, "POST", "/api/schedules/nightly/resume")).body.paused).toBe(false);
      const triggered = await call(handler, "POST", "/api/schedules/nightly/trigger");
      expect(triggered.body).toMatchObject({ name: "nightly", payload: { kind: "daily" } });
      expect((await call(handler, "GET", "/api/schedules/missing")).status).toBe(404);
      expect(audit.map((entry) => entry.action)).toEqual([
        "schedule.pause",
        "schedule.resume",
        "schedule.trigger",
      ]);
    } finally {
      await scheduler.stop();
    }
  });
});
