import { Scheduler } from "@sched/core";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_TYPES } from "../src/connection/type-parsers.js";
import { PostgresStore } from "../src/index.js";
import { POSTGRES_URL, TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();

/** What an application might set for its own statements: every pool of the process gets it. */
const APPLICATION_PARSERS: Array<[number, (value: string) => unknown]> = [
  [1184, (value) => `text:${value}`], // timestamptz as text
  [114, (value) => `text:${value}`], // json as text
  [3802, (value) => `text:${value}`], // jsonb as text
  [20, (value) => Number(value)], // int8 as a number
  [23, (value) => `int:${value}`], // int4 as text
  [16, (value) => `bool:${value}`], // boolean as text
  [1009, (value) => `array:${value}`], // text[] as text
];
/** `url` with the session settings `options` (libpq's `options` parameter: `-c name=value ...`). */
function withOptions(url: string, options: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("options", options);
  return parsed.toString();
}

const saved = APPLICATION_PARSERS.map(([oid]) => [oid, pg.types.getTypeParser(oid, "text")] as const);

afterAll(async () => {
  for (const [oid, parse] of saved) pg.types.setTypeParser(oid, "text", parse as (value: string) => unknown);
  await schemas.dropAll();
});

describe("the store reads with pg's default parsers, whatever the application set", () => {
  it("jobs, queues, schedules and counts keep their types under an application's setTypeParser", async () => {
    const schema = await schemas.migrated("sched_type_parsers");
    for (const [oid, parse] of APPLICATION_PARSERS) pg.types.setTypeParser(oid, "text", parse);
    // The application's own statements do see its parsers.
    const own = await schemas.admin.query("SELECT now() AS at, '{\"a\":1}'::json AS j, 5::int4 AS n");
    expect(own.rows[0]).toMatchObject({ at: expect.stringMatching(/^text:/), j: 'text:{"a":1}', n: "int:5" });

    const store = schemas.store(schema);
    const s = new Scheduler({ store, workers: 2 });
    try {
      const ran = new Promise<{ attempt: unknown; payload: unknown; startedAt: unknown }>((resolve) => {
        s.register<{ n: number }>("typed", async (job, ctx) => {
          resolve({ attempt: ctx.attempt, payload: job.payload, startedAt: job.startedAt });
        });
      });
      const later = await s.enqueue({
        name: "typed",
        payload: { n: 1 },
        metadata: { tenant: "acme" },
        priority: 3,
        runAt: new Date(Date.now() + 3_600_000),
      });
      const read = await s.getJob(later.id);
      expect(read?.scheduledAt).toBeInstanceOf(Date);
      expect(read?.scheduledAt.getTime()).toBe(later.scheduledAt.getTime());
      expect(read?.createdAt).toBeInstanceOf(Date);
      expect(read?.payload).toEqual({ n: 1 });
      expect(read?.metadata).toEqual({ tenant: "acme" });
      expect(read?.priority).toBe(3);
      expect(read?.history).toEqual([]);
      const page = await s.listJobs({ status: "scheduled" });
      expect(page.jobs.map((job) => job.id)).toEqual([later.id]);
      expect(page.jobs[0]?.scheduledAt).toBeInstanceOf(Date);

      await s.start();
      await s.enqueue({ name: "typed", payload: { n: 2 } });
      const seen = await ran;
      expect(seen.attempt).toBe(1);
      expect(seen.payload).toEqual({ n: 2 });
      expect(seen.startedAt).toBeInstanceOf(Date);

      await s.pauseQueue("default");
      const queue = await s.getQueue("default");
      expect(queue?.paused).toBe(true);
      const stats = await s.stats();
      expect(typeof stats.scheduled).toBe("number");
      expect(stats.scheduled).toBe(1);
    } finally {
      await s.stop();
    }
  });

  it("DEFAULT_TYPES gives pg's own parsers, and the text as sent for a type without one", () => {
    pg.types.setTypeParser(1184, "text", (value: string) => `text:${value}`);
    const at = DEFAULT_TYPES.getTypeParser(1184)("2030-01-01 00:00:00.123+00");
    expect(at).toEqual(new Date("2030-01-01T00:00:00.123Z"));
    expect(DEFAULT_TYPES.getTypeParser(3802)('{"a":[1]}')).toEqual({ a: [1] });
    expect(DEFAULT_TYPES.getTypeParser(20)("9007199254740993")).toBe("9007199254740993");
    expect(DEFAULT_TYPES.getTypeParser(1009)("{a,b}")).toEqual(["a", "b"]);
    expect(DEFAULT_TYPES.getTypeParser(2_000_000)("as sent")).toBe("as sent");
  });
});

describe("the store reads timestamps in ISO form, whatever the sessions' DateStyle", () => {
  /** A connection string whose sessions show dates as `SQL, DMY` in India's time zone. */
  const withSessionOptions = (url: string): string =>
    withOptions(url, "-c DateStyle=SQL,DMY -c TimeZone=Asia/Kolkata");

  it("its own pool sets DateStyle on each connection: dates read back exact", async () => {
    const schema = await schemas.migrated("sched_datestyle");
    const store = new PostgresStore({
      connectionString: withSessionOptions(POSTGRES_URL),
      schema,
      poolSize: 2,
    });
    const s = new Scheduler({ store });
    try {
      const at = new Date(Date.now() + 3_600_000 + 123);
      const job = await s.enqueue({ name: "dated", runAt: at });
      const read = await s.getJob(job.id);
      expect(read?.scheduledAt).toEqual(at);
      expect(read?.createdAt).toEqual(job.createdAt);
      expect((await s.listJobs({ status: "scheduled" })).jobs[0]?.scheduledAt).toEqual(at);
    } finally {
      await s.stop();
    }
  });

  it("a pool passed in whose sessions use another DateStyle is refused, naming how to fix it", async () => {
    const schema = await schemas.migrated("sched_datestyle_pool");
    const pool = new pg.Pool({ connectionString: withSessionOptions(POSTGRES_URL), max: 1 });
    const store = new PostgresStore({ pool, schema });
    try {
      const refused = await store.getJob("any").then(
        () => null,
        (err: unknown) => err,
      );
      expect(refused).toMatchObject({ code: "CONFIG_INVALID", field: "pool" });
      expect((refused as Error).message).toContain("SET DateStyle TO ISO");
      // Once the application sets it on its connections, the same store works.
      pool.on("connect", (client) => {
        client.query("SET DateStyle TO ISO").catch(() => {});
      });
      await pool.query("SET DateStyle TO ISO");
      expect(await store.getJob("any")).toBeNull();
    } finally {
      await store.close();
      await pool.end();
    }
  });
});

describe("a DateStyle set later on a connection the store shares", () => {
  it("fails the statement that reads a time, saying why, instead of returning a job without its times", async () => {
    const schema = await schemas.migrated("sched_datestyle_later");
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    const store = new PostgresStore({ pool, schema });
    const s = new Scheduler({ store });
    try {
      const at = new Date(Date.now() + 3_600_000);
      const job = await s.enqueue({ name: "dated", runAt: at });
      expect((await s.getJob(job.id))?.scheduledAt).toEqual(at);
      // The application changes the session of the one connection, after the store's check.
      await pool.query("SET DateStyle TO SQL, DMY");
      const refused = await s.getJob(job.id).then(
        (read) => read,
        (err: unknown) => err,
      );
      expect(refused).toMatchObject({ code: "STORE_ERROR" });
      expect((refused as Error).message).toMatch(
        /not in ISO form: a statement on this connection set DateStyle/,
      );
      await expect(s.listJobs({ status: "scheduled" })).rejects.toThrow(/SET DateStyle TO ISO/);
      // Set back, the same store reads the job again.
      await pool.query("SET DateStyle TO ISO");
      expect((await s.getJob(job.id))?.scheduledAt).toEqual(at);
    } finally {
      await s.stop();
      await store.close();
      await pool.end();
    }
  });
});

describe("the store's statements run at read committed, whatever the sessions' default isolation", () => {
  const serializable = (url: string): string =>
    withOptions(url, "-c default_transaction_isolation=serializable");

  it("its own session pool sets read committed: two instances claim and complete without serialization errors", async () => {
    const schema = await schemas.migrated("sched_isolation");
    const errors: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (message: string) => errors.push(message),
      error: (message: string, fields?: Record<string, unknown>) =>
        errors.push(`${message} ${JSON.stringify(fields ?? {})}`),
    };
    const n = 1_500;
    const seen = new Set<number>();
    let runs = 0;
    const instances = [0, 1].map(
      () =>
        new Scheduler({
          store: new PostgresStore({ connectionString: serializable(POSTGRES_URL), schema, poolSize: 4 }),
          workers: 20,
          logger,
        }),
    );
    try {
      for (const s of instances) {
        s.register<{ i: number }>("x", async (job) => {
          runs++;
          seen.add(job.payload.i);
        });
        await s.start();
      }
      await Promise.all(
        Array.from({ length: 30 }, (_, batch) =>
          (instances[batch % 2] as Scheduler).enqueueMany(
            Array.from({ length: n / 30 }, (_, i) => ({ name: "x", payload: { i: batch * (n / 30) + i } })),
          ),
        ),
      );
      const deadline = Date.now() + 30_000;
      while (seen.size < n && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(seen.size).toBe(n);
      expect(runs).toBe(n);
      expect(errors.filter((line) => line.includes("40001"))).toEqual([]);
    } finally {
      for (const s of instances) await s.stop();
    }
  });

  it("a pool passed in, or a transaction pool, whose sessions default to serializable is refused", async () => {
    const schema = await schemas.migrated("sched_isolation_pool");
    const pool = new pg.Pool({ connectionString: serializable(POSTGRES_URL), max: 1 });
    const store = new PostgresStore({ pool, schema });
    const behindTransactionPool = new PostgresStore({
      connectionString: serializable(POSTGRES_URL),
      schema,
      poolMode: "transaction",
    });
    try {
      const refused = await store.getJob("any").catch((err: unknown) => err);
      expect(refused).toMatchObject({ code: "CONFIG_INVALID", field: "pool" });
      expect((refused as Error).message).toContain("serializable");
      const refusedToo = await behindTransactionPool.getJob("any").catch((err: unknown) => err);
      expect(refusedToo).toMatchObject({ code: "CONFIG_INVALID", field: "connectionString" });
      expect((refusedToo as Error).message).toContain("ALTER ROLE");
    } finally {
      await store.close();
      await behindTransactionPool.close();
      await pool.end();
    }
  });
});
