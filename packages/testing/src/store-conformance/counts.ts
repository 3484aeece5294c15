import type { DeadLetterOptions, Job, Stats, Store } from "@sched/core";
import { describe, expect, it } from "vitest";
import {
  at,
  claimAt,
  failBeyond,
  newJob,
  newJobs,
  newSchedule,
  recover,
  refOf,
  type StoreSuiteContext,
} from "./fixtures.js";

type Counts = Omit<Stats, "byQueue">;

const DEAD_LETTER: DeadLetterOptions = { name: "letters", priority: 0, maxRetries: 1, timeout: 1_000 };

function zero(): Counts {
  return { pending: 0, scheduled: 0, running: 0, completed: 0, failed: 0, dead: 0, cancelled: 0 };
}

/** The counts of the stored jobs, overall and per queue, from every page of `listJobs`. */
async function countsOfJobs(store: Store): Promise<{ overall: Counts; byQueue: Map<string, Counts> }> {
  const overall = zero();
  const byQueue = new Map<string, Counts>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    // No test here stores 100,000 jobs: a cursor that never ends must fail, not loop forever.
    failBeyond(++pages, 100, "pages of listJobs({ limit: 1000 }) with a nextCursor");
    const page = await store.listJobs({ limit: 1_000, cursor });
    for (const job of page.jobs) {
      overall[job.status] += 1;
      const queue = byQueue.get(job.queue) ?? zero();
      queue[job.status] += 1;
      byQueue.set(job.queue, queue);
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
  return { overall, byQueue };
}

/**
 * Fails unless `stats()` equals the stored jobs' own counts, overall and for every queue (a queue
 * `stats()` leaves out counts zero). `step` names the write just made, for the failure message.
 */
async function expectCountsOfJobs(store: Store, step: string): Promise<void> {
  const stats = await store.stats();
  const jobs = await countsOfJobs(store);
  const { byQueue: shown = {}, ...overall } = stats;
  expect(overall, `overall counts after ${step}`).toEqual(jobs.overall);
  for (const queue of new Set([...Object.keys(shown), ...jobs.byQueue.keys()])) {
    expect(shown[queue] ?? zero(), `counts of queue ${queue} after ${step}`).toEqual(
      jobs.byQueue.get(queue) ?? zero(),
    );
  }
}

/** `stats()` after every kind of write, and under writers racing over the same jobs. */
export function describeCounts(ctx: StoreSuiteContext): void {
  describe("counts", () => {
    it("stats equal the stored jobs' counts after every kind of write", async () => {
      const { store } = ctx;
      const later = at(3_600_000);
      await store.createJobs([
        ...newJobs(4, { queue: "k1" }),
        newJob({ queue: "k1", status: "scheduled", scheduledAt: later }),
        newJob({ queue: "k2" }),
        newJob({ queue: "k2", status: "scheduled", scheduledAt: later }),
      ]);
      await expectCountsOfJobs(store, "a batch over two queues and two statuses");
      const [keyed] = await store.createJobs([newJob({ queue: "k2", uniqueKey: "u" })]);
      await expectCountsOfJobs(store, "a single insert");

      const debounce = { key: "d", mode: "debounce", ttl: 60_000, maxWait: null } as const;
      await store.createDedupedJob(
        newJob({ queue: "k1", status: "scheduled", scheduledAt: later }),
        debounce,
        at(0),
      );
      await expectCountsOfJobs(store, "a deduplicated insert");
      await store.createDedupedJob(newJob({ queue: "k1", scheduledAt: at(0) }), debounce, at(0));
      await expectCountsOfJobs(store, "a debounce that made the waiting job due");
      const throttle = { key: "t", mode: "throttle", ttl: 60_000, maxWait: null } as const;
      await store.createDedupedJob(newJob({ queue: "k2" }), throttle, at(0));
      await store.createDedupedJob(newJob({ queue: "k2" }), throttle, at(1));
      await expectCountsOfJobs(store, "a throttled insert and a throttled drop");

      const claimed = await store.claimDueJobs(claimAt(at(0), { limit: 7 }));
      expect(claimed).toHaveLength(7);
      await expectCountsOfJobs(store, "a claim");
      const [c0, c1, c2, c3, c4, c5, c6] = claimed as [Job, Job, Job, Job, Job, Job, Job];
      await store.completeJobs([refOf(c0)], { now: at(1) });
      await store.completeJobs([refOf(c1), { ...refOf(c2), attempt: 99 }], {
        now: at(1),
        removeOnComplete: true,
      });
      await expectCountsOfJobs(store, "completions, one removed and one of a stale attempt");
      await store.failJob(refOf(c2), { now: at(2), error: "boom", retryAt: at(10) });
      await store.failJob(refOf(c3), { now: at(2), error: "boom", retryAt: null, deadLetter: DEAD_LETTER });
      await expectCountsOfJobs(store, "a failure with a retry and a death with a dead letter");
      await store.releaseJobs([refOf(c4)], { now: at(3) });
      await expectCountsOfJobs(store, "a release");
      await store.rateLimitJob(refOf(c5), { now: at(3), until: at(15), scope: "queue" });
      await expectCountsOfJobs(store, "a push-back");
      await store.cancelJob(c6.id, at(4));
      await expectCountsOfJobs(store, "a cancel of a running job");

      const running = await store.claimDueJobs(claimAt(at(20), { limit: 3, queues: ["k1", "k2"] }));
      expect(running.length).toBeGreaterThan(0);
      await expectCountsOfJobs(store, "a claim of a failed job among others");
      await recover(store, at(70_000), 1);
      await expectCountsOfJobs(store, "a lease recovery back to pending");
      await recover(store, at(70_000), 100, { maxLostLeases: 0, deadLetter: DEAD_LETTER });
      await expectCountsOfJobs(store, "lease recoveries into death, with dead letters");

      const [scheduled] = (await store.listJobs({ status: "scheduled" })).jobs;
      expect((await store.promoteJob(scheduled!.id, at(5)))?.status).toBe("pending");
      await expectCountsOfJobs(store, "a promotion");
      const [pending] = (await store.listJobs({ status: "pending" })).jobs;
      await store.cancelJob(pending!.id, at(6));
      await store.cancelJob(keyed!.id, at(6));
      await expectCountsOfJobs(store, "cancels of a waiting job and of the keyed job");
      const [cancelled] = (await store.listJobs({ status: "cancelled" })).jobs;
      expect((await store.requeueJob(cancelled!.id, at(7)))?.requeued).toBe(true);
      await expectCountsOfJobs(store, "a requeue");
      await store.retryJobs({}, at(8));
      await expectCountsOfJobs(store, "a retry of every dead and cancelled job, keyed and unkeyed");

      await store.saveSchedule(newSchedule("tick"));
      await store.fireScheduleTick({
        name: "tick",
        expectedNextRunAt: at(60_000),
        nextRunAt: at(120_000),
        firedAt: at(60_000),
        jobs: [
          newJob({ queue: "k3", scheduledAt: at(60_000) }),
          newJob({ queue: "k1", scheduledAt: at(60_000) }),
        ],
      });
      await expectCountsOfJobs(store, "a schedule tick");

      const done = await store.claimDueJobs(claimAt(at(100_000), { limit: 4 }));
      await store.completeJobs(done.slice(0, 2).map(refOf), { now: at(100_001) });
      if (done[2] !== undefined)
        await store.failJob(refOf(done[2]), { now: at(100_001), error: "boom", retryAt: null });
      await expectCountsOfJobs(store, "completions and a death");
      await store.deleteJobs({ queue: "k2" });
      await expectCountsOfJobs(store, "a deletion by selector over several statuses");
      const some = (await store.listJobs({ status: "pending" })).jobs;
      if (some[0] !== undefined) await store.deleteJob(some[0].id);
      await expectCountsOfJobs(store, "a deletion of one job");
      const far = at(100_000_000_000);
      await store.cleanup({ completedBefore: far, deadBefore: far, cancelledBefore: far });
      await expectCountsOfJobs(store, "a cleanup");
      await store.retryJobs({ status: "dead" }, at(9));
      await store.deleteJobs({});
      await expectCountsOfJobs(store, "a deletion of every job that is not running");
    });

    it("queues named like Object.prototype's members are counted as their own entries", async () => {
      // Queue names a plain object would resolve to its prototype: counting them by assignment
      // into `{}` changed the prototype of every object of the process, or read inherited members.
      const { store } = ctx;
      const names = ["__proto__", "constructor", "toString", "hasOwnProperty"];
      await store.createJobs([
        ...names.map((queue) => newJob({ queue })),
        newJob({ queue: "__proto__", status: "scheduled", scheduledAt: at(3_600_000) }),
      ]);
      const stats = await store.stats();
      const byQueue = stats.byQueue ?? {};
      expect(Object.keys(byQueue).sort()).toEqual([...names].sort());
      for (const queue of names) {
        expect(Object.hasOwn(byQueue, queue), `an own entry for queue ${queue}`).toBe(true);
        const expected = { ...zero(), pending: 1, scheduled: queue === "__proto__" ? 1 : 0 };
        expect({ ...Object.getOwnPropertyDescriptor(byQueue, queue)?.value }).toEqual(expected);
      }
      expect(stats.pending).toBe(4);
      expect(stats.scheduled).toBe(1);
      // Nothing reached Object.prototype.
      expect(Object.keys(Object.prototype)).toEqual([]);
      expect(({} as Record<string, unknown>).pending).toBeUndefined();
    });

    it("stats stay exact while two instances race over the same jobs", async () => {
      const here = ctx.store;
      const there = ctx.openPeer === undefined ? here : await ctx.openPeer();
      try {
        const queues = ["r0", "r1", "r2"];
        await here.createJobs(
          Array.from({ length: 120 }, (_, i) =>
            newJob({
              queue: queues[i % 3] as string,
              ...(i % 4 === 0 ? { status: "scheduled" as const, scheduledAt: at(50) } : {}),
            }),
          ),
        );
        const worker = async (store: Store, name: string, round: number): Promise<void> => {
          const now = at(100 + round);
          const claimed = await store.claimDueJobs(claimAt(now, { limit: 7, workerId: name }));
          const [first, second, third, ...rest] = claimed;
          if (first !== undefined) await store.failJob(refOf(first), { now, error: "x", retryAt: null });
          if (second !== undefined)
            await store.failJob(refOf(second), { now, error: "x", retryAt: at(100 + round + 1) });
          if (third !== undefined) await store.cancelJob(third.id, now);
          await store.completeJobs(rest.map(refOf), { now, removeOnComplete: round % 2 === 0 });
          const waiting = (await store.listJobs({ status: ["pending", "scheduled"], limit: 3 })).jobs;
          for (const job of waiting) {
            if (round % 3 === 0) await store.cancelJob(job.id, now);
            else if (round % 3 === 1) await store.deleteJob(job.id);
            else await store.promoteJob(job.id, now);
          }
          if (round % 4 === 0) await store.retryJobs({ queue: queues[round % 3] }, now);
          if (round % 5 === 0)
            await store.deleteJobs({ status: "completed", queue: queues[(round + 1) % 3] });
        };
        await Promise.all(
          [here, there, here, there].map(async (store, index) => {
            for (let round = 0; round < 12; round += 1) await worker(store, `w${index}`, round);
          }),
        );
        await expectCountsOfJobs(here, "the race");
        if (there !== here) await expectCountsOfJobs(there, "the race, read by the other instance");
      } finally {
        if (there !== here) await there.close();
      }
    });
  });
}
