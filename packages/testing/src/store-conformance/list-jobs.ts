import type { Store } from "@sched/core";
import { describe, expect, it } from "vitest";
import { at, createRunningJob, newId, newJob, refOf, type StoreSuiteContext } from "./fixtures.js";

interface Fixture {
  pendingA: string;
  pendingB: string;
  scheduledA: string;
  runningB: string;
  deadA: string;
}

/** Jobs in several statuses, queues and names, created in the order of the fields. */
async function seed(store: Store): Promise<Fixture> {
  const [pendingA] = await store.createJobs([newJob({ queue: "a", name: "x", createdAt: at(1) })]);
  const [pendingB] = await store.createJobs([newJob({ queue: "b", name: "y", createdAt: at(2) })]);
  const [scheduledA] = await store.createJobs([
    newJob({ queue: "a", name: "y", createdAt: at(3), status: "scheduled", scheduledAt: at(3_600_000) }),
  ]);
  const runningB = await createRunningJob(store, { queue: "b", name: "x", createdAt: at(4), priority: 100 });
  const deadA = await createRunningJob(store, { queue: "a", name: "x", createdAt: at(5), priority: 100 });
  await store.failJob(refOf(deadA), { now: at(10), error: "boom", retryAt: null });
  return {
    pendingA: pendingA!.id,
    pendingB: pendingB!.id,
    scheduledA: scheduledA!.id,
    runningB: runningB.id,
    deadA: deadA.id,
  };
}

async function idsOf(store: Store, filter: Parameters<Store["listJobs"]>[0]): Promise<string[]> {
  return (await store.listJobs(filter)).map((job) => job.id);
}

/** listJobs: filters, order, paging. */
export function describeListJobs(ctx: StoreSuiteContext): void {
  describe("listJobs", () => {
    it("listJobs without a filter returns every job ordered by createdAt", async () => {
      const f = await seed(ctx.store);
      expect(await idsOf(ctx.store, {})).toEqual([f.pendingA, f.pendingB, f.scheduledA, f.runningB, f.deadA]);
    });

    it("listJobs filters by a single status", async () => {
      const f = await seed(ctx.store);
      expect(await idsOf(ctx.store, { status: "pending" })).toEqual([f.pendingA, f.pendingB]);
      expect(await idsOf(ctx.store, { status: "running" })).toEqual([f.runningB]);
      expect(await idsOf(ctx.store, { status: "dead" })).toEqual([f.deadA]);
      expect(await idsOf(ctx.store, { status: "completed" })).toEqual([]);
    });

    it("listJobs filters by an array of statuses", async () => {
      const f = await seed(ctx.store);
      expect(await idsOf(ctx.store, { status: ["scheduled", "dead"] })).toEqual([f.scheduledA, f.deadA]);
      expect(await idsOf(ctx.store, { status: ["running"] })).toEqual([f.runningB]);
    });

    it("listJobs filters by queue", async () => {
      const f = await seed(ctx.store);
      expect(await idsOf(ctx.store, { queue: "a" })).toEqual([f.pendingA, f.scheduledA, f.deadA]);
      expect(await idsOf(ctx.store, { queue: "missing" })).toEqual([]);
    });

    it("listJobs filters by name", async () => {
      const f = await seed(ctx.store);
      expect(await idsOf(ctx.store, { name: "y" })).toEqual([f.pendingB, f.scheduledA]);
    });

    it("listJobs combines status, queue and name filters", async () => {
      const f = await seed(ctx.store);
      expect(await idsOf(ctx.store, { queue: "a", name: "x", status: ["pending", "dead"] })).toEqual([
        f.pendingA,
        f.deadA,
      ]);
      expect(await idsOf(ctx.store, { queue: "b", name: "x", status: "pending" })).toEqual([]);
    });

    it("listJobs orders by createdAt, then by id", async () => {
      const ids = [newId(), newId(), newId(), newId()];
      // Inserted out of order; two share a createdAt and must come out in id order.
      await ctx.store.createJobs([
        newJob({ id: ids[3]!, createdAt: at(5) }),
        newJob({ id: ids[2]!, createdAt: at(1) }),
        newJob({ id: ids[1]!, createdAt: at(1) }),
        newJob({ id: ids[0]!, createdAt: at(9) }),
      ]);
      expect(await idsOf(ctx.store, {})).toEqual([ids[1], ids[2], ids[3], ids[0]]);
    });

    it("listJobs applies limit and offset after ordering", async () => {
      const inputs = Array.from({ length: 10 }, (_, i) => newJob({ createdAt: at(i) }));
      await ctx.store.createJobs([...inputs].reverse());
      const ids = inputs.map((job) => job.id);
      expect(await idsOf(ctx.store, { limit: 3 })).toEqual(ids.slice(0, 3));
      expect(await idsOf(ctx.store, { limit: 3, offset: 4 })).toEqual(ids.slice(4, 7));
      expect(await idsOf(ctx.store, { offset: 8 })).toEqual(ids.slice(8));
      expect(await idsOf(ctx.store, { offset: 20 })).toEqual([]);
    });

    it("listJobs returns at most 100 jobs when no limit is given", async () => {
      await ctx.store.createJobs(Array.from({ length: 120 }, (_, i) => newJob({ createdAt: at(i) })));
      expect(await ctx.store.listJobs({})).toHaveLength(100);
      expect(await ctx.store.listJobs({ limit: 1_000 })).toHaveLength(120);
    });
  });
}
