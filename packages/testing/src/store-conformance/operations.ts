import type { InstanceRecord, Store, StoreEvent } from "@sched/core";
import { describe, expect, it } from "vitest";
import { waitFor } from "../wait-for.js";
import { requireCapability } from "./capabilities.js";
import {
  at,
  createJobInStatus,
  createRunningJob,
  mustGet,
  newJob,
  refOf,
  type StoreSuiteContext,
} from "./fixtures.js";

/** A presence record of instance `id`, seen at `seenAt`, valid for 30 s. */
function instance(id: string, seenAt: Date, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    id,
    host: "host-1",
    pid: 4242,
    version: "1.2.3",
    queues: ["default", "emails"],
    workers: 10,
    busy: 3,
    leader: false,
    distributed: true,
    startedAt: at(0),
    lastSeenAt: seenAt,
    expiresAt: new Date(seenAt.getTime() + 30_000),
    ...overrides,
  };
}

const MINUTE = 60_000;

/**
 * The operator's surface: bulk retry and delete, promoting a scheduled job, presence records of
 * instances, the per-minute throughput history, and counts that follow every change.
 */
export function describeOperations(ctx: StoreSuiteContext): void {
  describe("operations", () => {
    describe("retryJobs", () => {
      it("moves the dead and cancelled jobs a selector matches back to pending with a fresh budget", async () => {
        const deadA = await createJobInStatus(ctx.store, "dead", "a");
        const deadB = await createJobInStatus(ctx.store, "dead", "b");
        const cancelledA = await createJobInStatus(ctx.store, "cancelled", "a");
        const completedA = await createJobInStatus(ctx.store, "completed", "a");
        const pendingA = await createJobInStatus(ctx.store, "pending", "a");
        expect(await ctx.store.retryJobs({ queue: "a" }, at(100))).toBe(2);
        for (const id of [deadA.id, cancelledA.id]) {
          expect(await mustGet(ctx.store, id)).toMatchObject({
            status: "pending",
            retryCount: 0,
            lostLeases: 0,
            completedAt: null,
            scheduledAt: at(100),
          });
        }
        expect((await mustGet(ctx.store, deadB.id)).status).toBe("dead");
        expect((await mustGet(ctx.store, completedA.id)).status).toBe("completed");
        expect((await mustGet(ctx.store, pendingA.id)).status).toBe("pending");
        expect(await ctx.store.retryJobs({ status: "dead" }, at(200))).toBe(1);
        expect(await ctx.store.retryJobs({ status: "completed" }, at(300))).toBe(0);
      });

      it("leaves a job whose unique key was taken meanwhile", async () => {
        const running = await createRunningJob(ctx.store, { queue: "u", uniqueKey: "k" });
        await ctx.store.failJob(refOf(running), { now: at(1), error: "boom", retryAt: null });
        const [holder] = await ctx.store.createJobs([newJob({ queue: "u", uniqueKey: "k" })]);
        expect(await ctx.store.retryJobs({ queue: "u" }, at(2))).toBe(0);
        expect((await mustGet(ctx.store, running.id)).status).toBe("dead");
        expect((await mustGet(ctx.store, holder!.id)).status).toBe("pending");
      });
    });

    describe("deleteJobs", () => {
      it("deletes the jobs a selector matches, never a running one, and frees their unique keys", async () => {
        const completed = await createJobInStatus(ctx.store, "completed", "d");
        const running = await createRunningJob(ctx.store, { queue: "d", name: "x" });
        const [pending] = await ctx.store.createJobs([newJob({ queue: "d", name: "x", uniqueKey: "one" })]);
        const [other] = await ctx.store.createJobs([newJob({ queue: "d", name: "y" })]);
        expect(await ctx.store.deleteJobs({ queue: "d", name: "x" })).toBe(1);
        expect(await ctx.store.getJob(pending!.id)).toBeNull();
        expect((await mustGet(ctx.store, running.id)).status).toBe("running");
        expect(await ctx.store.getJob(other!.id)).not.toBeNull();
        expect(await ctx.store.deleteJobs({ status: "completed" })).toBe(1);
        expect(await ctx.store.getJob(completed.id)).toBeNull();
        await ctx.store.createJobs([newJob({ queue: "d", uniqueKey: "one" })]);
        expect((await ctx.store.stats()).byQueue?.d).toMatchObject({ running: 1, pending: 2, completed: 0 });
      });

      it("deletes by createdAt range and group", async () => {
        await ctx.store.createJobs([
          newJob({ queue: "r", group: "g1", createdAt: at(1) }),
          newJob({ queue: "r", group: "g1", createdAt: at(9) }),
          newJob({ queue: "r", group: "g2", createdAt: at(1) }),
        ]);
        expect(await ctx.store.deleteJobs({ group: "g1", to: at(5) })).toBe(1);
        expect(
          (await ctx.store.listJobs({ queue: "r" })).jobs.map((job) => [job.group, job.createdAt]),
        ).toEqual([
          ["g2", at(1)],
          ["g1", at(9)],
        ]);
      });
    });

    describe("deleteJob", () => {
      it("deletes one job that is not running, frees its unique key, and returns it as it was", async () => {
        const [pending] = await ctx.store.createJobs([newJob({ queue: "dj", uniqueKey: "k" })]);
        const deleted = await ctx.store.deleteJob(pending!.id);
        expect(deleted).toEqual(pending);
        expect(await ctx.store.getJob(pending!.id)).toBeNull();
        await ctx.store.createJobs([newJob({ queue: "dj", uniqueKey: "k" })]);
        const running = await createRunningJob(ctx.store, { queue: "dj2" });
        expect(await ctx.store.deleteJob(running.id)).toBeNull();
        expect((await mustGet(ctx.store, running.id)).status).toBe("running");
        expect(await ctx.store.deleteJob("no-such-job")).toBeNull();
        expect((await ctx.store.stats()).byQueue?.dj).toMatchObject({ pending: 1 });
      });
    });

    describe("promoteJob", () => {
      it("makes a scheduled job due now; other statuses are returned unchanged; unknown is null", async () => {
        const [later] = await ctx.store.createJobs([
          newJob({ queue: "p", status: "scheduled", scheduledAt: at(3_600_000) }),
        ]);
        const promoted = await ctx.store.promoteJob(later!.id, at(10));
        expect(promoted).toMatchObject({ status: "pending", scheduledAt: at(10), attempt: 0 });
        const claimed = await ctx.store.claimDueJobs({
          queues: ["p"],
          names: null,
          limit: 5,
          now: at(10),
          lockedUntil: at(60_000),
          workerId: "w",
        });
        expect(claimed.map((job) => job.id)).toEqual([later!.id]);
        const running = await mustGet(ctx.store, later!.id);
        expect(await ctx.store.promoteJob(later!.id, at(20))).toEqual(running);
        expect(await ctx.store.promoteJob("no-such-job", at(20))).toBeNull();
      });

      it("makes a failed job waiting for its retry due now, keeping its retry count", async () => {
        const failed = await createJobInStatus(ctx.store, "failed", "pf");
        const promoted = await ctx.store.promoteJob(failed.id, at(50));
        expect(promoted).toMatchObject({ status: "pending", scheduledAt: at(50), retryCount: 1 });
      });

      it("a promoted job sends a jobs event for its queue", async (test) => {
        requireCapability(ctx.store, "pushedEvents", test);
        const [later] = await ctx.store.createJobs([
          newJob({ queue: "pe", status: "scheduled", scheduledAt: at(3_600_000) }),
        ]);
        const queues: string[] = [];
        const unsubscribe = (ctx.store.subscribe as NonNullable<Store["subscribe"]>)((event: StoreEvent) => {
          if (event.type === "jobs") queues.push(event.queue);
        });
        try {
          await ctx.store.promoteJob(later!.id, at(1));
          await waitFor(() => queues.includes("pe"), { description: "a wake-up for queue pe" });
        } finally {
          unsubscribe();
        }
      });
    });

    describe("instances", () => {
      it("saveInstance writes and replaces a record; listInstances leaves out expired ones, ordered by id", async () => {
        await ctx.store.saveInstance(instance("b", at(0)));
        await ctx.store.saveInstance(
          instance("a", at(0), { leader: true, queues: null, distributed: false }),
        );
        await ctx.store.saveInstance(instance("b", at(20_000), { busy: 7 }));
        const listed = await ctx.store.listInstances(at(25_000));
        expect(listed).toEqual([
          instance("a", at(0), { leader: true, queues: null, distributed: false }),
          instance("b", at(20_000), { busy: 7 }),
        ]);
        expect((await ctx.store.listInstances(at(40_000))).map((i) => i.id)).toEqual(["b"]);
        expect(await ctx.store.removeInstance("b")).toBe(true);
        expect(await ctx.store.removeInstance("b")).toBe(false);
        expect(await ctx.store.listInstances(at(40_000))).toEqual([]);
      });
    });

    describe("throughput", () => {
      it("adds counts per queue and minute, answers a range of one queue or all, and drops old minutes", async () => {
        const m0 = at(0);
        const m1 = at(MINUTE);
        const m2 = at(2 * MINUTE);
        await ctx.store.addThroughput(
          [
            { queue: "a", minute: m0, completed: 5, failed: 1 },
            { queue: "b", minute: m0, completed: 2, failed: 0 },
          ],
          at(-MINUTE),
        );
        await ctx.store.addThroughput(
          [
            { queue: "a", minute: m0, completed: 1, failed: 1 },
            { queue: "a", minute: m1, completed: 3, failed: 0 },
            { queue: "b", minute: m2, completed: 4, failed: 2 },
          ],
          at(-MINUTE),
        );
        expect(await ctx.store.throughput({ queue: "a", since: m0 })).toEqual([
          { queue: "a", minute: m0, completed: 6, failed: 2 },
          { queue: "a", minute: m1, completed: 3, failed: 0 },
        ]);
        expect(await ctx.store.throughput({ queue: null, since: m0, until: m2 })).toEqual([
          { queue: "a", minute: m0, completed: 6, failed: 2 },
          { queue: "b", minute: m0, completed: 2, failed: 0 },
          { queue: "a", minute: m1, completed: 3, failed: 0 },
        ]);
        await ctx.store.addThroughput([], m1);
        expect(
          (await ctx.store.throughput({ queue: null, since: at(-10 * MINUTE) })).map((s) => s.minute),
        ).toEqual([m1, m2]);
      });
    });

    describe("counts", () => {
      it("stats follow every change of status, per queue, through bulk operations too", async () => {
        await createJobInStatus(ctx.store, "dead", "c");
        await createJobInStatus(ctx.store, "completed", "c");
        const [waiting] = await ctx.store.createJobs([
          newJob({ queue: "c", status: "scheduled", scheduledAt: at(3_600_000) }),
        ]);
        await ctx.store.promoteJob(waiting!.id, at(5));
        await ctx.store.retryJobs({ queue: "c" }, at(6));
        await ctx.store.deleteJobs({ status: "completed" });
        const stats = await ctx.store.stats();
        expect(stats.byQueue?.c).toEqual({
          pending: 2,
          scheduled: 0,
          running: 0,
          completed: 0,
          failed: 0,
          dead: 0,
          cancelled: 0,
        });
        expect(stats.pending).toBe(2);
      });
    });
  });
}
