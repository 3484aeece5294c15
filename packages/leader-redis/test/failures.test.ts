import { randomUUID } from "node:crypto";
import { StoreError } from "@sched/core";
import { recordingLogger, waitFor } from "@sched/testing";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { RedisLeader } from "../src/index.js";
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
  it("steps down at the first failed renewal once its client is disconnected; others take over after the TTL", async () => {
    const name = uniqueName();
    const { client } = namedClient({ reconnect: false });
    const logger = recordingLogger();
    const a = leaders.make({ client, instanceId: "a", name, ttl: 400, logger });
    const b = leaders.make({ instanceId: "b", name, ttl: 400 });
    const changes: Array<[boolean, number]> = [];
    a.onLeaderChange((isLeader, term) => changes.push([isLeader, term]));
    expect(await a.acquire()).toBe(true);
    client.disconnect();

    expect(await a.acquire()).toBe(false);
    expect(a.isLeader()).toBe(false);
    expect(changes).toEqual([
      [true, a.term],
      [false, a.term],
    ]);
    expect(logger.lines.map((line) => line.level)).toEqual(["warn"]);
    expect(JSON.stringify(logger.lines)).toContain("127.0.0.1:6379");

    // The lease is still a's on the server until its TTL has passed.
    expect(await b.acquire()).toBe(false);
    await sleep(450);
    expect(await b.acquire()).toBe(true);
    expect(b.term).toBeGreaterThan(a.term);
  });

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

  it("steps down when its lease key was overwritten by another token", async () => {
    const name = uniqueName();
    const a = leaders.make({ instanceId: "a", name, ttl: "10s" });
    expect(await a.acquire()).toBe(true);
    await admin.set(a.keys.lease, "someone-else", "PX", 10_000);
    expect(await a.acquire()).toBe(false);
    expect(a.isLeader()).toBe(false);
    // Neither a new acquire nor a release touches the other holder's lease.
    expect(await a.acquire()).toBe(false);
    await a.release();
    expect(await admin.get(a.keys.lease)).toBe("someone-else");
  });

  it("gives up on a renewal stuck behind a blocking command, and takes its lease back afterwards", async () => {
    const name = uniqueName();
    const { client } = namedClient({ reconnect: true });
    const logger = recordingLogger();
    const a = leaders.make({ client, instanceId: "a", name, ttl: 500, logger });
    expect(await a.acquire()).toBe(true);
    const term = a.term;

    // A misuse: the connection also serves a blocking pop, so the renewal waits behind it.
    const blocked = client.blpop(`${keyPrefix}nothing-${randomUUID()}`, 1);
    const started = performance.now();
    expect(await a.acquire()).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
    expect(a.isLeader()).toBe(false);
    expect(JSON.stringify(logger.lines)).toContain("no answer within 450ms");

    // The renewal ran late, extending a's own token: a takes it back at once, with a new term.
    await blocked;
    expect(await a.acquire()).toBe(true);
    expect(a.term).toBeGreaterThan(term);
  });

  it("renews on a new connection after its idle connection was killed", async () => {
    const name = uniqueName();
    const { client, connectionName } = namedClient({ reconnect: true });
    const a = leaders.make({ client, instanceId: "a", name, ttl: "10s" });
    expect(await a.acquire()).toBe(true);
    const term = a.term;
    expect(await killConnections(connectionName)).toBe(1);
    await waitFor(() => client.status !== "ready");
    expect(await a.acquire()).toBe(true);
    expect(a.isLeader()).toBe(true);
    expect(a.term).toBe(term);
  });

  it("reports a refused connection by host:port, never with the password, and throttles the log", async () => {
    const secret = "s3cr3t-Pa55";
    const logger = recordingLogger();
    const leader = new RedisLeader({ url: `redis://someone:${secret}@127.0.0.1:1/0`, ttl: "5s", logger });
    try {
      const started = performance.now();
      expect(await leader.acquire()).toBe(false);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(leader.isLeader()).toBe(false);
      expect(logger.lines).toHaveLength(1);
      const logged = JSON.stringify(logger.lines);
      expect(logged).toContain("127.0.0.1:1");
      expect(logged).toContain("ECONNREFUSED");
      expect(logged).not.toContain(secret);

      // Each attempt fails at the client's next reconnection attempt (with a growing back-off).
      for (let i = 1; i < 5; i++) expect(await leader.acquire()).toBe(false);
      expect(logger.lines.map((line) => line.level)).toEqual(["warn", "warn", "warn", "debug", "debug"]);
      expect(logger.lines[4]!.fields).toMatchObject({ failures: 5 });

      // A release may not know whether the last attempt wrote its token: it tries, and says why it failed.
      const error = await leader.release().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).message).toContain("Redis at 127.0.0.1:1");
      expect((error as StoreError).message).not.toContain(secret);
    } finally {
      await leader.close();
    }
  });
});
