import { randomUUID } from "node:crypto";
import { createScheduler, type Leader, MemoryStore, type Scheduler } from "@sched/core";
import { describe, expect, it } from "vitest";
import type { LeaderFactoryOptions } from "./leader-failure-scenarios.js";
import { recordingLogger } from "./recording-logger.js";
import { waitFor } from "./wait-for.js";

/** Options of {@link leaderSchedulerScenarios}. */
export interface LeaderSchedulerScenariosOptions<L extends Leader = Leader> {
  /**
   * Reads on the backend who holds the lease of `namespace`: the holder's instance id, or `null`
   * when the lease is free. `leader` is one of the leaders the factory made for it. When given,
   * the scenario also checks that a leader's lease is released by the time its scheduler's
   * `stop()` resolves.
   */
  leaseHolder?: (namespace: string, leader: L) => Promise<string | null> | string | null;
}

/** The lease TTL of the scenarios: long enough that only a release can explain a quick handover. */
const TTL_MS = 5_000;

/**
 * Two schedulers with leaders from `factory` for one `namespace`, on one shared `MemoryStore`:
 * the first to start leads, and when it stops the other leads well within the TTL, with a higher
 * term. Closes what it made.
 */
export async function handoverScenario<L extends Leader>(
  factory: (options: LeaderFactoryOptions) => Promise<L> | L,
  namespace: string,
  options: LeaderSchedulerScenariosOptions<L> = {},
): Promise<void> {
  // One shared store stands in for the backend's store: the leadership is what is under test.
  const store = new MemoryStore();
  const leaders: L[] = [];
  const schedulers: Scheduler[] = [];
  const make = async (instanceId: string): Promise<Scheduler> => {
    const leader = await factory({ instanceId, ttlMs: TTL_MS, namespace, logger: recordingLogger() });
    leaders.push(leader);
    const scheduler = createScheduler({
      store,
      leader,
      logger: recordingLogger(),
      distributed: { enabled: true, instanceId, lockTTL: TTL_MS, lockRefresh: "200ms" },
    });
    schedulers.push(scheduler);
    return scheduler;
  };
  try {
    const a = await make("a");
    const b = await make("b");
    await a.start();
    await b.start();
    expect(a.isLeader).toBe(true);
    expect(b.isLeader).toBe(false);

    await a.stop();
    if (options.leaseHolder) {
      // Released (b may already have taken it at its next renewal).
      expect([null, "b"]).toContain(await options.leaseHolder(namespace, leaders[0]!));
    }
    // Well within the TTL: b took over because a released, not because the lease expired.
    await waitFor(() => b.isLeader, { timeout: "1s", description: "b to lead after a stopped" });
    expect(leaders[1]!.term).toBeGreaterThan(leaders[0]!.term);
  } finally {
    await Promise.all(schedulers.map((scheduler) => scheduler.stop()));
    await Promise.all(leaders.map((leader) => leader.close?.()));
  }
}

/**
 * Defines scenarios of a {@link Leader} adapter driving real schedulers, as a vitest `describe`
 * block named `"<name> in a scheduler"`: of two instances started one after the other, the first
 * leads; when it stops, it releases the lease and the second leads at once (well within the
 * 5-second TTL), with a higher term.
 *
 * `factory` receives `{ instanceId, ttlMs, namespace }`, as for {@link leaderConformance}:
 * leaders made with the same `namespace` must compete for the same lease (use it as the lease's
 * name, key or row). The jobs live in a shared `MemoryStore`. Every leader is closed after its test.
 *
 * @example
 * ```ts
 * import { leaderSchedulerScenarios } from "@sched/testing/conformance";
 * import { PostgresLeader } from "@sched/leader-postgres";
 *
 * leaderSchedulerScenarios(
 *   "PostgresLeader",
 *   ({ instanceId, ttlMs, namespace }) =>
 *     new PostgresLeader({ connectionString, instanceId, ttl: ttlMs, name: namespace }),
 * );
 * ```
 */
export function leaderSchedulerScenarios<L extends Leader>(
  name: string,
  factory: (options: LeaderFactoryOptions) => Promise<L> | L,
  options: LeaderSchedulerScenariosOptions<L> = {},
): void {
  describe(`${name} in a scheduler`, () => {
    it("elects one of two instances, and hands over at once when the leader stops", async () => {
      await handoverScenario(factory, `sched-scenario-${randomUUID()}`, options);
    });
  });
}
