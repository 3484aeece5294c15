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

// The group judges the lease by the leader's own clock: nothing can cut, stall or refuse it, and
// the local lease ends exactly when the group's does.
leaderConformance(
  "MemoryLeader",
  ({ instanceId, ttlMs, namespace }) =>
    new MemoryLeader({ instanceId, ttl: ttlMs, group: groupFor(namespace) }),
  { failures: { stepsDownBeforeExpiry: false } },
);
