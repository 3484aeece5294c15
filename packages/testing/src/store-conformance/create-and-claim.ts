import type { Store, StoreEvent } from "@sched/core";
import { JobAlreadyExistsError } from "@sched/core/adapter";
import { describe, expect, it, type TestContext } from "vitest";
import { waitFor } from "../wait-for.js";
import {
  at,
  claimAt,
  expectSchedulerError,
  mustGet,
  newJob,
  newJobs,
  refOf,
  rejectionOf,
  type StoreSuiteContext,
  T0,
} from "./fixtures.js";

type CreateJobsAndClaim = NonNullable<Store["createJobsAndClaim"]>;

/**
 * The store's `createJobsAndClaim`, or skips the running test, naming the method, for a store
 * without it (the method is optional: the runtime then uses `createJobs` and `claimDueJobs`).
 */
function createAndClaimOf(store: Store, test: TestContext): CreateJobsAndClaim {
  if (typeof store.createJobsAndClaim !== "function") {
    test.skip("the store does not implement the optional createJobsAndClaim");
  }
  return (store.createJobsAndClaim as CreateJobsAndClaim).bind(store);
}

/** createJobsAndClaim: the insert of createJobs and the claim of claimDueJobs, in one step. */
export function describeCreateAndClaim(ctx: StoreSuiteContext): void {
  describe("createJobsAndClaim", () => {
    it("inserts the jobs and leases a new due job as claimDueJobs would", async (test) => {
      const createAndClaim = createAndClaimOf(ctx.store, test);
      const job = newJob({ payload: { to: "a@b.c" }, metadata: { trace: "1" } });
      const lockedUntil = at(30_000);
      const result = await createAndClaim([job], claimAt(T0, { limit: 1, lockedUntil, workerId: "w-9" }));
      expect(result.jobs.map((created) => [created.id, created.status, created.attempt])).toEqual([
        [job.id, "pending", 0],
      ]);
      expect(result.claimed).toHaveLength(1);
      const claimed = result.claimed[0];
      expect(claimed).toMatchObject({
        id: job.id,
        status: "running",
        attempt: 1,
        startedAt: T0,
        lockedUntil,
        lockedBy: "w-9",
        payload: { to: "a@b.c" },
        metadata: { trace: "1" },
      });
      expect(await mustGet(ctx.store, job.id)).toMatchObject({
        status: "running",
        attempt: 1,
        lockedBy: "w-9",
      });
      // The lease is a real one: its holder records the outcome.
      expect(await ctx.store.completeJobs([refOf(claimed!)], { now: at(5) })).toEqual([true]);
      expect((await mustGet(ctx.store, job.id)).status).toBe("completed");
    });

    it("returns every new job as created, in input order, and claims at most the limit", async (test) => {
      const createAndClaim = createAndClaimOf(ctx.store, test);
      const jobs = newJobs(5);
      const result = await createAndClaim(jobs, claimAt(T0, { limit: 2 }));
      expect(result.jobs.map((job) => job.id)).toEqual(jobs.map((job) => job.id));
      expect(result.jobs.every((job) => job.status === "pending" && job.attempt === 0)).toBe(true);
      expect(result.claimed.map((job) => job.id)).toEqual(jobs.slice(0, 2).map((job) => job.id));
      const stored = await Promise.all(jobs.map((job) => mustGet(ctx.store, job.id)));
      expect(stored.map((job) => job.status)).toEqual([
        "running",
        "running",
        "pending",
        "pending",
        "pending",
      ]);
    });

    it("claims in claim order over stored and new jobs: an older job of higher priority goes first", async (test) => {
      const createAndClaim = createAndClaimOf(ctx.store, test);
      const stored = newJob({ priority: 5, scheduledAt: at(-1_000) });
      await ctx.store.createJobs([stored]);
      const fresh = newJob({ priority: 0 });
      const result = await createAndClaim([fresh], claimAt(T0, { limit: 1 }));
      expect(result.claimed.map((job) => job.id)).toEqual([stored.id]);
      expect((await mustGet(ctx.store, fresh.id)).status).toBe("pending");
    });

    it("leaves jobs due later, of other names and of other queues waiting", async (test) => {
      const createAndClaim = createAndClaimOf(ctx.store, test);
      const later = newJob({ scheduledAt: at(1), status: "scheduled" });
      const otherName = newJob({ name: "other-name" });
      const otherQueue = newJob({ queue: "elsewhere" });
      const result = await createAndClaim(
        [later, otherName, otherQueue],
        claimAt(T0, { names: ["conformance-job"], queues: ["default"] }),
      );
      expect(result.claimed).toEqual([]);
      expect((await mustGet(ctx.store, later.id)).status).toBe("scheduled");
      expect((await mustGet(ctx.store, otherName.id)).status).toBe("pending");
      expect((await mustGet(ctx.store, otherQueue.id)).status).toBe("pending");
    });

    it("with limit 0, names [] or queues [] only inserts", async (test) => {
      const createAndClaim = createAndClaimOf(ctx.store, test);
      for (const overrides of [{ limit: 0 }, { names: [] }, { queues: [] }]) {
        const job = newJob();
        const result = await createAndClaim([job], claimAt(T0, overrides));
        expect(result.claimed).toEqual([]);
        expect(result.jobs.map((created) => created.id)).toEqual([job.id]);
        expect((await mustGet(ctx.store, job.id)).status).toBe("pending");
      }
    });

    it("a held unique key: throws JobAlreadyExistsError, inserts nothing and claims nothing", async (test) => {
      const createAndClaim = createAndClaimOf(ctx.store, test);
      const holder = newJob({ uniqueKey: "report-7", scheduledAt: at(-1_000) });
      await ctx.store.createJobs([holder]);
      const other = newJob();
      const clash = newJob({ uniqueKey: "report-7" });
      const error = await rejectionOf(() => createAndClaim([other, clash], claimAt(T0)));
      expectSchedulerError(error, JobAlreadyExistsError, "JOB_ALREADY_EXISTS", { uniqueKey: "report-7" });
      expect(await ctx.store.getJob(other.id)).toBeNull();
      expect(await ctx.store.getJob(clash.id)).toBeNull();
      // The claim did not run: the job already waiting is still waiting.
      expect(await mustGet(ctx.store, holder.id)).toMatchObject({ status: "pending", attempt: 0 });
    });

    it("keeps queue controls: a paused queue's new job is inserted and not claimed", async (test) => {
      const createAndClaim = createAndClaimOf(ctx.store, test);
      await ctx.store.updateQueue("held", { paused: true }, at(-10));
      const job = newJob({ queue: "held" });
      const result = await createAndClaim([job], claimAt(T0));
      expect(result.claimed).toEqual([]);
      expect((await mustGet(ctx.store, job.id)).status).toBe("pending");
      await ctx.store.updateQueue("held", { paused: false }, at(1));
      expect((await ctx.store.claimDueJobs(claimAt(at(2)))).map((claimed) => claimed.id)).toEqual([job.id]);
    });

    it("keeps queue controls: a queue at its concurrency gives no job", async (test) => {
      const createAndClaim = createAndClaimOf(ctx.store, test);
      await ctx.store.updateQueue("capped", { concurrency: 1 }, at(-10));
      const first = newJob({ queue: "capped" });
      expect((await createAndClaim([first], claimAt(T0))).claimed.map((job) => job.id)).toEqual([first.id]);
      const second = newJob({ queue: "capped" });
      expect((await createAndClaim([second], claimAt(at(1)))).claimed).toEqual([]);
      expect((await mustGet(ctx.store, second.id)).status).toBe("pending");
    });

    it("one new job with a job due later waiting: the new job is claimed, the later one waits", async (test) => {
      const createAndClaim = createAndClaimOf(ctx.store, test);
      const later = newJob({ scheduledAt: at(60_000), status: "scheduled", priority: 9 });
      await ctx.store.createJobs([later]);
      const fresh = newJob();
      const result = await createAndClaim([fresh], claimAt(T0, { limit: 5 }));
      expect(result.claimed.map((job) => [job.id, job.status, job.attempt])).toEqual([
        [fresh.id, "running", 1],
      ]);
      expect(await mustGet(ctx.store, later.id)).toMatchObject({ status: "scheduled", attempt: 0 });
    });

    it("one new job and a due job of lower priority waiting: both are claimed, in claim order", async (test) => {
      const createAndClaim = createAndClaimOf(ctx.store, test);
      const stored = newJob({ priority: -1, scheduledAt: at(-1_000) });
      await ctx.store.createJobs([stored]);
      const fresh = newJob();
      const result = await createAndClaim([fresh], claimAt(T0, { limit: 2 }));
      expect(result.claimed.map((job) => job.id)).toEqual([fresh.id, stored.id]);
    });

    it("one new job in a group, or in a queue whose stored controls do not hold it back, is claimed", async (test) => {
      const createAndClaim = createAndClaimOf(ctx.store, test);
      await ctx.store.updateQueue("roomy", { concurrency: 5 }, at(-10));
      const grouped = newJob({ queue: "tenants", group: "acme" });
      const roomy = newJob({ queue: "roomy" });
      for (const job of [grouped, roomy]) {
        const result = await createAndClaim([job], claimAt(T0, { queues: [job.queue] }));
        expect(result.claimed.map((claimed) => [claimed.id, claimed.status])).toEqual([[job.id, "running"]]);
      }
      expect((await mustGet(ctx.store, grouped.id)).group).toBe("acme");
    });

    it("one new job with the unique key of a running job: throws JobAlreadyExistsError, claims nothing", async (test) => {
      const createAndClaim = createAndClaimOf(ctx.store, test);
      const holder = newJob({ uniqueKey: "nightly-9" });
      expect((await createAndClaim([holder], claimAt(T0))).claimed.map((job) => job.id)).toEqual([holder.id]);
      const clash = newJob({ uniqueKey: "nightly-9" });
      const error = await rejectionOf(() => createAndClaim([clash], claimAt(at(1))));
      expectSchedulerError(error, JobAlreadyExistsError, "JOB_ALREADY_EXISTS", { uniqueKey: "nightly-9" });
      expect(await ctx.store.getJob(clash.id)).toBeNull();
      expect(await mustGet(ctx.store, holder.id)).toMatchObject({ status: "running", attempt: 1 });
      // Once the holder completes, the key is free again.
      expect(
        await ctx.store.completeJobs([refOf(await mustGet(ctx.store, holder.id))], { now: at(2) }),
      ).toEqual([true]);
      const again = newJob({ uniqueKey: "nightly-9" });
      expect((await createAndClaim([again], claimAt(at(3)))).claimed.map((job) => job.id)).toEqual([
        again.id,
      ]);
    });

    it("a new job claimed at once counts as running, never as pending", async (test) => {
      const createAndClaim = createAndClaimOf(ctx.store, test);
      await createAndClaim([newJob({ queue: "counted" })], claimAt(T0, { queues: ["counted"] }));
      const stats = await ctx.store.stats();
      expect(stats.byQueue?.counted).toMatchObject({ pending: 0, running: 1, scheduled: 0 });
      expect(stats).toMatchObject({ pending: 0, running: 1 });
    });

    it("sends a jobs event for a queue whose new job is left waiting", async (test) => {
      const createAndClaim = createAndClaimOf(ctx.store, test);
      const subscribe = ctx.store.subscribe;
      if (subscribe === undefined) test.skip("the store has no subscribe: it sends no events");
      const events: StoreEvent[] = [];
      const unsubscribe = (subscribe as NonNullable<Store["subscribe"]>).call(ctx.store, (event) => {
        events.push(event);
      });
      try {
        await createAndClaim([newJob({ queue: "waiting-here" })], claimAt(T0, { names: ["another-name"] }));
        await waitFor(() => events.some((event) => event.type === "jobs" && event.queue === "waiting-here"), {
          timeout: 5_000,
        });
      } finally {
        unsubscribe();
      }
    });
  });
}
