import { describe, expect, it } from "vitest";
import {
  at,
  claimAt,
  createRunningJob,
  mustGet,
  newId,
  newJob,
  recoveredIds,
  refOf,
  type StoreSuiteContext,
} from "./fixtures.js";

/** Leases: renewal, recovery of expired leases, and fencing of stale owners (docs/architecture.md §2). */
export function describeLeases(ctx: StoreSuiteContext): void {
  describe("leases", () => {
    it("renewLeases extends lockedUntil of current attempts and returns no ids", async () => {
      const a = await createRunningJob(ctx.store, { queue: "a" });
      const b = await createRunningJob(ctx.store, { queue: "b" });
      expect(await ctx.store.renewLeases([refOf(a), refOf(b)], at(120_000))).toEqual([]);
      expect((await mustGet(ctx.store, a.id)).lockedUntil).toEqual(at(120_000));
      expect((await mustGet(ctx.store, b.id)).lockedUntil).toEqual(at(120_000));
      expect((await mustGet(ctx.store, a.id)).lockedBy).toBe(a.lockedBy);
    });

    it("renewLeases returns the ids of refs that are no longer running with that attempt", async () => {
      const live = await createRunningJob(ctx.store, { queue: "live" });
      const completed = await createRunningJob(ctx.store, { queue: "completed" });
      await ctx.store.completeJobs([refOf(completed)], { now: at(1) });
      const [pending] = await ctx.store.createJobs([newJob({ queue: "pending" })]);
      const unknown = newId();
      const lost = await ctx.store.renewLeases(
        [
          refOf(live),
          { ...refOf(live), attempt: live.attempt + 1 },
          refOf(completed),
          refOf(pending!),
          { id: unknown, queue: "live", attempt: 1, lockedBy: "worker-1" },
        ],
        at(90_000),
      );
      expect([...lost].sort()).toEqual([live.id, completed.id, pending!.id, unknown].sort());
      expect((await mustGet(ctx.store, completed.id)).lockedUntil).toBeNull();
      expect((await mustGet(ctx.store, pending!.id)).lockedUntil).toBeNull();
    });

    it("recoverExpiredLeases returns running jobs whose lease expired to pending, with a history entry", async () => {
      const running = await createRunningJob(ctx.store);
      const lockedUntil = running.lockedUntil!;
      const recovered = await recoveredIds(ctx.store, lockedUntil, 100);
      expect(recovered).toEqual([running.id]);
      const stored = await mustGet(ctx.store, running.id);
      expect(stored).toMatchObject({
        status: "pending",
        scheduledAt: lockedUntil,
        lockedUntil: null,
        lockedBy: null,
        attempt: 1,
        retryCount: 0,
        completedAt: null,
      });
      expect(stored.history).toHaveLength(1);
      expect(stored.history[0]).toMatchObject({ attempt: 1, failedAt: lockedUntil });
      expect(stored.history[0]!.error).toMatch(/lease expired/i);
    });

    it("recoverExpiredLeases leaves running jobs whose lease has not expired", async () => {
      const running = await createRunningJob(ctx.store);
      const justBefore = new Date(running.lockedUntil!.getTime() - 1);
      expect(await recoveredIds(ctx.store, justBefore, 100)).toEqual([]);
      expect(await ctx.store.getJob(running.id)).toEqual(running);
    });

    it("recoverExpiredLeases ignores jobs that are not running", async () => {
      const [pending] = await ctx.store.createJobs([newJob({ queue: "p" })]);
      const dead = await createRunningJob(ctx.store, { queue: "d" });
      await ctx.store.failJob(refOf(dead), { now: at(1), error: "x", retryAt: null });
      expect(await recoveredIds(ctx.store, at(100_000_000), 100)).toEqual([]);
      expect(await ctx.store.getJob(pending!.id)).toEqual(pending);
    });

    it("recoverExpiredLeases recovers at most limit jobs per call", async () => {
      await ctx.store.createJobs(Array.from({ length: 5 }, () => newJob()));
      const claimed = await ctx.store.claimDueJobs(claimAt(at(0), { lockedUntil: at(1_000) }));
      expect(claimed).toHaveLength(5);
      const first = await recoveredIds(ctx.store, at(2_000), 2);
      expect(first).toHaveLength(2);
      const second = await recoveredIds(ctx.store, at(2_000), 10);
      expect(second).toHaveLength(3);
      expect(new Set([...first, ...second])).toEqual(new Set(claimed.map((job) => job.id)));
      expect((await ctx.store.stats()).pending).toBe(5);
    });

    it("a recovered job is claimed again with the next attempt", async () => {
      const running = await createRunningJob(ctx.store);
      await recoveredIds(ctx.store, running.lockedUntil!, 100);
      const [again] = await ctx.store.claimDueJobs(claimAt(running.lockedUntil!, { workerId: "worker-2" }));
      expect(again).toMatchObject({ id: running.id, attempt: 2, status: "running", lockedBy: "worker-2" });
    });

    it("a stale owner cannot complete or fail a job after its lease was taken over", async () => {
      const { store } = ctx;
      const first = await createRunningJob(store);
      expect(first.attempt).toBe(1);
      await recoveredIds(store, first.lockedUntil!, 100);
      const [second] = await store.claimDueJobs(claimAt(first.lockedUntil!, { workerId: "worker-2" }));
      expect(second!.attempt).toBe(2);

      expect(await store.completeJobs([refOf(first)], { now: at(90_000) })).toEqual([false]);
      expect(await store.failJob(refOf(first), { now: at(90_000), error: "late", retryAt: null })).toBeNull();
      expect(
        await store.failJob(refOf(first), { now: at(90_000), error: "late", retryAt: at(1) }),
      ).toBeNull();
      expect(await store.renewLeases([refOf(first)], at(999_999))).toEqual([first.id]);
      expect(await store.getJob(first.id)).toEqual(second);

      // The current owner is unaffected.
      expect(await store.completeJobs([refOf(second!)], { now: at(90_001) })).toEqual([true]);
    });
  });
}
