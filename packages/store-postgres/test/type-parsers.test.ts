import { Scheduler } from "@sched/core";
import { waitFor } from "@sched/testing";
import { newJob } from "@sched/testing/conformance";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_TYPES } from "../src/connection/type-parsers.js";
import { PostgresStore } from "../src/index.js";
import { parseJsonTimestamp } from "../src/rows.js";
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

describe("a claim on a connection whose DateStyle was set later", () => {
  it("hands its jobs back at once (no lease left to expire as lost) and fails saying why; the job runs once DateStyle is ISO again", async () => {
    const schema = await schemas.migrated("sched_datestyle_claim");
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    const store = new PostgresStore({ pool, schema, notify: false });
    const now = new Date();
    const claim = {
      queues: null,
      names: null,
      limit: 10,
      now,
      lockedUntil: new Date(now.getTime() + 60_000),
      workerId: "w1",
    };
    const record = (id: string) =>
      newJob({ id, name: "work", payload: { id }, scheduledAt: now, createdAt: now });
    const state = async (id: string) => {
      // As text: this file's other tests change how every pool of the process reads int4.
      const { rows } = await schemas.admin.query<{
        status: string;
        locked_by: string | null;
        lost_leases: string;
      }>(`SELECT status, locked_by, lost_leases::text FROM "${schema}".scheduler_jobs WHERE id = $1`, [id]);
      return rows[0];
    };
    try {
      await store.createJobs([record("a")]);
      await pool.query("SET DateStyle TO German");
      // A claim: its statement leased the job, then its times could not be read.
      await expect(store.claimDueJobs(claim)).rejects.toMatchObject({
        code: "STORE_ERROR",
        message: expect.stringMatching(/not in ISO form: a statement on this connection set DateStyle/),
      });
      expect(await state("a")).toEqual({ status: "pending", locked_by: null, lost_leases: "0" });
      // An enqueue that claims in its round trip: the job is created, its lease handed back.
      const created = await store.createJobsAndClaim([record("b")], { ...claim, limit: 1, names: ["work"] });
      expect(created.jobs.map((job) => job.id)).toEqual(["b"]);
      expect(created.claimed).toEqual([]);
      expect(await state("b")).toEqual({ status: "pending", locked_by: null, lost_leases: "0" });
      // Set back, a claim takes both, with every time read.
      await pool.query("SET DateStyle TO ISO");
      const claimed = await store.claimDueJobs({ ...claim, now: new Date() });
      expect(claimed.map((job) => job.id).sort()).toEqual(["a", "b"]);
      for (const job of claimed) {
        expect(job.status).toBe("running");
        expect(job.scheduledAt).toBeInstanceOf(Date);
        expect(job.lockedUntil).toEqual(claim.lockedUntil);
      }
    } finally {
      await store.close();
      await pool.end();
    }
  });
});

describe("a scheduler whose only connection had its DateStyle changed", () => {
  it("backs off its claims (no storm of claims and hand-backs), and runs the job once DateStyle is ISO again", async () => {
    const schema = await schemas.migrated("sched_datestyle_backoff");
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    const store = new PostgresStore({ pool, schema, notify: false });
    let claims = 0;
    const claim = store.claimDueJobs.bind(store);
    store.claimDueJobs = (options) => {
      claims++;
      return claim(options);
    };
    const s = new Scheduler({
      store,
      pollInterval: "200ms",
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const ran: number[] = [];
    s.register("work", async (job) => {
      ran.push(job.attempt);
    });
    try {
      await s.start();
      await pool.query("SET DateStyle TO German");
      const job = await s.enqueue({ name: "work", payload: { n: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      // Backoffs of 100, 200, 400 and 800 ms: a handful of claims in 1.5 s, not hundreds.
      expect(claims).toBeGreaterThan(0);
      expect(claims).toBeLessThanOrEqual(8);
      expect(ran).toEqual([]);
      await pool.query("SET DateStyle TO ISO");
      await waitFor(() => ran.length === 1, { timeout: "10s" });
      expect(ran[0]).toBeLessThanOrEqual(claims + 1);
      const stored = await s.getJob(job.id);
      expect(stored).toMatchObject({ status: "completed", lostLeases: 0 });
    } finally {
      await s.stop();
      await store.close();
      await pool.end();
    }
  });
});

describe("times in JSON, in every session TimeZone", () => {
  const zones = [
    "UTC",
    "Africa/Monrovia", // -00:44:30 until 1972
    "America/New_York",
    "America/St_Johns",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
    "Europe/Amsterdam", // +00:19:32 before 1937
  ];
  const times = [
    "0001-01-01T00:00:00.000Z",
    "0001-01-01T00:00:00.001Z",
    "1800-06-15T12:34:56.290Z",
    "1937-06-30T23:59:59.999Z",
    "1969-12-31T23:59:59.999Z",
    "1970-01-01T00:00:00.000Z",
    "2026-11-30T19:00:00.123Z",
    "9999-12-31T23:59:59.999Z",
  ];

  it("parseJsonTimestamp reads what PostgreSQL writes, offsets with seconds, years past 9999 and BC included", async () => {
    const client = await schemas.admin.connect();
    try {
      for (const zone of zones) {
        await client.query(`SET TimeZone TO '${zone}'`);
        for (const time of times) {
          const { rows } = await client.query<{ json: string }>(
            "SELECT to_json($1::timestamptz)::text AS json",
            [time],
          );
          const text = JSON.parse(rows[0]?.json ?? "null") as string;
          expect(parseJsonTimestamp(text).toISOString(), `${zone} ${text}`).toBe(time);
        }
      }
      // Microseconds are cut to the millisecond, as pg does.
      expect(parseJsonTimestamp("2026-11-30T19:00:00.123999+00:00").toISOString()).toBe(
        "2026-11-30T19:00:00.123Z",
      );
    } finally {
      await client.query("RESET TimeZone");
      client.release();
    }
  });

  it("a deduplicated enqueue returns its times exact in a session TimeZone whose offset has seconds", async () => {
    const schema = await schemas.migrated("sched_json_zone");
    const store = new PostgresStore({
      connectionString: withOptions(POSTGRES_URL, "-c TimeZone=Africa/Monrovia"),
      schema,
      poolSize: 1,
    });
    const s = new Scheduler({ store });
    try {
      const runAt = new Date(0);
      const job = await s.enqueue({ name: "dated", runAt, dedupe: { key: "k", ttl: "1h" } });
      expect(job.scheduledAt).toEqual(runAt);
      const again = await s.enqueue({ name: "dated", runAt, dedupe: { key: "k", ttl: "1h" } });
      expect(again.id).toBe(job.id);
      expect(again.scheduledAt).toEqual(runAt);
      expect(again.createdAt).toEqual(job.createdAt);
    } finally {
      await s.stop();
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
