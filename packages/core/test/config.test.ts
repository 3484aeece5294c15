import { describe, expect, it } from "vitest";
import { configFromEnv } from "../src/config/env-config.js";
import type { SchedulerOptions } from "../src/config/options.js";
import { AdapterNotInstalledError, ConfigError } from "../src/errors.js";
import { createSchedulerFromEnv } from "../src/from-env.js";
import { MemoryStore } from "../src/memory/index.js";
import { createScheduler } from "../src/scheduler.js";

/** The ConfigError `configFromEnv(env)` throws; fails the test when it throws something else or nothing. */
function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    configFromEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(Object.keys(env))}`);
}

describe("configFromEnv", () => {
  it("reads every SCHEDULER_* variable of the scheduler, and leaves the PostgreSQL store's to its adapter", () => {
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
    });
    expect(config).toEqual({
      store: "postgres",
      workers: 8,
      pollInterval: 250,
      defaultTimeout: 60_000,
      retry: { maxAttempts: 5, initialDelay: 2000, maxDelay: 5_400_000, multiplier: 1.5 },
      deadLetter: { enabled: false, queue: "graveyard", retention: 604_800_000 },
      distributed: { enabled: true, instanceId: "web-1", lockTTL: 20_000, lockRefresh: 5000 },
    });
  });

  it("accepts the Redis and MongoDB variables with their store, and leaves them to its adapter", () => {
    expect(
      configFromEnv({
        SCHEDULER_STORE: "redis",
        SCHEDULER_REDIS_URL: "redis://localhost:6379",
        SCHEDULER_REDIS_KEY_PREFIX: "app:sched:",
        SCHEDULER_REDIS_DB: "2",
      }),
    ).toEqual({ store: "redis" });
    expect(
      configFromEnv({ SCHEDULER_STORE: "mongodb", SCHEDULER_MONGODB_URL: "mongodb://localhost:27017/app" }),
    ).toEqual({ store: "mongodb" });
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
    ["SCHEDULER_LOCK_REFRESH", "40s", /SCHEDULER_LOCK_REFRESH: must be less than the lock TTL/],
  ])("rejects %s=%s naming the variable", (name, value, message) => {
    const err = configErrorOf({ [name]: value });
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.field).toBe(name);
    expect(err.message).toMatch(message);
  });

  describe("variable names", () => {
    it("quotes a name that is not a plain variable name, escaped and cut, never raw", () => {
      const forged = `SCHEDULER_X\nERROR forged${"y".repeat(5_000)}`;
      const error = configErrorOf({ [forged]: "1", "SCHEDULER_\u2028": "1" });
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.field).toBe(JSON.stringify(`${forged.slice(0, 64)}…`));
      expect(/[\n\u2028]/.test(error.message)).toBe(false);
      expect(error.message.length).toBeLessThan(400);
      expect(error.message).toContain('also unknown: "SCHEDULER_\\u2028"');
    });

    it("rejects an unknown SCHEDULER_* name, suggesting the known name it is a typo of", () => {
      const error = configErrorOf({ SCHEDULER_STOER: "postgres" });
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.field).toBe("SCHEDULER_STOER");
      expect(error.message).toMatch(
        /^SCHEDULER_STOER: is not a variable @sched reads; did you mean SCHEDULER_STORE\?/,
      );
    });

    it.each([
      ["SCHEDULER_WORKER", "4", "SCHEDULER_WORKERS"],
      ["SCHEDULER_POLL_INTERVALL", "1s", "SCHEDULER_POLL_INTERVAL"],
      ["SCHEDULER_LOCK_TTLS", "30s", "SCHEDULER_LOCK_TTL"],
      ["SCHEDULER_dlq_queue", "dead", "SCHEDULER_DLQ_QUEUE"],
      ["SCHEDULER_DQL_ENABLED", "true", "SCHEDULER_DLQ_ENABLED"],
    ])("suggests for %s the closest known name", (name, value, suggestion) => {
      const error = configErrorOf({ [name]: value });
      expect(error.field).toBe(name);
      expect(error.message).toContain(`did you mean ${suggestion}?`);
      expect(error.message).not.toContain(value);
    });

    it("knows the variables sched serve of @sched/cli reads, so that an application sharing them starts", () => {
      expect(
        configFromEnv({
          SCHEDULER_HTTP_PORT: "8080",
          SCHEDULER_HTTP_HOST: "127.0.0.1",
          SCHEDULER_HTTP_TOKENS: "write:0123456789abcdef",
          SCHEDULER_HTTP_REDACT: "user.email",
          SCHEDULER_HTTP_HIDE_PAYLOADS: "true",
          SCHEDULER_HTTP_AUDIT_LOG: "/var/log/sched-audit.jsonl",
        }),
      ).toEqual({ store: "memory" });
      expect(configErrorOf({ SCHEDULER_HTTP_AUDITLOG: "x" }).message).toContain(
        "did you mean SCHEDULER_HTTP_AUDIT_LOG?",
      );
    });

    it("rejects an unknown name far from every known one without a guess", () => {
      const error = configErrorOf({ SCHEDULER_THREADS: "4" });
      expect(error.field).toBe("SCHEDULER_THREADS");
      expect(error.message).not.toContain("did you mean");
      expect(error.message).toContain("README");
    });

    it("names the other unknown variables too", () => {
      const error = configErrorOf({ SCHEDULER_STOER: "redis", SCHEDULER_THREADS: "4" });
      expect(error.field).toBe("SCHEDULER_STOER");
      expect(error.message).toContain("also unknown: SCHEDULER_THREADS");
    });

    it("reports a typo before the settings of the store it failed to select", () => {
      const error = configErrorOf({
        SCHEDULER_STOER: "postgres",
        SCHEDULER_POSTGRES_URL: "postgres://db/app",
      });
      expect(error.field).toBe("SCHEDULER_STOER");
    });

    it("ignores an unknown name that is empty, as it ignores empty known ones, and other prefixes", () => {
      expect(
        configFromEnv({ SCHEDULER_STOER: "", SCHEDULER_X: "  ", SCHEDULE_STORE: "x", PATH: "/bin" }),
      ).toEqual({
        store: "memory",
      });
    });

    it("leaves every name of the selected store's prefix to its adapter", () => {
      expect(() =>
        configFromEnv({
          SCHEDULER_STORE: "postgres",
          SCHEDULER_POSTGRES_URL: "postgres://db/app",
          SCHEDULER_POSTGRES_SCHEMA: "jobs",
          SCHEDULER_POSTGRES_TABLE_PREFIX: "s_",
          SCHEDULER_POSTGRES_AUTO_MIGRATE: "true",
        }),
      ).not.toThrow();
      expect(() =>
        configFromEnv({
          SCHEDULER_STORE: "redis",
          SCHEDULER_REDIS_URL: "redis://cache:6379",
          SCHEDULER_REDIS_KEY_PREFIX: "s:",
          SCHEDULER_REDIS_DB: "1",
          SCHEDULER_REDIS_SENTINELS: "10.0.0.1:26379,10.0.0.2:26379",
          SCHEDULER_REDIS_SENTINEL_NAME: "mymaster",
          SCHEDULER_REDIS_PASSWORD: "pw",
          SCHEDULER_REDIS_SENTINEL_PASSWORD: "pw2",
        }),
      ).not.toThrow();
      expect(() =>
        configFromEnv({
          SCHEDULER_STORE: "mongodb",
          SCHEDULER_MONGODB_URL: "mongodb://db:27017",
          SCHEDULER_MONGODB_DATABASE: "app",
          SCHEDULER_MONGODB_COLLECTION_PREFIX: "s_",
        }),
      ).not.toThrow();
    });
  });

  describe("store settings", () => {
    it.each([
      [
        { SCHEDULER_POSTGRES_URL: "postgres://u:hunter2@db/app" },
        "SCHEDULER_POSTGRES_URL",
        "postgres",
        "unset",
      ],
      [
        { SCHEDULER_STORE: "memory", SCHEDULER_POSTGRES_SCHEMA: "jobs" },
        "SCHEDULER_POSTGRES_SCHEMA",
        "postgres",
        "memory",
      ],
      [
        {
          SCHEDULER_STORE: "postgres",
          SCHEDULER_POSTGRES_URL: "postgres://db/app",
          SCHEDULER_REDIS_URL: "redis://:hunter2@cache",
        },
        "SCHEDULER_REDIS_URL",
        "redis",
        "postgres",
      ],
      [
        {
          SCHEDULER_STORE: "redis",
          SCHEDULER_REDIS_URL: "redis://cache",
          SCHEDULER_MONGODB_URL: "mongodb://u:hunter2@m",
        },
        "SCHEDULER_MONGODB_URL",
        "mongodb",
        "redis",
      ],
      [
        { SCHEDULER_STORE: "mongodb", SCHEDULER_REDIS_PASSWORD: "hunter2" },
        "SCHEDULER_REDIS_PASSWORD",
        "redis",
        "mongodb",
      ],
      [
        { SCHEDULER_STORE: "Redis", SCHEDULER_POSTGRES_AUTO_MIGRATE: "true" },
        "SCHEDULER_POSTGRES_AUTO_MIGRATE",
        "postgres",
        "redis",
      ],
    ])("rejects %o naming %s and the SCHEDULER_STORE=%s it needs", (env, name, needed, current) => {
      const error = configErrorOf(env);
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.field).toBe(name);
      expect(error.message).toContain(`needs SCHEDULER_STORE=${needed}`);
      expect(error.message).toContain(`SCHEDULER_STORE is ${current}`);
      expect(error.message).not.toContain("hunter2");
    });

    it("ignores an empty setting of another store", () => {
      expect(configFromEnv({ SCHEDULER_POSTGRES_URL: "", SCHEDULER_REDIS_DB: " " })).toEqual({
        store: "memory",
      });
    });

    it("reports a bad SCHEDULER_STORE before the settings that do not match it", () => {
      const error = configErrorOf({
        SCHEDULER_STORE: "postgress",
        SCHEDULER_POSTGRES_URL: "postgres://db/app",
      });
      expect(error.field).toBe("SCHEDULER_STORE");
    });
  });

  describe("durations", () => {
    const durationVariables = [
      "SCHEDULER_POLL_INTERVAL",
      "SCHEDULER_DEFAULT_TIMEOUT",
      "SCHEDULER_RETRY_INITIAL_DELAY",
      "SCHEDULER_RETRY_MAX_DELAY",
      "SCHEDULER_DLQ_RETENTION",
      "SCHEDULER_LOCK_TTL",
      "SCHEDULER_LOCK_REFRESH",
    ];

    it.each(durationVariables)("rejects %s without a unit, suggesting seconds or milliseconds", (name) => {
      const error = configErrorOf({ [name]: "30" });
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.field).toBe(name);
      expect(error.message).toContain('"30s"');
      expect(error.message).toContain('"30ms"');
    });

    it("rejects a fractional number without a unit too", () => {
      const error = configErrorOf({ SCHEDULER_POLL_INTERVAL: "1.5" });
      expect(error.field).toBe("SCHEDULER_POLL_INTERVAL");
      expect(error.message).toContain('"1.5s"');
    });

    it("accepts durations with units, and a bare 0, which is 0 in every unit", () => {
      expect(
        configFromEnv({
          SCHEDULER_LOCK_TTL: "30s",
          SCHEDULER_LOCK_REFRESH: "500ms",
          SCHEDULER_DEFAULT_TIMEOUT: "0",
        }),
      ).toEqual({ store: "memory", defaultTimeout: 0, distributed: { lockTTL: 30_000, lockRefresh: 500 } });
    });

    it("leaves programmatic options accepting numbers as milliseconds", () => {
      const s = createScheduler({ pollInterval: 500, distributed: { lockTTL: 30_000, lockRefresh: 10_000 } });
      expect(s.options.pollInterval).toBe(500);
    });
  });
});

describe("createScheduler options", () => {
  it.each([
    [{ workers: 0 }, /workers: expected an integer from 1 to 1000000, got 0/],
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
    const notFound = async (name: string) => {
      throw Object.assign(new Error(`Cannot find package '${name}'`), { code: "ERR_MODULE_NOT_FOUND" });
    };
    const err = await createSchedulerFromEnv(
      { SCHEDULER_STORE: "redis", SCHEDULER_REDIS_URL: "redis://127.0.0.1:1" },
      {},
      notFound,
    ).catch((e) => e);
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

  it("refuses a misspelt variable or another store's setting before loading any adapter", async () => {
    const loaded: string[] = [];
    const load = async (name: string) => {
      loaded.push(name);
      return { fromEnv: () => new MemoryStore() };
    };
    await expect(
      createSchedulerFromEnv({ SCHEDULER_STORE: "postgres", SCHEDULER_LOCK_TTLS: "30s" }, {}, load),
    ).rejects.toMatchObject({ code: "CONFIG_INVALID", field: "SCHEDULER_LOCK_TTLS" });
    await expect(
      createSchedulerFromEnv({ SCHEDULER_POSTGRES_URL: "postgres://u:hunter2@db/app" }, {}, load),
    ).rejects.toMatchObject({ code: "CONFIG_INVALID", field: "SCHEDULER_POSTGRES_URL" });
    await expect(
      createSchedulerFromEnv({ SCHEDULER_STORE: "postgres", SCHEDULER_LOCK_TTL: "30" }, {}, load),
    ).rejects.toMatchObject({ code: "CONFIG_INVALID", field: "SCHEDULER_LOCK_TTL" });
    expect(loaded).toEqual([]);
  });

  it("rejects a package without fromEnv", async () => {
    await expect(createSchedulerFromEnv({ SCHEDULER_STORE: "redis" }, {}, async () => ({}))).rejects.toThrow(
      /does not export fromEnv/,
    );
  });

  it("loads @sched/store-mongodb and @sched/leader-mongodb for SCHEDULER_STORE=mongodb", async () => {
    const loaded: string[] = [];
    const store = new MemoryStore();
    const { MemoryLeader, MemoryLeaderGroup } = await import("../src/memory/index.js");
    const leader = new MemoryLeader({ instanceId: "x", group: new MemoryLeaderGroup() });
    const env = {
      SCHEDULER_STORE: "mongodb",
      SCHEDULER_DISTRIBUTED: "true",
      SCHEDULER_MONGODB_URL: "mongodb://127.0.0.1:27017/app",
    };
    const s = await createSchedulerFromEnv(env, {}, async (name) => {
      loaded.push(name);
      return name.includes("store") ? { fromEnv: () => store } : { fromEnv: () => leader };
    });
    expect(loaded).toEqual(["@sched/store-mongodb", "@sched/leader-mongodb"]);
    await s.stop();
  });
});

describe("an adapter installed without its client", () => {
  it("names the missing dependency, not the adapter", async () => {
    const missingClient = async () => {
      throw Object.assign(
        new Error(
          "Cannot find package 'ioredis' imported from /app/node_modules/@sched/store-redis/dist/index.js",
        ),
        {
          code: "ERR_MODULE_NOT_FOUND",
        },
      );
    };
    const err = await createSchedulerFromEnv(
      { SCHEDULER_STORE: "redis", SCHEDULER_REDIS_URL: "redis://127.0.0.1:1" },
      {},
      missingClient,
    ).catch((e) => e);
    expect(err).toBeInstanceOf(AdapterNotInstalledError);
    expect(err).toMatchObject({ packageName: "@sched/store-redis", missingDependency: "ioredis" });
    expect(err.message).toContain("npm install ioredis");
  });
});
