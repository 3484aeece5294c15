import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, createScheduler, createSchedulerFromEnv } from "@sched/core";
import { describeValue } from "@sched/core/adapter";
import { recordingLogger, unreadableOptions, unreadableRefusals, waitFor } from "@sched/testing";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { limitSettings } from "../src/connection/index.js";
import { fromEnv, MigrationRequiredError, PostgresStore } from "../src/index.js";
import { POSTGRES_URL, TestSchemas, uniqueName } from "./helpers.js";

const schemas = new TestSchemas();
afterAll(() => schemas.dropAll());

/** The ConfigError thrown by `make`, failing the test when it throws something else or nothing. */
function configErrorOf(make: () => unknown): ConfigError {
  try {
    make();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

async function connectionsNamed(applicationName: string): Promise<number> {
  const { rows } = await schemas.admin.query<{ n: number }>(
    "SELECT count(*)::integer AS n FROM pg_stat_activity WHERE application_name = $1",
    [applicationName],
  );
  return rows[0]?.n ?? 0;
}

describe("identifiers", () => {
  const invalidSchemas = [
    "",
    "Public",
    "1schema",
    "my-schema",
    'x"; DROP TABLE users; --',
    "pg_catalog",
    "a".repeat(42),
    "sch ema",
  ];
  for (const schema of invalidSchemas) {
    it(`rejects the schema ${JSON.stringify(schema)} at construction, naming it`, () => {
      const error = configErrorOf(() => new PostgresStore({ connectionString: POSTGRES_URL, schema }));
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.field).toBe("schema");
      // Quoted when a plain word, else described (it may be a connection string put there).
      expect(error.message).toContain(describeValue(schema));
    });
  }

  for (const tablePrefix of ["Sched_", "1x_", "x-", 'a"b', "a".repeat(41)]) {
    it(`rejects the table prefix ${JSON.stringify(tablePrefix)} at construction, naming it`, () => {
      const error = configErrorOf(() => new PostgresStore({ connectionString: POSTGRES_URL, tablePrefix }));
      expect(error.field).toBe("tablePrefix");
      expect(error.message).toContain(describeValue(tablePrefix));
    });
  }

  it("accepts plain lowercase identifiers, and an empty prefix", () => {
    for (const options of [
      { schema: "public", tablePrefix: "" },
      { schema: "_jobs", tablePrefix: "_" },
      { schema: "a".repeat(41), tablePrefix: `z${"9".repeat(39)}` },
    ]) {
      const store = new PostgresStore({ connectionString: POSTGRES_URL, ...options });
      expect(store.schema).toBe(options.schema);
      expect(store.tablePrefix).toBe(options.tablePrefix);
      void store.close();
    }
  });

  it("works end to end with the longest schema and prefix (names and channel stay within 63 bytes)", async () => {
    const schema = schemas.name(`s${"x".repeat(26)}`);
    const store = schemas.store(schema, { tablePrefix: `p${"y".repeat(39)}` });
    const woken: string[] = [];
    const unsubscribe = store.subscribe((event) => {
      if (event.type === "jobs") woken.push(event.queue);
    });
    try {
      await store.migrate();
      await store.ping();
      expect(schema.length).toBe(40);
    } finally {
      unsubscribe();
      await store.close();
    }
  });

  it("names no table, index or function longer than 63 bytes with the longest prefix", () => {
    const dir = fileURLToPath(new URL("../migrations/", import.meta.url));
    const names = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql"))) {
      for (const match of readFileSync(join(dir, file), "utf8").matchAll(
        /"\{\{prefix\}\}([A-Za-z0-9_]+)"/g,
      )) {
        names.add(match[1] as string);
      }
    }
    expect(names.size).toBeGreaterThan(40);
    const longest = `p${"y".repeat(39)}`;
    const tooLong = [...names].filter((name) => Buffer.byteLength(longest + name) > 63);
    expect(tooLong).toEqual([]);
  });

  it("rejects both a pool and a connection string, and a pool that is not a pool", () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL });
    try {
      expect(configErrorOf(() => new PostgresStore({ pool, connectionString: POSTGRES_URL })).field).toBe(
        "pool",
      );
      expect(configErrorOf(() => new PostgresStore({ pool: {} as pg.Pool })).field).toBe("pool");
      expect(
        configErrorOf(() => new PostgresStore({ connectionString: POSTGRES_URL, poolSize: 0 })).field,
      ).toBe("poolSize");
    } finally {
      void pool.end();
    }
  });
});

describe("options", () => {
  it("the store describes its server by host and port, without the user or password", async () => {
    const store = new PostgresStore({ connectionString: "postgres://sched:hunter2@db.internal:6543/app" });
    try {
      expect(store.describeServer()).toBe("PostgreSQL at db.internal:6543");
    } finally {
      await store.close();
    }
  });

  it("refuses options that throw when read with a ConfigError, never the caller's error", async () => {
    for (const [label, thrown] of await unreadableRefusals((options) => new PostgresStore(options), {
      connectionString: POSTGRES_URL,
    })) {
      expect(thrown, label).toBeInstanceOf(ConfigError);
      expect((thrown as Error).message, label).toMatch(/could not be read/);
    }
    for (const [label, env] of unreadableOptions({ SCHEDULER_POSTGRES_URL: POSTGRES_URL })) {
      expect(configErrorOf(() => fromEnv(env)).message, label).toMatch(/could not be read/);
    }
    for (const [label, overrides] of unreadableOptions({ schema: "s" })) {
      const env = { SCHEDULER_POSTGRES_URL: POSTGRES_URL };
      expect(configErrorOf(() => fromEnv(env, overrides)).message, label).toMatch(
        /^overrides.*could not be read/,
      );
    }
  });

  it("an unknown option name is a ConfigError naming it, with the option it looks like", () => {
    const typo = configErrorOf(
      () => new PostgresStore({ connectionString: POSTGRES_URL, statmentTimeout: "1s" } as never),
    );
    expect(typo).toMatchObject({ code: "CONFIG_INVALID", field: "statmentTimeout" });
    expect(typo.message).toContain("did you mean statementTimeout?");
    // pg-boss's and graphile-worker's names for the pool's size point to the store's.
    for (const name of ["max", "maxPoolSize"]) {
      const sized = configErrorOf(
        () => new PostgresStore({ connectionString: POSTGRES_URL, [name]: 5 } as never),
      );
      expect(sized).toMatchObject({ code: "CONFIG_INVALID", field: name });
      expect(sized.message).toContain("did you mean poolSize?");
    }
    const foreign = configErrorOf(() => new PostgresStore({ url: POSTGRES_URL } as never));
    expect(foreign.field).toBe("url");
    expect(foreign.message).toContain("connectionString");
    // An option set to undefined is an option not given.
    void new PostgresStore({ connectionString: POSTGRES_URL, schema: undefined }).close();
  });

  it("options that are not an object are a ConfigError", () => {
    expect(configErrorOf(() => new PostgresStore(null as never)).field).toBe("options");
    expect(configErrorOf(() => new PostgresStore("postgres://x" as never)).field).toBe("options");
  });

  const wrongTypes: Array<[string, unknown]> = [
    ["connectionString", 5432],
    ["pool", "a pool"],
    ["schema", 1],
    ["tablePrefix", null],
    ["notify", "false"],
    ["poolSize", "10"],
    ["poolSize", 1.5],
    ["poolConfig", "max=5"],
    ["poolConfig", null],
    ["poolConfig", { connectionString: POSTGRES_URL }],
    ["applicationName", { name: "x" }],
    ["applicationName", "a\u0000b"],
    ["applicationName", "x".repeat(64)],
    ["autoMigrate", 1],
    ["connectionTimeout", "5"],
    ["connectionTimeout", -1],
    ["statementTimeout", "soon"],
    ["statementTimeout", 2 ** 40],
    ["migrationTimeout", {}],
    ["poolMode", "statement"],
    ["poolMode", true],
    ["listenConnectionString", 5432],
    ["listenConnectionString", "postgres://host:notaport/db"],
    ["vacuumEvery", -1],
    ["vacuumEvery", 2.5],
    ["vacuumEvery", "10000"],
  ];
  for (const [field, value] of wrongTypes) {
    it(`refuses ${field}: ${JSON.stringify(value)} with a ConfigError naming ${field}`, () => {
      const connection =
        field === "pool" || field === "connectionString" ? {} : { connectionString: POSTGRES_URL };
      const error = configErrorOf(() => new PostgresStore({ ...connection, [field]: value }));
      expect(error).toMatchObject({ code: "CONFIG_INVALID", field });
    });
  }

  it("accepts every option with a value of its type", async () => {
    const store = new PostgresStore({
      connectionString: POSTGRES_URL,
      schema: "public",
      tablePrefix: "scheduler_",
      notify: false,
      poolSize: 2,
      poolConfig: { max: 3, idleTimeoutMillis: 1_000 },
      applicationName: "sched-options-test",
      autoMigrate: false,
      connectionTimeout: "2s",
      statementTimeout: 3_000,
      migrationTimeout: "0",
      poolMode: "session",
    });
    await store.close();
  });
});

describe("poolMode and listenConnectionString", () => {
  it('poolMode: "transaction" without listenConnectionString listens nowhere: pushedEvents is false', async () => {
    const stores = [
      new PostgresStore({ connectionString: POSTGRES_URL, poolMode: "transaction" }),
      new PostgresStore({ pool: schemas.admin, poolMode: "transaction" }),
      new PostgresStore({ connectionString: POSTGRES_URL, notify: false }),
    ];
    for (const store of stores)
      expect(store.capabilities).toEqual({
        transactions: true,
        pushedEvents: false,
        largeClaims: true,
        wholePrefetchClaims: true,
      });
    await Promise.all(stores.map((store) => store.close()));
  });

  it("listens with listenConnectionString, in either pool mode, and by default in session mode", async () => {
    const stores = [
      new PostgresStore({ connectionString: POSTGRES_URL }),
      new PostgresStore({ connectionString: POSTGRES_URL, poolMode: "session" }),
      new PostgresStore({
        connectionString: POSTGRES_URL,
        poolMode: "transaction",
        listenConnectionString: POSTGRES_URL,
      }),
      new PostgresStore({
        pool: schemas.admin,
        poolMode: "transaction",
        listenConnectionString: POSTGRES_URL,
      }),
    ];
    for (const store of stores) expect(store.capabilities.pushedEvents).toBe(true);
    await Promise.all(stores.map((store) => store.close()));
  });

  it("refuses listenConnectionString with notify: false, and never echoes a bad one", () => {
    const error = configErrorOf(
      () =>
        new PostgresStore({
          connectionString: POSTGRES_URL,
          notify: false,
          listenConnectionString: POSTGRES_URL,
        }),
    );
    expect(error).toMatchObject({ field: "listenConnectionString" });
    expect(error.message).toContain("notify: false");
    const secret = "mysql://admin:hunter2secret@db:3306/app";
    const bad = configErrorOf(
      () => new PostgresStore({ connectionString: POSTGRES_URL, listenConnectionString: secret }),
    );
    expect(bad.field).toBe("listenConnectionString");
    expect(bad.message).not.toContain("hunter2secret");
    // A connection string that every object inherits (a polluted Object.prototype) is refused.
    (Object.prototype as Record<string, unknown>).connectionString = "postgres://evil@10.9.9.9/app";
    try {
      expect(configErrorOf(() => new PostgresStore({ schema: "polluted" }))).toMatchObject({
        code: "CONFIG_INVALID",
        field: "connectionString",
      });
    } finally {
      delete (Object.prototype as Record<string, unknown>).connectionString;
    }
    // A connection string put where a name goes is described, never quoted.
    for (const field of ["schema", "tablePrefix"] as const) {
      const misplaced = configErrorOf(
        () =>
          new PostgresStore({
            connectionString: POSTGRES_URL,
            [field]: "postgres://app:hunter2@db:5432/app",
          }),
      );
      expect(misplaced).toMatchObject({ code: "CONFIG_INVALID", field });
      expect(misplaced.message).toContain("got a string of 34 characters");
      expect(misplaced.message).not.toContain("hunter2");
    }
    expect(
      configErrorOf(() => new PostgresStore({ connectionString: POSTGRES_URL, schema: "Bad" })).message,
    ).toContain('got "Bad"');
  });

  it('poolMode: "transaction" leaves statement_timeout out of the settings pg sends at connection start', () => {
    const limits = { connectMs: 5_000, statementMs: 7_000, queryMs: 8_000 };
    expect(limitSettings(limits, "transaction")).toEqual({
      connectionTimeoutMillis: 5_000,
      statement_timeout: 0,
      query_timeout: 8_000,
    });
    expect(limitSettings(limits, "session").statement_timeout).toBe(7_000);
    expect(limitSettings(limits).statement_timeout).toBe(7_000);
  });
});

describe("fromEnv", () => {
  it("builds a store from SCHEDULER_POSTGRES_URL, _SCHEMA and _TABLE_PREFIX", async () => {
    const schema = await schemas.migrated("sched_env", { tablePrefix: "env_" });
    const store = fromEnv({
      SCHEDULER_POSTGRES_URL: POSTGRES_URL,
      SCHEDULER_POSTGRES_SCHEMA: schema,
      SCHEDULER_POSTGRES_TABLE_PREFIX: "env_",
      SCHEDULER_STORE: "postgres",
    });
    try {
      expect(store).toBeInstanceOf(PostgresStore);
      expect([store.schema, store.tablePrefix]).toEqual([schema, "env_"]);
      await store.ping();
    } finally {
      await store.close();
    }
  });

  it("uses the default schema and prefix when only the URL is set, and applies overrides", () => {
    const store = fromEnv({ SCHEDULER_POSTGRES_URL: POSTGRES_URL }, { tablePrefix: "other_", notify: false });
    expect([store.schema, store.tablePrefix]).toEqual(["public", "other_"]);
    void store.close();
  });

  it("requires SCHEDULER_POSTGRES_URL", () => {
    const error = configErrorOf(() => fromEnv({}));
    expect(error.field).toBe("SCHEDULER_POSTGRES_URL");
  });

  it("names the variable of a bad URL and never echoes it", () => {
    const url = "mysql://admin:hunter2secret@db:3306/app";
    const error = configErrorOf(() => fromEnv({ SCHEDULER_POSTGRES_URL: url }));
    expect(error.field).toBe("SCHEDULER_POSTGRES_URL");
    expect(error.message).not.toContain("hunter2secret");
    expect(error.message).not.toContain(url);
  });

  it("refuses another store's settings and unknown SCHEDULER_* names", () => {
    expect(
      configErrorOf(() =>
        fromEnv({ SCHEDULER_POSTGRES_URL: POSTGRES_URL, SCHEDULER_REDIS_URL: "redis://:hunter2@cache" }),
      ).field,
    ).toBe("SCHEDULER_REDIS_URL");
    const typo = configErrorOf(() =>
      fromEnv({ SCHEDULER_POSTGRES_URL: POSTGRES_URL, SCHEDULER_POSTGRES_SHEMA: "jobs" }),
    );
    expect(typo.field).toBe("SCHEDULER_POSTGRES_SHEMA");
    expect(typo.message).toContain("did you mean SCHEDULER_POSTGRES_SCHEMA?");
  });

  it("names SCHEDULER_POSTGRES_URL for a URL pg would not read as a server", () => {
    // It parses as a URL, so configFromEnv lets it through, but it names no host: pg would use localhost.
    const error = configErrorOf(() => fromEnv({ SCHEDULER_POSTGRES_URL: "postgres:db.internal/app" }));
    expect(error.field).toBe("SCHEDULER_POSTGRES_URL");
    expect(error.message).toContain("is not a URL");
    expect(error.message).not.toContain("db.internal");
  });

  it("reads SCHEDULER_POSTGRES_POOL_MODE and SCHEDULER_POSTGRES_LISTEN_URL", async () => {
    const polling = fromEnv({
      SCHEDULER_POSTGRES_URL: POSTGRES_URL,
      SCHEDULER_POSTGRES_POOL_MODE: "transaction",
    });
    const listening = fromEnv({
      SCHEDULER_POSTGRES_URL: POSTGRES_URL,
      SCHEDULER_POSTGRES_POOL_MODE: "transaction",
      SCHEDULER_POSTGRES_LISTEN_URL: POSTGRES_URL,
    });
    expect(polling.capabilities.pushedEvents).toBe(false);
    expect(listening.capabilities.pushedEvents).toBe(true);
    await Promise.all([polling.close(), listening.close()]);
    const bad = configErrorOf(() =>
      fromEnv({ SCHEDULER_POSTGRES_URL: POSTGRES_URL, SCHEDULER_POSTGRES_POOL_MODE: "statement" }),
    );
    expect(bad.field).toBe("SCHEDULER_POSTGRES_POOL_MODE");
    expect(bad.message).toContain("session or transaction");
    const secret = "postgres://u:hunter2secret@db:notaport/app";
    const badUrl = configErrorOf(() =>
      fromEnv({ SCHEDULER_POSTGRES_URL: POSTGRES_URL, SCHEDULER_POSTGRES_LISTEN_URL: secret }),
    );
    expect(badUrl.field).toBe("SCHEDULER_POSTGRES_LISTEN_URL");
    expect(badUrl.message).not.toContain("hunter2secret");
    const unused = configErrorOf(() =>
      fromEnv(
        { SCHEDULER_POSTGRES_URL: POSTGRES_URL, SCHEDULER_POSTGRES_LISTEN_URL: POSTGRES_URL },
        { notify: false },
      ),
    );
    expect(unused.field).toBe("SCHEDULER_POSTGRES_LISTEN_URL");
  });

  it("names SCHEDULER_POSTGRES_SCHEMA and SCHEDULER_POSTGRES_TABLE_PREFIX when they are invalid", () => {
    // Both pass core's generic pattern but not the store's: identifiers are lowercase here.
    expect(
      configErrorOf(() =>
        fromEnv({ SCHEDULER_POSTGRES_URL: POSTGRES_URL, SCHEDULER_POSTGRES_SCHEMA: "MySchema" }),
      ).field,
    ).toBe("SCHEDULER_POSTGRES_SCHEMA");
    expect(
      configErrorOf(() =>
        fromEnv({ SCHEDULER_POSTGRES_URL: POSTGRES_URL, SCHEDULER_POSTGRES_TABLE_PREFIX: "Jobs_" }),
      ).field,
    ).toBe("SCHEDULER_POSTGRES_TABLE_PREFIX");
    expect(
      configErrorOf(() =>
        fromEnv({ SCHEDULER_POSTGRES_URL: POSTGRES_URL, SCHEDULER_POSTGRES_SCHEMA: "bad-name" }),
      ).field,
    ).toBe("SCHEDULER_POSTGRES_SCHEMA");
  });
});

describe("createSchedulerFromEnv with SCHEDULER_STORE=postgres", () => {
  it("loads this package, builds the store with fromEnv, and closes it on stop()", async () => {
    const schema = await schemas.migrated("sched_fromenv");
    let built: PostgresStore | undefined;
    const scheduler = await createSchedulerFromEnv(
      {
        SCHEDULER_STORE: "postgres",
        SCHEDULER_POSTGRES_URL: POSTGRES_URL,
        SCHEDULER_POSTGRES_SCHEMA: schema,
        SCHEDULER_WORKERS: "3",
      },
      { logger: { debug() {}, info() {}, warn() {}, error() {} } },
      async (name) => {
        expect(name).toBe("@sched/store-postgres");
        const module = await import("../src/index.js");
        return {
          fromEnv: (env: Record<string, string | undefined>) => {
            built = module.fromEnv(env);
            return built;
          },
        };
      },
    );
    const ran: string[] = [];
    scheduler.register("hello", async (job) => {
      ran.push(job.id);
    });
    await scheduler.start();
    const job = await scheduler.enqueue({ name: "hello" });
    await waitFor(() => ran.includes(job.id), { timeout: "5s", description: "the job to run" });
    expect(built?.schema).toBe(schema);
    await scheduler.stop();
    await expect(built!.ping()).rejects.toMatchObject({ code: "STORE_CLOSED" });
  });
});

describe("MIGRATION_REQUIRED on the environment path", () => {
  const quiet = { logger: { debug() {}, info() {}, warn() {}, error() {} } };

  it("says to set SCHEDULER_POSTGRES_AUTO_MIGRATE=true when createSchedulerFromEnv built the store", async () => {
    const schema = schemas.name("sched_unmigrated");
    const scheduler = await createSchedulerFromEnv(
      {
        SCHEDULER_STORE: "postgres",
        SCHEDULER_POSTGRES_URL: POSTGRES_URL,
        SCHEDULER_POSTGRES_SCHEMA: schema,
      },
      quiet,
      async () => import("../src/index.js"),
    );
    try {
      const error = await scheduler.enqueue({ name: "x" }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(MigrationRequiredError);
      expect((error as MigrationRequiredError).code).toBe("MIGRATION_REQUIRED");
      expect((error as Error).message).toContain("set SCHEDULER_POSTGRES_AUTO_MIGRATE=true");
      expect((error as Error).message).toContain("store.migrate()");
      expect((error as Error).message).toContain(`schema "${schema}"`);
    } finally {
      await scheduler.stop();
    }
  });

  it("says so for tables that went away after the store found them, too", async () => {
    const schema = await schemas.migrated("sched_dropped");
    const store = fromEnv({ SCHEDULER_POSTGRES_URL: POSTGRES_URL, SCHEDULER_POSTGRES_SCHEMA: schema });
    try {
      await store.stats();
      await schemas.drop(schema);
      const error = await store.stats().catch((err: unknown) => err);
      expect(error).toMatchObject({ code: "MIGRATION_REQUIRED" });
      expect((error as Error).message).toContain("set SCHEDULER_POSTGRES_AUTO_MIGRATE=true");
    } finally {
      await store.close();
    }
  });

  it("does not mention the variable for a store built in code", async () => {
    const store = new PostgresStore({
      connectionString: POSTGRES_URL,
      schema: schemas.name("sched_unmigrated"),
    });
    try {
      const error = await store.stats().catch((err: unknown) => err);
      expect(error).toMatchObject({ code: "MIGRATION_REQUIRED" });
      expect((error as Error).message).not.toContain("SCHEDULER_POSTGRES_AUTO_MIGRATE");
      expect((error as Error).message).toContain("run await store.migrate() once");
    } finally {
      await store.close();
    }
  });

  it("migrates on first use with SCHEDULER_POSTGRES_AUTO_MIGRATE=true", async () => {
    const store = fromEnv({
      SCHEDULER_POSTGRES_URL: POSTGRES_URL,
      SCHEDULER_POSTGRES_SCHEMA: schemas.name("sched_auto"),
      SCHEDULER_POSTGRES_AUTO_MIGRATE: "true",
    });
    try {
      await expect(store.stats()).resolves.toMatchObject({ pending: 0 });
    } finally {
      await store.close();
    }
  });
});

describe("pool ownership", () => {
  it("close() ends the pool the store created: none of its connections stay open", async () => {
    const schema = await schemas.migrated();
    const applicationName = uniqueName("sched_owned");
    const store = schemas.store(schema, { applicationName });
    await Promise.all([store.ping(), store.stats(), store.listJobs({})]);
    expect(await connectionsNamed(applicationName)).toBeGreaterThan(0);
    await store.close();
    // The server's backends exit just after the sockets close.
    await waitFor(async () => (await connectionsNamed(applicationName)) === 0, {
      timeout: "5s",
      description: "the connections to close",
    });
    await expect(store.ping()).rejects.toMatchObject({ code: "STORE_CLOSED" });
    await store.close();
  });

  it("close() leaves a pool passed in open and usable", async () => {
    const schema = await schemas.migrated();
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    pool.on("error", () => {});
    const store = new PostgresStore({ pool, schema });
    try {
      await store.ping();
      await store.close();
      await expect(store.ping()).rejects.toMatchObject({ code: "STORE_CLOSED" });
      const { rows } = await pool.query("SELECT 1 AS one");
      expect(rows).toEqual([{ one: 1 }]);
      expect(pool.ended).toBe(false);
    } finally {
      await pool.end();
    }
  });

  it("guards a passed-in pool without an error listener only while the store is open", async () => {
    const schema = await schemas.migrated();
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    const store = new PostgresStore({ pool, schema });
    try {
      expect(pool.listenerCount("error")).toBe(1);
      await store.close();
      expect(pool.listenerCount("error")).toBe(0);
      const guarded = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
      const own = () => {};
      guarded.on("error", own);
      const other = new PostgresStore({ pool: guarded, schema });
      expect(guarded.listeners("error")).toEqual([own]);
      await other.close();
      await guarded.end();
    } finally {
      await pool.end();
    }
  });
});

describe("enqueue in the caller's transaction", () => {
  it("a client outside a transaction is refused before anything is written; after BEGIN (awaited or not) it joins", async () => {
    const schema = await schemas.migrated();
    const store = schemas.store(schema);
    const s = createScheduler({ store, logger: recordingLogger() });
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      // Never ran BEGIN: the job would have committed at once, whatever the caller did next.
      const refused = await s.enqueue({ name: "x" }, { transaction: client }).catch((err: unknown) => err);
      expect(refused).toMatchObject({ code: "INVALID_ARGUMENT", field: "transaction" });
      expect((await s.listJobs()).jobs).toEqual([]);
      // After COMMIT the client is outside a transaction again.
      await client.query("BEGIN");
      await s.enqueue({ name: "committed" }, { transaction: client });
      await client.query("COMMIT");
      await expect(s.enqueueMany([{ name: "y" }], { transaction: client })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
      // A BEGIN sent without awaiting it is answered before the insert: the job joins it.
      void client.query("BEGIN");
      await s.enqueue({ name: "rolled-back" }, { transaction: client });
      await client.query("ROLLBACK");
      expect((await s.listJobs()).jobs.map((job) => job.name)).toEqual(["committed"]);
    } finally {
      await client.end();
      await s.stop();
      await store.close();
    }
  });
});
