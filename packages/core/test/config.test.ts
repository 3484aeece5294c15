import { describe, expect, it } from "vitest";
import { configFromEnv } from "../src/env-config.js";
import { AdapterNotInstalledError, ConfigError } from "../src/errors.js";
import { createSchedulerFromEnv } from "../src/from-env.js";
import { MemoryStore } from "../src/memory/index.js";
import type { SchedulerOptions } from "../src/options.js";
import { createScheduler } from "../src/scheduler.js";

describe("configFromEnv", () => {
  it("reads every SCHEDULER_* variable", () => {
    const config = configFromEnv({
      SCHEDULER_STORE: "postgres",
      SCHEDULER_WORKERS: "8",
      SCHEDULER_POLL_INTERVAL: "250ms",
      SCHEDULER_DEFAULT_TIMEOUT: "1m",
      SCHEDULER_RETRY_MAX_ATTEMPTS: "5",
      SCHEDULER_RETRY_INITIAL_DELAY: "2s",
      SCHEDULER_RETRY_MAX_DELAY: "1h30m",
      SCHEDULER_RETRY_MULTIPLIER: "1.5",
      SCHEDULER_DLQ_ENABLED: "false",
      SCHEDULER_DLQ_QUEUE: "graveyard",
      SCHEDULER_DLQ_RETENTION: "168h",
      SCHEDULER_DISTRIBUTED: "true",
      SCHEDULER_INSTANCE_ID: "web-1",
      SCHEDULER_LOCK_TTL: "20s",
      SCHEDULER_LOCK_REFRESH: "5s",
      SCHEDULER_POSTGRES_URL: "postgres://u:secret@db:5432/app",
      SCHEDULER_POSTGRES_SCHEMA: "jobs",
      SCHEDULER_POSTGRES_TABLE_PREFIX: "sched_",
      SCHEDULER_POSTGRES_AUTO_MIGRATE: "yes",
      SCHEDULER_REDIS_URL: "redis://localhost:6379",
      SCHEDULER_REDIS_KEY_PREFIX: "app:sched:",
      SCHEDULER_REDIS_DB: "2",
      SCHEDULER_MONGODB_URL: "mongodb://localhost:27017/app",
    });
    expect(config).toEqual({
      store: "postgres",
      workers: 8,
      pollInterval: 250,
      defaultTimeout: 60_000,
      retry: { maxAttempts: 5, initialDelay: 2000, maxDelay: 5_400_000, multiplier: 1.5 },
      deadLetter: { enabled: false, queue: "graveyard", retention: 604_800_000 },
      distributed: { enabled: true, instanceId: "web-1", lockTTL: 20_000, lockRefresh: 5000 },
      postgres: {
        url: "postgres://u:secret@db:5432/app",
        schema: "jobs",
        tablePrefix: "sched_",
        autoMigrate: true,
      },
      redis: { url: "redis://localhost:6379", keyPrefix: "app:sched:", db: 2 },
      mongodb: { url: "mongodb://localhost:27017/app" },
    });
  });

  it("defaults to the memory store and leaves unset values out", () => {
    expect(configFromEnv({})).toEqual({ store: "memory" });
    expect(configFromEnv({ SCHEDULER_WORKERS: "  " })).toEqual({ store: "memory" });
  });

  it.each([
    [
      "SCHEDULER_STORE",
      "sqlite",
      /SCHEDULER_STORE: expected one of memory, postgres, redis, mongodb, got "sqlite"/,
    ],
    ["SCHEDULER_WORKERS", "0", /SCHEDULER_WORKERS: expected an integer >= 1, got "0"/],
    ["SCHEDULER_WORKERS", "ten", /SCHEDULER_WORKERS.*"ten"/],
    ["SCHEDULER_POLL_INTERVAL", "soon", /SCHEDULER_POLL_INTERVAL: expected a duration.*"soon"/],
    ["SCHEDULER_POLL_INTERVAL", "0", /SCHEDULER_POLL_INTERVAL: expected a positive duration/],
    ["SCHEDULER_RETRY_MULTIPLIER", "0.5", /SCHEDULER_RETRY_MULTIPLIER: expected a number >= 1/],
    ["SCHEDULER_DLQ_ENABLED", "maybe", /SCHEDULER_DLQ_ENABLED: expected true or false, got "maybe"/],
    [
      "SCHEDULER_POSTGRES_SCHEMA",
      "drop table;",
      /SCHEDULER_POSTGRES_SCHEMA: expected a lowercase SQL identifier/,
    ],
    ["SCHEDULER_REDIS_DB", "-1", /SCHEDULER_REDIS_DB/],
    ["SCHEDULER_POSTGRES_SCHEMA", "Jobs", /SCHEDULER_POSTGRES_SCHEMA: expected a lowercase SQL identifier/],
    ["SCHEDULER_POSTGRES_AUTO_MIGRATE", "sure", /SCHEDULER_POSTGRES_AUTO_MIGRATE: expected true or false/],
    ["SCHEDULER_LOCK_REFRESH", "40s", /SCHEDULER_LOCK_REFRESH: must be less than the lock TTL/],
  ])("rejects %s=%s naming the variable", (name, value, message) => {
    const err = (() => {
      try {
        configFromEnv({ [name]: value });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe("CONFIG_INVALID");
    expect((err as ConfigError).field).toBe(name);
    expect((err as Error).message).toMatch(message);
  });

  it("never echoes a connection string in an error", () => {
    const secret = "postgres://user:hunter2@db:5432/app";
    expect(() => configFromEnv({ SCHEDULER_REDIS_URL: secret })).toThrow(/SCHEDULER_REDIS_URL/);
    try {
      configFromEnv({ SCHEDULER_REDIS_URL: secret });
    } catch (err) {
      expect((err as Error).message).not.toContain("hunter2");
    }
    try {
      configFromEnv({ SCHEDULER_POSTGRES_URL: "not a url hunter2" });
    } catch (err) {
      expect((err as Error).message).not.toContain("hunter2");
    }
  });
});

describe("createScheduler options", () => {
  it.each([
    [{ workers: 0 }, /workers: expected an integer >= 1, got 0/],
    [{ pollInterval: "fast" }, /pollInterval/],
    [
      { distributed: { lockTTL: "10s", lockRefresh: "10s" } },
      /distributed.lockRefresh: must be positive and less than lockTTL/,
    ],
    [{ distributed: { enabled: true } }, /leader: distributed.enabled requires a leader/],
    [{ retry: { maxAttempts: 0 } }, /retry.maxAttempts/],
    [{ queues: [] }, /queues/],
    [{ queues: ["ok", "not ok"] }, /queues\[1\]/],
    [{ misfire: "sometimes" as "skip" }, /misfire/],
    [{ maxPayloadBytes: -1 }, /maxPayloadBytes/],
  ])("rejects %o with a ConfigError naming the option", (options, message) => {
    expect(() => createScheduler(options as SchedulerOptions)).toThrow(ConfigError);
    expect(() => createScheduler(options as SchedulerOptions)).toThrow(message);
  });
});

describe("createSchedulerFromEnv", () => {
  it("builds an in-memory scheduler from the environment", async () => {
    const s = await createSchedulerFromEnv({ SCHEDULER_WORKERS: "3", SCHEDULER_POLL_INTERVAL: "2s" });
    expect(s.options.workers).toBe(3);
    expect(s.options.pollInterval).toBe(2000);
    expect(s.store).toBeInstanceOf(MemoryStore);
    const ran: string[] = [];
    s.register("j", () => {
      ran.push("j");
    });
    await s.start();
    await s.enqueue({ name: "j" });
    await new Promise((r) => setTimeout(r, 50));
    expect(ran).toEqual(["j"]);
    await s.stop();
  });

  it("builds a distributed in-memory scheduler with a memory leader", async () => {
    const s = await createSchedulerFromEnv({ SCHEDULER_DISTRIBUTED: "true", SCHEDULER_INSTANCE_ID: "i-1" });
    await s.start();
    expect(s.instanceId).toBe("i-1");
    expect(s.isLeader).toBe(true);
    await s.stop();
  });

  it("tells the user what to install when the adapter package is missing", async () => {
    const err = await createSchedulerFromEnv({ SCHEDULER_STORE: "redis" }).catch((e) => e);
    expect(err).toBeInstanceOf(AdapterNotInstalledError);
    expect(err.code).toBe("ADAPTER_NOT_INSTALLED");
    expect(err.message).toContain("npm install @sched/store-redis");
  });

  it("loads the store and leader from the adapter packages' fromEnv, and owns the store", async () => {
    const loaded: string[] = [];
    const store = new MemoryStore();
    const { MemoryLeader, MemoryLeaderGroup } = await import("../src/memory/index.js");
    const leader = new MemoryLeader({ instanceId: "x", group: new MemoryLeaderGroup() });
    const s = await createSchedulerFromEnv(
      { SCHEDULER_STORE: "postgres", SCHEDULER_DISTRIBUTED: "1" },
      {},
      async (name) => {
        loaded.push(name);
        return name.includes("store") ? { fromEnv: () => store } : { fromEnv: () => leader };
      },
    );
    expect(loaded).toEqual(["@sched/store-postgres", "@sched/leader-postgres"]);
    await s.start();
    await s.stop();
    await expect(store.ping()).rejects.toThrow();
    // The leader it built is closed too: a closed leader never leads again.
    expect(await leader.acquire()).toBe(false);
  });

  it("rejects a package without fromEnv", async () => {
    await expect(
      createSchedulerFromEnv({ SCHEDULER_STORE: "mongodb" }, {}, async () => ({})),
    ).rejects.toThrow(/does not export fromEnv/);
  });
});
