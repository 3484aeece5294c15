import { randomUUID } from "node:crypto";
import { recordingLogger, waitFor } from "@sched/testing";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { leaderFactory, sleep, uniqueName, url, useKeyPrefix } from "./redis.js";

const { keyPrefix, admin } = useKeyPrefix("failures");
const leaders = leaderFactory({ keyPrefix });
const clients: Redis[] = [];
afterEach(async () => {
  await leaders.closeAll();
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

describe("RedisLeader when renewals fail", () => {
  it("steps down when its connection is killed by CLIENT KILL; others take over after the TTL", async () => {
    const name = uniqueName();
    const { client, connectionName } = namedClient({ reconnect: false });
    await client.ping();
    const a = leaders.make({ client, instanceId: "a", name, ttl: 400, logger: recordingLogger() });
    const b = leaders.make({ instanceId: "b", name, ttl: 400 });
    expect(await a.acquire()).toBe(true);
    expect(await killConnections(connectionName)).toBe(1);
    await waitFor(() => client.status === "end");

    expect(await a.acquire()).toBe(false);
    expect(a.isLeader()).toBe(false);
    expect(await b.acquire()).toBe(false);
    await sleep(450);
    expect(await b.acquire()).toBe(true);
    expect(b.term).toBeGreaterThan(a.term);
  });

  it("steps down at once when its lease key is deleted behind its back, and another may take it at once", async () => {
    const name = uniqueName();
    const a = leaders.make({ instanceId: "a", name, ttl: "10s" });
    const b = leaders.make({ instanceId: "b", name, ttl: "10s" });
    const changes: boolean[] = [];
    a.onLeaderChange((isLeader) => changes.push(isLeader));
    expect(await a.acquire()).toBe(true);
    await admin.del(a.keys.lease);

    expect(await a.acquire()).toBe(false);
    expect(a.isLeader()).toBe(false);
    expect(changes).toEqual([true, false]);
    expect(await b.acquire()).toBe(true);
    expect(b.term).toBeGreaterThan(a.term);
  });
});
