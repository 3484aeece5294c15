import type { Job } from "@sched/core";
import { describe, expect, it } from "vitest";
import {
  at,
  claimAt,
  createRunningJob,
  LEASE_EXPIRED,
  mustGet,
  newJob,
  recover,
  refOf,
  type StoreSuiteContext,
} from "./fixtures.js";

/**
 * A job's counters mean one thing each (docs/architecture.md §2): `attempt` is the fencing token,
 * `retryCount` counts failures the handler caused, `lostLeases` counts leases that expired while
 * the job ran. "Too many lost leases" is decided when the expired lease is recovered, in one step.
 */
export function describeLostLeases(ctx: StoreSuiteContext): void {
  describe("lost leases", () => {
    it("a new job has lostLeases 0, and a claim does not change it", async () => {
      const [created] = await ctx.store.createJobs([newJob()]);
      expect(created!.lostLeases).toBe(0);
      const [claimed] = await ctx.store.claimDueJobs(claimAt());
      expect(claimed).toMatchObject({ attempt: 1, retryCount: 0, lostLeases: 0 });
    });

    it("each recovered lease counts one lost lease, and nothing else changes the count", async () => {
      const { store } = ctx;
      const running = await createRunningJob(store);
      await store.failJob(refOf(running), { now: at(1), error: "handler error", retryAt: at(2) });
      const [second] = await store.claimDueJobs(claimAt(at(2), { lockedUntil: at(10) }));
      expect(second).toMatchObject({ attempt: 2, retryCount: 1, lostLeases: 0 });
      expect((await recover(store, at(10))).recovered).toEqual([running.id]);
      const recovered = await mustGet(store, running.id);
      expect(recovered).toMatchObject({
        status: "pending",
        attempt: 2,
        retryCount: 1,
        lostLeases: 1,
        error: "handler error",
        scheduledAt: at(10),
      });
      expect(recovered.history.map((entry) => [entry.attempt, entry.error])).toEqual([
        [1, "handler error"],
        [2, LEASE_EXPIRED],
      ]);
      const [third] = await store.claimDueJobs(claimAt(at(10)));
      expect(third).toMatchObject({ attempt: 3, retryCount: 1, lostLeases: 1 });
      await store.completeJobs([refOf(third!)], { now: at(11) });
      expect(await mustGet(store, running.id)).toMatchObject({ status: "completed", lostLeases: 1 });
    });

    it("a job that has lost maxLostLeases leases is made dead when the next one is recovered, keeping its last error", async () => {
      const { store } = ctx;
      const running = await createRunningJob(store, {}, at(0));
      await store.failJob(refOf(running), { now: at(1), error: "the real error", retryAt: at(2) });
      let now = 2;
      for (let lost = 1; lost <= 2; lost++) {
        const [claimed] = await store.claimDueJobs(claimAt(at(now), { lockedUntil: at(now + 10) }));
        expect(claimed?.id).toBe(running.id);
        now += 10;
        const result = await recover(store, at(now), 100, { maxLostLeases: 1 });
        if (lost === 1) {
          expect(result).toEqual({ recovered: [running.id], dead: [] });
        } else {
          expect(result.recovered).toEqual([]);
          expect(result.dead).toHaveLength(1);
          expect(result.dead[0]).toEqual(await mustGet(store, running.id));
        }
      }
      const dead = await mustGet(store, running.id);
      expect(dead).toMatchObject({
        status: "dead",
        completedAt: at(now),
        lockedUntil: null,
        lockedBy: null,
        attempt: 3,
        retryCount: 1,
        lostLeases: 2,
        error: "the real error",
      });
      expect(dead.history.map((entry) => entry.error)).toEqual([
        "the real error",
        LEASE_EXPIRED,
        LEASE_EXPIRED,
      ]);
      expect(await store.claimDueJobs(claimAt(at(now + 1_000_000)))).toEqual([]);
    });

    it("a job made dead by lost leases alone gets the recovery's error", async () => {
      const { store } = ctx;
      const running = await createRunningJob(store, { uniqueKey: "held" });
      const result = await recover(store, running.lockedUntil!, 100, { maxLostLeases: 0 });
      expect(result.recovered).toEqual([]);
      expect(result.dead.map((job) => job.id)).toEqual([running.id]);
      expect(await mustGet(store, running.id)).toMatchObject({
        status: "dead",
        lostLeases: 1,
        error: LEASE_EXPIRED,
      });
      // A dead job holds no unique key.
      await store.createJobs([newJob({ uniqueKey: "held" })]);
    });

    it("recoverExpiredLeases with a limit takes the longest-expired leases first, and returns them in that order", async () => {
      const { store } = ctx;
      // Claimed in id order, with leases that expire in another order.
      const expiries = [30_005, 10_002, 20_003, 10_001, 40_000];
      const jobs: Job[] = [];
      for (const expiry of expiries) {
        jobs.push(await createRunningJob(store, {}, at(0)));
        await store.renewLeases([refOf(jobs[jobs.length - 1]!)], at(expiry));
      }
      const byExpiry = expiries
        .map((expiry, i) => ({ expiry, id: jobs[i]!.id }))
        .sort((a, b) => a.expiry - b.expiry)
        .map((lease) => lease.id);
      expect((await recover(store, at(50_000), 2)).recovered).toEqual(byExpiry.slice(0, 2));
      expect((await recover(store, at(50_000), 2)).recovered).toEqual(byExpiry.slice(2, 4));
      // Dead ones count in the same order.
      expect((await recover(store, at(50_000), 1, { maxLostLeases: 0 })).dead.map((job) => job.id)).toEqual(
        byExpiry.slice(4),
      );
    });

    it("recoverExpiredLeases counts recovered and dead jobs together against its limit", async () => {
      const { store } = ctx;
      await store.createJobs(Array.from({ length: 4 }, () => newJob()));
      await store.claimDueJobs(claimAt(at(0), { lockedUntil: at(5) }));
      const first = await recover(store, at(10), 3, { maxLostLeases: 0 });
      expect(first.recovered.length + first.dead.length).toBe(3);
      const second = await recover(store, at(10), 3, { maxLostLeases: 0 });
      expect(second.recovered.length + second.dead.length).toBe(1);
      expect((await store.stats()).dead).toBe(4);
    });
  });
}
