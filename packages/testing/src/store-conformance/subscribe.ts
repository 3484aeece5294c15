import type { DeadLetterOptions, Store, StoreEvent } from "@sched/core";
import { describe, expect, it, type TestContext } from "vitest";
import { waitFor } from "../wait-for.js";
import { requireCapability } from "./capabilities.js";
import {
  at,
  createJobInStatus,
  createRunningJob,
  newJob,
  newSchedule,
  recover,
  refOf,
  type StoreSuiteContext,
} from "./fixtures.js";

type Subscribe = NonNullable<Store["subscribe"]>;

const DEAD_LETTER: DeadLetterOptions = { name: "letters", priority: 0, maxRetries: 1, timeout: 1_000 };

/**
 * The store's `subscribe`. Skips the test, naming the capability, when the store does not declare
 * `pushedEvents`; fails it when the store declares them but has no `subscribe`.
 */
function subscribeOf(store: Store, test: TestContext): Subscribe {
  requireCapability(store, "pushedEvents", test);
  expect(store.subscribe, "a store declaring pushedEvents implements subscribe").toBeTypeOf("function");
  return (store.subscribe as Subscribe).bind(store);
}

/** Records the queues of the `jobs` events (and the ids of `cancelled` events) a listener hears. */
function recorder(): { queues: string[]; cancelled: string[]; listener: (event: StoreEvent) => void } {
  const queues: string[] = [];
  const cancelled: string[] = [];
  return {
    queues,
    cancelled,
    listener: (event) => {
      if (event.type === "jobs") queues.push(event.queue);
      else if (event.type === "cancelled") cancelled.push(`${event.queue}/${event.id}/${event.attempt}`);
    },
  };
}

/** Pushed events: `subscribe`, run when the store declares the `pushedEvents` capability. */
export function describeSubscribe(ctx: StoreSuiteContext): void {
  describe("subscribe", () => {
    it("a subscribed listener is called with the queue after createJobs", async (test) => {
      const subscribe = subscribeOf(ctx.store, test);
      const { queues, listener } = recorder();
      const unsubscribe = subscribe(listener);
      try {
        await ctx.store.createJobs([newJob({ queue: "emails" })]);
        await waitFor(() => queues.includes("emails"), { description: "a wake-up for queue emails" });
      } finally {
        unsubscribe();
      }
    });

    it("a subscribed listener is called after a schedule tick inserts a job", async (test) => {
      const subscribe = subscribeOf(ctx.store, test);
      await ctx.store.saveSchedule(newSchedule("s"));
      const { queues, listener } = recorder();
      const unsubscribe = subscribe(listener);
      try {
        const fired = await ctx.store.fireScheduleTick({
          name: "s",
          expectedNextRunAt: at(60_000),
          nextRunAt: at(120_000),
          firedAt: at(60_000),
          jobs: [newJob({ queue: "ticks", scheduledAt: at(60_000) })],
        });
        expect(fired.fired).toBe(true);
        await waitFor(() => queues.includes("ticks"), { description: "a wake-up for queue ticks" });
      } finally {
        unsubscribe();
      }
    });

    it("a subscribed listener is called after requeueJob", async (test) => {
      const subscribe = subscribeOf(ctx.store, test);
      const dead = await createJobInStatus(ctx.store, "dead", "requeued");
      const { queues, listener } = recorder();
      const unsubscribe = subscribe(listener);
      try {
        await ctx.store.requeueJob(dead.id, at(10));
        await waitFor(() => queues.includes("requeued"), { description: "a wake-up for queue requeued" });
      } finally {
        unsubscribe();
      }
    });

    it("a subscribed listener hears jobs released to the queue, retried and recovered", async (test) => {
      const subscribe = subscribeOf(ctx.store, test);
      const released = await createRunningJob(ctx.store, { queue: "released" });
      const retried = await createRunningJob(ctx.store, { queue: "retried" });
      const recovered = await createRunningJob(ctx.store, { queue: "recovered" });
      const { queues, listener } = recorder();
      const unsubscribe = subscribe(listener);
      try {
        await ctx.store.releaseJobs([refOf(released)], { now: at(1) });
        await ctx.store.failJob(refOf(retried), { now: at(1), error: "x", retryAt: at(2) });
        await recover(ctx.store, recovered.lockedUntil!);
        await waitFor(() => ["released", "retried", "recovered"].every((q) => queues.includes(q)), {
          description: "wake-ups for queues released, retried and recovered",
        });
      } finally {
        unsubscribe();
      }
    });

    it("retryJobs sends a jobs event for each queue that got jobs back", async (test) => {
      const subscribe = subscribeOf(ctx.store, test);
      await createJobInStatus(ctx.store, "dead", "retry-a");
      await createJobInStatus(ctx.store, "cancelled", "retry-b");
      await createJobInStatus(ctx.store, "dead", "retry-c");
      const { queues, listener } = recorder();
      const unsubscribe = subscribe(listener);
      try {
        expect(await ctx.store.retryJobs({}, at(10))).toBe(3);
        await waitFor(() => ["retry-a", "retry-b", "retry-c"].every((queue) => queues.includes(queue)), {
          description: "wake-ups for queues retry-a, retry-b and retry-c",
        });
      } finally {
        unsubscribe();
      }
    });

    it("a dead-letter job inserted with a death (failJob, recoverExpiredLeases) sends a jobs event for its queue", async (test) => {
      const subscribe = subscribeOf(ctx.store, test);
      const failing = await createRunningJob(ctx.store, { queue: "letters-fail" });
      const expiring = await createRunningJob(ctx.store, { queue: "letters-recover" });
      const { queues, listener } = recorder();
      const unsubscribe = subscribe(listener);
      try {
        await ctx.store.failJob(refOf(failing), {
          now: at(1),
          error: "fatal",
          retryAt: null,
          deadLetter: DEAD_LETTER,
        });
        // Made dead, not recovered: the only job of the queue left waiting is the dead letter.
        const { dead, recovered } = await recover(ctx.store, expiring.lockedUntil!, 100, {
          maxLostLeases: 0,
          deadLetter: DEAD_LETTER,
        });
        expect({ dead: dead.map((job) => job.id), recovered }).toEqual({
          dead: [expiring.id],
          recovered: [],
        });
        await waitFor(() => queues.includes("letters-fail") && queues.includes("letters-recover"), {
          description: "wake-ups for the dead letters' queues letters-fail and letters-recover",
        });
      } finally {
        unsubscribe();
      }
    });

    it("a subscribed listener hears the cancel of a running job, with its id and queue", async (test) => {
      const subscribe = subscribeOf(ctx.store, test);
      const waiting = await createJobInStatus(ctx.store, "pending", "waiting");
      const running = await createRunningJob(ctx.store, { queue: "busy" });
      const { cancelled, listener } = recorder();
      const unsubscribe = subscribe(listener);
      try {
        await ctx.store.cancelJob(waiting.id, at(1));
        await ctx.store.cancelJob(running.id, at(1));
        await waitFor(() => cancelled.includes(`busy/${running.id}/1`), { description: "the cancel event" });
        // Only running jobs have a handler to abort; the event names the attempt that ran.
        expect(cancelled).toEqual([`busy/${running.id}/1`]);
      } finally {
        unsubscribe();
      }
    });

    it("every subscriber of every store instance on the same data hears each event", async (test) => {
      const subscribe = subscribeOf(ctx.store, test);
      if (ctx.openPeer === undefined) test.skip("the suite was given no openPeer");
      const other = await (ctx.openPeer as () => Promise<Store>)();
      try {
        const subscribeOther = subscribeOf(other, test);
        const here = [recorder(), recorder()];
        const there = [recorder(), recorder()];
        const unsubscribes = [
          ...here.map((r) => subscribe(r.listener)),
          ...there.map((r) => subscribeOther(r.listener)),
        ];
        try {
          // Give push connections a moment to be in place (a store may subscribe asynchronously).
          await waitFor(
            async () => {
              await ctx.store.createJobs([newJob({ queue: "probe" })]);
              return there.every((r) => r.queues.includes("probe"));
            },
            { description: "the other store's subscribers to hear a probe", interval: "100ms" },
          );
          await other.createJobs([newJob({ queue: "shared" })]);
          await waitFor(() => [...here, ...there].every((r) => r.queues.includes("shared")), {
            description: "every subscriber to hear queue shared",
          });
        } finally {
          for (const unsubscribe of unsubscribes) unsubscribe();
        }
      } finally {
        if (other !== ctx.store) await other.close();
      }
    });

    it("after subscribe(), whatever another instance changes once a call of this store has returned is heard", async (test) => {
      const subscribe = subscribeOf(ctx.store, test);
      if (ctx.openPeer === undefined) test.skip("the suite was given no openPeer");
      const other = await (ctx.openPeer as () => Promise<Store>)();
      try {
        // Each round subscribes anew (a first subscriber opens the push connection, which may
        // take longer than a call: a store that has just subscribed must not answer before it
        // can hear), then another instance enqueues and cancels a running job.
        for (let round = 0; round < 3; round++) {
          const running = await createRunningJob(ctx.store, { queue: `running-${round}` });
          const { queues, cancelled, listener } = recorder();
          const unsubscribe = subscribe(listener);
          try {
            // The call a scheduler makes first: a claim, here of nothing.
            expect(await ctx.store.getJob(`none-${round}`)).toBeNull();
            await other.createJobs([newJob({ queue: `later-${round}` })]);
            await other.cancelJob(running.id, at(1));
            await waitFor(
              () =>
                queues.includes(`later-${round}`) &&
                cancelled.includes(`running-${round}/${running.id}/${running.attempt}`),
              {
                description: `round ${round}: the other instance's enqueue and cancel to be heard`,
                timeout: "5s",
              },
            );
          } finally {
            unsubscribe();
          }
        }
      } finally {
        if (other !== ctx.store) await other.close();
      }
    });

    it("an unsubscribed listener is no longer called", async (test) => {
      const subscribe = subscribeOf(ctx.store, test);
      const first = recorder();
      const second = recorder();
      subscribe(first.listener)();
      const unsubscribe = subscribe(second.listener);
      try {
        await ctx.store.createJobs([newJob({ queue: "after" })]);
        // Once the listener still subscribed has heard of the job, the other one would have too.
        await waitFor(() => second.queues.includes("after"), { description: "a wake-up for queue after" });
        expect(first.queues).toEqual([]);
      } finally {
        unsubscribe();
      }
    });
  });
}
