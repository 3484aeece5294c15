// @ts-nocheck
import { MemoryLeader, MemoryLeaderGroup } from "/tmp/mut/src/memory/index.js";
import { leaderConformance } from "../src/index.js";

const groups = new Map();
leaderConformance("Mutant", ({ instanceId, ttlMs, namespace }) => {
  if (!groups.has(namespace)) groups.set(namespace, new MemoryLeaderGroup());
  return new MemoryLeader({ instanceId, ttl: ttlMs, group: groups.get(namespace) });
});
