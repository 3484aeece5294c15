import { type Leader, MemoryLeader, MemoryLeaderGroup } from "@sched/core";
import { describe, expect, it } from "vitest";
import { type LeaderFactoryOptions, leaderSchedulerScenarios } from "../src/conformance/index.js";
import { handoverScenario } from "../src/leader-scheduler-scenarios.js";

const groups = new Map<string, MemoryLeaderGroup>();

function memoryLeader({ instanceId, ttlMs, namespace }: LeaderFactoryOptions): MemoryLeader {
  let group = groups.get(namespace);
  if (group === undefined) {
    group = new MemoryLeaderGroup();
    groups.set(namespace, group);
  }
  return new MemoryLeader({ instanceId, ttl: ttlMs, group });
}

// The leaders of each namespace, to tell who holds its lease.
const made = new Map<string, MemoryLeader[]>();

function trackedLeader(options: LeaderFactoryOptions): MemoryLeader {
  const leader = memoryLeader(options);
  made.set(options.namespace, [...(made.get(options.namespace) ?? []), leader]);
  return leader;
}

function holderOf(namespace: string): string | null {
  return made.get(namespace)?.find((leader) => leader.isLeader())?.instanceId ?? null;
}

leaderSchedulerScenarios("MemoryLeader", memoryLeader);

leaderSchedulerScenarios("MemoryLeader with a lease holder", trackedLeader, { leaseHolder: holderOf });

/** A leader with a bug: release() keeps the lease, so others wait for the TTL. */
class StickyLeader implements Leader {
  constructor(private readonly inner: MemoryLeader) {}
  get term(): number {
    return this.inner.term;
  }
  get instanceId(): string {
    return this.inner.instanceId;
  }
  isLeader(): boolean {
    return this.inner.isLeader();
  }
  acquire(): Promise<boolean> {
    return this.inner.acquire();
  }
  async release(): Promise<void> {}
  onLeaderChange(listener: (isLeader: boolean, term: number) => void): () => void {
    return this.inner.onLeaderChange(listener);
  }
  async close(): Promise<void> {
    await this.inner.close();
  }
}

describe("the leader scenarios catch broken leaders", () => {
  it("a leader that does not release on stop fails the handover", async () => {
    await expect(
      handoverScenario((options) => new StickyLeader(memoryLeader(options)), "sticky"),
    ).rejects.toThrow("timed out after 1000ms waiting for b to lead after a stopped");
  });

  it("a lease the backend still reports as held by the stopped leader fails the scenario", async () => {
    await expect(handoverScenario(memoryLeader, "stale-holder", { leaseHolder: () => "a" })).rejects.toThrow(
      "to include 'a'",
    );
  });

  it("the lease holder hook receives the namespace and a leader of it", async () => {
    const seen: Array<[string, string]> = [];
    await handoverScenario(memoryLeader, "hook-arguments", {
      leaseHolder: (namespace, leader) => {
        seen.push([namespace, leader.instanceId]);
        return null;
      },
    });
    expect(seen).toEqual([["hook-arguments", "a"]]);
  });
});
