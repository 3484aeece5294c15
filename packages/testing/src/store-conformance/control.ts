import type { Job, Store, StoreEvent } from "@sched/core";
import { describe, expect, it } from "vitest";
import { waitFor } from "../wait-for.js";
import { requireCapability } from "./capabilities.js";
import {
  at,
  claimAt,
  createRunningJob,
  failBeyond,
  mustGet,
  newJob,
  newJobs,
  nextDue,
  recover,
  refOf,
  type StoreSuiteContext,
  T0,
} from "./fixtures.js";

const groupsOf = (jobs: readonly Job[]): (string | null)[] => jobs.map((job) => job.group);

/** Claims with `limit` at `now` from `queue`, as `workerId`. */
function claim(
  store: Store,
  queue: string,
  limit: number,
  now: Date = T0,
  workerId = "worker-1",
): Promise<Job[]> {
  return store.claimDueJobs(claimAt(now, { queues: [queue], limit, workerId }));
}

/**
 * Runs `claimers` concurrent claim loops on `queue` at `now` until every one of them gets an
 * empty batch; returns every job claimed. `seeded` is how many jobs the queue holds: more batches
 * with jobs than that fail the test (a claim that hands out jobs without leasing them would
 * otherwise loop forever).
 */
async function claimConcurrently(
  store: Store,
  queue: string,
  claimers: number,
  limit: number,
  seeded: number,
  now = T0,
): Promise<Job[]> {
  let claims = 0;
  const batches = await Promise.all(
    Array.from({ length: claimers }, async (_, worker) => {
      const mine: Job[] = [];
      for (;;) {
        const batch = await claim(store, queue, limit, now, `worker-${worker}`);
        if (batch.length === 0) return mine;
        failBeyond(++claims, seeded, `claims that returned jobs of queue ${queue} (${seeded} jobs)`);
        mine.push(...batch);
      }
    }),
  );
  return batches.flat();
}

/** Counts jobs by group. */
function countByGroup(jobs: readonly Job[]): Map<string | null, number> {
  const counts = new Map<string | null, number>();
  for (const job of jobs) counts.set(job.group, (counts.get(job.group) ?? 0) + 1);
  return counts;
}

/**
 * Queue controls: groups, pause and resume, global and group concurrency, rate limits in fixed
 * windows, push-back by a handler's rate limit, fair rotation between groups, and deduplication
 * windows. Every limit must hold for concurrent claimers, since it is enforced by the store.
 */
export function describeControl(ctx: StoreSuiteContext): void {
  describe("queue controls", () => {
    describe("groups", () => {
      it("a job's group round-trips through createJobs, getJob, listJobs and claims; absent is null", async () => {
        const [grouped, plain] = await ctx.store.createJobs([
          newJob({ queue: "g", group: "tenant-42" }),
          newJob({ queue: "g" }),
        ]);
        expect(grouped!.group).toBe("tenant-42");
        expect(plain!.group).toBeNull();
        expect((await mustGet(ctx.store, grouped!.id)).group).toBe("tenant-42");
        expect((await mustGet(ctx.store, plain!.id)).group).toBeNull();
        const listed = (await ctx.store.listJobs({ queue: "g" })).jobs;
        expect(new Map(listed.map((job) => [job.id, job.group]))).toEqual(
          new Map([
            [grouped!.id, "tenant-42"],
            [plain!.id, null],
          ]),
        );
        const claimed = await claim(ctx.store, "g", 10);
        expect(new Map(claimed.map((job) => [job.id, job.group]))).toEqual(
          new Map([
            [grouped!.id, "tenant-42"],
            [plain!.id, null],
          ]),
        );
      });

      it("claims rotate between groups: a busy group does not starve the others", async () => {
        await ctx.store.createJobs(newJobs(10, { queue: "fair", group: "busy", scheduledAt: at(-10_000) }));
        await ctx.store.createJobs(newJobs(2, { queue: "fair", group: "b", scheduledAt: at(-5_000) }));
        await ctx.store.createJobs(newJobs(2, { queue: "fair", group: "c", scheduledAt: at(-1_000) }));
        const order: (string | null)[] = [];
        for (let i = 0; i < 7; i++) order.push(...groupsOf(await claim(ctx.store, "fair", 1)));
        expect(order).toEqual(["busy", "b", "c", "busy", "b", "c", "busy"]);
      });

      it("one claim takes one job per group per round, least recently served group first", async () => {
        await ctx.store.createJobs(newJobs(5, { queue: "rounds", group: "a", scheduledAt: at(-3_000) }));
        await ctx.store.createJobs(newJobs(5, { queue: "rounds", group: "b", scheduledAt: at(-2_000) }));
        await ctx.store.createJobs(newJobs(5, { queue: "rounds", group: "c", scheduledAt: at(-1_000) }));
        // "a" was served last: "b" and "c" (never served) come before it in every round.
        expect(groupsOf(await claim(ctx.store, "rounds", 1))).toEqual(["a"]);
        expect(groupsOf(await claim(ctx.store, "rounds", 6))).toEqual(["b", "c", "a", "b", "c", "a"]);
      });

      it("jobs without a group count as one more group in the rotation", async () => {
        await ctx.store.createJobs(newJobs(4, { queue: "mixed", scheduledAt: at(-9_000) }));
        await ctx.store.createJobs(newJobs(4, { queue: "mixed", group: "t1", scheduledAt: at(-1_000) }));
        expect(groupsOf(await claim(ctx.store, "mixed", 4))).toEqual([null, "t1", null, "t1"]);
      });

      it("within a group, jobs come in claim order (priority, then scheduledAt)", async () => {
        const low = newJob({ queue: "inner", group: "t", priority: 0, scheduledAt: at(-5_000) });
        const high = newJob({ queue: "inner", group: "t", priority: 5, scheduledAt: at(-1_000) });
        const early = newJob({ queue: "inner", group: "t", priority: 0, scheduledAt: at(-9_000) });
        await ctx.store.createJobs([low, high, early]);
        const claimed = await claim(ctx.store, "inner", 3);
        expect(claimed.map((job) => job.id)).toEqual([high.id, early.id, low.id]);
      });
    });

    describe("updateQueue, getQueue, listQueues", () => {
      it("updateQueue creates the record with defaults and changes only the fields given", async () => {
        expect(await ctx.store.getQueue("emails")).toBeNull();
        const created = await ctx.store.updateQueue("emails", { concurrency: 4 }, at(1));
        expect(created).toEqual({
          name: "emails",
          paused: false,
          concurrency: 4,
          rateLimit: null,
          group: null,
          limitedUntil: null,
          updatedAt: at(1),
        });
        await ctx.store.updateQueue("emails", { rateLimit: { max: 10, per: 60_000 } }, at(2));
        const updated = await ctx.store.updateQueue(
          "emails",
          { group: { concurrency: 1, rateLimit: { max: 2, per: 1_000 } }, paused: true },
          at(3),
        );
        expect(updated).toEqual({
          name: "emails",
          paused: true,
          concurrency: 4,
          rateLimit: { max: 10, per: 60_000 },
          group: { concurrency: 1, rateLimit: { max: 2, per: 1_000 } },
          limitedUntil: null,
          updatedAt: at(3),
        });
        expect(await ctx.store.getQueue("emails")).toEqual(updated);
        const cleared = await ctx.store.updateQueue(
          "emails",
          { concurrency: null, rateLimit: null, group: null },
          at(4),
        );
        expect(cleared).toMatchObject({ paused: true, concurrency: null, rateLimit: null, group: null });
      });

      it("updateQueue takes a field set to undefined as absent: it changes nothing", async () => {
        const controls = {
          paused: true,
          concurrency: 4,
          rateLimit: { max: 10, per: 60_000 },
          group: { concurrency: 1, rateLimit: null },
        };
        await ctx.store.updateQueue("emails", controls, at(1));
        const after = await ctx.store.updateQueue(
          "emails",
          {
            paused: undefined,
            concurrency: undefined,
            rateLimit: undefined,
            group: undefined,
            limitedUntil: undefined,
          },
          at(2),
        );
        expect(after, "updateQueue with every field undefined").toMatchObject(controls);
        expect(await ctx.store.getQueue("emails")).toMatchObject(controls);
      });

      it("listQueues lists every queue with stored controls, ordered by name", async () => {
        await ctx.store.updateQueue("zeta", { paused: true }, at(1));
        await ctx.store.updateQueue("alpha", { concurrency: 2 }, at(1));
        await ctx.store.createJobs([newJob({ queue: "plain" })]);
        const queues = await ctx.store.listQueues();
        expect(queues.map((queue) => [queue.name, queue.paused, queue.concurrency])).toEqual([
          ["alpha", false, 2],
          ["zeta", true, null],
        ]);
      });

      it("a second store on the same data sees the queue's controls", async (test) => {
        if (ctx.openPeer === undefined) test.skip("the suite was given no openPeer");
        const peer = await (ctx.openPeer as () => Promise<Store>)();
        try {
          await ctx.store.updateQueue("shared", { paused: true, concurrency: 3 }, at(1));
          expect(await peer.getQueue("shared")).toMatchObject({ paused: true, concurrency: 3 });
          await peer.createJobs([newJob({ queue: "shared" })]);
          expect(await claim(peer, "shared", 5)).toEqual([]);
        } finally {
          if (peer !== ctx.store) await peer.close();
        }
      });

      it("resuming a queue sends a jobs event for it", async (test) => {
        requireCapability(ctx.store, "pushedEvents", test);
        await ctx.store.updateQueue("wake", { paused: true }, at(1));
        const queues: string[] = [];
        const unsubscribe = (ctx.store.subscribe as NonNullable<Store["subscribe"]>)((event: StoreEvent) => {
          if (event.type === "jobs") queues.push(event.queue);
        });
        try {
          await ctx.store.updateQueue("wake", { paused: false }, at(2));
          await waitFor(() => queues.includes("wake"), { description: "a wake-up for queue wake" });
        } finally {
          unsubscribe();
        }
      });
    });

    describe("pause and resume", () => {
      it("a paused queue gives no job while other queues still do; resumed, it gives them again", async () => {
        const [held] = await ctx.store.createJobs([newJob({ queue: "paused" })]);
        const [free] = await ctx.store.createJobs([newJob({ queue: "open" })]);
        await ctx.store.updateQueue("paused", { paused: true }, at(0));
        const claimed = await ctx.store.claimDueJobs(claimAt(T0, { queues: ["paused", "open"] }));
        expect(claimed.map((job) => job.id)).toEqual([free!.id]);
        expect(await ctx.store.claimDueJobs(claimAt(at(60_000)))).toEqual([]);
        await ctx.store.updateQueue("paused", { paused: false }, at(1));
        expect((await claim(ctx.store, "paused", 5)).map((job) => job.id)).toEqual([held!.id]);
      });

      it("a paused queue with grouped jobs gives none either", async () => {
        await ctx.store.createJobs(newJobs(3, { queue: "pg", group: "t" }));
        await ctx.store.updateQueue("pg", { paused: true }, at(0));
        expect(await claim(ctx.store, "pg", 5)).toEqual([]);
      });

      it("jobs running when the queue was paused still complete, and enqueues still land", async () => {
        const running = await createRunningJob(ctx.store, { queue: "drain" });
        await ctx.store.updateQueue("drain", { paused: true }, at(0));
        await ctx.store.createJobs([newJob({ queue: "drain" })]);
        expect(await ctx.store.completeJobs([refOf(running)], { now: at(1) })).toEqual([true]);
        expect((await ctx.store.stats()).byQueue?.drain).toMatchObject({ completed: 1, pending: 1 });
      });

      it("nextDueAt leaves paused queues out", async () => {
        await ctx.store.createJobs([newJob({ queue: "p1", scheduledAt: at(100) })]);
        await ctx.store.createJobs([newJob({ queue: "p2", scheduledAt: at(500) })]);
        await ctx.store.updateQueue("p1", { paused: true }, at(0));
        expect(await nextDue(ctx.store, null)).toEqual(at(500));
        expect(await nextDue(ctx.store, ["p1"])).toBeNull();
      });
    });

    describe("concurrency", () => {
      it("a queue's concurrency caps its running jobs, counting those already running", async () => {
        await createRunningJob(ctx.store, { queue: "capped" });
        await ctx.store.createJobs(newJobs(10, { queue: "capped" }));
        await ctx.store.updateQueue("capped", { concurrency: 3 }, at(0));
        const first = await claim(ctx.store, "capped", 10);
        expect(first).toHaveLength(2);
        expect(await claim(ctx.store, "capped", 10)).toEqual([]);
        await ctx.store.completeJobs([refOf(first[0]!)], { now: at(1) });
        expect(await claim(ctx.store, "capped", 10, at(2))).toHaveLength(1);
      });

      it("a job failed, released or cancelled frees its place", async () => {
        await ctx.store.createJobs(newJobs(6, { queue: "places" }));
        await ctx.store.updateQueue("places", { concurrency: 3 }, at(0));
        const [a, b, c] = await claim(ctx.store, "places", 10);
        await ctx.store.failJob(refOf(a!), { now: at(1), error: "boom", retryAt: at(60_000) });
        await ctx.store.releaseJobs([refOf(b!)], { now: at(1) });
        await ctx.store.cancelJob(c!.id, at(1));
        expect(await claim(ctx.store, "places", 10, at(2))).toHaveLength(3);
      });

      it("a capped queue and a free one share a claim: only the capped one is held back", async () => {
        await ctx.store.createJobs(newJobs(4, { queue: "one" }));
        await ctx.store.createJobs(newJobs(4, { queue: "many" }));
        await ctx.store.updateQueue("one", { concurrency: 1 }, at(0));
        const claimed = await ctx.store.claimDueJobs(claimAt(T0, { queues: ["one", "many"], limit: 10 }));
        expect(claimed.filter((job) => job.queue === "one")).toHaveLength(1);
        expect(claimed.filter((job) => job.queue === "many")).toHaveLength(4);
      });

      it("queues with controls or groups share a claim's limit in claim order: a higher priority elsewhere goes first", async () => {
        // "grouped" has a grouped job (so it is claimed under its rotation) and a capped one, both
        // at priority 0; "urgent" and "plain" have higher priorities. A claim of 3 over all of
        // them takes the 3 first jobs of the claim order, whichever queue holds them.
        await ctx.store.createJobs([
          newJob({ queue: "grouped", group: "g1" }),
          newJob({ queue: "grouped", group: "g2" }),
          newJob({ queue: "capped" }),
        ]);
        await ctx.store.updateQueue("capped", { concurrency: 10 }, at(0));
        const urgent = newJob({ queue: "urgent", priority: 10 });
        const plain = [newJob({ queue: "plain", priority: 5 }), newJob({ queue: "plain", priority: 5 })];
        await ctx.store.createJobs([urgent, ...plain]);
        await ctx.store.updateQueue("urgent", { concurrency: 10 }, at(0));
        for (const queues of [null, ["grouped", "capped", "plain", "urgent"]]) {
          // At a time after the release below, which makes its jobs due again at at(1).
          const claimed = await ctx.store.claimDueJobs(claimAt(at(10), { queues, limit: 3 }));
          expect(claimed.map((job) => job.queue).sort(), `queues ${JSON.stringify(queues)}`).toEqual([
            "plain",
            "plain",
            "urgent",
          ]);
          await ctx.store.releaseJobs(claimed.map(refOf), { now: at(1) });
        }
      });

      it("a queue with controls does not take a whole claim while other queues hold earlier jobs", async () => {
        // Its backlog is bigger than the claim, and its name sorts first: each queue still gives as
        // many jobs as it has among the first `limit` of the claim order (earlier scheduledAt).
        await ctx.store.createJobs(newJobs(6, { queue: "a-busy", scheduledAt: at(-1_000) }));
        await ctx.store.updateQueue("a-busy", { concurrency: 100 }, at(0));
        await ctx.store.createJobs(newJobs(3, { queue: "b-plain", scheduledAt: at(-3_000) }));
        await ctx.store.createJobs(newJobs(3, { queue: "c-grouped", group: "g", scheduledAt: at(-2_000) }));
        const claimed = await ctx.store.claimDueJobs(claimAt(T0, { queues: null, limit: 8 }));
        const count = (queue: string) => claimed.filter((job) => job.queue === queue).length;
        expect([count("b-plain"), count("c-grouped"), count("a-busy")]).toEqual([3, 3, 2]);
      });

      it("what a held-back queue leaves of its share goes to the others", async () => {
        // "early" holds the earliest jobs but may run one at a time: the rest of the claim is
        // filled from the other queues, controlled or not.
        await ctx.store.createJobs(newJobs(5, { queue: "early", scheduledAt: at(-5_000) }));
        await ctx.store.updateQueue("early", { concurrency: 1 }, at(0));
        await ctx.store.createJobs(newJobs(2, { queue: "later-plain", scheduledAt: at(-1_000) }));
        await ctx.store.createJobs(
          newJobs(2, { queue: "later-grouped", group: "g", scheduledAt: at(-1_000) }),
        );
        const claimed = await ctx.store.claimDueJobs(claimAt(T0, { queues: null, limit: 5 }));
        const count = (queue: string) => claimed.filter((job) => job.queue === queue).length;
        expect([count("early"), count("later-plain"), count("later-grouped")]).toEqual([1, 2, 2]);
      });

      it("concurrent claimers over several queues with controls take each job once, within the limits, and never fail", async () => {
        // Each claim shares its batch between the queues, and may come back to a queue for what is
        // left: claimers that take several queues' locks in different orders must not deadlock.
        const queues = ["c1", "c2", "c3", "p1"];
        await ctx.store.createJobs(newJobs(20, { queue: "c1" }));
        await ctx.store.createJobs(newJobs(20, { queue: "c2" }));
        await ctx.store.createJobs(newJobs(20, { queue: "c3", group: "g" }));
        await ctx.store.createJobs(newJobs(20, { queue: "p1" }));
        await ctx.store.updateQueue("c1", { concurrency: 7 }, at(0));
        await ctx.store.updateQueue("c2", { concurrency: 100 }, at(0));
        let claims = 0;
        const batches = await Promise.all(
          Array.from({ length: 6 }, async (_, worker) => {
            const mine: Job[] = [];
            for (;;) {
              // Each claimer lists the queues in an order of its own.
              const order = queues.map((_, i) => queues[(i + worker) % queues.length] as string);
              const batch = await ctx.store.claimDueJobs(
                claimAt(T0, {
                  queues: worker % 2 === 0 ? order : null,
                  limit: 4,
                  workerId: `worker-${worker}`,
                }),
              );
              if (batch.length === 0) return mine;
              failBeyond(++claims, 67, "claims that returned jobs (67 jobs can be claimed)");
              mine.push(...batch);
            }
          }),
        );
        const claimed = batches.flat();
        expect(new Set(claimed.map((job) => job.id)).size).toBe(claimed.length);
        const count = (queue: string) => claimed.filter((job) => job.queue === queue).length;
        expect(queues.map(count)).toEqual([7, 20, 20, 20]);
      });

      it("concurrent claimers together never exceed the queue's concurrency", async () => {
        await ctx.store.createJobs(newJobs(100, { queue: "global" }));
        await ctx.store.updateQueue("global", { concurrency: 7 }, at(0));
        const claimed = await claimConcurrently(ctx.store, "global", 8, 3, 100);
        expect(claimed).toHaveLength(7);
        expect(new Set(claimed.map((job) => job.id)).size).toBe(7);
        expect((await ctx.store.stats()).byQueue?.global?.running).toBe(7);
      });

      it("group concurrency caps the running jobs of each group, not of the queue", async () => {
        await ctx.store.createJobs(newJobs(3, { queue: "gc", group: "a" }));
        await ctx.store.createJobs(newJobs(3, { queue: "gc", group: "b" }));
        await ctx.store.createJobs(newJobs(2, { queue: "gc" }));
        await ctx.store.updateQueue("gc", { group: { concurrency: 1, rateLimit: null } }, at(0));
        const first = await claim(ctx.store, "gc", 10);
        expect(countByGroup(first)).toEqual(
          new Map([
            [null, 2],
            ["a", 1],
            ["b", 1],
          ]),
        );
        expect(await claim(ctx.store, "gc", 10)).toEqual([]);
        const runningA = first.find((job) => job.group === "a")!;
        await ctx.store.completeJobs([refOf(runningA)], { now: at(1) });
        expect(groupsOf(await claim(ctx.store, "gc", 10, at(2)))).toEqual(["a"]);
      });

      it("concurrent claimers never run two jobs of a group with concurrency 1", async () => {
        const groups = Array.from({ length: 12 }, (_, i) => `tenant-${i}`);
        for (const group of groups) await ctx.store.createJobs(newJobs(5, { queue: "strict", group }));
        await ctx.store.updateQueue("strict", { group: { concurrency: 1, rateLimit: null } }, at(0));
        const claimed = await claimConcurrently(ctx.store, "strict", 8, 4, 60);
        expect(claimed).toHaveLength(12);
        expect([...countByGroup(claimed).values()].every((count) => count === 1)).toBe(true);
        expect(new Set(groupsOf(claimed))).toEqual(new Set(groups));
      });
    });

    describe("rate limits", () => {
      it("a queue's rate limit admits max claims per fixed window aligned to the Unix epoch", async () => {
        await ctx.store.createJobs(newJobs(10, { queue: "rl", scheduledAt: at(-1) }));
        await ctx.store.updateQueue("rl", { rateLimit: { max: 3, per: 1_000 } }, at(0));
        // T0 is a multiple of 1000 ms: [T0+900, T0+1000) and [T0+1000, T0+2000) are two windows.
        expect(await claim(ctx.store, "rl", 10, at(900))).toHaveLength(3);
        expect(await claim(ctx.store, "rl", 10, at(999))).toEqual([]);
        expect(await claim(ctx.store, "rl", 10, at(1_000))).toHaveLength(3);
        expect(await claim(ctx.store, "rl", 1, at(1_999))).toEqual([]);
        expect(await claim(ctx.store, "rl", 2, at(2_000))).toHaveLength(2);
        expect(await claim(ctx.store, "rl", 10, at(2_500))).toHaveLength(1);
      });

      it("concurrent claimers together stay within the window's max", async () => {
        await ctx.store.createJobs(newJobs(60, { queue: "rl-many" }));
        await ctx.store.updateQueue("rl-many", { rateLimit: { max: 11, per: 60_000 } }, at(0));
        const claimed = await claimConcurrently(ctx.store, "rl-many", 8, 2, 60);
        expect(claimed).toHaveLength(11);
      });

      it("a claim whose now lies in an earlier window than the last claim's counts in the later one: a window only moves forward", async () => {
        await ctx.store.createJobs(newJobs(30, { queue: "rl-late", scheduledAt: at(-20_000) }));
        await ctx.store.updateQueue("rl-late", { rateLimit: { max: 5, per: 10_000 } }, at(-20_000));
        // T0 starts a window; a claim from an instance whose clock is behind (or one that waited
        // for the queue) comes in with T0 - 1 ms, after a claim at T0 + 1 ms.
        expect(await claim(ctx.store, "rl-late", 100, at(1), "a")).toHaveLength(5);
        expect(await claim(ctx.store, "rl-late", 100, at(-1), "b")).toEqual([]);
        expect(await claim(ctx.store, "rl-late", 100, at(2), "c")).toEqual([]);
        expect(await claim(ctx.store, "rl-late", 100, at(-1), "b")).toEqual([]);
        expect(await claim(ctx.store, "rl-late", 100, at(3), "a")).toEqual([]);
        expect(await claim(ctx.store, "rl-late", 100, at(10_000), "a")).toHaveLength(5);
      });

      it("the same holds for each group's window", async () => {
        await ctx.store.createJobs(newJobs(10, { queue: "grl-late", group: "g", scheduledAt: at(-20_000) }));
        await ctx.store.updateQueue(
          "grl-late",
          { group: { concurrency: null, rateLimit: { max: 2, per: 10_000 } } },
          at(-20_000),
        );
        expect(await claim(ctx.store, "grl-late", 10, at(1), "a")).toHaveLength(2);
        expect(await claim(ctx.store, "grl-late", 10, at(-1), "b")).toEqual([]);
        expect(await claim(ctx.store, "grl-late", 10, at(2), "a")).toEqual([]);
        expect(await claim(ctx.store, "grl-late", 10, at(10_000), "a")).toHaveLength(2);
      });

      it("a group rate limit counts per group and window", async () => {
        await ctx.store.createJobs(newJobs(5, { queue: "grl", group: "a" }));
        await ctx.store.createJobs(newJobs(5, { queue: "grl", group: "b" }));
        await ctx.store.updateQueue(
          "grl",
          { group: { concurrency: null, rateLimit: { max: 2, per: 10_000 } } },
          at(0),
        );
        expect(countByGroup(await claim(ctx.store, "grl", 10, at(0)))).toEqual(
          new Map([
            ["a", 2],
            ["b", 2],
          ]),
        );
        expect(await claim(ctx.store, "grl", 10, at(9_999))).toEqual([]);
        expect(await claim(ctx.store, "grl", 10, at(10_000))).toHaveLength(4);
      });

      it("concurrent claimers together stay within each group's window max", async () => {
        for (const group of ["x", "y", "z"])
          await ctx.store.createJobs(newJobs(20, { queue: "grl-many", group }));
        await ctx.store.updateQueue(
          "grl-many",
          { group: { concurrency: null, rateLimit: { max: 3, per: 60_000 } } },
          at(0),
        );
        const claimed = await claimConcurrently(ctx.store, "grl-many", 8, 2, 60);
        expect(countByGroup(claimed)).toEqual(
          new Map([
            ["x", 3],
            ["y", 3],
            ["z", 3],
          ]),
        );
      });
    });

    describe("rateLimitJob", () => {
      it("hands the job back at until without using a retry, and holds back its queue until then", async () => {
        const running = await createRunningJob(ctx.store, { queue: "pushed" });
        await ctx.store.createJobs(newJobs(2, { queue: "pushed" }));
        const applied = await ctx.store.rateLimitJob(refOf(running), {
          now: at(1),
          until: at(30_000),
          scope: "queue",
        });
        expect(applied).toBe(true);
        const job = await mustGet(ctx.store, running.id);
        expect(job).toMatchObject({
          status: "scheduled",
          scheduledAt: at(30_000),
          retryCount: 0,
          lockedBy: null,
          lockedUntil: null,
        });
        expect(await claim(ctx.store, "pushed", 10, at(29_999))).toEqual([]);
        expect((await ctx.store.getQueue("pushed"))?.limitedUntil).toEqual(at(30_000));
        expect(await claim(ctx.store, "pushed", 10, at(30_000))).toHaveLength(3);
      });

      it("with scope group, only the job's group is held back", async () => {
        const running = await createRunningJob(ctx.store, { queue: "gpush", group: "slow" });
        await ctx.store.createJobs(newJobs(2, { queue: "gpush", group: "slow" }));
        await ctx.store.createJobs(newJobs(2, { queue: "gpush", group: "fast" }));
        await ctx.store.rateLimitJob(refOf(running), { now: at(1), until: at(5_000), scope: "group" });
        expect(groupsOf(await claim(ctx.store, "gpush", 10, at(2)))).toEqual(["fast", "fast"]);
        expect(countByGroup(await claim(ctx.store, "gpush", 10, at(5_000)))).toEqual(new Map([["slow", 3]]));
      });

      it("a later, shorter push-back does not shorten an earlier one", async () => {
        const first = await createRunningJob(ctx.store, { queue: "longest" });
        const second = await createRunningJob(ctx.store, { queue: "longest" });
        await ctx.store.rateLimitJob(refOf(first), { now: at(1), until: at(10_000), scope: "queue" });
        await ctx.store.rateLimitJob(refOf(second), { now: at(2), until: at(3_000), scope: "queue" });
        expect(await claim(ctx.store, "longest", 10, at(9_999))).toEqual([]);
        expect(await claim(ctx.store, "longest", 10, at(10_000))).toHaveLength(2);
      });

      it("with scope group, a later, shorter push-back of the group does not shorten an earlier one", async () => {
        const first = await createRunningJob(ctx.store, { queue: "glongest", group: "slow" });
        const second = await createRunningJob(ctx.store, { queue: "glongest", group: "slow" });
        await ctx.store.createJobs(newJobs(2, { queue: "glongest", group: "slow", scheduledAt: at(1) }));
        await ctx.store.rateLimitJob(refOf(first), { now: at(1), until: at(10_000), scope: "group" });
        await ctx.store.rateLimitJob(refOf(second), { now: at(2), until: at(3_000), scope: "group" });
        expect(await claim(ctx.store, "glongest", 10, at(3_000))).toEqual([]);
        expect(await claim(ctx.store, "glongest", 10, at(9_999))).toEqual([]);
        expect(await claim(ctx.store, "glongest", 10, at(10_000))).toHaveLength(4);
      });

      it("a push-back keeps its milliseconds: the queue's limitedUntil and the claims it holds back", async () => {
        const running = await createRunningJob(ctx.store, { queue: "ms-pushed" });
        await ctx.store.createJobs(newJobs(2, { queue: "ms-pushed", scheduledAt: at(1) }));
        await ctx.store.rateLimitJob(refOf(running), { now: at(1), until: at(30_007), scope: "queue" });
        expect((await ctx.store.getQueue("ms-pushed"))?.limitedUntil).toEqual(at(30_007));
        expect((await ctx.store.listQueues()).find((q) => q.name === "ms-pushed")?.limitedUntil).toEqual(
          at(30_007),
        );
        expect(await claim(ctx.store, "ms-pushed", 10, at(30_006))).toEqual([]);
        expect(await claim(ctx.store, "ms-pushed", 10, at(30_007))).toHaveLength(3);
      });

      it("a push-back of a queue without stored controls gives it a record, listed by listQueues; a group push-back does not", async () => {
        const running = await createRunningJob(ctx.store, { queue: "unconfigured" });
        const again = await createRunningJob(ctx.store, { queue: "unconfigured" });
        expect(await ctx.store.getQueue("unconfigured")).toBeNull();
        await ctx.store.rateLimitJob(refOf(running), { now: at(1_001), until: at(5_000), scope: "queue" });
        // The record is made by this push-back: updated at its `now`.
        const expected = {
          name: "unconfigured",
          paused: false,
          concurrency: null,
          rateLimit: null,
          group: null,
          limitedUntil: at(5_000),
          updatedAt: at(1_001),
        };
        expect(await ctx.store.getQueue("unconfigured")).toMatchObject(expected);
        expect(await ctx.store.listQueues()).toMatchObject([expected]);
        // A later, longer push-back moves limitedUntil (whether it also moves updatedAt is the store's).
        await ctx.store.rateLimitJob(refOf(again), { now: at(2_002), until: at(6_000), scope: "queue" });
        expect((await ctx.store.getQueue("unconfigured"))?.limitedUntil).toEqual(at(6_000));
        // A group pushed back is not its queue's record.
        const grouped = await createRunningJob(ctx.store, { queue: "grouped", group: "g" });
        await ctx.store.rateLimitJob(refOf(grouped), { now: at(1), until: at(5_000), scope: "group" });
        expect(await ctx.store.getQueue("grouped")).toBeNull();
        expect((await ctx.store.listQueues()).map((queue) => queue.name)).toEqual(["unconfigured"]);
      });

      it("updateQueue with limitedUntil null lifts the push-backs of the queue and of its groups", async () => {
        const queueJob = await createRunningJob(ctx.store, { queue: "lift" });
        const groupJob = await createRunningJob(ctx.store, { queue: "lift-g", group: "slow" });
        await ctx.store.rateLimitJob(refOf(queueJob), { now: at(1), until: at(3_600_000), scope: "queue" });
        await ctx.store.rateLimitJob(refOf(groupJob), { now: at(1), until: at(3_600_000), scope: "group" });
        await ctx.store.createJobs(newJobs(2, { queue: "lift", scheduledAt: at(1) }));
        await ctx.store.createJobs(newJobs(2, { queue: "lift-g", group: "slow", scheduledAt: at(1) }));
        expect(await claim(ctx.store, "lift", 10, at(2))).toEqual([]);
        expect(await claim(ctx.store, "lift-g", 10, at(2))).toEqual([]);
        const lifted = await ctx.store.updateQueue("lift", { limitedUntil: null }, at(3));
        expect(lifted.limitedUntil).toBeNull();
        await ctx.store.updateQueue("lift-g", { limitedUntil: null }, at(3));
        // The handed-back jobs themselves still wait for their own run time; the others run now.
        expect(await claim(ctx.store, "lift", 10, at(4))).toHaveLength(2);
        expect(await claim(ctx.store, "lift-g", 10, at(4))).toHaveLength(2);
      });

      it("a ref of an attempt another worker re-claimed changes nothing, whatever its scope", async () => {
        const first = await createRunningJob(ctx.store, { queue: "reclaimed", group: "g" });
        expect(await recover(ctx.store, first.lockedUntil!)).toMatchObject({ recovered: [first.id] });
        const [second] = await claim(ctx.store, "reclaimed", 1, first.lockedUntil!, "worker-2");
        expect(second).toMatchObject({ id: first.id, attempt: 2, lockedBy: "worker-2" });
        await ctx.store.createJobs(newJobs(2, { queue: "reclaimed", group: "g" }));
        const stale = [
          refOf(first), // the attempt before
          { ...refOf(second!), lockedBy: "worker-1" }, // this attempt, another holder
          { ...refOf(second!), queue: "elsewhere" }, // this attempt and holder, another queue
        ];
        for (const ref of stale) {
          for (const scope of ["queue", "group"] as const) {
            expect(
              await ctx.store.rateLimitJob(ref, { now: at(70_000), until: at(3_600_000), scope }),
              `rateLimitJob(${JSON.stringify(ref)}, scope ${scope})`,
            ).toBe(false);
          }
        }
        expect(await mustGet(ctx.store, first.id)).toEqual(second);
        expect(await ctx.store.getQueue("reclaimed")).toBeNull();
        expect(await ctx.store.getQueue("elsewhere")).toBeNull();
        // Neither the queue nor the group was pushed back.
        expect(await claim(ctx.store, "reclaimed", 10, at(70_001))).toHaveLength(2);
      });

      it("a stale ref changes nothing", async () => {
        const running = await createRunningJob(ctx.store, { queue: "stale" });
        await ctx.store.completeJobs([refOf(running)], { now: at(1) });
        expect(
          await ctx.store.rateLimitJob(refOf(running), { now: at(2), until: at(60_000), scope: "queue" }),
        ).toBe(false);
        expect((await mustGet(ctx.store, running.id)).status).toBe("completed");
        await ctx.store.createJobs([newJob({ queue: "stale" })]);
        expect(await claim(ctx.store, "stale", 10, at(3))).toHaveLength(1);
      });
    });

    describe("createDedupedJob", () => {
      const throttle = { key: "user:42", mode: "throttle" as const, ttl: 10_000, maxWait: null };

      it("throttle: a job within the window is dropped and the window's job returned; after it, a new one", async () => {
        const first = newJob({ queue: "dd", payload: { v: 1 } });
        const created = await ctx.store.createDedupedJob(first, throttle, at(0));
        expect(created).toMatchObject({ outcome: "created", jobId: first.id });
        expect(created.job?.payload).toEqual({ v: 1 });
        const second = newJob({ queue: "dd", payload: { v: 2 } });
        const dropped = await ctx.store.createDedupedJob(second, throttle, at(9_999));
        expect(dropped.outcome).toBe("throttled");
        expect(dropped.jobId).toBe(first.id);
        expect(dropped.job?.payload).toEqual({ v: 1 });
        expect(await ctx.store.getJob(second.id)).toBeNull();
        const third = newJob({ queue: "dd", payload: { v: 3 } });
        expect(await ctx.store.createDedupedJob(third, throttle, at(10_000))).toMatchObject({
          outcome: "created",
          jobId: third.id,
        });
        expect((await ctx.store.listJobs({ queue: "dd" })).jobs.map((job) => job.id).sort()).toEqual(
          [first.id, third.id].sort(),
        );
      });

      it("throttle windows are kept per queue", async () => {
        const a = await ctx.store.createDedupedJob(newJob({ queue: "qa" }), throttle, at(0));
        const b = await ctx.store.createDedupedJob(newJob({ queue: "qb" }), throttle, at(0));
        expect([a.outcome, b.outcome]).toEqual(["created", "created"]);
      });

      it("keeps the runtime's longest window keys exactly (mode, a 200-character name and a 255-character key)", async () => {
        // The runtime stores a window under `<mode> <name> <key>`: up to 465 characters, 974 bytes.
        const key = `throttle ${"n".repeat(200)} ${"\u20AC".repeat(254)}é`;
        const long = { ...throttle, key };
        const first = newJob({ queue: "dd-long" });
        expect((await ctx.store.createDedupedJob(first, long, at(0))).outcome).toBe("created");
        const again = await ctx.store.createDedupedJob(newJob({ queue: "dd-long" }), long, at(1));
        expect(again).toMatchObject({ outcome: "throttled", jobId: first.id });
        const other = { ...throttle, key: `${key.slice(0, -1)}e` };
        const apart = await ctx.store.createDedupedJob(newJob({ queue: "dd-long" }), other, at(2));
        expect(apart.outcome).toBe("created");
      });

      it("throttle holds even after the window's job completed", async () => {
        const first = newJob({ queue: "dd-done" });
        await ctx.store.createDedupedJob(first, throttle, at(0));
        const [running] = await claim(ctx.store, "dd-done", 1, at(1));
        await ctx.store.completeJobs([refOf(running!)], { now: at(2) });
        const again = await ctx.store.createDedupedJob(newJob({ queue: "dd-done" }), throttle, at(3));
        expect(again).toMatchObject({ outcome: "throttled", jobId: first.id });
        expect(again.job?.status).toBe("completed");
      });

      it("debounce: a waiting job takes the latest payload and run time, capped by maxWait", async () => {
        const debounce = { key: "doc:7", mode: "debounce" as const, ttl: 5_000, maxWait: 12_000 };
        const first = newJob({ queue: "db", payload: { v: 1 }, status: "scheduled", scheduledAt: at(5_000) });
        expect(await ctx.store.createDedupedJob(first, debounce, at(0))).toMatchObject({
          outcome: "created",
        });
        const second = newJob({
          queue: "db",
          payload: { v: 2 },
          status: "scheduled",
          scheduledAt: at(9_000),
        });
        const folded = await ctx.store.createDedupedJob(second, debounce, at(4_000));
        expect(folded).toMatchObject({ outcome: "debounced", jobId: first.id });
        expect(folded.job).toMatchObject({
          id: first.id,
          payload: { v: 2 },
          scheduledAt: at(9_000),
          status: "scheduled",
        });
        const third = newJob({
          queue: "db",
          payload: { v: 3 },
          status: "scheduled",
          scheduledAt: at(13_000),
        });
        const capped = await ctx.store.createDedupedJob(third, debounce, at(8_000));
        expect(capped.job).toMatchObject({ id: first.id, payload: { v: 3 }, scheduledAt: at(12_000) });
        expect(await ctx.store.getJob(second.id)).toBeNull();
        expect(await ctx.store.getJob(third.id)).toBeNull();
        expect((await ctx.store.listJobs({ queue: "db" })).jobs.map((job) => job.id)).toEqual([first.id]);
        expect(await claim(ctx.store, "db", 5, at(11_999))).toEqual([]);
        expect((await claim(ctx.store, "db", 5, at(12_000))).map((job) => job.payload)).toEqual([{ v: 3 }]);
      });

      it("debounce: a job that opens a window is inserted due by now + maxWait at the latest", async () => {
        const debounce = { key: "new", mode: "debounce" as const, ttl: 5_000, maxWait: 10_005 };
        const late = newJob({ queue: "db-cap", status: "scheduled", scheduledAt: at(60_000) });
        const created = await ctx.store.createDedupedJob(late, debounce, at(1_000));
        const capped = { id: late.id, scheduledAt: at(11_005), status: "scheduled" };
        expect(created).toMatchObject({ outcome: "created", jobId: late.id, job: capped });
        expect(await mustGet(ctx.store, late.id)).toMatchObject(capped);
        expect(await claim(ctx.store, "db-cap", 5, at(11_004))).toEqual([]);
        expect(await claim(ctx.store, "db-cap", 5, at(11_005))).toHaveLength(1);
        // With maxWait 0 the job is due at once: pending, not scheduled.
        const now = { key: "now", mode: "debounce" as const, ttl: 5_000, maxWait: 0 };
        const due = newJob({ queue: "db-cap", status: "scheduled", scheduledAt: at(60_000) });
        expect((await ctx.store.createDedupedJob(due, now, at(2_000))).job).toMatchObject({
          scheduledAt: at(2_000),
          status: "pending",
        });
        expect(await mustGet(ctx.store, due.id)).toMatchObject({ scheduledAt: at(2_000), status: "pending" });
        // A job due before the cap keeps its own run time.
        const soon = newJob({ queue: "db-cap", status: "scheduled", scheduledAt: at(4_000) });
        const kept = await ctx.store.createDedupedJob(soon, { ...debounce, key: "soon" }, at(3_000));
        expect(kept.job).toMatchObject({ scheduledAt: at(4_000), status: "scheduled" });
      });

      it("debounce: once the window's job runs, the next one opens a new window", async () => {
        const debounce = { key: "k", mode: "debounce" as const, ttl: 1_000, maxWait: null };
        const first = newJob({ queue: "db2", status: "scheduled", scheduledAt: at(1_000) });
        await ctx.store.createDedupedJob(first, debounce, at(0));
        const [running] = await claim(ctx.store, "db2", 1, at(1_000));
        expect(running?.id).toBe(first.id);
        const next = newJob({ queue: "db2", status: "scheduled", scheduledAt: at(2_500) });
        expect(await ctx.store.createDedupedJob(next, debounce, at(1_500))).toMatchObject({
          outcome: "created",
          jobId: next.id,
        });
      });

      it("of concurrent callers with one key, exactly one inserts", async () => {
        const results = await Promise.all(
          Array.from({ length: 12 }, () =>
            ctx.store.createDedupedJob(newJob({ queue: "race" }), throttle, at(0)),
          ),
        );
        const created = results.filter((result) => result.outcome === "created");
        expect(created).toHaveLength(1);
        expect(new Set(results.map((result) => result.jobId))).toEqual(new Set([created[0]!.jobId]));
        expect((await ctx.store.listJobs({ queue: "race" })).jobs).toHaveLength(1);
      });
    });
  });
}
