import type { Job } from "@sched/core";
import { describe, expect, it } from "vitest";
import {
  at,
  claimAt,
  createRunningJob,
  failBeyond,
  mustGet,
  newId,
  newJob,
  newJobs,
  nextDue,
  refOf,
  type StoreSuiteContext,
  T0,
} from "./fixtures.js";

const idsOf = (jobs: readonly Job[]): string[] => jobs.map((job) => job.id);

/** claimDueJobs: order, due-ness, queues, limit, the lease it sets, and atomicity. */
export function describeClaim(ctx: StoreSuiteContext): void {
  describe("claimDueJobs", () => {
    it("claims by priority descending, then scheduledAt ascending, then id ascending", async () => {
      const ids = Array.from({ length: 7 }, () => newId());
      const expected = [
        newJob({ id: ids[6]!, priority: 10, scheduledAt: at(-5_000) }),
        newJob({ id: ids[0]!, priority: 5, scheduledAt: at(-3_000) }),
        newJob({ id: ids[2]!, priority: 5, scheduledAt: at(-1_000) }),
        newJob({ id: ids[3]!, priority: 5, scheduledAt: at(-1_000) }),
        newJob({ id: ids[1]!, priority: 0, scheduledAt: at(-9_000) }),
        newJob({ id: ids[4]!, priority: 0, scheduledAt: at(0) }),
        newJob({ id: ids[5]!, priority: -3, scheduledAt: at(-20_000) }),
      ];
      const shuffled = [
        expected[3]!,
        expected[5]!,
        expected[0]!,
        expected[6]!,
        expected[2]!,
        expected[4]!,
        expected[1]!,
      ];
      await ctx.store.createJobs(shuffled);
      expect(idsOf(await ctx.store.claimDueJobs(claimAt(T0)))).toEqual(expected.map((job) => job.id));
    });

    it("successive claims with limit 1 follow the claim order", async () => {
      const low = newJob({ priority: 1 });
      const high = newJob({ priority: 9 });
      const earlier = newJob({ priority: 1, scheduledAt: at(-1) });
      await ctx.store.createJobs([low, high, earlier]);
      const order: string[] = [];
      for (let i = 0; i < 3; i++)
        order.push(...idsOf(await ctx.store.claimDueJobs(claimAt(T0, { limit: 1 }))));
      expect(order).toEqual([high.id, earlier.id, low.id]);
    });

    it("does not claim jobs whose scheduledAt is after now", async () => {
      const due = newJob({ scheduledAt: at(0) });
      const later = newJob({ scheduledAt: at(1), status: "scheduled" });
      await ctx.store.createJobs([due, later]);
      expect(idsOf(await ctx.store.claimDueJobs(claimAt(at(0))))).toEqual([due.id]);
      expect(await ctx.store.claimDueJobs(claimAt(at(0)))).toEqual([]);
      expect((await mustGet(ctx.store, later.id)).status).toBe("scheduled");
      expect(idsOf(await ctx.store.claimDueJobs(claimAt(at(1))))).toEqual([later.id]);
    });

    it("a job of higher priority that is not yet due does not hold back due jobs of lower priority", async () => {
      const future = newJob({ priority: 100, scheduledAt: at(60_000), status: "scheduled" });
      const due = newJob({ priority: 0, scheduledAt: at(0) });
      await ctx.store.createJobs([future, due]);
      expect(idsOf(await ctx.store.claimDueJobs(claimAt(T0, { limit: 1 })))).toEqual([due.id]);
    });

    it("a job seen due by a later claim is not claimed by a claim with an earlier now", async () => {
      const a = newJob({ scheduledAt: at(0) });
      const b = newJob({ scheduledAt: at(100), priority: 5 });
      await ctx.store.createJobs([a, b]);
      // A claim at a later instant sees both due, takes one; a retry lands between the two instants.
      expect(
        idsOf(await ctx.store.claimDueJobs(claimAt(at(200), { limit: 1, queues: ["default"] }))),
      ).toEqual([b.id]);
      await ctx.store.failJob(
        { id: b.id, queue: "default", attempt: 1, lockedBy: "worker-1" },
        { now: at(200), error: "x", retryAt: at(150) },
      );
      expect(idsOf(await ctx.store.claimDueJobs(claimAt(at(50))))).toEqual([a.id]);
      expect(await ctx.store.claimDueJobs(claimAt(at(50)))).toEqual([]);
    });

    it("claims only from the given queues, and from every queue when queues is null", async () => {
      const a = newJob({ queue: "a" });
      const b = newJob({ queue: "b" });
      const c = newJob({ queue: "c" });
      await ctx.store.createJobs([a, b, c]);
      expect(idsOf(await ctx.store.claimDueJobs(claimAt(T0, { queues: ["b", "missing"] })))).toEqual([b.id]);
      expect(await ctx.store.claimDueJobs(claimAt(T0, { queues: [] }))).toEqual([]);
      expect(idsOf(await ctx.store.claimDueJobs(claimAt(T0, { queues: null }))).sort()).toEqual(
        [a.id, c.id].sort(),
      );
    });

    it("a queue listed twice is claimed from once, each job once", async () => {
      const jobs = [newJob({ queue: "a" }), newJob({ queue: "a" }), newJob({ queue: "b" })];
      await ctx.store.createJobs(jobs);
      const claimed = await ctx.store.claimDueJobs(claimAt(T0, { queues: ["a", "b", "a"] }));
      expect(idsOf(claimed)).toEqual(jobs.map((job) => job.id));
      expect(claimed.map((job) => job.attempt)).toEqual([1, 1, 1]);
    });

    it("a claim across several queues follows the claim order over all of them", async () => {
      const a1 = newJob({ queue: "a", priority: 1, scheduledAt: at(-10) });
      const b1 = newJob({ queue: "b", priority: 3 });
      const a2 = newJob({ queue: "a", priority: 2 });
      const b2 = newJob({ queue: "b", priority: 1, scheduledAt: at(-20) });
      const c1 = newJob({ queue: "c", priority: 9 });
      await ctx.store.createJobs([a1, b1, a2, b2, c1]);
      const claimed = await ctx.store.claimDueJobs(claimAt(T0, { queues: ["a", "b"], limit: 3 }));
      expect(idsOf(claimed)).toEqual([b1.id, a2.id, b2.id]);
      expect(idsOf(await ctx.store.claimDueJobs(claimAt(T0, { queues: ["a", "b"] })))).toEqual([a1.id]);
    });

    it("claims at most limit jobs", async () => {
      await ctx.store.createJobs(newJobs(10));
      expect(await ctx.store.claimDueJobs(claimAt(T0, { limit: 4 }))).toHaveLength(4);
      expect(await ctx.store.claimDueJobs(claimAt(T0, { limit: 4 }))).toHaveLength(4);
      expect(await ctx.store.claimDueJobs(claimAt(T0, { limit: 4 }))).toHaveLength(2);
    });

    it("a claimed job becomes running with the next attempt, startedAt, lockedUntil and lockedBy", async () => {
      const [created] = await ctx.store.createJobs([newJob({ scheduledAt: at(-1_000) })]);
      const [claimed] = await ctx.store.claimDueJobs(
        claimAt(at(5), { lockedUntil: at(30_005), workerId: "instance-7" }),
      );
      const expected = {
        ...created,
        status: "running",
        attempt: 1,
        startedAt: at(5),
        lockedUntil: at(30_005),
        lockedBy: "instance-7",
      };
      expect(claimed).toEqual(expected);
      expect(await ctx.store.getJob(created!.id)).toEqual(expected);
    });

    it("a claimed job is not claimed again while it runs", async () => {
      await ctx.store.createJobs([newJob()]);
      expect(await ctx.store.claimDueJobs(claimAt(T0))).toHaveLength(1);
      expect(await ctx.store.claimDueJobs(claimAt(at(10_000_000)))).toEqual([]);
    });

    it("scheduled, pending and failed jobs are claimed once due", async () => {
      const scheduled = newJob({ status: "scheduled", scheduledAt: at(1_000) });
      const pending = newJob();
      await ctx.store.createJobs([scheduled, pending]);
      const failing = await createRunningJob(ctx.store, { queue: "retry" });
      await ctx.store.failJob(refOf(failing), { now: at(1), error: "boom", retryAt: at(500) });
      const claimed = await ctx.store.claimDueJobs(claimAt(at(1_000)));
      expect(idsOf(claimed).sort()).toEqual([scheduled.id, pending.id, failing.id].sort());
      expect(claimed.find((job) => job.id === failing.id)?.attempt).toBe(2);
    });

    it("completed, dead and cancelled jobs are never claimed", async () => {
      const completed = await createRunningJob(ctx.store);
      await ctx.store.completeJobs([refOf(completed)], { now: at(1) });
      const dead = await createRunningJob(ctx.store);
      await ctx.store.failJob(refOf(dead), { now: at(1), error: "boom", retryAt: null });
      const [cancelled] = await ctx.store.createJobs([newJob()]);
      await ctx.store.cancelJob(cancelled!.id, at(1));
      expect(await ctx.store.claimDueJobs(claimAt(at(10_000_000)))).toEqual([]);
    });

    it("concurrent claimers never receive the same job, and together claim every job once", async () => {
      const { store } = ctx;
      const inputs = Array.from({ length: 500 }, (_, i) => newJob({ priority: i % 7, queue: `q${i % 3}` }));
      await store.createJobs(inputs);
      // Every batch that is not empty takes at least one of the 500 jobs: more such batches than
      // jobs mean a claim hands out jobs it does not lease, and the loops would never end.
      let batches = 0;
      const claimedBy = await Promise.all(
        Array.from({ length: 10 }, async (_, worker) => {
          const mine: string[] = [];
          for (;;) {
            const batch = await store.claimDueJobs(claimAt(T0, { limit: 50, workerId: `worker-${worker}` }));
            if (batch.length === 0) return mine;
            failBeyond(++batches, inputs.length, "claims that returned jobs out of 500 jobs");
            for (const job of batch) {
              expect(job.lockedBy).toBe(`worker-${worker}`);
              mine.push(job.id);
            }
          }
        }),
      );
      const all = claimedBy.flat();
      expect(all).toHaveLength(500);
      expect(new Set(all).size).toBe(500);
      expect(new Set(all)).toEqual(new Set(inputs.map((job) => job.id)));
      expect((await store.stats()).running).toBe(500);
    });
  });

  describe("nextDueAt", () => {
    it("nextDueAt is null when no job waits", async () => {
      expect(await nextDue(ctx.store, null)).toBeNull();
      await createRunningJob(ctx.store);
      expect(await nextDue(ctx.store, null)).toBeNull();
    });

    it("nextDueAt returns the earliest scheduledAt of scheduled, pending and failed jobs", async () => {
      await ctx.store.createJobs([
        newJob({ status: "scheduled", scheduledAt: at(5_000), priority: 9 }),
        newJob({ scheduledAt: at(3_000) }),
      ]);
      expect(await nextDue(ctx.store, null)).toEqual(at(3_000));
      const failing = await createRunningJob(ctx.store, { queue: "other", scheduledAt: at(-10) }, at(-10));
      await ctx.store.failJob(refOf(failing), { now: at(-5), error: "boom", retryAt: at(1_000) });
      expect(await nextDue(ctx.store, null)).toEqual(at(1_000));
    });

    it("nextDueAt ignores running, completed, dead and cancelled jobs", async () => {
      const done = await createRunningJob(ctx.store, { scheduledAt: at(-50) }, at(-50));
      await ctx.store.completeJobs([refOf(done)], { now: at(-40) });
      await createRunningJob(ctx.store, { scheduledAt: at(-30) }, at(-30));
      const [cancelled] = await ctx.store.createJobs([newJob({ scheduledAt: at(-20) })]);
      await ctx.store.cancelJob(cancelled!.id, at(-10));
      await ctx.store.createJobs([newJob({ scheduledAt: at(700), status: "scheduled" })]);
      expect(await nextDue(ctx.store, null)).toEqual(at(700));
    });

    it("nextDueAt only considers the given queues", async () => {
      await ctx.store.createJobs([
        newJob({ queue: "a", scheduledAt: at(100) }),
        newJob({ queue: "b", scheduledAt: at(200) }),
        newJob({ queue: "c", scheduledAt: at(50) }),
      ]);
      expect(await nextDue(ctx.store, ["a", "b"])).toEqual(at(100));
      expect(await nextDue(ctx.store, ["b"])).toEqual(at(200));
      expect(await nextDue(ctx.store, ["missing"])).toBeNull();
      expect(await nextDue(ctx.store, null)).toEqual(at(50));
    });

    it("nextDueAt stays exact after a partial claim", async () => {
      await ctx.store.createJobs([
        newJob({ scheduledAt: at(10), priority: 0 }),
        newJob({ scheduledAt: at(20), priority: 5 }),
      ]);
      expect(await ctx.store.claimDueJobs(claimAt(at(25), { limit: 1 }))).toHaveLength(1);
      expect(await nextDue(ctx.store, null)).toEqual(at(10));
      await ctx.store.createJobs([newJob({ scheduledAt: at(30), priority: 9, status: "scheduled" })]);
      expect(await nextDue(ctx.store, null)).toEqual(at(10));
      expect(await ctx.store.claimDueJobs(claimAt(at(25)))).toHaveLength(1);
      expect(await nextDue(ctx.store, null)).toEqual(at(30));
    });
  });
}
