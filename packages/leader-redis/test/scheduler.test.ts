import { createScheduler, type Logger, MemoryStore, type Scheduler } from "@sched/core";
import { afterEach, describe, expect, it } from "vitest";
import { RedisLeader } from "../src/index.js";
import { uniqueName, url, useKeyPrefix, waitFor } from "./redis.js";

const { keyPrefix, admin } = useKeyPrefix("scheduler");
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const running: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe("RedisLeader in a scheduler", () => {
  it("elects one of two instances, and hands over at once when the leader stops", async () => {
    const name = uniqueName();
    // One shared store stands in for RedisStore: the leadership is what is under test.
    const store = new MemoryStore();
    const leaders: RedisLeader[] = [];
    const make = (instanceId: string): Scheduler => {
      const leader = new RedisLeader({ url, keyPrefix, name, instanceId, ttl: "5s" });
      leaders.push(leader);
      const s = createScheduler({
        store,
        leader,
        logger: silent,
        distributed: { enabled: true, instanceId, lockTTL: "5s", lockRefresh: "200ms" },
      });
      running.push(s);
      return s;
    };
    try {
      const a = make("a");
      const b = make("b");
      await a.start();
      await b.start();
      expect(a.isLeader).toBe(true);
      expect(b.isLeader).toBe(false);

      await a.stop();
      // Released (b may already have taken it at its next renewal).
      const holder = await admin.get(leaders[0]!.keys.lease);
      expect(holder === null || holder.startsWith("b:")).toBe(true);
      // Well within the 5 s TTL: b took over because a released, not because the lease expired.
      await waitFor(() => (b.isLeader ? true : undefined), 1_000);
      expect(leaders[1]!.term).toBeGreaterThan(leaders[0]!.term);
    } finally {
      await Promise.all(running.splice(0).map((s) => s.stop()));
      await Promise.all(leaders.map((leader) => leader.close()));
    }
  });
});
