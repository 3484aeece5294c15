import { randomUUID } from "node:crypto";
import { PrivateSentinelGroup } from "@sched/test-servers";
import { leaderConformance } from "@sched/testing/conformance";
import { afterAll, beforeAll } from "vitest";
import { RedisLeader } from "../src/index.js";

// The leader conformance suite with every leader connecting through the Sentinels of a primary,
// its replica and three Sentinels of this file's own, with passwords on both.
const PASSWORD = "data-pw:l3ader";
const SENTINEL_PASSWORD = "sentinel-pw#l3ader";
const group = new PrivateSentinelGroup({ password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
const keyPrefix = `sched-test:leader-sentinel:${randomUUID().slice(0, 8)}:`;

beforeAll(() => group.start(), 60_000);
afterAll(() => group.remove());

leaderConformance(
  "RedisLeader (through Sentinel)",
  ({ instanceId, ttlMs, namespace, logger }) =>
    new RedisLeader({
      sentinels: group.sentinelAddresses,
      sentinelName: group.name,
      password: PASSWORD,
      sentinelPassword: SENTINEL_PASSWORD,
      keyPrefix,
      name: namespace,
      instanceId,
      ttl: ttlMs,
      logger,
    }),
  { ttlMs: 400 },
);
