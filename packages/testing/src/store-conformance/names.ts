import type { Job } from "@sched/core";
import { describe, expect, it } from "vitest";
import { at, claimAt, newJob, nextDue, type StoreSuiteContext, T0 } from "./fixtures.js";

const idsOf = (jobs: readonly Job[]): string[] => jobs.map((job) => job.id);

/**
 * Claims by job name: an instance claims only names it has a handler for, so that old and new code
 * can run side by side (docs/architecture.md §4). Other names wait, untouched.
 */
export function describeNames(ctx: StoreSuiteContext): void {
  describe("claims by job name", () => {
    it("claims only jobs with one of the given names, in claim order, and leaves the others untouched", async () => {
      const { store } = ctx;
      const jobs = [
        newJob({ name: "new_job", priority: 9 }),
        newJob({ name: "old_job", priority: 5 }),
        newJob({ name: "other", priority: 7 }),
        newJob({ name: "old_job", priority: 1 }),
      ];
      await store.createJobs(jobs);
      const claimed = await store.claimDueJobs(claimAt(T0, { names: ["old_job", "other"], limit: 10 }));
      expect(idsOf(claimed)).toEqual([jobs[2]!.id, jobs[1]!.id, jobs[3]!.id]);
      const waiting = await store.getJob(jobs[0]!.id);
      expect(waiting).toMatchObject({ status: "pending", attempt: 0 });
      expect(idsOf(await store.claimDueJobs(claimAt(T0, { names: ["new_job"] })))).toEqual([jobs[0]!.id]);
    });

    it("a limit counts only the jobs it may claim, whatever waits ahead of them", async () => {
      const { store } = ctx;
      const blockers = Array.from({ length: 30 }, () => newJob({ name: "unknown", priority: 5 }));
      const wanted = Array.from({ length: 3 }, () => newJob({ name: "known" }));
      await store.createJobs([...blockers, ...wanted]);
      expect(idsOf(await store.claimDueJobs(claimAt(T0, { names: ["known"], limit: 2 })))).toEqual([
        wanted[0]!.id,
        wanted[1]!.id,
      ]);
    });

    it("names: [] claims nothing, a name given twice counts once, and names combine with queues", async () => {
      const { store } = ctx;
      const a = newJob({ name: "x", queue: "a" });
      const b = newJob({ name: "x", queue: "b" });
      const c = newJob({ name: "y", queue: "a" });
      await store.createJobs([a, b, c]);
      expect(await store.claimDueJobs(claimAt(T0, { names: [] }))).toEqual([]);
      const claimed = await store.claimDueJobs(claimAt(T0, { names: ["x", "x"], queues: ["a"] }));
      expect(idsOf(claimed)).toEqual([a.id]);
      expect(claimed[0]!.attempt).toBe(1);
    });

    it("nextDueAt considers only the given names", async () => {
      const { store } = ctx;
      await store.createJobs([
        newJob({ name: "x", scheduledAt: at(10) }),
        newJob({ name: "y", scheduledAt: at(20), queue: "other" }),
        newJob({ name: "z", scheduledAt: at(5) }),
      ]);
      expect(await store.nextDueAt({ queues: null, names: ["x", "y"] })).toEqual(at(10));
      expect(await store.nextDueAt({ queues: ["other"], names: ["x", "y"] })).toEqual(at(20));
      expect(await store.nextDueAt({ queues: null, names: ["missing"] })).toBeNull();
      expect(await store.nextDueAt({ queues: null, names: [] })).toBeNull();
      expect(await nextDue(store, null)).toEqual(at(5));
    });

    it("waitingJobNames lists the names of jobs waiting and due by dueBy, in the given queues", async () => {
      const { store } = ctx;
      await store.createJobs([
        newJob({ name: "a", scheduledAt: at(0) }),
        newJob({ name: "a", scheduledAt: at(1) }),
        newJob({ name: "b", scheduledAt: at(5), queue: "other" }),
        newJob({ name: "later", scheduledAt: at(1_000), status: "scheduled" }),
      ]);
      await store.createJobs([newJob({ name: "running", queue: "r" })]);
      await store.claimDueJobs(claimAt(T0, { queues: ["r"] }));
      const names = async (queues: readonly string[] | null, dueBy: number) =>
        (await store.waitingJobNames({ queues, dueBy: at(dueBy), limit: 100 })).sort();
      expect(await names(null, 10)).toEqual(["a", "b"]);
      expect(await names(["default"], 10)).toEqual(["a"]);
      expect(await names(null, 0)).toEqual(["a"]);
      expect(await names(null, 1_000)).toEqual(["a", "b", "later"]);
      expect(await store.waitingJobNames({ queues: null, dueBy: at(10), limit: 1 })).toHaveLength(1);
    });
  });
}
