import type { Job, JobStatus, Store } from "@sched/core";
import { JobAlreadyExistsError } from "@sched/core/adapter";
import { describe, expect, it } from "vitest";
import {
  at,
  claimAt,
  createJobInStatus,
  createRunningJob,
  expectSchedulerError,
  mustGet,
  newId,
  newJob,
  nextDue,
  recover,
  recoveredIds,
  refOf,
  rejectionOf,
  type StoreSuiteContext,
} from "./fixtures.js";

/** A job in `status`, in a queue of its own so that fixtures never compete in a claim. */
const makeJob = (store: Store, status: JobStatus): Promise<Job> =>
  createJobInStatus(store, status, `q-${status}`);

/** cancelJob and requeueJob. */
export function describeCancelAndRequeue(ctx: StoreSuiteContext): void {
  describe("cancelJob", () => {
    for (const status of ["scheduled", "pending", "failed"] as const) {
      it(`cancelJob makes a ${status} job cancelled with completedAt = now, and it is never claimed`, async () => {
        const job = await makeJob(ctx.store, status);
        const cancelled = await ctx.store.cancelJob(job.id, at(500));
        expect(cancelled).toEqual({ ...job, status: "cancelled", completedAt: at(500) });
        expect(await ctx.store.getJob(job.id)).toEqual(cancelled);
        expect(await ctx.store.claimDueJobs(claimAt(at(100_000_000)))).toEqual([]);
        expect(await nextDue(ctx.store, null)).toBeNull();
      });
    }

    it("cancelJob cancels a running job, clears its lease and fences off its attempt", async () => {
      const running = await makeJob(ctx.store, "running");
      const cancelled = await ctx.store.cancelJob(running.id, at(500));
      expect(cancelled).toEqual({
        ...running,
        status: "cancelled",
        completedAt: at(500),
        lockedUntil: null,
        lockedBy: null,
      });
      expect(await ctx.store.completeJobs([refOf(running)], { now: at(600) })).toEqual([false]);
      expect(
        await ctx.store.failJob(refOf(running), { now: at(600), error: "x", retryAt: at(700) }),
      ).toBeNull();
      expect(await ctx.store.renewLeases([refOf(running)], at(90_000))).toEqual([running.id]);
      expect(await recoveredIds(ctx.store, at(100_000_000), 100)).toEqual([]);
      expect(await ctx.store.getJob(running.id)).toEqual(cancelled);
    });

    for (const status of ["completed", "dead", "cancelled"] as const) {
      it(`cancelJob returns a ${status} job unchanged`, async () => {
        const job = await makeJob(ctx.store, status);
        expect(await ctx.store.cancelJob(job.id, at(500))).toEqual(job);
        expect(await ctx.store.getJob(job.id)).toEqual(job);
      });
    }

    it("cancelJob returns null for a job that does not exist", async () => {
      expect(await ctx.store.cancelJob(newId(), at(1))).toBeNull();
    });
  });

  describe("requeueJob", () => {
    for (const status of ["dead", "cancelled"] as const) {
      it(`requeueJob moves a ${status} job back to pending at now with retryCount 0`, async () => {
        const job = await makeJob(ctx.store, status);
        const result = await ctx.store.requeueJob(job.id, at(700));
        const expected = {
          ...job,
          status: "pending",
          scheduledAt: at(700),
          retryCount: 0,
          completedAt: null,
        };
        expect(result).toEqual({ requeued: true, job: expected });
        expect(await ctx.store.getJob(job.id)).toEqual(expected);
        expect(await ctx.store.claimDueJobs(claimAt(at(699)))).toEqual([]);
        const [claimed] = await ctx.store.claimDueJobs(claimAt(at(700)));
        expect(claimed).toMatchObject({ id: job.id, attempt: job.attempt + 1, status: "running" });
      });
    }

    it("requeueJob resets the retryCount of a dead job that had retried", async () => {
      const running = await createRunningJob(ctx.store);
      await ctx.store.failJob(refOf(running), { now: at(1), error: "first", retryAt: at(2) });
      const [second] = await ctx.store.claimDueJobs(claimAt(at(2)));
      const dead = await ctx.store.failJob(refOf(second!), { now: at(3), error: "second", retryAt: null });
      expect(dead!.retryCount).toBe(1);
      const result = await ctx.store.requeueJob(running.id, at(4));
      expect(result?.requeued).toBe(true);
      expect(result?.job).toMatchObject({
        status: "pending",
        retryCount: 0,
        completedAt: null,
        scheduledAt: at(4),
      });
    });

    it("requeueJob gives a job that died of lost leases a fresh budget: lostLeases 0 and retryCount 0", async () => {
      const { store } = ctx;
      const running = await createRunningJob(store);
      await store.failJob(refOf(running), { now: at(1), error: "handler error", retryAt: at(2) });
      let now = 2;
      for (let lost = 0; lost < 2; lost++) {
        const [claimed] = await store.claimDueJobs(claimAt(at(now), { lockedUntil: at(now + 10) }));
        expect(claimed?.id).toBe(running.id);
        now += 10;
        await recover(store, at(now), 100, { maxLostLeases: 1 });
      }
      const dead = await mustGet(store, running.id);
      expect(dead).toMatchObject({ status: "dead", retryCount: 1, lostLeases: 2, attempt: 3 });
      const result = await store.requeueJob(running.id, at(now + 1));
      expect(result?.job).toMatchObject({ status: "pending", retryCount: 0, lostLeases: 0, attempt: 3 });
      const [again] = await store.claimDueJobs(claimAt(at(now + 1)));
      expect(again).toMatchObject({ id: running.id, attempt: 4, retryCount: 0, lostLeases: 0 });
    });

    for (const status of ["pending", "scheduled", "running", "failed", "completed"] as const) {
      it(`requeueJob returns a ${status} job unchanged, with requeued false`, async () => {
        const job = await makeJob(ctx.store, status);
        expect(await ctx.store.requeueJob(job.id, at(700))).toEqual({ requeued: false, job });
        expect(await ctx.store.getJob(job.id)).toEqual(job);
      });
    }

    it("requeueJob of a job whose unique key another active job took meanwhile throws JobAlreadyExistsError naming the key, its queue and its holder, and leaves it as it was", async () => {
      const running = await createRunningJob(ctx.store, { queue: "rq-key", uniqueKey: "k" });
      const dead = await ctx.store.failJob(refOf(running), { now: at(1), error: "boom", retryAt: null });
      const [holder] = await ctx.store.createJobs([newJob({ queue: "rq-key", uniqueKey: "k" })]);
      expectSchedulerError(
        await rejectionOf(() => ctx.store.requeueJob(running.id, at(2))),
        JobAlreadyExistsError,
        "JOB_ALREADY_EXISTS",
        { uniqueKey: "k", queue: "rq-key", existingJobId: holder!.id },
      );
      expect(await ctx.store.getJob(running.id)).toEqual(dead);
      expect(await ctx.store.getJob(holder!.id)).toEqual(holder);
    });

    it("requeueJob returns null for a job that does not exist", async () => {
      expect(await ctx.store.requeueJob(newId(), at(1))).toBeNull();
    });
  });
}
