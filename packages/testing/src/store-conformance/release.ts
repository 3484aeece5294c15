import { JobAlreadyExistsError } from "@sched/core/adapter";
import { describe, expect, it } from "vitest";
import {
  at,
  claimAt,
  createRunningJob,
  expectSchedulerError,
  mustGet,
  newJob,
  refOf,
  rejectionOf,
  type StoreSuiteContext,
} from "./fixtures.js";

/**
 * releaseJobs: a hand-back without penalty (an attempt interrupted by shutdown, a claim an
 * instance will not run). It never spends a retry or counts a lost lease (docs/architecture.md §2).
 */
export function describeRelease(ctx: StoreSuiteContext): void {
  describe("releaseJobs", () => {
    it("releaseJobs returns a running job to pending at now with its counters, error and history untouched", async () => {
      const { store } = ctx;
      const running = await createRunningJob(store);
      await store.failJob(refOf(running), { now: at(1), error: "first", retryAt: at(2) });
      const [second] = await store.claimDueJobs(claimAt(at(2)));
      expect(await store.releaseJobs([refOf(second!)], { now: at(3) })).toEqual([true]);
      expect(await mustGet(store, running.id)).toEqual({
        ...second,
        status: "pending",
        scheduledAt: at(3),
        lockedUntil: null,
        lockedBy: null,
      });
      const [third] = await store.claimDueJobs(claimAt(at(3)));
      expect(third).toMatchObject({ attempt: 3, retryCount: 1, lostLeases: 0, error: "first" });
    });

    it("releaseJobs ignores stale refs and reports in input order what it applied", async () => {
      const { store } = ctx;
      const a = await createRunningJob(store, { queue: "a" });
      const b = await createRunningJob(store, { queue: "b" });
      await store.completeJobs([refOf(b)], { now: at(1) });
      const result = await store.releaseJobs([refOf(b), { ...refOf(a), attempt: 7 }, refOf(a)], {
        now: at(2),
      });
      expect(result).toEqual([false, false, true]);
      expect((await mustGet(store, b.id)).status).toBe("completed");
      expect((await mustGet(store, a.id)).status).toBe("pending");
      expect(await store.releaseJobs([], { now: at(3) })).toEqual([]);
    });

    it("a released job keeps its unique key", async () => {
      const { store } = ctx;
      const running = await createRunningJob(store, { uniqueKey: "k" });
      await store.releaseJobs([refOf(running)], { now: at(1) });
      expectSchedulerError(
        await rejectionOf(() => store.createJobs([newJob({ uniqueKey: "k" })])),
        JobAlreadyExistsError,
        "JOB_ALREADY_EXISTS",
        { uniqueKey: "k" },
      );
    });
  });
}
