import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { PrivatePostgres, PrivateRedis } from "../src/index.mjs";

describe("PrivatePostgres", () => {
  const server = new PrivatePostgres({ password: "s3cret" });
  afterAll(() => server.remove());

  it("starts, checks the password, crashes and restarts with committed data kept, freezes and thaws", async () => {
    expect(PrivatePostgres.available()).toBe(true);
    await server.start();
    await server.query("CREATE TABLE t (n int)");
    await server.query("INSERT INTO t VALUES (1)");
    const wrong = new pg.Client({ connectionString: server.url.replace("s3cret", "wrong") });
    wrong.on("error", () => {});
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
    await server.restart("immediate");
    expect((await server.query("SELECT n FROM t")).rows).toEqual([{ n: 1 }]);
    server.freeze();
    const frozen = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 500 });
    frozen.on("error", () => {});
    await expect(frozen.connect()).rejects.toThrow();
    server.thaw();
    expect(await server.ready()).toBe(true);
  }, 60_000);
});

describe("PrivateRedis", () => {
  const server = new PrivateRedis({ password: "pw" });
  afterAll(() => server.remove());

  it("starts with a password, restarts empty, freezes and thaws", async () => {
    await server.start();
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    client.on("error", () => {});
    await client.set("k", "v");
    await server.restartEmpty();
    await expect(client.get("k")).resolves.toBeNull();
    server.freeze();
    const late = await Promise.race([client.ping(), new Promise((r) => setTimeout(() => r("timeout"), 300))]);
    expect(late).toBe("timeout");
    server.thaw();
    await expect(client.ping()).resolves.toBe("PONG");
    client.disconnect();
  });
});
