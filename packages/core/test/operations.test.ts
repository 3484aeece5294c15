import { afterEach, describe, expect, it } from "vitest";
import { InvalidJobStateError, JobNotFoundError } from "../src/errors.js";
import { permanent } from "../src/retry/retry.js";
import type { Scheduler } from "../src/scheduler.js";
import { ManualClock } from "../src/time/manual-clock.js";
import { CORE_VERSION } from "../src/version.js";
import { deferred, setup, turns, until } from "./helpers.js";

let current: Scheduler | null = null;
afterEach(async () => {
  await current?.stop({ timeout: 0 });
  current = null;
});

describe("listJobs pages", () => {
  it("walks every job by cursor, newest first too, and refuses a forged cursor", async () => {
    const { s, clock } = setup();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await s.enqueue({ name: "j", payload: i })).id);
      await clock.advance(1);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await s.listJobs({ limit: 3, cursor, order: "desc" });
      seen.push(...page.jobs.map((job) => job.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual([...ids].reverse());
    await expect(s.listJobs({ cursor: "bm9wZQ" })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "cursor",
    });
    await expect(s.listJobs({ order: "up" as never })).rejects.toThrow(/order/);
    await expect(s.listJobs({ from: new Date("x") })).rejects.toThrow(/from/);
  });

  it("refuses a cursor given with the other order: it would page backwards", async () => {
    const { s, clock } = setup();
    for (let i = 0; i < 5; i++) {
      await s.enqueue({ name: "j", payload: i });
      await clock.advance(1);
    }
    const ascending = (await s.listJobs({ limit: 2 })).nextCursor;
    const descending = (await s.listJobs({ limit: 2, order: "desc" })).nextCursor;
    expect(ascending).not.toBeNull();
    expect(descending).not.toBeNull();
    await expect(s.listJobs({ limit: 2, order: "desc", cursor: ascending })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "cursor",
      message: expect.stringContaining('pass order "asc" with it'),
    });
    await expect(s.listJobs({ limit: 2, cursor: descending })).rejects.toMatchObject({
      field: "cursor",
      message: expect.stringContaining('pass order "desc" with it'),
    });
    expect((await s.listJobs({ limit: 2, order: "desc", cursor: descending })).jobs).toHaveLength(2);
    // A cursor of descending pages made before cursors named their order reads as ascending: the
    // message says it may be one.
    const { encodeJobCursor } = await import("../src/jobs/cursor.js");
    const job = (await s.listJobs({ limit: 1 })).jobs[0]!;
    await expect(s.listJobs({ order: "desc", cursor: encodeJobCursor(job) })).rejects.toThrow(
      /or was made before cursors named their order/,
    );
    expect(() => encodeJobCursor(job, "sideways" as never)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", field: "order" }),
    );
  });

  it("deleteJobs refuses a selector of running jobs, which are never deleted", async () => {
    const { s } = setup();
    await s.enqueue({ name: "j" });
    for (const status of ["running", ["pending", "running"]] as const) {
      await expect(s.deleteJobs({ status: status as never })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        field: "status",
        message: expect.stringContaining("running jobs are never deleted"),
      });
    }
    expect(await s.deleteJobs({ status: "pending" })).toBe(1);
  });
});

describe("bulk operations", () => {
  it("retryJobs moves dead jobs back; deleteJobs refuses an empty selector; deleteJob and promoteJob act on one", async () => {
    const { s, clock } = setup();
    current = s;
    s.register("boom", () => {
      throw permanent(new Error("no"));
    });
    s.register("later", () => {});
    const dead = await s.enqueue({ name: "boom", queue: "q" });
    await s.start();
    await until(async () => (await s.getJob(dead.id))?.status === "dead");
    expect(await s.retryJobs({ status: "dead", queue: "q" })).toBe(1);
    expect((await s.getJob(dead.id))?.retryCount).toBe(0);
    await until(async () => (await s.getJob(dead.id))?.status === "dead");
    // Without a status only dead jobs go back: a cancel is deliberate, undone only by naming it.
    const cancelled = await s.enqueue({ name: "later", queue: "q", delay: "1h" });
    await s.cancel(cancelled.id);
    expect(await s.retryJobs({ queue: "q" })).toBe(1);
    expect((await s.getJob(cancelled.id))?.status).toBe("cancelled");
    await until(async () => (await s.getJob(dead.id))?.status === "dead");
    expect(await s.retryJobs({ status: "cancelled" })).toBe(1);
    expect((await s.getJob(cancelled.id))?.status).toBe("pending");
    await s.cancel(cancelled.id);
    await expect(s.deleteJobs({})).rejects.toThrow(/at least one/);
    expect(await s.deleteJobs({ status: "dead" })).toBe(1);
    expect(await s.deleteJobs({ status: "cancelled" })).toBe(1);
    const scheduled = await s.enqueue({ name: "later", delay: "1h" });
    const promoted = await s.promoteJob(scheduled.id);
    expect(promoted).toMatchObject({ status: "pending", scheduledAt: new Date(clock.now()) });
    await until(async () => (await s.getJob(scheduled.id))?.status === "completed");
    await expect(s.promoteJob(scheduled.id)).rejects.toThrow(InvalidJobStateError);
    await expect(s.promoteJob(scheduled.id)).rejects.toMatchObject({
      code: "INVALID_JOB_STATE",
      status: "completed",
    });
    await expect(s.promoteJob("missing")).rejects.toThrow(JobNotFoundError);
    expect((await s.deleteJob(scheduled.id)).id).toBe(scheduled.id);
    await expect(s.deleteJob(scheduled.id)).rejects.toThrow(JobNotFoundError);
  });

  it("deleteJob refuses a running job", async () => {
    const { s } = setup();
    current = s;
    const gate = deferred();
    s.register("slow", () => gate.promise);
    const job = await s.enqueue({ name: "slow" });
    await s.start();
    await until(async () => (await s.getJob(job.id))?.status === "running");
    await expect(s.deleteJob(job.id)).rejects.toMatchObject({ code: "INVALID_JOB_STATE", status: "running" });
    gate.resolve();
  });
});

describe("instances and throughput", () => {
  it("a running scheduler is listed with its presence, and removed on stop", async () => {
    const a = setup({ workers: 4, queues: ["q"] });
    const b = setup({ store: a.store, clock: a.clock });
    await a.s.start();
    await b.s.start();
    const listed = await a.s.listInstances();
    expect(listed.map((instance) => instance.id).sort()).toEqual([a.s.instanceId, b.s.instanceId].sort());
    expect(listed.find((instance) => instance.id === a.s.instanceId)).toMatchObject({
      pid: process.pid,
      version: CORE_VERSION,
      workers: 4,
      queues: ["q"],
      busy: 0,
      leader: true,
      distributed: false,
    });
    await b.s.stop({ timeout: 0 });
    expect((await a.s.listInstances()).map((instance) => instance.id)).toEqual([a.s.instanceId]);
    await a.s.stop({ timeout: 0 });
    expect(await a.store.listInstances(new Date(a.clock.now()))).toEqual([]);
  });

  it("warns when another instance's heartbeat is ahead of this clock: its leases would take over running jobs", async () => {
    const ahead = setup();
    const late = new ManualClock(ahead.clock.now() - 40_000);
    const behind = setup({ store: ahead.store, clock: late });
    const near = setup({ store: ahead.store, clock: new ManualClock(ahead.clock.now() - 1_500) });
    await ahead.s.start();
    await behind.s.start();
    await near.s.start();
    const warnings = (lines: string[]) => lines.filter((line) => line.includes("is at least"));
    expect(warnings(behind.logger.lines)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^warn the clock of instance ${ahead.s.instanceId} is at least 40 s ahead of this one's: .*20 s \\(lockTTL - lockRefresh\\)`,
        ),
      ),
    ]);
    // Within the tolerance, and the one ahead, say nothing; nor is the same instance warned of at every beat.
    expect(warnings(near.logger.lines)).toEqual([]);
    expect(warnings(ahead.logger.lines)).toEqual([]);
    await late.advance("30s");
    await turns(20);
    // Not warned of the first again within the hour; the other, whose clock does not move, is warned of
    // at the first beat of the advance (28.5 s ahead then).
    const about = (id: string) =>
      warnings(behind.logger.lines).filter((line) => line.includes(`instance ${id} `));
    expect(about(ahead.s.instanceId)).toHaveLength(1);
    expect(about(near.s.instanceId)).toEqual([expect.stringContaining("is at least 28 s ahead")]);
    await Promise.all([ahead.s, behind.s, near.s].map((s) => s.stop({ timeout: 0 })));
  });

  it("throughput counts completed and failed attempts per minute", async () => {
    const { s, clock } = setup();
    current = s;
    s.register("ok", () => {});
    s.register("bad", () => {
      throw permanent(new Error("no"));
    });
    const since = new Date(clock.now());
    await s.start();
    for (let i = 0; i < 3; i++) await s.enqueue({ name: "ok", queue: "a" });
    await s.enqueue({ name: "bad", queue: "b" });
    await until(async () => (await s.stats()).completed === 3 && (await s.stats()).dead === 1);
    await clock.advance("1m");
    await s.enqueue({ name: "ok", queue: "a" });
    await until(async () => (await s.stats()).completed === 4);
    const all = await s.throughput({ since });
    expect(all).toEqual([
      { minute: since, completed: 3, failed: 1 },
      { minute: new Date(since.getTime() + 60_000), completed: 1, failed: 0 },
    ]);
    expect(await s.throughput({ queue: "b", since })).toEqual([{ minute: since, completed: 0, failed: 1 }]);
    await expect(s.throughput({ since: "yesterday" as never })).rejects.toThrow(/since/);
  });

  it("throughput does not count a completion the store ignored (its lease taken over, its job cancelled)", async () => {
    const { s, store, clock } = setup();
    current = s;
    let ran = 0;
    s.register("ok", () => {
      ran++;
    });
    // The store refuses every completion, as it does one whose attempt was fenced off.
    const completeJobs = store.completeJobs.bind(store);
    let refused = 0;
    store.completeJobs = async (refs, options) => {
      refused += refs.length;
      await completeJobs([], options);
      return refs.map(() => false);
    };
    const since = new Date(clock.now());
    await s.start();
    await s.enqueue({ name: "ok" });
    await until(() => ran === 1 && refused === 1);
    await until(() => s.localWork === 0);
    expect(await s.throughput({ since })).toEqual([]);
  });
});
