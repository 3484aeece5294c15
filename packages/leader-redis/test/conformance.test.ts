import { randomUUID } from "node:crypto";
import { waitFor } from "@sched/testing";
import { leaderConformance } from "@sched/testing/conformance";
import { Redis } from "ioredis";
import { afterAll, afterEach } from "vitest";
import { RedisLeader } from "../src/index.js";
import { url, useKeyPrefix } from "./redis.js";

const { keyPrefix, admin } = useKeyPrefix("conformance");

// Each leader with its own connection, opened from the URL.
leaderConformance(
  "RedisLeader (url)",
  ({ instanceId, ttlMs, namespace, logger }) =>
    new RedisLeader({ url, keyPrefix, name: namespace, instanceId, ttl: ttlMs, logger }),
  { ttlMs: 400 },
);

// All leaders on one shared client, as when the store's client is passed in.
const shared = new Redis(url);
afterAll(() => shared.quit());
leaderConformance(
  "RedisLeader (shared client)",
  ({ instanceId, ttlMs, namespace, logger }) =>
    new RedisLeader({ client: shared, keyPrefix, name: namespace, instanceId, ttl: ttlMs, logger }),
  { ttlMs: 400 },
);

/** Clients the failure scenarios gave their leaders, disconnected after each test. */
const clients: Redis[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

/** A client of the test's own, named so that `CLIENT LIST` finds it. */
function namedClient(options: { reconnect: boolean }): { client: Redis; connectionName: string } {
  const connectionName = `leader-test-${randomUUID().slice(0, 8)}`;
  const client = new Redis(url, {
    connectionName,
    ...(options.reconnect ? {} : { retryStrategy: () => null }),
  });
  client.on("error", () => undefined);
  clients.push(client);
  return { client, connectionName };
}

/** Kills every connection named `connectionName`; returns how many. */
async function killConnections(connectionName: string): Promise<number> {
  const list = (await admin.client("LIST")) as string;
  const ids = list
    .split("\n")
    .filter((line) => line.includes(` name=${connectionName} `))
    .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
  for (const id of ids) await admin.client("KILL", "ID", id);
  return ids.length;
}

// The failures, each on a client of the test's own that it can cut, kill or block.
leaderConformance(
  "RedisLeader (failures)",
  ({ instanceId, ttlMs, namespace, logger }) =>
    new RedisLeader({ url, keyPrefix, name: namespace, instanceId, ttl: ttlMs, logger }),
  {
    ttlMs: 400,
    failures: {
      address: new URL(url).host,
      cutConnection: async ({ instanceId, ttlMs, namespace, logger }) => {
        const { client } = namedClient({ reconnect: false });
        const leader = new RedisLeader({
          client,
          keyPrefix,
          name: namespace,
          instanceId,
          ttl: ttlMs,
          logger,
        });
        return { leader, act: () => client.disconnect() };
      },
      killIdleConnections: async ({ instanceId, ttlMs, namespace, logger }) => {
        const { client, connectionName } = namedClient({ reconnect: true });
        const leader = new RedisLeader({
          client,
          keyPrefix,
          name: namespace,
          instanceId,
          ttl: ttlMs,
          logger,
        });
        const act = async (): Promise<void> => {
          if ((await killConnections(connectionName)) !== 1)
            throw new Error("expected one connection to kill");
          await waitFor(() => client.status !== "ready");
        };
        return { leader, act };
      },
      // A misuse: the leader's connection also serves a blocking pop, so the renewal waits behind it.
      stallBackend: async ({ instanceId, ttlMs, namespace, logger }) => {
        const { client } = namedClient({ reconnect: true });
        const leader = new RedisLeader({
          client,
          keyPrefix,
          name: namespace,
          instanceId,
          ttl: ttlMs,
          logger,
        });
        const stall = async (): Promise<() => Promise<void>> => {
          const blocked = client.blpop(`${keyPrefix}nothing-${randomUUID()}`, 1);
          return async () => {
            await blocked;
          };
        };
        return { leader, stall };
      },
      stealLease: async (_namespace, leader) => {
        await admin.set(leader.keys.lease, "someone-else", "PX", 10_000);
        return async () => (await admin.get(leader.keys.lease)) === "someone-else";
      },
      refusedLeader: ({ instanceId, ttlMs, namespace, logger }) => {
        const secret = "s3cr3t-Pa55";
        const leader = new RedisLeader({
          url: `redis://someone:${secret}@127.0.0.1:1/0`,
          keyPrefix,
          name: namespace,
          instanceId,
          ttl: ttlMs,
          logger,
        });
        return { leader, address: "Redis at 127.0.0.1:1", secret };
      },
      // Each attempt fails at the client's next reconnection attempt, with a growing back-off.
      refusedAttempts: 5,
    },
  },
);
