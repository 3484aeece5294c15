import type { Store } from "@sched/core";
import { describe, expect, it } from "vitest";
import { newJob, newSchedule, type StoreSuiteContext } from "./fixtures.js";

/** `epoch()`: the id of the data a store holds, so that a loss of the data is noticed (docs/architecture.md §4). */
export function describeEpoch(ctx: StoreSuiteContext): void {
  describe("epoch", () => {
    it("epoch is a non-empty string, the same on every call while the data is kept", async () => {
      const first = await ctx.store.epoch();
      expect(typeof first).toBe("string");
      expect(first.length).toBeGreaterThan(0);
      await ctx.store.createJobs([newJob()]);
      await ctx.store.saveSchedule(newSchedule("s"));
      expect(await ctx.store.epoch()).toBe(first);
    });

    it("every store instance on the same data sees the same epoch, also when they ask at once", async (test) => {
      if (ctx.openPeer === undefined) test.skip("the suite was given no openPeer");
      const peer = await (ctx.openPeer as () => Promise<Store>)();
      try {
        const seen = await Promise.all([ctx.store.epoch(), peer.epoch(), ctx.store.epoch(), peer.epoch()]);
        expect(new Set(seen).size).toBe(1);
      } finally {
        if (peer !== ctx.store) await peer.close();
      }
    });

    it("after the data is lost, epoch is a new id, then stable again", async (test) => {
      if (ctx.wipe === undefined) test.skip("the suite was given no wipe");
      const before = await ctx.store.epoch();
      await ctx.store.createJobs([newJob()]);
      await (ctx.wipe as () => Promise<void>)();
      const after = await ctx.store.epoch();
      expect(after).not.toBe(before);
      expect(await ctx.store.epoch()).toBe(after);
      expect((await ctx.store.listJobs({})).jobs).toEqual([]);
    });
  });
}
