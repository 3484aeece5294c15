import { MAX_HISTORY } from "@sched/core/adapter";
import { describe, expect, it } from "vitest";
import {
  at,
  claimAt,
  createRunningJob,
  mustGet,
  newId,
  newJob,
  refOf,
  type StoreSuiteContext,
} from "./fixtures.js";

/** completeJobs and failJob: the outcome of an attempt, fenced by its attempt number. */
export function describeOutcomes(ctx: StoreSuiteContext): void {
  describe("completeJobs", () => {
    it("completeJobs marks a running job completed at now and clears its lease", async () => {
      const running = await createRunningJob(ctx.store);
      expect(await ctx.store.completeJobs([refOf(running)], { now: at(250) })).toEqual([true]);
      expect(await ctx.store.getJob(running.id)).toEqual({
        ...running,
        status: "completed",
        completedAt: at(250),
        lockedUntil: null,
        lockedBy: null,
      });
    });

    it("completeJobs reports in input order whether each ref was applied", async () => {
      const first = await createRunningJob(ctx.store, { queue: "a" });
      const second = await createRunningJob(ctx.store, { queue: "b" });
      const result = await ctx.store.completeJobs(
        [
          refOf(second),
          { ...refOf(first), attempt: 2 },
          { id: newId(), queue: "a", attempt: 1, lockedBy: "worker-1" },
          refOf(first),
        ],
        { now: at(10) },
      );
      expect(result).toEqual([true, false, false, true]);
    });

    it("completeJobs ignores a ref with a stale attempt and changes nothing", async () => {
      const running = await createRunningJob(ctx.store);
      expect(await ctx.store.completeJobs([{ ...refOf(running), attempt: 0 }], { now: at(10) })).toEqual([
        false,
      ]);
      expect(await ctx.store.getJob(running.id)).toEqual(running);
    });

    it("a ref that names another lease holder than the job's is not applied (the token is attempt and holder)", async () => {
      const running = await createRunningJob(ctx.store, { queue: "a" });
      const other = { ...refOf(running), lockedBy: "another-instance" };
      expect(await ctx.store.completeJobs([other], { now: at(10) })).toEqual([false]);
      expect(await ctx.store.failJob(other, { now: at(10), error: "x", retryAt: null })).toBeNull();
      expect(await ctx.store.releaseJobs([other], { now: at(10) })).toEqual([false]);
      expect(await ctx.store.renewLeases([other], at(90_000))).toEqual([running.id]);
      expect(await ctx.store.getJob(running.id)).toEqual(running);
      expect(await ctx.store.completeJobs([refOf(running)], { now: at(11) })).toEqual([true]);
    });

    it("a ref that names another queue than the job's is not applied", async () => {
      const running = await createRunningJob(ctx.store, { queue: "a" });
      const wrong = { ...refOf(running), queue: "b" };
      expect(await ctx.store.completeJobs([wrong], { now: at(10) })).toEqual([false]);
      expect(await ctx.store.failJob(wrong, { now: at(10), error: "x", retryAt: null })).toBeNull();
      expect(await ctx.store.releaseJobs([wrong], { now: at(10) })).toEqual([false]);
      expect(await ctx.store.renewLeases([wrong], at(90_000))).toEqual([running.id]);
      expect(await ctx.store.getJob(running.id)).toEqual(running);
    });

    it("completeJobs ignores a job that is not running", async () => {
      const [pending] = await ctx.store.createJobs([newJob()]);
      expect(await ctx.store.completeJobs([refOf(pending!)], { now: at(10) })).toEqual([false]);
      expect(await ctx.store.getJob(pending!.id)).toEqual(pending);
      const done = await createRunningJob(ctx.store, { queue: "done" });
      await ctx.store.completeJobs([refOf(done)], { now: at(10) });
      expect(await ctx.store.completeJobs([refOf(done)], { now: at(20) })).toEqual([false]);
      expect((await mustGet(ctx.store, done.id)).completedAt).toEqual(at(10));
    });

    it("completeJobs with removeOnComplete deletes the job", async () => {
      const running = await createRunningJob(ctx.store, { uniqueKey: "k" });
      expect(await ctx.store.completeJobs([refOf(running)], { now: at(10), removeOnComplete: true })).toEqual(
        [true],
      );
      expect(await ctx.store.getJob(running.id)).toBeNull();
      expect((await ctx.store.stats()).completed).toBe(0);
      await ctx.store.createJobs([newJob({ uniqueKey: "k" })]);
    });
  });

  describe("failJob", () => {
    it("failJob with retryAt makes the job failed, counts the retry and records the failure", async () => {
      const running = await createRunningJob(ctx.store);
      const failed = await ctx.store.failJob(refOf(running), {
        now: at(100),
        error: "boom",
        retryAt: at(5_000),
      });
      const expected = {
        ...running,
        status: "failed",
        retryCount: 1,
        scheduledAt: at(5_000),
        error: "boom",
        lockedUntil: null,
        lockedBy: null,
        completedAt: null,
        history: [{ attempt: 1, error: "boom", failedAt: at(100) }],
      };
      expect(failed).toEqual(expected);
      expect(await ctx.store.getJob(running.id)).toEqual(expected);
    });

    it("a failed job is claimable again only once retryAt is reached, with the next attempt", async () => {
      const running = await createRunningJob(ctx.store);
      await ctx.store.failJob(refOf(running), { now: at(100), error: "boom", retryAt: at(5_000) });
      expect(await ctx.store.claimDueJobs(claimAt(at(4_999)))).toEqual([]);
      const [again] = await ctx.store.claimDueJobs(claimAt(at(5_000)));
      expect(again).toMatchObject({ id: running.id, status: "running", attempt: 2, retryCount: 1 });
      expect(again!.startedAt).toEqual(at(5_000));
    });

    it("failJob with a null retryAt makes the job dead with completedAt = now", async () => {
      const running = await createRunningJob(ctx.store);
      const dead = await ctx.store.failJob(refOf(running), { now: at(100), error: "fatal", retryAt: null });
      const expected = {
        ...running,
        status: "dead",
        completedAt: at(100),
        error: "fatal",
        lockedUntil: null,
        lockedBy: null,
        history: [{ attempt: 1, error: "fatal", failedAt: at(100) }],
      };
      expect(dead).toEqual(expected);
      expect(await ctx.store.getJob(running.id)).toEqual(expected);
    });

    it("failJob returns null for a stale ref and changes nothing", async () => {
      const running = await createRunningJob(ctx.store);
      const stale = { ...refOf(running), attempt: running.attempt + 1 };
      expect(await ctx.store.failJob(stale, { now: at(100), error: "boom", retryAt: null })).toBeNull();
      expect(await ctx.store.getJob(running.id)).toEqual(running);
    });

    it("failJob returns null for a job that is not running or does not exist", async () => {
      const [pending] = await ctx.store.createJobs([newJob()]);
      expect(await ctx.store.failJob(refOf(pending!), { now: at(1), error: "x", retryAt: null })).toBeNull();
      expect(await ctx.store.getJob(pending!.id)).toEqual(pending);
      expect(
        await ctx.store.failJob(
          { id: newId(), queue: "default", attempt: 1, lockedBy: "worker-1" },
          { now: at(1), error: "x", retryAt: null },
        ),
      ).toBeNull();
    });

    it(`history keeps only the last MAX_HISTORY (${MAX_HISTORY}) failures, oldest first`, async () => {
      const { store } = ctx;
      const [created] = await store.createJobs([newJob()]);
      const failures = MAX_HISTORY + 3;
      for (let attempt = 1; attempt <= failures; attempt++) {
        const [claimed] = await store.claimDueJobs(claimAt(at(attempt * 10)));
        expect(claimed?.attempt).toBe(attempt);
        await store.failJob(refOf(claimed!), {
          now: at(attempt * 10 + 1),
          error: `failure ${attempt}`,
          retryAt: at(attempt * 10 + 5),
        });
      }
      const stored = await mustGet(store, created!.id);
      expect(stored.retryCount).toBe(failures);
      expect(stored.error).toBe(`failure ${failures}`);
      expect(stored.history).toHaveLength(MAX_HISTORY);
      expect(stored.history[0]).toEqual({ attempt: 4, error: "failure 4", failedAt: at(41) });
      expect(stored.history.at(-1)).toEqual({
        attempt: failures,
        error: `failure ${failures}`,
        failedAt: at(failures * 10 + 1),
      });
      expect(stored.history.map((entry) => entry.attempt)).toEqual(
        Array.from({ length: MAX_HISTORY }, (_, i) => i + 4),
      );
    });
  });
}
