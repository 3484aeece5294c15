import { MemoryLeader, MemoryLeaderGroup } from "@sched/core";
import { leaderConformance } from "../src/conformance/index.js";

// Each test gets its own namespace, and so its own group: leaders of different tests never meet.
const groups = new Map<string, MemoryLeaderGroup>();

function groupFor(namespace: string): MemoryLeaderGroup {
  let group = groups.get(namespace);
  if (group === undefined) {
    group = new MemoryLeaderGroup();
    groups.set(namespace, group);
  }
  return group;
}

leaderConformance("MemoryLeader", ({ instanceId, ttlMs, namespace }) => {
  return new MemoryLeader({ instanceId, ttl: ttlMs, group: groupFor(namespace) });
});
