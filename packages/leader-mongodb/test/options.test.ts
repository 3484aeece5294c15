import { ConfigError } from "@sched/core";
import { unreadableRefusals } from "@sched/testing";
import { MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import { MongoLeader, type MongoLeaderOptions } from "../src/index.js";

const url = "mongodb://127.0.0.1:27017/app";

function refusal(options: unknown): ConfigError {
  try {
    new MongoLeader(options as MongoLeaderOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("MongoLeader options", () => {
  it("refuses options that throw when read with a ConfigError, never the caller's error", async () => {
    for (const [label, thrown] of await unreadableRefusals((options) => new MongoLeader(options), {
      url,
    } as MongoLeaderOptions)) {
      expect(thrown, label).toBeInstanceOf(ConfigError);
      expect((thrown as Error).message, label).toMatch(/could not be read/);
    }
  });

  it("names an unknown option and the known one it looks like", () => {
    expect(refusal({ url, colectionPrefix: "x_" }).message).toMatch(/colectionPrefix.*collectionPrefix/);
  });

  it("requires a url, or a client with a dbName, not both", async () => {
    expect(refusal({}).field).toBe("url");
    expect(refusal(undefined).field).toBe("url");
    const client = new MongoClient(url);
    try {
      expect(refusal({ client, url }).field).toBe("client");
      expect(refusal({ client }).field).toBe("dbName");
      expect(refusal({ client: {}, dbName: "app" }).field).toBe("client");
    } finally {
      await client.close();
    }
  });

  it("refuses a URL of another scheme or without a database, never quoting it", () => {
    const secret = "hunter2-secret";
    const other = refusal({ url: `postgres://u:${secret}@h/db` });
    expect(other.field).toBe("url");
    expect(other.message).not.toContain(secret);
    expect(refusal({ url: "mongodb://127.0.0.1:27017" }).field).toBe("dbName");
    expect(refusal({ url: 42 }).field).toBe("url");
  });

  it("refuses a bad collection prefix, database name, name, instance id, ttl, command timeout or logger", () => {
    expect(refusal({ url, collectionPrefix: "system.x" }).field).toBe("collectionPrefix");
    expect(refusal({ url, collectionPrefix: "a b" }).field).toBe("collectionPrefix");
    expect(refusal({ url, dbName: "a.b" }).field).toBe("dbName");
    expect(refusal({ url, name: 7 }).field).toBe("name");
    expect(refusal({ url, name: "" }).field).toBe("name");
    expect(refusal({ url, instanceId: null }).field).toBe("instanceId");
    expect(refusal({ url, ttl: "30" }).field).toBe("ttl");
    expect(refusal({ url, ttl: "mongodb://u:pw@h/db" }).message).not.toContain("pw@");
    expect(refusal({ url, ttl: null }).field).toBe("ttl");
    expect(refusal({ url, ttl: 0 }).field).toBe("ttl");
    expect(refusal({ url, commandTimeout: "soon" }).field).toBe("commandTimeout");
    expect(refusal({ url, commandTimeout: 0 }).field).toBe("commandTimeout");
    expect(refusal({ url, commandTimeout: true }).field).toBe("commandTimeout");
    expect(refusal({ url, logger: { info: () => {} } }).field).toBe("logger");
  });

  it("accepts the defaults and names its collection by the prefix", async () => {
    const leader = new MongoLeader({ url });
    expect(leader.collectionName).toBe("scheduler_leases");
    expect(leader.name).toBe("scheduler");
    expect(leader.isLeader()).toBe(false);
    await leader.close();
    expect(await leader.acquire()).toBe(false);
  });
});
