import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisCluster, startRedisCluster } from "../src/index.mjs";

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster({ basePort: 7300 });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

describe("startRedisCluster", () => {
  it("forms a working 3-node cluster that spreads keys over its slots", async () => {
    const client = cluster.client();
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    for (const key of keys) await client.set(key, key);
    for (const key of keys) expect(await client.get(key)).toBe(key);
    const slots = new Set(await Promise.all(keys.map((k) => client.cluster("KEYSLOT", k))));
    expect(slots.size).toBeGreaterThan(1);
    expect(cluster.nodes).toHaveLength(3);
    await client.quit();
  });
});
