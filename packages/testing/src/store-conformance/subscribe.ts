import type { Store } from "@sched/core";
import { describe, expect, it, type TestContext } from "vitest";
import { waitFor } from "../wait-for.js";
import { at, createJobInStatus, newJob, newSchedule, type StoreSuiteContext } from "./fixtures.js";

type Subscribe = NonNullable<Store["subscribe"]>;

/** The store's `subscribe`, or skips the test when the store has none (it is optional). */
function subscribeOf(store: Store, test: TestContext): Subscribe {
  if (store.subscribe === undefined) test.skip();
  return (store.subscribe as Subscribe).bind(store);
}

/** Records the queues a listener is called with. */
function recorder(): { queues: string[]; listener: (queue: string) => void } {
  const queues: string[] = [];
  return { queues, listener: (queue) => queues.push(queue) };
}

/** Optional push wake-ups: `subscribe` (skipped for stores without it). */
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
