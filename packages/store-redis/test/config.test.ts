import { ConfigError, createSchedulerFromEnv, Scheduler } from "@sched/core";
import { unreadableRefusals, waitFor } from "@sched/testing";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { fromEnv, RedisStore, type RedisStoreOptions } from "../src/index.js";
import { adminClient, deleteKeys, newJob, newSchedule, REDIS_URL, uniquePrefix } from "./helpers.js";

const admin = adminClient();
afterAll(() => admin.quit());

describe("fromEnv", () => {
  it("builds a store from SCHEDULER_REDIS_URL, _KEY_PREFIX and _DB", async () => {
    const keyPrefix = uniquePrefix("env");
    const store = fromEnv({
      SCHEDULER_REDIS_URL: REDIS_URL,
      SCHEDULER_REDIS_KEY_PREFIX: keyPrefix,
      SCHEDULER_REDIS_DB: "1",
    });
    expect(store).toBeInstanceOf(RedisStore);
    expect(store.keyPrefix).toBe(keyPrefix);
    await store.createJobs([newJob()]);
    // Database 1, not 0.
    expect(await admin.exists(`${keyPrefix}{default}:counts`)).toBe(0);
    await admin.select(1);
    expect(await admin.exists(`${keyPrefix}{default}:counts`)).toBe(1);
    await deleteKeys(admin, keyPrefix);
    await admin.select(0);
    await store.close();
  });

  it("names the variable that is missing or bad, never echoing the URL", () => {
    expect(() => fromEnv({})).toThrow(expect.objectContaining({ field: "SCHEDULER_REDIS_URL" }));
    expect(() => fromEnv({ SCHEDULER_REDIS_URL: "http://:pw@host" })).toThrow(
      expect.objectContaining({ field: "SCHEDULER_REDIS_URL" }),
    );
    expect(() =>
      fromEnv({ SCHEDULER_REDIS_URL: REDIS_URL, SCHEDULER_REDIS_KEY_PREFIX: "bad prefix" }),
    ).toThrow(expect.objectContaining({ field: "SCHEDULER_REDIS_KEY_PREFIX" }));
    expect(() => fromEnv({ SCHEDULER_REDIS_URL: REDIS_URL, SCHEDULER_REDIS_DB: "-1" })).toThrow(
      expect.objectContaining({ field: "SCHEDULER_REDIS_DB" }),
    );
  });

  it("refuses another store's settings and unknown SCHEDULER_* names", () => {
    expect(() => fromEnv({ SCHEDULER_REDIS_URL: REDIS_URL, SCHEDULER_POSTGRES_SCHEMA: "jobs" })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", field: "SCHEDULER_POSTGRES_SCHEMA" }),
    );
    expect(() => fromEnv({ SCHEDULER_REDIS_URL: REDIS_URL, SCHEDULER_REDIS_KEYPREFIX: "x:" })).toThrow(
      /SCHEDULER_REDIS_KEYPREFIX: .*did you mean SCHEDULER_REDIS_KEY_PREFIX\?/,
    );
  });

  it("createSchedulerFromEnv with SCHEDULER_STORE=redis uses this package", async () => {
    const keyPrefix = uniquePrefix("from-env");
    const scheduler = await createSchedulerFromEnv(
      { SCHEDULER_STORE: "redis", SCHEDULER_REDIS_URL: REDIS_URL, SCHEDULER_REDIS_KEY_PREFIX: keyPrefix },
      {},
      async (name) => {
        expect(name).toBe("@sched/store-redis");
        return import("../src/index.js");
      },
    );
    await scheduler.enqueue({ name: "x" });
    expect((await scheduler.stats()).pending).toBe(1);
    await scheduler.stop();
    await deleteKeys(admin, keyPrefix);
  });
});

describe("options", () => {
  it("the store describes its server by host and port, without the password", async () => {
    const store = new RedisStore({ url: "redis://:hunter2@127.0.0.1:1/0" });
    try {
      expect(store.describeServer()).toBe("Redis at 127.0.0.1:1");
    } finally {
      await store.close();
    }
  });

  it("refuses options that throw when read with a ConfigError, never the caller's error", async () => {
    for (const [label, thrown] of await unreadableRefusals((options) => new RedisStore(options), {
      url: REDIS_URL,
    } as RedisStoreOptions)) {
      expect(thrown, label).toBeInstanceOf(ConfigError);
      expect((thrown as Error).message, label).toMatch(/could not be read/);
    }
  });

  /** The ConfigError `new RedisStore(options)` throws, failing the test when it throws none. */
  function refusal(options: unknown): ConfigError {
    try {
      new RedisStore(options as RedisStoreOptions);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return err as ConfigError;
    }
    throw new Error(`expected new RedisStore(${JSON.stringify(options)}) to throw`);
  }

  it("an option it does not know is a ConfigError naming it, never silently ignored", () => {
    // Another library's option: connecting to 127.0.0.1:6379 without it would be a surprise.
    const foreign = refusal({ sentinels: [{ host: "10.0.0.1", port: 26379 }], name: "mymaster", natMap: {} });
    expect(foreign).toMatchObject({ code: "CONFIG_INVALID", field: "natMap" });
    expect(foreign.message).toContain("keyPrefix");
    expect(refusal({ url: REDIS_URL, keyprefix: "x:" })).toMatchObject({ field: "keyprefix" });
    expect(refusal({ url: REDIS_URL, keyprefix: "x:" }).message).toMatch(/did you mean keyPrefix\?/);
    // BullMQ's names for a connection and a key prefix point to the store's.
    expect(refusal({ connection: { host: "127.0.0.1" } }).message).toMatch(
      /^connection: .*did you mean client\?/,
    );
    expect(refusal({ url: REDIS_URL, prefix: "x:" }).message).toMatch(/did you mean keyPrefix\?/);
    expect(refusal({ client: admin, password: "pw" })).toMatchObject({ field: "password" });
    // An option given as undefined counts as absent.
    expect(() => new RedisStore({ url: REDIS_URL, db: undefined }).close()).not.toThrow();
  });

  it("a client that turns integer replies into strings is refused; a url asking for it gets numbers", async () => {
    const stringy = new Redis(REDIS_URL, { stringNumbers: true, lazyConnect: true });
    try {
      const refused = refusal({ client: stringy });
      expect(refused).toMatchObject({ code: "CONFIG_INVALID", field: "client" });
      expect(refused.message).toContain("stringNumbers");
    } finally {
      stringy.disconnect();
    }
    // ioredis reads options from a URL's query: the store's own client keeps integer replies as numbers.
    const keyPrefix = uniquePrefix("string_numbers");
    const store = new RedisStore({ url: `${REDIS_URL}?stringNumbers=true`, keyPrefix });
    const scheduler = new Scheduler({ store });
    try {
      let ran = 0;
      scheduler.register("x", async () => {
        ran++;
      });
      await scheduler.start();
      const job = await scheduler.enqueue({ name: "x" });
      await waitFor(async () => (await scheduler.getJob(job.id))?.status === "completed");
      expect(ran).toBe(1);
      const stats = await scheduler.stats();
      expect(stats.completed).toBe(1);
      expect(typeof stats.completed).toBe("number");
      // The store's own answers built from integer replies: a completion applied, a schedule written.
      await store.createJobs([newJob({ id: "sn-1" })]);
      const [claimed] = await store.claimDueJobs({
        now: new Date(),
        limit: 1,
        lockedUntil: new Date(Date.now() + 30_000),
        workerId: "w",
        queues: null,
        names: null,
      });
      expect(claimed?.id).toBe("sn-1");
      const ref = { id: "sn-1", queue: "default", attempt: 1, lockedBy: "w" };
      expect(await store.completeJobs([ref], { now: new Date(), removeOnComplete: false })).toEqual([true]);
      expect(await store.saveSchedule(newSchedule("sn-schedule", "default", new Date()))).toBe(true);
      expect(await store.deleteSchedule("sn-schedule")).toBe(true);
    } finally {
      await scheduler.stop();
      await deleteKeys(admin, keyPrefix);
    }
  });

  it("each option of the wrong type is a ConfigError naming it", () => {
    expect(refusal(null)).toMatchObject({ field: "options" });
    expect(refusal("redis://localhost")).toMatchObject({ field: "options" });
    expect(refusal({ url: 6379 })).toMatchObject({ field: "url" });
    expect(refusal({ url: new URL(REDIS_URL) })).toMatchObject({ field: "url" });
    expect(refusal({ client: "redis://localhost" })).toMatchObject({ field: "client" });
    expect(refusal({ keyPrefix: 5 })).toMatchObject({ field: "keyPrefix" });
    expect(refusal({ url: REDIS_URL, db: "1" })).toMatchObject({ field: "db" });
    expect(refusal({ finishedJobTtl: "soon" })).toMatchObject({ field: "finishedJobTtl" });
    expect(refusal({ finishedJobTtl: -1 })).toMatchObject({ field: "finishedJobTtl" });
    expect(refusal({ finishedJobTtl: true })).toMatchObject({ field: "finishedJobTtl" });
    // Past what Redis takes as an expiry, every cancel would fail.
    expect(refusal({ finishedJobTtl: 1e21 })).toMatchObject({ field: "finishedJobTtl" });
    expect(refusal({ db: 1e21 })).toMatchObject({ field: "db" });
    expect(refusal({ commandTimeout: "3" })).toMatchObject({ field: "commandTimeout" });
    expect(refusal({ commandTimeout: -5 })).toMatchObject({ field: "commandTimeout" });
    expect(refusal({ commandTimeout: 2 ** 31 })).toMatchObject({ field: "commandTimeout" });
  });

  it("the Sentinel options are checked, each error naming the option and never a password", () => {
    const sentinels = [{ host: "10.0.0.1", port: 26379 }];
    expect(refusal({ sentinels: [], name: "m" })).toMatchObject({ field: "sentinels" });
    expect(refusal({ sentinels: "10.0.0.1:26379", name: "m" })).toMatchObject({ field: "sentinels" });
    expect(refusal({ sentinels: [{ host: "", port: 26379 }], name: "m" })).toMatchObject({
      field: "sentinels[0].host",
    });
    expect(refusal({ sentinels: [{ host: "h", port: 70000 }], name: "m" })).toMatchObject({
      field: "sentinels[0].port",
    });
    expect(refusal({ sentinels })).toMatchObject({ field: "name" });
    expect(refusal({ sentinels, name: "my master" })).toMatchObject({ field: "name" });
    expect(refusal({ sentinels, name: "m", url: REDIS_URL })).toMatchObject({ field: "url" });
    expect(refusal({ sentinels, name: "m", client: admin })).toMatchObject({ field: "client" });
    expect(refusal({ name: "m", url: REDIS_URL })).toMatchObject({ field: "name" });
    expect(refusal({ sentinelPassword: "pw", url: REDIS_URL })).toMatchObject({ field: "sentinelPassword" });
    const emptyPassword = refusal({ sentinels, name: "m", password: "" });
    expect(emptyPassword).toMatchObject({ field: "password" });
    const badSentinelPassword = refusal({ sentinels, name: "m", sentinelPassword: 42 });
    expect(badSentinelPassword).toMatchObject({ field: "sentinelPassword" });
    // Valid: the client is made lazily, nothing is opened.
    const store = new RedisStore({
      sentinels,
      name: "mymaster",
      password: "pw",
      sentinelPassword: "spw",
      db: 2,
    });
    expect(store.redis.options).toMatchObject({
      name: "mymaster",
      password: "pw",
      sentinelPassword: "spw",
      db: 2,
    });
    return store.close();
  });

  it("a password goes with a url that has none", async () => {
    const store = new RedisStore({ url: REDIS_URL, password: "pw" });
    expect(store.redis.options).toMatchObject({ password: "pw" });
    await store.close();
  });

  it("waitForReplicas is checked, and refused on a Cluster client", () => {
    expect(refusal({ waitForReplicas: 1 })).toMatchObject({ field: "waitForReplicas" });
    expect(refusal({ waitForReplicas: { replicas: 1, timeout: "1s", extra: 1 } })).toMatchObject({
      field: "waitForReplicas.extra",
    });
    expect(refusal({ waitForReplicas: { replicas: 0, timeout: "1s" } })).toMatchObject({
      field: "waitForReplicas.replicas",
    });
    expect(refusal({ waitForReplicas: { replicas: 1 } })).toMatchObject({ field: "waitForReplicas.timeout" });
    expect(refusal({ waitForReplicas: { replicas: 1, timeout: 0 } })).toMatchObject({
      field: "waitForReplicas.timeout",
    });
    expect(refusal({ waitForReplicas: { replicas: 1, timeout: "soon" } })).toMatchObject({
      field: "waitForReplicas.timeout",
    });
    // The wait ends within commandTimeout, which bounds the write and the wait together.
    expect(refusal({ waitForReplicas: { replicas: 1, timeout: "3s" } })).toMatchObject({
      field: "waitForReplicas.timeout",
    });
    const cluster = { defineCommand() {}, isCluster: true } as unknown as RedisStoreOptions["client"];
    expect(refusal({ client: cluster, waitForReplicas: { replicas: 1, timeout: "100ms" } })).toMatchObject({
      field: "waitForReplicas",
    });
  });

  it("with waitForReplicas and no replica, an enqueue rejects once the wait is up", async () => {
    const keyPrefix = uniquePrefix("no-replica");
    const store = new RedisStore({
      url: REDIS_URL,
      keyPrefix,
      waitForReplicas: { replicas: 1, timeout: 50 },
    });
    try {
      await expect(store.createJobs([newJob()])).rejects.toMatchObject({
        code: "STORE_ERROR",
        message: expect.stringMatching(/only 0 of the 1 replica\(s\) asked for by waitForReplicas/),
      });
      await expect(store.saveSchedule(newSchedule("s", "default", new Date()))).rejects.toMatchObject({
        code: "STORE_ERROR",
      });
      await expect(store.deleteSchedule("s")).rejects.toMatchObject({ code: "STORE_ERROR" });
      // Reads and worker writes do not wait.
      await expect(store.stats()).resolves.toMatchObject({ pending: 1 });
    } finally {
      await deleteKeys(admin, keyPrefix);
      await store.close();
    }
  });

  it("a store with no options uses the default prefix and the local server", () => {
    const store = new RedisStore();
    expect(store.keyPrefix).toBe("scheduler:");
    return store.close();
  });

  it("createJobs refuses a transaction", async () => {
    const store = new RedisStore({ client: admin, keyPrefix: uniquePrefix("tx") });
    await expect(store.createJobs([newJob()], { transaction: {} })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "transaction",
    });
    await store.close();
  });

  it("a duplicate id is refused, and the queues of the batch already inserted are undone", async () => {
    const keyPrefix = uniquePrefix("dup");
    const store = new RedisStore({ client: admin, keyPrefix });
    const job = newJob({ queue: "a" });
    await store.createJobs([job]);
    const fresh = newJob({ queue: "a" });
    await expect(store.createJobs([newJob({ queue: "b" }), fresh, { ...job }])).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "id",
    });
    expect(await store.getJob(fresh.id)).toBeNull();
    expect((await store.listJobs({})).jobs.map((j) => j.id)).toEqual([job.id]);
    await deleteKeys(admin, keyPrefix);
    await store.close();
  });
});
