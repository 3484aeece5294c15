import type { Job, Store } from "@sched/core";
import { JobAlreadyExistsError } from "@sched/core/adapter";
import { describe, expect, it } from "vitest";
import {
  at,
  claimAt,
  createRunningJob,
  expectSchedulerError,
  newJob,
  refOf,
  rejectionOf,
  type StoreSuiteContext,
  T0,
} from "./fixtures.js";

/** Expects `call` to reject with a JobAlreadyExistsError (JOB_ALREADY_EXISTS) naming `key`. */
async function expectAlreadyExists(call: () => Promise<unknown>, key: string): Promise<void> {
  expectSchedulerError(await rejectionOf(call), JobAlreadyExistsError, "JOB_ALREADY_EXISTS", {
    uniqueKey: key,
  });
}

async function totalJobs(store: Store): Promise<number> {
  return (await store.listJobs({ limit: 10_000 })).jobs.length;
}

/** Unique keys: one active job per key (docs/architecture.md §2). */
export function describeUniqueKeys(ctx: StoreSuiteContext): void {
  describe("unique keys", () => {
    it("a second enqueue with a held uniqueKey throws JobAlreadyExistsError and creates nothing", async () => {
      const { store } = ctx;
      const [first] = await store.createJobs([newJob({ uniqueKey: "k" })]);
      const second = newJob({ uniqueKey: "k" });
      await expectAlreadyExists(() => store.createJobs([second]), "k");
      expect(await store.getJob(second.id)).toBeNull();
      expect(await totalJobs(store)).toBe(1);
      expect((await store.getJob(first!.id))?.status).toBe("pending");
    });

    it("a scheduled job holds its uniqueKey", async () => {
      const { store } = ctx;
      await store.createJobs([newJob({ uniqueKey: "k", status: "scheduled", scheduledAt: at(3_600_000) })]);
      await expectAlreadyExists(() => store.createJobs([newJob({ uniqueKey: "k" })]), "k");
    });

    it("a bulk in which one job conflicts with a stored job inserts none of the batch", async () => {
      const { store } = ctx;
      await store.createJobs([newJob({ uniqueKey: "taken" })]);
      const batch = [
        newJob({ uniqueKey: "free-1" }),
        newJob({ uniqueKey: "taken" }),
        newJob({ uniqueKey: null }),
      ];
      await expectAlreadyExists(() => store.createJobs(batch), "taken");
      for (const job of batch) expect(await store.getJob(job.id)).toBeNull();
      expect(await totalJobs(store)).toBe(1);
      // The keys of the rejected batch were not taken either.
      await store.createJobs([newJob({ uniqueKey: "free-1" })]);
    });

    it("a bulk of 1,000 whose last job conflicts inserts none of the batch and returns no jobs", async () => {
      const { store } = ctx;
      await store.createJobs([newJob({ uniqueKey: "taken-late" })]);
      const batch = Array.from({ length: 999 }, (_, i) => newJob({ uniqueKey: `free-late-${i}` }));
      batch.push(newJob({ uniqueKey: "taken-late" }));
      await expectAlreadyExists(() => store.createJobs(batch), "taken-late");
      expect(await totalJobs(store)).toBe(1);
      // The same batch without the conflict goes in whole, and each job reads back as returned.
      const created = await store.createJobs(batch.slice(0, 999));
      expect(created.map((job) => job.uniqueKey)).toEqual(batch.slice(0, 999).map((job) => job.uniqueKey));
      expect(await totalJobs(store)).toBe(1000);
      for (const index of [0, 500, 998]) {
        expect(await store.getJob((created[index] as Job).id)).toEqual(created[index]);
      }
    });

    it("a bulk in which two jobs share a uniqueKey inserts none of the batch", async () => {
      const { store } = ctx;
      const batch = [newJob({ uniqueKey: "dup" }), newJob({ uniqueKey: null }), newJob({ uniqueKey: "dup" })];
      await expectAlreadyExists(() => store.createJobs(batch), "dup");
      expect(await totalJobs(store)).toBe(0);
    });

    it("a bulk over several queues refused for a held key is never claimable, even by claims running alongside it", async () => {
      const { store } = ctx;
      await store.createJobs([newJob({ queue: "held", uniqueKey: "k" })]);
      let stop = false;
      let claimed = 0;
      let claims = 0;
      const claimer = (async () => {
        // Bounded: a store whose enqueues never settle must not keep this loop alive.
        while (!stop && claims < 10_000) {
          claims++;
          claimed += (await store.claimDueJobs(claimAt(T0, { queues: ["free-a", "free-b"] }))).length;
        }
      })();
      try {
        for (let i = 0; i < 30; i++) {
          await expectAlreadyExists(
            () =>
              store.createJobs([
                newJob({ queue: "free-a" }),
                newJob({ queue: "free-b" }),
                newJob({ queue: "held", uniqueKey: "k" }),
              ]),
            "k",
          );
        }
      } finally {
        stop = true;
        await claimer;
      }
      expect(claimed).toBe(0);
      expect(await totalJobs(store)).toBe(1);
    });

    it("a uniqueKey is unique within its queue: the same key may be held in two queues at once", async () => {
      const { store } = ctx;
      const [emails] = await store.createJobs([newJob({ uniqueKey: "user:42", queue: "emails" })]);
      const [reports] = await store.createJobs([newJob({ uniqueKey: "user:42", queue: "reports" })]);
      expect(emails!.uniqueKey).toBe("user:42");
      expect(reports!.uniqueKey).toBe("user:42");
      await expectAlreadyExists(
        () => store.createJobs([newJob({ uniqueKey: "user:42", queue: "emails" })]),
        "user:42",
      );
      // One batch may hold the same key in two queues.
      const both = await store.createJobs([
        newJob({ uniqueKey: "batch", queue: "emails" }),
        newJob({ uniqueKey: "batch", queue: "reports" }),
      ]);
      expect(both).toHaveLength(2);
      // Finishing the job of one queue frees the key there only.
      await store.cancelJob(emails!.id, at(1));
      await store.createJobs([newJob({ uniqueKey: "user:42", queue: "emails" })]);
      await expectAlreadyExists(
        () => store.createJobs([newJob({ uniqueKey: "user:42", queue: "reports" })]),
        "user:42",
      );
    });

    it("requeueJob retakes a uniqueKey within its queue only", async () => {
      const { store } = ctx;
      const running = await createRunningJob(store, { uniqueKey: "k", queue: "a" });
      await store.failJob(refOf(running), { now: at(1), error: "x", retryAt: null });
      await store.createJobs([newJob({ uniqueKey: "k", queue: "b" })]);
      expect((await store.requeueJob(running.id, at(2)))?.requeued).toBe(true);
      const [holder] = await store.createJobs([newJob({ uniqueKey: "k2", queue: "a" })]);
      await store.cancelJob(holder!.id, at(3));
    });

    it("jobs without a uniqueKey never conflict", async () => {
      const created = await ctx.store.createJobs([newJob(), newJob(), newJob()]);
      await ctx.store.createJobs([newJob()]);
      expect(created).toHaveLength(3);
      expect(await totalJobs(ctx.store)).toBe(4);
    });

    it("a running job holds its uniqueKey", async () => {
      await createRunningJob(ctx.store, { uniqueKey: "k" });
      await expectAlreadyExists(() => ctx.store.createJobs([newJob({ uniqueKey: "k" })]), "k");
    });

    it("a failed job awaiting its retry holds its uniqueKey", async () => {
      const running = await createRunningJob(ctx.store, { uniqueKey: "k" });
      await ctx.store.failJob(refOf(running), { now: at(10), error: "boom", retryAt: at(60_000) });
      await expectAlreadyExists(() => ctx.store.createJobs([newJob({ uniqueKey: "k" })]), "k");
    });

    const finishers: Array<[string, (store: Store, job: Job) => Promise<unknown>]> = [
      ["completed", (store, job) => store.completeJobs([refOf(job)], { now: at(10) })],
      ["dead", (store, job) => store.failJob(refOf(job), { now: at(10), error: "boom", retryAt: null })],
      ["cancelled", (store, job) => store.cancelJob(job.id, at(10))],
    ];
    for (const [status, finish] of finishers) {
      it(`a uniqueKey is free again once its job is ${status}`, async () => {
        const running = await createRunningJob(ctx.store, { uniqueKey: "k" });
        await finish(ctx.store, running);
        expect((await ctx.store.getJob(running.id))?.status).toBe(status);
        const [again] = await ctx.store.createJobs([newJob({ uniqueKey: "k" })]);
        expect(again!.uniqueKey).toBe("k");
        await expectAlreadyExists(() => ctx.store.createJobs([newJob({ uniqueKey: "k" })]), "k");
      });
    }

    it("a uniqueKey is free again once its pending job is cancelled", async () => {
      const [pending] = await ctx.store.createJobs([newJob({ uniqueKey: "k" })]);
      await ctx.store.cancelJob(pending!.id, at(10));
      await ctx.store.createJobs([newJob({ uniqueKey: "k" })]);
      expect(await totalJobs(ctx.store)).toBe(2);
    });

    it("of 20 concurrent enqueues with the same uniqueKey exactly one succeeds", async () => {
      const { store } = ctx;
      const attempts = Array.from({ length: 20 }, () => newJob({ uniqueKey: "race" }));
      const results = await Promise.allSettled(attempts.map((job) => store.createJobs([job])));
      const fulfilled = results.filter((result) => result.status === "fulfilled");
      const rejected = results.filter((result) => result.status === "rejected");
      expect(fulfilled).toHaveLength(1);
      for (const result of rejected)
        expectSchedulerError(result.reason, JobAlreadyExistsError, "JOB_ALREADY_EXISTS", {
          uniqueKey: "race",
        });
      const stored = (await store.listJobs({ limit: 10_000 })).jobs;
      expect(stored).toHaveLength(1);
      expect(stored[0]!.uniqueKey).toBe("race");
    });

    it("a claimed uniqueKey job is claimed only once even after a duplicate enqueue was refused", async () => {
      const { store } = ctx;
      await store.createJobs([newJob({ uniqueKey: "k" })]);
      await rejectionOf(() => store.createJobs([newJob({ uniqueKey: "k" })]));
      expect(await store.claimDueJobs(claimAt(T0))).toHaveLength(1);
      expect(await store.claimDueJobs(claimAt(T0))).toHaveLength(0);
    });
  });
}
