import { createHash, randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { ConfigError, StoreError } from "@sched/core";
import { unreadableRefusals, waitFor } from "@sched/testing";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { fromEnv, PostgresLeader } from "../src/index.js";
import { connectionString, leaderFactory, sleep, uniqueSchema, withApplicationName } from "./postgres.js";

const admin = new pg.Pool({ connectionString, max: 4 });
const schemas: string[] = [];
const leaders = leaderFactory({});

/** A fresh schema name for one test, dropped after the file. */
function freshSchema(label: string): string {
  const schema = uniqueSchema(label);
  schemas.push(schema);
  return schema;
}

afterEach(() => leaders.closeAll());
afterAll(async () => {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

async function lockTableColumns(schema: string, table: string): Promise<unknown[]> {
  const { rows } = await admin.query(
    `SELECT column_name, data_type, is_nullable, column_default
     FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );
  return rows;
}

describe("PostgresLeader.migrate", () => {
  it("creates the schema and the lock table with the shared definition, and is idempotent", async () => {
    const schema = freshSchema("migrate");
    const leader = leaders.make({ schema });
    await leader.migrate();
    await leader.migrate();
    expect(await lockTableColumns(schema, "scheduler_locks")).toEqual([
      { column_name: "name", data_type: "text", is_nullable: "NO", column_default: null },
      { column_name: "holder", data_type: "text", is_nullable: "YES", column_default: null },
      { column_name: "term", data_type: "bigint", is_nullable: "NO", column_default: "0" },
      {
        column_name: "expires_at",
        data_type: "timestamp with time zone",
        is_nullable: "YES",
        column_default: null,
      },
    ]);
    const { rows } = await admin.query(
      `SELECT a.attname FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = $1::regclass AND i.indisprimary`,
      [`"${schema}".scheduler_locks`],
    );
    expect(rows).toEqual([{ attname: "name" }]);
  });

  it("is safe when many instances migrate at once", async () => {
    const schema = freshSchema("concurrent");
    const all = Array.from({ length: 8 }, () => leaders.make({ schema }));
    await Promise.all(all.map((leader) => leader.migrate()));
    expect(await all[0]!.acquire()).toBe(true);
  });

  it("leaves a lock table created by someone else alone", async () => {
    const schema = freshSchema("existing");
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(
      `CREATE TABLE "${schema}".app_locks (name text PRIMARY KEY, holder text, term bigint NOT NULL DEFAULT 0, expires_at timestamptz)`,
    );
    await admin.query(
      `INSERT INTO "${schema}".app_locks (name, holder, term) VALUES ('scheduler', NULL, 41)`,
    );
    const leader = leaders.make({ schema, tablePrefix: "app_" });
    await leader.migrate();
    expect(await leader.acquire()).toBe(true);
    expect(leader.term).toBe(42);
  });

  it("waits for a migration of the same tables by @sched/store-postgres (same advisory lock)", async () => {
    const schema = freshSchema("locked");
    const key = createHash("sha256").update(`sched.migrate.${schema}.scheduler_`).digest().readBigInt64BE(0);
    const store = await admin.connect();
    try {
      await store.query("BEGIN");
      await store.query("SELECT pg_advisory_xact_lock($1::bigint)", [key.toString()]);
      let done = false;
      const migration = leaders
        .make({ schema })
        .migrate()
        .then(() => {
          done = true;
        });
      await sleep(200);
      expect(done).toBe(false);
      await store.query("COMMIT");
      await migration;
      expect(done).toBe(true);
    } finally {
      await store.query("ROLLBACK").catch(() => undefined);
      store.release();
    }
  });
});

describe("PostgresLeader options", () => {
  it("refuses options that throw when read with a ConfigError, never the caller's error", async () => {
    for (const [label, thrown] of await unreadableRefusals((options) => new PostgresLeader(options), {
      connectionString,
    })) {
      expect(thrown, label).toBeInstanceOf(ConfigError);
      expect((thrown as Error).message, label).toMatch(/could not be read/);
    }
  });

  it.each([
    ["schema", { schema: "bad;drop" }],
    ["schema", { schema: 'bad"quote' }],
    ["schema", { schema: "1starts_with_digit" }],
    ["schema", { schema: "" }],
    ["schema", { schema: "x".repeat(42) }],
    ["schema", { schema: "MixedCase" }],
    ["schema", { schema: "pg_catalog" }],
    ["tablePrefix", { tablePrefix: "bad-prefix" }],
    ["tablePrefix", { tablePrefix: "x".repeat(41) }],
    ["tablePrefix", { tablePrefix: "Upper_" }],
    ["tablePrefix", { tablePrefix: "1st_" }],
    ["name", { name: "" }],
    ["name", { name: "x".repeat(201) }],
    ["instanceId", { instanceId: "nul\u0000" }],
    ["ttl", { ttl: 0 }],
    ["ttl", { ttl: -5 }],
    ["ttl", { ttl: "soon" as never }],
    ["ttl", { ttl: "30d" }],
    ["pool", { pool: new pg.Pool(), connectionString }],
    ["pool", { pool: {} as pg.Pool }],
    ["connectionString", { connectionString: 42 as unknown as string }],
    ["connectionString", { connectionString: "postgres://host:notaport/db" }],
    ["connectionString", { connectionString: "not a url" }],
    ["pool", { pool: new pg.Pool({ connectionString: "postgres://host:notaport/db" }) }],
    ["pool", { pool: null as never }],
    ["schema", { schema: 5 as never }],
    ["tablePrefix", { tablePrefix: null as never }],
    ["name", { name: 7 as never }],
    ["instanceId", { instanceId: null as never }],
    ["ttl", { ttl: null as never }],
    ["ttl", { ttl: {} as never }],
    ["logger", { logger: {} as never }],
    ["logger", { logger: { debug() {}, info() {}, warn() {} } as never }],
    ["logger", { logger: null as never }],
    ["ttlMs", { ttlMs: 5_000 } as never],
    ["connectionstring", { connectionstring: connectionString } as never],
  ])("rejects a bad %s: %j", (field, options) => {
    let error: unknown;
    try {
      new PostgresLeader(options as never);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
  });

  it("names the option an unknown name looks like, and lists the known ones", () => {
    const error = (() => {
      try {
        new PostgresLeader({ connectionString, intanceId: "x" } as never);
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error("expected a ConfigError");
    })();
    expect(error).toMatchObject({ code: "CONFIG_INVALID", field: "intanceId" });
    expect(error.message).toContain("did you mean instanceId?");
    expect(error.message).toContain(
      "connectionString, pool, schema, tablePrefix, name, instanceId, ttl, logger, poolMode",
    );
    // Options given as undefined are options not given (as fromEnv passes them).
    void new PostgresLeader({ connectionString, schema: undefined, ttl: undefined }).close();
  });

  it("describes a connection string put where a name goes, never quoting it", () => {
    for (const field of ["schema", "tablePrefix"] as const) {
      let error: ConfigError | undefined;
      try {
        new PostgresLeader({ connectionString, [field]: "postgres://app:hunter2@db:5432/app" });
      } catch (err) {
        error = err as ConfigError;
      }
      expect(error).toMatchObject({ code: "CONFIG_INVALID", field });
      expect(error?.message).toContain("got a string of 34 characters");
      expect(error?.message).not.toContain("hunter2");
    }
  });

  it("defaults its instance id to the host name and process id", () => {
    const leader = leaders.make({});
    expect(leader.instanceId.startsWith(`${hostname()}-${process.pid}-`)).toBe(true);
    expect(leader.name).toBe("scheduler");
    expect(leader.term).toBe(0);
  });
});

describe("PostgresLeader pool ownership", () => {
  async function sessions(applicationName: string): Promise<number> {
    const { rows } = await admin.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM pg_stat_activity WHERE application_name = $1",
      [applicationName],
    );
    return rows[0]!.count;
  }

  it("ends the pool it created from the connection string on close", async () => {
    const schema = freshSchema("owned");
    const applicationName = `leader-${randomUUID().slice(0, 8)}`;
    const leader = new PostgresLeader({ connectionString: withApplicationName(applicationName), schema });
    await leader.migrate();
    expect(await leader.acquire()).toBe(true);
    expect(await sessions(applicationName)).toBeGreaterThan(0);
    await leader.close();
    await leader.close();
    await waitFor(async () => (await sessions(applicationName)) === 0);
    expect(leader.isLeader()).toBe(false);
    expect(await leader.acquire()).toBe(false);
    await expect(leader.migrate()).rejects.toThrow(StoreError);
  });

  it("leaves a pool it was given open on close", async () => {
    const schema = freshSchema("shared");
    const pool = new pg.Pool({ connectionString, max: 2 });
    try {
      const leader = new PostgresLeader({ pool, schema });
      await leader.migrate();
      expect(await leader.acquire()).toBe(true);
      await leader.close();
      expect(pool.ended).toBe(false);
      const { rows } = await pool.query(`SELECT holder FROM "${schema}".scheduler_locks`);
      expect(rows).toEqual([{ holder: null }]);
    } finally {
      await pool.end();
    }
  });
});

describe("fromEnv", () => {
  it("configures the leader from SCHEDULER_* variables", async () => {
    const schema = freshSchema("env");
    const leader = fromEnv({
      SCHEDULER_STORE: "postgres",
      SCHEDULER_POSTGRES_URL: connectionString,
      SCHEDULER_POSTGRES_SCHEMA: schema,
      SCHEDULER_POSTGRES_TABLE_PREFIX: "envtest_",
      SCHEDULER_INSTANCE_ID: "env-instance",
      SCHEDULER_LOCK_TTL: "7s",
    });
    try {
      expect(leader.instanceId).toBe("env-instance");
      await leader.migrate();
      expect(await leader.acquire()).toBe(true);
      const { rows } = await admin.query<{ holder: string; remaining_ms: number }>(
        `SELECT holder, (extract(epoch FROM expires_at - clock_timestamp()) * 1000)::float8 AS remaining_ms
         FROM "${schema}".envtest_locks`,
      );
      expect(rows[0]!.holder).toBe("env-instance");
      expect(rows[0]!.remaining_ms).toBeGreaterThan(6_000);
      expect(rows[0]!.remaining_ms).toBeLessThanOrEqual(7_000);
    } finally {
      await leader.close();
    }
  });

  it("requires SCHEDULER_POSTGRES_URL", () => {
    expect(() => fromEnv({ SCHEDULER_STORE: "postgres" })).toThrow(ConfigError);
    expect(() => fromEnv({ SCHEDULER_STORE: "postgres" })).toThrow(/SCHEDULER_POSTGRES_URL/);
  });

  it("reads the PostgreSQL settings whatever SCHEDULER_STORE says, and refuses another store's", () => {
    const leader = fromEnv({
      SCHEDULER_POSTGRES_URL: connectionString,
      SCHEDULER_INSTANCE_ID: "no-store-set",
    });
    expect(leader.instanceId).toBe("no-store-set");
    void leader.close();
    expect(() =>
      fromEnv({
        SCHEDULER_POSTGRES_URL: connectionString,
        SCHEDULER_REDIS_URL: "redis://:hunter2@cache:6379",
      }),
    ).toThrow(expect.objectContaining({ code: "CONFIG_INVALID", field: "SCHEDULER_REDIS_URL" }));
    expect(() => fromEnv({ SCHEDULER_POSTGRES_URL: connectionString, SCHEDULER_LOCK_TTL: "30" })).toThrow(
      /SCHEDULER_LOCK_TTL: "30" has no unit/,
    );
  });

  it("names SCHEDULER_POSTGRES_URL for a URL pg would not read as a server", () => {
    expect(() => fromEnv({ SCHEDULER_POSTGRES_URL: "postgres:db.internal/app" })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", field: "SCHEDULER_POSTGRES_URL" }),
    );
  });

  it("rejects bad variables with a ConfigError that never echoes the URL", () => {
    let error: unknown;
    try {
      fromEnv({ SCHEDULER_POSTGRES_URL: "mysql://user:hunter2@db/app", SCHEDULER_POSTGRES_SCHEMA: "ok" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe("SCHEDULER_POSTGRES_URL");
    expect((error as ConfigError).message).not.toContain("hunter2");
    expect(() =>
      fromEnv({ SCHEDULER_POSTGRES_URL: connectionString, SCHEDULER_POSTGRES_SCHEMA: "bad;schema" }),
    ).toThrow(/SCHEDULER_POSTGRES_SCHEMA/);
  });
});
