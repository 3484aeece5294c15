import { describe, expect, it } from "vitest";
import { MemoryLeader, MemoryLeaderGroup } from "../src/memory/index.js";
import type { Clock } from "../src/time/clock.js";

/** A clock that only moves when told to (core cannot use @sched/testing, which depends on it). */
function fakeClock(start = Date.UTC(2030, 0, 1)): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    setTimeout: () => {
      throw new Error("MemoryLeader must not set timers");
    },
    clearTimeout: () => {},
    advance(ms: number) {
      now += ms;
    },
  };
}

function pair(ttl = 1_000) {
  const clock = fakeClock();
  const group = new MemoryLeaderGroup();
  const a = new MemoryLeader({ instanceId: "a", ttl, clock, group });
  const b = new MemoryLeader({ instanceId: "b", ttl, clock, group });
  return { clock, group, a, b };
}

describe("MemoryLeader", () => {
  it("the first acquirer leads with term 1 and renewals keep the term", async () => {
    const { a, b, group, clock } = pair();
    expect(a.term).toBe(0);
    expect(await a.acquire()).toBe(true);
    expect(a.term).toBe(1);
    expect(await b.acquire()).toBe(false);
    expect(b.term).toBe(0);
    clock.advance(900);
    expect(await a.acquire()).toBe(true);
    clock.advance(900);
    expect(a.isLeader()).toBe(true);
    expect(a.term).toBe(1);
    expect(group.holderOf("scheduler", clock.now())).toBe("a");
    expect(group.termOf("scheduler")).toBe(1);
  });

  it("the lease lapses exactly ttl after the last renewal, without any call", async () => {
    const { a, b, clock, group } = pair();
    const changes: Array<[boolean, number]> = [];
    a.onLeaderChange((isLeader, term) => changes.push([isLeader, term]));
    await a.acquire();
    clock.advance(999);
    expect(a.isLeader()).toBe(true);
    clock.advance(1);
    expect(group.holderOf("scheduler", clock.now())).toBeNull();
    expect(a.isLeader()).toBe(false);
    expect(a.isLeader()).toBe(false);
    expect(changes).toEqual([
      [true, 1],
      [false, 1],
    ]);
    expect(await b.acquire()).toBe(true);
    expect(b.term).toBe(2);
  });

  it("re-acquiring its own lapsed lease is a new leadership with a higher term", async () => {
    const { a, clock } = pair();
    const changes: boolean[] = [];
    a.onLeaderChange((isLeader) => changes.push(isLeader));
    await a.acquire();
    clock.advance(5_000);
    expect(await a.acquire()).toBe(true);
    expect(a.term).toBe(2);
    expect(changes).toEqual([true, false, true]);
  });

  it("release frees the lease at once and tells listeners", async () => {
    const { a, b } = pair();
    const changes: boolean[] = [];
    a.onLeaderChange((isLeader) => changes.push(isLeader));
    await a.acquire();
    await a.release();
    await a.release();
    expect(changes).toEqual([true, false]);
    expect(await b.acquire()).toBe(true);
    expect(b.term).toBe(2);
    await a.release();
    expect(b.isLeader()).toBe(true);
  });

  it("a listener that throws does not stop leadership changes or other listeners", async () => {
    const { a } = pair();
    const seen: boolean[] = [];
    a.onLeaderChange(() => {
      throw new Error("listener failure");
    });
    const unsubscribe = a.onLeaderChange((isLeader) => seen.push(isLeader));
    expect(await a.acquire()).toBe(true);
    unsubscribe();
    await a.release();
    expect(seen).toEqual([true]);
  });

  it("leaders without a group share the process-wide group per name", async () => {
    const name = `shared-${Math.random()}`;
    const a = new MemoryLeader({ name });
    const b = new MemoryLeader({ name });
    const other = new MemoryLeader({ name: `${name}-other` });
    try {
      expect(await a.acquire()).toBe(true);
      expect(await b.acquire()).toBe(false);
      expect(await other.acquire()).toBe(true);
      expect(MemoryLeaderGroup.shared.holderOf(name, Date.now())).toBe(a.instanceId);
      expect(a.instanceId).toMatch(/^memory-/);
      expect(a.instanceId).not.toBe(b.instanceId);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  it("the ttl defaults to 30s and accepts duration strings", async () => {
    const clock = fakeClock();
    const group = new MemoryLeaderGroup();
    const byDefault = new MemoryLeader({ clock, group, name: "x" });
    const short = new MemoryLeader({ clock, group, name: "y", ttl: "1m30s" });
    await byDefault.acquire();
    await short.acquire();
    clock.advance(29_999);
    expect(byDefault.isLeader()).toBe(true);
    clock.advance(1);
    expect(byDefault.isLeader()).toBe(false);
    clock.advance(60_000);
    expect(short.isLeader()).toBe(false);
  });

  it("rejects a ttl that is not a positive duration", () => {
    expect(() => new MemoryLeader({ ttl: 0 })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", field: "ttl" }),
    );
    expect(() => new MemoryLeader({ ttl: "soon" as never })).toThrow(
      expect.objectContaining({ field: "ttl" }),
    );
  });

  it("close releases the lease, is idempotent, and a closed leader never leads again", async () => {
    const { a, b } = pair();
    await a.acquire();
    await a.close();
    await a.close();
    expect(a.isLeader()).toBe(false);
    expect(await b.acquire()).toBe(true);
    await b.release();
    expect(await a.acquire()).toBe(false);
  });
});
