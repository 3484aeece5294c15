import type { Store } from "@sched/core";
import { decodeJobCursor } from "@sched/core/adapter";
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
  return (await store.listJobs(filter)).jobs.map((job) => job.id);
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

    it("pages by cursor: every job exactly once in order, ascending and descending, ties in id order; each cursor carries its order", async () => {
      const ids = Array.from({ length: 23 }, () => newId());
      // Pairs share a createdAt, so the cursor must carry the id too.
      await ctx.store.createJobs(
        [...ids].reverse().map((id) => newJob({ id, createdAt: at(Math.floor(ids.indexOf(id) / 2)) })),
      );
      for (const order of ["asc", "desc"] as const) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await ctx.store.listJobs({ limit: 5, cursor, order });
          seen.push(...page.jobs.map((job) => job.id));
          // The cursor names its order (encodeJobCursor(job, order)): the runtime refuses it with the other.
          if (page.nextCursor !== null) expect(decodeJobCursor(page.nextCursor).order).toBe(order);
          // A cursor only when more jobs follow: 23 jobs make 4 full pages with one and a last of 3.
          expect(page.nextCursor !== null).toBe(pages < 4);
          expect(page.jobs).toHaveLength(pages < 4 ? 5 : 3);
          cursor = page.nextCursor;
          pages++;
        } while (cursor !== null && pages < 20);
        expect(seen).toEqual(order === "asc" ? ids : [...ids].reverse());
      }
    });

    it("a last page that is exactly full has no cursor; a page with jobs after it has one", async () => {
      await ctx.store.createJobs(Array.from({ length: 8 }, (_, i) => newJob({ createdAt: at(i) })));
      for (const order of ["asc", "desc"] as const) {
        const first = await ctx.store.listJobs({ limit: 4, order });
        expect(first.jobs).toHaveLength(4);
        expect(first.nextCursor).not.toBeNull();
        const second = await ctx.store.listJobs({ limit: 4, order, cursor: first.nextCursor });
        expect(second.jobs).toHaveLength(4);
        expect(second.nextCursor).toBeNull();
        expect(new Set([...first.jobs, ...second.jobs].map((job) => job.id)).size).toBe(8);
      }
      const all = await ctx.store.listJobs({ limit: 8, status: "pending" });
      expect(all).toMatchObject({ nextCursor: null });
      expect(all.jobs).toHaveLength(8);
      expect((await ctx.store.listJobs({ limit: 9 })).nextCursor).toBeNull();
    });

    it("a page starts after its cursor's job even when that job was deleted, and new jobs do not shift it", async () => {
      const inputs = Array.from({ length: 6 }, (_, i) =>
        newJob({ createdAt: at(10 + i), status: "pending" }),
      );
      await ctx.store.createJobs(inputs);
      const first = await ctx.store.listJobs({ limit: 3 });
      await ctx.store.cancelJob(inputs[2]!.id, at(100));
      await ctx.store.cleanup({ completedBefore: at(0), deadBefore: at(0), cancelledBefore: at(1_000) });
      await ctx.store.createJobs([newJob({ createdAt: at(1) }), newJob({ createdAt: at(99) })]);
      const second = await ctx.store.listJobs({ limit: 3, cursor: first.nextCursor });
      expect(second.jobs.map((job) => job.id)).toEqual(inputs.slice(3, 6).map((job) => job.id));
    });

    it("filters by group and by a createdAt range [from, to), with the other filters", async () => {
      const a1 = newJob({ queue: "g", group: "t1", createdAt: at(1) });
      const a2 = newJob({ queue: "g", group: "t1", createdAt: at(5) });
      const b1 = newJob({ queue: "g", group: "t2", createdAt: at(5) });
      const none = newJob({ queue: "g", createdAt: at(7) });
      await ctx.store.createJobs([a1, a2, b1, none]);
      expect(await idsOf(ctx.store, { group: "t1" })).toEqual([a1.id, a2.id]);
      expect(await idsOf(ctx.store, { from: at(5) })).toEqual([a2.id, b1.id].sort().concat(none.id));
      expect(await idsOf(ctx.store, { from: at(1), to: at(5) })).toEqual([a1.id]);
      expect(
        await idsOf(ctx.store, { queue: "g", group: "t2", status: ["pending", "dead"], to: at(6) }),
      ).toEqual([b1.id]);
    });

    it("listJobs returns at most 100 jobs when no limit is given", async () => {
      await ctx.store.createJobs(Array.from({ length: 120 }, (_, i) => newJob({ createdAt: at(i) })));
      expect((await ctx.store.listJobs({})).jobs).toHaveLength(100);
      expect((await ctx.store.listJobs({ limit: 1_000 })).jobs).toHaveLength(120);
    });
  });
}
