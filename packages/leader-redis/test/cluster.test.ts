import { type RedisCluster, startRedisCluster } from "@sched/redis-cluster";
import { recordingLogger } from "@sched/testing";
import { leaderConformance } from "@sched/testing/conformance";
import type { Cluster, Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisLeader } from "../src/index.js";
import { sleep, uniqueName } from "./redis.js";

// A private 3-node Cluster for this file (ports 7200-7202), stopped afterwards: no cleanup of keys.
let cluster: RedisCluster;
let shared: Cluster;
let node: Redis;
beforeAll(async () => {
  cluster = await startRedisCluster({ basePort: 7200 });
  shared = cluster.client();
  node = cluster.node(0);
});
afterAll(async () => {
  await shared?.quit();
  node?.disconnect();
  await cluster?.stop();
});

leaderConformance(
  "RedisLeader (Redis Cluster)",
  ({ instanceId, ttlMs, namespace }) =>
    new RedisLeader({ client: shared, keyPrefix: "cluster:", name: namespace, instanceId, ttl: ttlMs }),
  { ttlMs: 400 },
);

describe("RedisLeader on a Redis Cluster", () => {
  const made: RedisLeader[] = [];
  const clients: Cluster[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((leader) => leader.close()));
    await Promise.all(clients.splice(0).map((client) => client.quit()));
  });
  const make = (name: string, instanceId: string, client?: Cluster): RedisLeader => {
    const leader = new RedisLeader({ client: client ?? shared, name, instanceId, ttl: 300 });
    made.push(leader);
    return leader;
  };

  it("keeps the lease and term keys of any name in one slot", async () => {
    for (const name of [uniqueName(), `}{${uniqueName()}`, "{}", "scheduler"]) {
      const leader = make(name, "a");
      const [leaseSlot, termSlot] = await Promise.all(
        [leader.keys.lease, leader.keys.term].map((key) => node.cluster("KEYSLOT", key)),
      );
      expect(leaseSlot).toBe(termSlot);
      expect(await leader.acquire()).toBe(true);
      expect(leader.term).toBeGreaterThan(0);
    }
  });

  it("spreads leaderships of different names over the nodes", async () => {
    const slots = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const leader = make(uniqueName(), "a");
      slots.add(Number(await node.cluster("KEYSLOT", leader.keys.lease)));
      expect(await leader.acquire()).toBe(true);
    }
    expect(slots.size).toBeGreaterThan(1);
  });

  it("of ten concurrent acquirers on ten clients exactly one leads", async () => {
    const name = uniqueName();
    const all = Array.from({ length: 10 }, (_, i) => {
      const client = cluster.client();
      clients.push(client);
      return make(name, `i${i}`, client);
    });
    const acquired = await Promise.all(all.map((leader) => leader.acquire()));
    expect(acquired.filter(Boolean)).toHaveLength(1);
    expect(all.filter((leader) => leader.isLeader())).toHaveLength(1);
  });

  it("terms strictly increase across many handovers", async () => {
    const name = uniqueName();
    const all = ["a", "b", "c"].map((id) => make(name, id));
    const terms: number[] = [];
    for (let round = 0; round < 15; round++) {
      const leader = all[round % all.length]!;
      expect(await leader.acquire()).toBe(true);
      terms.push(leader.term);
      if (round % 5 === 4) await sleep(320);
      else await leader.release();
    }
    for (let i = 1; i < terms.length; i++) expect(terms[i]!).toBeGreaterThan(terms[i - 1]!);
  });

  it("steps down when its lease key is deleted on the node that holds it", async () => {
    const a = make(uniqueName(), "a");
    expect(await a.acquire()).toBe(true);
    expect(await shared.del(a.keys.lease)).toBe(1);
    expect(await a.acquire()).toBe(false);
    expect(a.isLeader()).toBe(false);
  });

  it("names the Cluster's nodes when a renewal fails", async () => {
    const client = cluster.client();
    clients.push(client);
    await client.ping();
    const logger = recordingLogger();
    const a = new RedisLeader({ client, name: uniqueName(), instanceId: "a", ttl: 300, logger });
    made.push(a);
    expect(await a.acquire()).toBe(true);
    client.disconnect();
    expect(await a.acquire()).toBe(false);
    expect(logger.lines).toHaveLength(1);
    expect(JSON.stringify(logger.lines)).toMatch(
      /Redis at (the nodes of the given Cluster client|127\.0\.0\.1:720\d)/,
    );
  });
});
