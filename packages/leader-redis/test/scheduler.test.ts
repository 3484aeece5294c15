import { leaderSchedulerScenarios } from "@sched/testing/conformance";
import { RedisLeader } from "../src/index.js";
import { url, useKeyPrefix } from "./redis.js";

const { keyPrefix, admin } = useKeyPrefix("scheduler");

leaderSchedulerScenarios(
  "RedisLeader",
  ({ instanceId, ttlMs, namespace }) =>
    new RedisLeader({ url, keyPrefix, name: namespace, instanceId, ttl: ttlMs }),
  {
    // The lease holds a token `<instanceId>:<random>`.
    leaseHolder: async (_namespace, leader) => {
      const token = await admin.get(leader.keys.lease);
      return token === null ? null : token.slice(0, token.lastIndexOf(":"));
    },
  },
);
