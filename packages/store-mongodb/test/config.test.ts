import { ConfigError, StoreError } from "@sched/core";
import { unreadableRefusals } from "@sched/testing";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertCollectionPrefix,
  checkConnectionOptions,
  describeServer,
  redact,
  sanitizedError,
  storeError,
} from "../src/connection/index.js";
import { MongoStore, type MongoStoreOptions } from "../src/index.js";
import { startDeployment, type TestDeployment, uniquePrefix } from "./servers.js";

function configErrorOf(options: unknown): ConfigError {
  try {
    new MongoStore(options as MongoStoreOptions);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("options", () => {
  it("refuses options that throw when read with a ConfigError, never the caller's error", async () => {
    for (const [label, thrown] of await unreadableRefusals((options) => new MongoStore(options), {
      url: "mongodb://127.0.0.1:27017/app",
    } as MongoStoreOptions)) {
      expect(thrown, label).toBeInstanceOf(ConfigError);
      expect((thrown as Error).message, label).toMatch(/could not be read/);
    }
  });

  it("an unknown option is a ConfigError naming it", () => {
    expect(configErrorOf({ url: "mongodb://h/app", colectionPrefix: "x_" }).field).toBe("colectionPrefix");
  });

  it("a serverSelectionTimeout past one Node.js timer's longest wait is a ConfigError naming it", () => {
    // The driver waits with one timer, which fires a longer wait at once.
    const error = configErrorOf({ url: "mongodb://h/app", serverSelectionTimeout: "30d" });
    expect(error.field).toBe("serverSelectionTimeout");
    expect(error.message).toContain("2147483647");
    expect(() => new MongoStore({ url: "mongodb://h/app", serverSelectionTimeout: "24d" })).not.toThrow();
  });

  it("a URL of another scheme is a ConfigError on url that does not quote the URL", () => {
    const error = configErrorOf({ url: "postgres://user:hunter2@h/app" });
    expect(error.field).toBe("url");
    expect(error.message).not.toContain("hunter2");
    expect(error.message).toContain("postgres:");
  });

  it("a URL without a database and without dbName is a ConfigError on dbName", () => {
    expect(configErrorOf({ url: "mongodb://h:27017" }).field).toBe("dbName");
    expect(new MongoStore({ url: "mongodb://h:27017", dbName: "app" }).collectionPrefix).toBe("scheduler_");
  });

  it("a client needs a dbName, and cannot come with a url", () => {
    const client = new MongoClient("mongodb://127.0.0.1:1");
    expect(configErrorOf({ client }).field).toBe("dbName");
    expect(configErrorOf({ client, dbName: "app", url: "mongodb://h/app" }).field).toBe("client");
    expect(configErrorOf({ client: {}, dbName: "app" }).field).toBe("client");
  });

  it("neither a url nor a client is a ConfigError on url", () => {
    expect(configErrorOf({}).field).toBe("url");
    expect(configErrorOf({ url: 42 }).field).toBe("url");
    expect(configErrorOf(null).field).toBe("options");
  });

  it("collection prefixes and database names MongoDB refuses are ConfigErrors naming the option", () => {
    expect(configErrorOf({ url: "mongodb://h/app", collectionPrefix: "system.x" }).field).toBe(
      "collectionPrefix",
    );
    expect(configErrorOf({ url: "mongodb://h/app", collectionPrefix: "a$b" }).field).toBe("collectionPrefix");
    expect(configErrorOf({ url: "mongodb://h/app", dbName: "a.b" }).field).toBe("dbName");
    expect(configErrorOf({ url: "mongodb://h/a%2Fb" }).field).toBe("url");
    expect(() => assertCollectionPrefix("", "prefix")).toThrow(ConfigError);
  });

  it("options of the wrong type are ConfigErrors naming them", () => {
    expect(configErrorOf({ url: "mongodb://h/app", autoMigrate: "yes" }).field).toBe("autoMigrate");
    expect(configErrorOf({ url: "mongodb://h/app", changeStreams: 1 }).field).toBe("changeStreams");
    expect(configErrorOf({ url: "mongodb://h/app", operationTimeout: "soon" }).field).toBe(
      "operationTimeout",
    );
    expect(configErrorOf({ url: "mongodb://h/app", logger: {} }).field).toBe("logger");
  });

  it("a URL option the driver refuses is a ConfigError on url without the password", () => {
    const error = configErrorOf({ url: "mongodb://user:hunter2@h/app?readPreference=sometimes" });
    expect(error.field).toBe("url");
    expect(error.message).not.toContain("hunter2");
  });

  it("checkConnectionOptions returns the database of the URL's path", () => {
    expect(
      checkConnectionOptions({ url: "mongodb+srv://u:p@cluster.example.net/orders?retryWrites=true" }),
    ).toBe("orders");
  });
});

describe("secrets", () => {
  it("the store describes its server by its hosts, without the user or password", async () => {
    const store = new MongoStore({ url: "mongodb://sched:s3cr%40t@h1:27017,h2:27018/app" });
    try {
      expect(store.describeServer()).toBe("MongoDB at h1:27017,h2:27018");
    } finally {
      await store.close();
    }
  });

  it("an unreachable server is a StoreError naming the hosts, without the password anywhere", async () => {
    const store = new MongoStore({
      url: "mongodb://sched:s3cr%40t@127.0.0.1:1/app?serverMonitoringMode=poll",
      serverSelectionTimeout: 200,
    });
    const error = await store.ping().catch((err: unknown) => err);
    await store.close();
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/^MongoDB at 127\.0\.0\.1:1 is unreachable \(ping\)/);
    let text = "";
    for (let e: unknown = error; e instanceof Error; e = e.cause)
      text += `${e.message}\n${e.stack}\n${JSON.stringify(e)}\n`;
    expect(text).not.toMatch(/s3cr/);
  });

  it("describeServer lists the URL and its password as secrets, not the user name alone", () => {
    const url = "mongodb://sched:pa%24%24@h1:27017,h2:27017/app";
    const server = describeServer(new MongoClient(url), url);
    expect(server.address).toBe("h1:27017,h2:27017");
    expect(server.secrets).toEqual(expect.arrayContaining([url, "pa%24%24", "pa$$"]));
    expect(server.secrets).not.toContain("sched");
    expect(redact(`failed ${url} with pa$$`, server.secrets)).toBe("failed *** with ***");
  });

  it("a sanitized driver error keeps codes and labels and drops the documents it carried", () => {
    const err = Object.assign(new Error("E11000 dup for pw hunter2"), {
      code: 11000,
      errorLabels: ["RetryableWriteError"],
      keyValue: { uniqueKey: "payload" },
      cause: new Error("inner hunter2"),
    });
    const copy = sanitizedError(err, ["hunter2"]) as Error & Record<string, unknown>;
    expect(copy.message).toBe("E11000 dup for pw ***");
    expect(copy.code).toBe(11000);
    expect((copy.hasErrorLabel as (label: string) => boolean)("RetryableWriteError")).toBe(true);
    expect(copy.keyValue).toBeUndefined();
    expect((copy.cause as Error).message).toBe("inner ***");
    expect(storeError("plain", "ping", { address: "h", secrets: [] }).message).toBe(
      "MongoDB ping failed at h: plain",
    );
    expect(
      storeError(
        Object.assign(new Error("slow"), { code: 50 }),
        "claimDueJobs",
        { address: "h", secrets: [] },
        100,
      ),
    ).toMatchObject({
      code: "STORE_TIMEOUT",
    });
  });
});

describe("a store on the deployment", () => {
  let deployment: TestDeployment;
  beforeAll(async () => {
    deployment = await startDeployment();
  });
  afterAll(async () => {
    await deployment.stop();
  });

  it("without change streams, subscribers hear this store's own changes, and the choice is logged once", async (test) => {
    if (deployment.kind === "real")
      test.skip("the real MongoDB of SCHED_MONGODB_URL is a replica set: it has change streams");
    const lines: string[] = [];
    const logger = { debug() {}, info: (line: string) => lines.push(line), warn() {}, error() {} };
    const store = new MongoStore({
      client: deployment.client,
      dbName: "sched_local",
      collectionPrefix: uniquePrefix("local"),
      logger,
    });
    const events: unknown[] = [];
    const unsubscribe = store.subscribe((event) => events.push(event));
    store.subscribe(() => {
      throw new Error("a failing listener does not stop the others");
    });
    const now = new Date("2030-01-01T00:00:00Z");
    const [job] = await store.createJobs([
      {
        id: "01900000-0000-7000-8000-000000000001",
        name: "n",
        payload: null,
        queue: "q",
        priority: 0,
        maxRetries: 0,
        timeout: 1000,
        scheduledAt: now,
        createdAt: now,
        status: "pending",
        metadata: {},
        uniqueKey: null,
      },
    ]);
    const [claimed] = await store.claimDueJobs({
      queues: null,
      names: null,
      limit: 1,
      now,
      lockedUntil: new Date(now.getTime() + 60_000),
      workerId: "w",
    });
    await store.cancelJob(job!.id, now);
    unsubscribe();
    await store.requeueJob(job!.id, now);
    expect(events).toEqual([
      { type: "jobs", queue: "q" },
      { type: "cancelled", id: job!.id, queue: "q", attempt: claimed!.attempt },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines).toEqual([
      expect.stringMatching(
        /^MongoStore: wake-ups by polling \(a standalone deployment has no change streams\)$/,
      ),
    ]);
    expect(store.capabilities).toEqual({ transactions: false, pushedEvents: false });
    expect(store.deployment?.topology).toBe("standalone");
    await store.close();
    await store.close();
    await expect(store.getJob("x")).rejects.toMatchObject({ code: "STORE_CLOSED" });
    expect(() => store.subscribe(() => {})).toThrow(/closed/);
  });
});
