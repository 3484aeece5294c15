import { randomUUID } from "node:crypto";
import type { Leader } from "@sched/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type LeaderFactoryOptions,
  type LeaderFailureHooks,
  leaderFailureScenarios,
} from "./leader-failure-scenarios.js";

export type { LeaderFactoryOptions } from "./leader-failure-scenarios.js";

import { type RecordingLogger, recordingLogger } from "./recording-logger.js";

/** Options of {@link leaderConformance}. */
export interface LeaderConformanceOptions<L extends Leader = Leader> {
  /** The lease TTL the tests use, in milliseconds (default 400). Tests wait for multiples of it. */
  ttlMs?: number;
  /**
   * What the backend provides to cause failures (cut or kill connections, stall answers, steal the
   * lease, refuse connections). A failure scenario whose hook is missing is reported as skipped,
   * with the hook named.
   */
  failures?: LeaderFailureHooks<L>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Defines the conformance suite of the {@link Leader} contract as a vitest `describe` block named
 * `"<name> leader conformance"`. The lease TTL is judged by the backend's clock, so the suite uses
 * a short real TTL and real waits (each test takes at most about three TTLs).
 *
 * `factory` is called for every leader a test needs; leaders made with the same `namespace`
 * compete for the same lease; pass `logger` on to the leader. Every leader is released and closed
 * after its test.
 *
 * The failure scenarios (a cut or killed connection, a backend that stalls, a lease taken by
 * another holder, a refused connection, throttled failure logs, taking back its own lease after
 * stepping down) run with the hooks given as `options.failures`; each one whose hook is missing is
 * reported as skipped, naming the hook.
 *
 * @example
 * ```ts
 * import { leaderConformance } from "@sched/testing/conformance";
 * import { MemoryLeader, MemoryLeaderGroup } from "@sched/core";
 *
 * const groups = new Map<string, MemoryLeaderGroup>();
 * leaderConformance("MemoryLeader", ({ instanceId, ttlMs, namespace }) => {
 *   if (!groups.has(namespace)) groups.set(namespace, new MemoryLeaderGroup());
 *   return new MemoryLeader({ instanceId, ttl: ttlMs, group: groups.get(namespace) });
 * });
 * ```
 */
export function leaderConformance<L extends Leader>(
  name: string,
  factory: (options: LeaderFactoryOptions) => Promise<L> | L,
  options: LeaderConformanceOptions<L> = {},
): void {
  const ttlMs = options.ttlMs ?? 400;
  // Generous enough for a backend round trip, well below the TTL.
  const margin = Math.max(50, Math.round(ttlMs / 4));

  describe(`${name} leader conformance`, () => {
    let namespace = "";
    let leaders: L[] = [];

    const make = async (
      instanceId: string,
      made: { ttlMs?: number; logger?: RecordingLogger } = {},
    ): Promise<L> => {
      const leader = await factory({
        instanceId,
        ttlMs: made.ttlMs ?? ttlMs,
        namespace,
        logger: made.logger ?? recordingLogger(),
      });
      leaders.push(leader);
      return leader;
    };

    beforeEach(() => {
      namespace = `sched-conformance-${randomUUID()}`;
      leaders = [];
    });

    afterEach(async () => {
      for (const leader of leaders) {
        // A leader the test already closed may refuse to release; closing is what matters here.
        await leader.release().catch(() => undefined);
        await leader.close?.();
      }
    });

    it("reports its instanceId and term 0 before its first leadership", async () => {
      const leader = await make("instance-a");
      expect(leader.instanceId).toBe("instance-a");
      expect(leader.term).toBe(0);
      expect(leader.isLeader()).toBe(false);
    });

    it("only one of two acquirers leads", async () => {
      const a = await make("instance-a");
      const b = await make("instance-b");
      expect(await a.acquire()).toBe(true);
      expect(await b.acquire()).toBe(false);
      expect(a.isLeader()).toBe(true);
      expect(b.isLeader()).toBe(false);
      expect(a.term).toBeGreaterThan(0);
    });

    it("of five concurrent acquirers exactly one leads", async () => {
      const all = await Promise.all(["a", "b", "c", "d", "e"].map((id) => make(`instance-${id}`)));
      const acquired = await Promise.all(all.map((leader) => leader.acquire()));
      expect(acquired.filter(Boolean)).toHaveLength(1);
      expect(all.filter((leader) => leader.isLeader())).toHaveLength(1);
      // Losers keep losing while the lease is held.
      const again = await Promise.all(all.map((leader) => leader.acquire()));
      expect(again).toEqual(acquired);
    });

    it("acquire renews the lease of the holder, keeping its term", async () => {
      const a = await make("instance-a");
      const b = await make("instance-b");
      expect(await a.acquire()).toBe(true);
      const term = a.term;
      await sleep(Math.round(ttlMs * 0.6));
      expect(await a.acquire()).toBe(true);
      await sleep(Math.round(ttlMs * 0.6));
      // Past the first lease's TTL, but within the renewed one.
      expect(a.isLeader()).toBe(true);
      expect(await b.acquire()).toBe(false);
      expect(a.term).toBe(term);
    });

    it("a holder that stops renewing stops leading by the TTL, judged locally", async () => {
      const a = await make("instance-a");
      expect(await a.acquire()).toBe(true);
      await sleep(ttlMs + margin);
      expect(a.isLeader()).toBe(false);
    });

    it("another instance acquires after the TTL, with a strictly higher term", async () => {
      const a = await make("instance-a");
      const b = await make("instance-b");
      expect(await a.acquire()).toBe(true);
      expect(await b.acquire()).toBe(false);
      await sleep(ttlMs + margin);
      expect(await b.acquire()).toBe(true);
      expect(b.term).toBeGreaterThan(a.term);
      expect(a.isLeader()).toBe(false);
      expect(await a.acquire()).toBe(false);
    });

    it("release lets another instance acquire at once", async () => {
      const a = await make("instance-a");
      const b = await make("instance-b");
      expect(await a.acquire()).toBe(true);
      await a.release();
      expect(a.isLeader()).toBe(false);
      expect(await b.acquire()).toBe(true);
      expect(b.term).toBeGreaterThan(a.term);
    });

    it("release by an instance that does not lead leaves the holder leading", async () => {
      const a = await make("instance-a");
      const b = await make("instance-b");
      expect(await a.acquire()).toBe(true);
      await b.release();
      expect(a.isLeader()).toBe(true);
      expect(await a.acquire()).toBe(true);
      expect(await b.acquire()).toBe(false);
    });

    it("terms strictly increase across leaderships", async () => {
      const a = await make("instance-a");
      const b = await make("instance-b");
      const terms: number[] = [];
      for (const leader of [a, b, a, b]) {
        expect(await leader.acquire()).toBe(true);
        terms.push(leader.term);
        await leader.release();
      }
      for (let i = 1; i < terms.length; i++) expect(terms[i]!).toBeGreaterThan(terms[i - 1]!);
    });

    it("onLeaderChange reports gain and loss with the term, and its unsubscribe works", async () => {
      const a = await make("instance-a");
      const changes: Array<[boolean, number]> = [];
      const unsubscribe = a.onLeaderChange((isLeader, term) => changes.push([isLeader, term]));
      expect(await a.acquire()).toBe(true);
      expect(await a.acquire()).toBe(true);
      const term = a.term;
      expect(changes).toEqual([[true, term]]);
      await a.release();
      expect(changes).toEqual([
        [true, term],
        [false, term],
      ]);
      unsubscribe();
      expect(await a.acquire()).toBe(true);
      await a.release();
      expect(changes).toHaveLength(2);
    });

    it("onLeaderChange reports the loss of a lease taken over after the TTL", async () => {
      const a = await make("instance-a");
      const b = await make("instance-b");
      const changes: boolean[] = [];
      a.onLeaderChange((isLeader) => changes.push(isLeader));
      expect(await a.acquire()).toBe(true);
      await sleep(ttlMs + margin);
      expect(await b.acquire()).toBe(true);
      expect(await a.acquire()).toBe(false);
      expect(changes).toEqual([true, false]);
    });

    it("a listener that throws does not break leadership changes", async () => {
      const a = await make("instance-a");
      const seen: boolean[] = [];
      a.onLeaderChange(() => {
        throw new Error("listener failure");
      });
      a.onLeaderChange((isLeader) => seen.push(isLeader));
      expect(await a.acquire()).toBe(true);
      await a.release();
      expect(seen).toEqual([true, false]);
    });

    it("another process with the same instance id can neither take nor free the lease", async () => {
      const first = await make("same");
      const second = await make("same");
      expect(await first.acquire()).toBe(true);
      expect(await second.acquire()).toBe(false);
      await second.release();
      expect(await first.acquire()).toBe(true);
      expect(first.isLeader()).toBe(true);
      expect(await second.acquire()).toBe(false);
      expect(second.isLeader()).toBe(false);
    });

    it("close can be called more than once", async () => {
      const a = await make("instance-a");
      expect(await a.acquire()).toBe(true);
      await a.close?.();
      await a.close?.();
    });

    leaderFailureScenarios({
      hooks: options.failures ?? {},
      ttlMs,
      margin,
      namespace: () => namespace,
      make,
      track: (leader) => {
        leaders.push(leader);
        return leader;
      },
    });
  });
}
