import { createSchedulerFromEnv } from "@sched/core";
import { afterAll, describe, expect, it } from "vitest";
import { fromEnv, RedisStore } from "../src/index.js";
import { adminClient, deleteKeys, newJob, REDIS_URL, uniquePrefix } from "./helpers.js";

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
    expect((await store.listJobs({})).map((j) => j.id)).toEqual([job.id]);
    await deleteKeys(admin, keyPrefix);
    await store.close();
  });
});
