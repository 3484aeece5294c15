import { leaderConformance } from "@sched/testing/conformance";
import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { RedisLeader } from "../src/index.js";
import { url, useKeyPrefix } from "./redis.js";

const { keyPrefix } = useKeyPrefix("conformance");

// Each leader with its own connection, opened from the URL.
leaderConformance(
  "RedisLeader (url)",
  ({ instanceId, ttlMs, namespace }) =>
    new RedisLeader({ url, keyPrefix, name: namespace, instanceId, ttl: ttlMs }),
  { ttlMs: 400 },
);

// All leaders on one shared client, as when the store's client is passed in.
const shared = new Redis(url);
afterAll(() => shared.quit());
leaderConformance(
  "RedisLeader (shared client)",
  ({ instanceId, ttlMs, namespace }) =>
    new RedisLeader({ client: shared, keyPrefix, name: namespace, instanceId, ttl: ttlMs }),
  { ttlMs: 400 },
);
