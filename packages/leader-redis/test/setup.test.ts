import { randomUUID } from "node:crypto";
import { ConfigError } from "@sched/core";
import { recordingLogger, unreadableRefusals, waitFor } from "@sched/testing";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { fromEnv, RedisLeader, type RedisLeaderOptions } from "../src/index.js";
import { leaderFactory, sleep, uniqueName, url, useKeyPrefix } from "./redis.js";

const { keyPrefix, admin } = useKeyPrefix("setup");
const leaders = leaderFactory({ keyPrefix });
afterEach(() => leaders.closeAll());

/** How many connections named `sched-leader-redis` use `db` (a db no other test of the package uses). */
async function ownedConnections(db: number): Promise<number> {
  const list = (await admin.client("LIST")) as string;
  return list
    .split("\n")
    .filter((line) => line.includes(" name=sched-leader-redis ") && line.includes(` db=${db} `)).length;
}

/** A URL of the test server with `db` as its path. */
function urlWithDb(db: number): string {
  const withDb = new URL(url);
  withDb.pathname = `/${db}`;
  return withDb.toString();
}

describe("RedisLeader options", () => {
  it("refuses options that throw when read with a ConfigError, never the caller's error", async () => {
    for (const [label, thrown] of await unreadableRefusals((options) => new RedisLeader(options), {
      url,
    } as RedisLeaderOptions)) {
      expect(thrown, label).toBeInstanceOf(ConfigError);
      expect((thrown as Error).message, label).toMatch(/could not be read/);
    }
  });

  it("has defaults: prefix scheduler:, name scheduler, an instance id with the host name", () => {
    const leader = new RedisLeader({ url });
    expect(leader.name).toBe("scheduler");
    expect(leader.keys).toEqual({
      lease: "scheduler:{leader:scheduler}:lease",
      term: "scheduler:{leader:scheduler}:term",
    });
    expect(leader.instanceId).toMatch(new RegExp(`-${process.pid}-[0-9a-f]{8}$`));
    expect(leader.term).toBe(0);
    return leader.close();
  });

  it.each<[RedisLeaderOptions, string]>([
    [{ url, client: new Redis({ lazyConnect: true }) }, "client"],
    [{ url: 42 as unknown as string }, "url"],
    [{ client: {} as Redis }, "client"],
    [{ client: new Redis({ lazyConnect: true }), db: 1 }, "db"],
    [{ url, db: -1 }, "db"],
    [{ url, db: 1.5 }, "db"],
    [{ url, keyPrefix: "{tag}:" }, "keyPrefix"],
    [{ url, keyPrefix: "has space" }, "keyPrefix"],
    [{ url, name: "" }, "name"],
    [{ url, instanceId: "x".repeat(201) }, "instanceId"],
    [{ url, ttl: 0 }, "ttl"],
    [{ url, ttl: "soon" as never }, "ttl"],
    [{ url, ttl: 2 ** 31 }, "ttl"],
    // Options it does not know (a typo, another library's option) must not be ignored.
    [{ url, keyprefix: "x:" } as RedisLeaderOptions, "keyprefix"],
    [{ url, natMap: {} } as RedisLeaderOptions, "natMap"],
    // Sentinel: `name` is the leadership's, the primary's is `sentinelName`.
    [{ sentinels: [{ host: "10.0.0.1", port: 26379 }], name: "mymaster" }, "sentinelName"],
    [{ sentinels: [{ host: "10.0.0.1", port: 26379 }], sentinelName: "m", url }, "url"],
    [{ sentinels: [], sentinelName: "m" }, "sentinels"],
    [{ sentinels: [{ host: "10.0.0.1", port: 0 }], sentinelName: "m" }, "sentinels[0].port"],
    [{ url, sentinelName: "m" }, "sentinelName"],
    [{ url, sentinelPassword: "pw" }, "sentinelPassword"],
    [{ client: new Redis({ lazyConnect: true }), password: "pw" }, "password"],
    [{ url, password: 5 as unknown as string }, "password"],
    // Each known option of the wrong type.
    [null as unknown as RedisLeaderOptions, "options"],
    [{ url, keyPrefix: 5 as unknown as string }, "keyPrefix"],
    [{ url, name: 5 as unknown as string }, "name"],
    [{ url, instanceId: {} as unknown as string }, "instanceId"],
    [{ url, db: "1" as unknown as number }, "db"],
    [{ url, logger: console.log as never }, "logger"],
    [{ url, logger: { warn() {} } as never }, "logger"],
    [{ url, commandTimeout: "3" as never }, "commandTimeout"],
    [{ url, commandTimeout: -1 }, "commandTimeout"],
    [{ url, commandTimeout: 2 ** 31 }, "commandTimeout"],
  ])("rejects bad options with a ConfigError naming them (%#)", (options, field) => {
    let error: unknown;
    try {
      new RedisLeader(options);
    } catch (err) {
      error = err;
    } finally {
      if (options?.client instanceof Redis) options.client.disconnect();
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(field);
    expect((error as ConfigError).field).toBe(field);
  });

  it("describes a connection string put where the key prefix goes, never quoting it", () => {
    expect(() => new RedisLeader({ url, keyPrefix: "redis://:hunter2@cache:6379" })).toThrow(
      /^keyPrefix: expected 0-100 characters from A-Z a-z 0-9 _ \. : -, got a string of 27 characters$/,
    );
  });

  it("names the closest known option of a misspelt one", () => {
    expect(() => new RedisLeader({ url, keyprefix: "x:" } as RedisLeaderOptions)).toThrow(
      /keyprefix: .*did you mean keyPrefix\?/,
    );
  });
});

describe("RedisLeader connections", () => {
  it("opens its own named connection at the first acquire, and ends it on close", async () => {
    const a = leaders.make({ url: urlWithDb(9), name: uniqueName(), ttl: "10s" });
    await sleep(50);
    expect(await ownedConnections(9)).toBe(0);
    expect(await a.acquire()).toBe(true);
    expect(await ownedConnections(9)).toBe(1);
    await a.close();
    expect(a.isLeader()).toBe(false);
    await waitFor(async () => (await ownedConnections(9)) === 0);
    const db9 = new Redis(urlWithDb(9));
    expect(await db9.exists(a.keys.lease)).toBe(0);
    await db9.del(a.keys.term);
    await db9.quit();
    expect(await a.acquire()).toBe(false);
  });

  it("leaves a client it was given open on close", async () => {
    const client = new Redis(url);
    try {
      const a = leaders.make({ client, name: uniqueName(), ttl: "10s" });
      expect(await a.acquire()).toBe(true);
      await a.close();
      await a.close();
      expect(await admin.exists(a.keys.lease)).toBe(0);
      expect(client.status).toBe("ready");
      expect(await client.ping()).toBe("PONG");
    } finally {
      await client.quit();
    }
  });

  it("selects db over the URL's path", async () => {
    const name = uniqueName();
    const inDb2 = leaders.make({ url: urlWithDb(1), db: 2, name, ttl: "10s" });
    expect(await inDb2.acquire()).toBe(true);
    const db2 = new Redis(urlWithDb(2));
    try {
      expect(await db2.exists(inDb2.keys.lease)).toBe(1);
      expect(await admin.exists(inDb2.keys.lease)).toBe(0);
    } finally {
      await inDb2.close();
      await db2.del(inDb2.keys.term);
      await db2.quit();
    }
  });

  it("close while a renewal is in flight leaves nothing leading, and later acquires resolve false", async () => {
    const a = leaders.make({ name: uniqueName(), ttl: "10s", logger: recordingLogger() });
    expect(await a.acquire()).toBe(true);
    const renewing = a.acquire();
    const closing = a.close();
    const queued = a.acquire();
    await closing;
    expect(await renewing).toBe(false);
    expect(await queued).toBe(false);
    expect(a.isLeader()).toBe(false);
    expect(await admin.exists(a.keys.lease)).toBe(0);
  });
});

describe("fromEnv", () => {
  it("builds a leader from SCHEDULER_* variables", async () => {
    const prefix = `${keyPrefix}env-${randomUUID().slice(0, 8)}:`;
    const leader = fromEnv({
      SCHEDULER_REDIS_URL: url,
      SCHEDULER_REDIS_KEY_PREFIX: prefix,
      SCHEDULER_REDIS_DB: "0",
      SCHEDULER_INSTANCE_ID: "env-instance",
      SCHEDULER_LOCK_TTL: "7s",
    });
    try {
      expect(leader).toBeInstanceOf(RedisLeader);
      expect(leader.instanceId).toBe("env-instance");
      expect(leader.name).toBe("scheduler");
      expect(leader.keys.lease).toBe(`${prefix}{leader:scheduler}:lease`);
      expect(await leader.acquire()).toBe(true);
      const ttl = await admin.pttl(leader.keys.lease);
      expect(ttl).toBeGreaterThan(6_000);
      expect(ttl).toBeLessThanOrEqual(7_000);
    } finally {
      await leader.close();
    }
  });

  it("requires SCHEDULER_REDIS_URL", () => {
    expect(() => fromEnv({})).toThrow(ConfigError);
    expect(() => fromEnv({})).toThrow(/SCHEDULER_REDIS_URL/);
  });

  it("refuses another store's settings and durations without a unit", () => {
    expect(() =>
      fromEnv({ SCHEDULER_REDIS_URL: url, SCHEDULER_POSTGRES_URL: "postgres://u:hunter2@db/app" }),
    ).toThrow(expect.objectContaining({ code: "CONFIG_INVALID", field: "SCHEDULER_POSTGRES_URL" }));
    expect(() => fromEnv({ SCHEDULER_REDIS_URL: url, SCHEDULER_LOCK_TTL: "30" })).toThrow(
      /SCHEDULER_LOCK_TTL: "30" has no unit/,
    );
  });

  it("rejects a bad variable without echoing the URL", () => {
    const secretUrl = "http://user:s3cret@127.0.0.1:6379";
    let error: unknown;
    try {
      fromEnv({ SCHEDULER_REDIS_URL: secretUrl });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("SCHEDULER_REDIS_URL");
    expect((error as Error).message).not.toContain("s3cret");
    expect(() => fromEnv({ SCHEDULER_REDIS_URL: url, SCHEDULER_REDIS_DB: "-1" })).toThrow(
      /SCHEDULER_REDIS_DB/,
    );
    expect(() => fromEnv({ SCHEDULER_REDIS_URL: url, SCHEDULER_LOCK_TTL: "0s" })).toThrow(
      /SCHEDULER_LOCK_TTL/,
    );
  });
});
