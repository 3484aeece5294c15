import type { Job, JobStatus, Stats } from "@sched/core";
import { describe, expect, it } from "vitest";
import { at, createJobInStatus, type StoreSuiteContext } from "./fixtures.js";

const ALL_STATUSES: readonly JobStatus[] = [
  "pending",
  "scheduled",
  "running",
  "completed",
  "failed",
  "dead",
  "cancelled",
];

function zeroCounts(): Omit<Stats, "byQueue"> {
  return { pending: 0, scheduled: 0, running: 0, completed: 0, failed: 0, dead: 0, cancelled: 0 };
}

/** cleanup, stats and ping. */
export function describeMaintenance(ctx: StoreSuiteContext): void {
  describe("cleanup", () => {
    it("cleanup deletes final jobs finished before their status's cutoff and returns how many", async () => {
      const { store } = ctx;
      const make = (status: JobStatus, finishedAt: number) =>
        createJobInStatus(store, status, `${status}-${finishedAt}`, at(finishedAt));
      const completedOld = await make("completed", 100);
      const completedAtCutoff = await make("completed", 150);
      const completedNew = await make("completed", 200);
      const deadOld = await make("dead", 100);
      const deadNew = await make("dead", 300);
      const cancelledOld = await make("cancelled", 100);
      const deleted = await store.cleanup({
        completedBefore: at(150),
        deadBefore: at(300),
        cancelledBefore: at(50),
      });
      expect(deleted).toBe(2);
      expect(await store.getJob(completedOld.id)).toBeNull();
      expect(await store.getJob(deadOld.id)).toBeNull();
      for (const kept of [completedAtCutoff, completedNew, deadNew, cancelledOld]) {
        expect(await store.getJob(kept.id)).toEqual(kept);
      }
      expect(
        await store.cleanup({ completedBefore: at(150), deadBefore: at(300), cancelledBefore: at(101) }),
      ).toBe(1);
      expect(await store.getJob(cancelledOld.id)).toBeNull();
    });

    it("cleanup never deletes jobs that may still run", async () => {
      const active: Job[] = [];
      for (const status of ["pending", "scheduled", "running", "failed"] as const) {
        active.push(await createJobInStatus(ctx.store, status, `q-${status}`));
      }
      const far = at(100_000_000_000);
      expect(await ctx.store.cleanup({ completedBefore: far, deadBefore: far, cancelledBefore: far })).toBe(
        0,
      );
      for (const job of active) expect(await ctx.store.getJob(job.id)).toEqual(job);
    });
  });

  describe("stats", () => {
    it("stats of an empty store counts zero for every status", async () => {
      expect(await ctx.store.stats()).toMatchObject(zeroCounts());
    });

    it("stats counts jobs by status, overall and per queue", async () => {
      const { store } = ctx;
      const expectedA = zeroCounts();
      const expectedB = zeroCounts();
      // Running and final jobs first: their fixtures claim from the queue (see createJobInStatus).
      for (const status of [
        "running",
        "completed",
        "failed",
        "dead",
        "cancelled",
        "pending",
        "scheduled",
      ] as const) {
        await createJobInStatus(store, status, "a");
        expectedA[status]++;
      }
      for (const status of ["running", "running", "dead", "pending", "pending", "pending"] as const) {
        await createJobInStatus(store, status, "b");
        expectedB[status]++;
      }
      const stats = await store.stats();
      const overall = zeroCounts();
      for (const status of ALL_STATUSES) overall[status] = expectedA[status] + expectedB[status];
      expect(stats).toMatchObject(overall);
      expect(stats.byQueue).toBeDefined();
      expect(stats.byQueue?.a).toEqual(expectedA);
      expect(stats.byQueue?.b).toEqual(expectedB);
      for (const [queue, counts] of Object.entries(stats.byQueue ?? {})) {
        if (queue !== "a" && queue !== "b") expect(counts).toEqual(zeroCounts());
      }
    });
  });

  describe("ping and close", () => {
    it("ping resolves on an open store", async () => {
      await expect(ctx.store.ping()).resolves.toBeUndefined();
    });

    it("close can be called more than once", async () => {
      const store = await ctx.openStore();
      await store.ping();
      await store.close();
      await store.close();
    });
  });
}
