import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { uuidv7Generator } from "@sched/core";
import { waitFor } from "@sched/testing";
import { afterAll, describe, expect, it } from "vitest";
import { loadMigrations, MigrationRequiredError, PostgresStore, SCHEMA_VERSION } from "../src/index.js";
import { POSTGRES_URL, TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();
afterAll(() => schemas.dropAll());

const nextId = uuidv7Generator();
const T0 = new Date("2030-01-01T00:00:00.000Z");

function newJob(overrides: { queue?: string; uniqueKey?: string | null } = {}) {
  return {
    id: nextId(),
    name: "migration-test",
    payload: { ok: true },
    queue: overrides.queue ?? "default",
    priority: 0,
    maxRetries: 0,
    timeout: 1_000,
    scheduledAt: T0,
    createdAt: T0,
    status: "pending" as const,
    metadata: {},
    uniqueKey: overrides.uniqueKey ?? null,
  };
}

async function tablesIn(schema: string): Promise<string[]> {
  const { rows } = await schemas.admin.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
    [schema],
  );
  return rows.map((row) => row.name);
}

async function appliedVersions(schema: string, prefix = "scheduler_"): Promise<number[]> {
  const { rows } = await schemas.admin.query<{ version: number }>(
    `SELECT version FROM "${schema}"."${prefix}migrations" ORDER BY version`,
  );
  return rows.map((row) => row.version);
}

describe("migrate()", () => {
  it("creates the schema, the four tables and records the version", async () => {
    const schema = schemas.name();
    const store = schemas.store(schema);
    try {
      await store.migrate();
      expect(await tablesIn(schema)).toEqual([
        "scheduler_jobs",
        "scheduler_locks",
        "scheduler_migrations",
        "scheduler_schedules",
      ]);
      expect(await appliedVersions(schema)).toEqual([SCHEMA_VERSION]);
      await store.ping();
    } finally {
      await store.close();
    }
  });

  it("is idempotent: a second and third call change nothing and keep the data", async () => {
    const schema = schemas.name();
    const store = schemas.store(schema);
    try {
      await store.migrate();
      const [job] = await store.createJobs([newJob()]);
      await store.migrate();
      await store.migrate();
      expect(await appliedVersions(schema)).toEqual([SCHEMA_VERSION]);
      expect(await store.getJob(job!.id)).toEqual(job);
    } finally {
      await store.close();
    }
  });

  it("is safe when 5 stores migrate the same fresh schema at once: one applies, all succeed", async () => {
    const schema = schemas.name();
    const stores = Array.from({ length: 5 }, () => schemas.store(schema, { poolSize: 1 }));
    try {
      const results = await Promise.allSettled(stores.map((store) => store.migrate()));
      expect(results.map((result) => result.status)).toEqual(Array(5).fill("fulfilled"));
      expect(await appliedVersions(schema)).toEqual([SCHEMA_VERSION]);
      await Promise.all(stores.map((store) => store.ping()));
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it("keeps stores with different prefixes in one schema apart", async () => {
    const schema = schemas.name();
    const a = schemas.store(schema, { tablePrefix: "a_" });
    const b = schemas.store(schema, { tablePrefix: "b_" });
    try {
      await Promise.all([a.migrate(), b.migrate()]);
      const [job] = await a.createJobs([newJob()]);
      expect(await b.getJob(job!.id)).toBeNull();
      expect((await a.stats()).pending).toBe(1);
      expect((await b.stats()).pending).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("migrates on first use with autoMigrate", async () => {
    const schema = schemas.name();
    const store = schemas.store(schema, { autoMigrate: true });
    try {
      await store.createJobs([newJob()]);
      expect((await store.stats()).pending).toBe(1);
      expect(await appliedVersions(schema)).toEqual([SCHEMA_VERSION]);
    } finally {
      await store.close();
    }
  });
});

describe("sharing the locks table with @sched/leader-postgres", () => {
  it("migrates a schema where the leader already created the locks table, keeping its rows", async () => {
    const schema = schemas.name();
    // The leader's own DDL (packages/leader-postgres/src/sql/create-lock-table.sql).
    await schemas.admin.query(`CREATE SCHEMA "${schema}"`);
    await schemas.admin.query(`CREATE TABLE IF NOT EXISTS "${schema}"."scheduler_locks" (
      name text PRIMARY KEY, holder text, term bigint NOT NULL DEFAULT 0, expires_at timestamptz)`);
    await schemas.admin.query(`INSERT INTO "${schema}".scheduler_locks VALUES ('scheduler', 'a', 7, now())`);
    const store = schemas.store(schema);
    try {
      await store.migrate();
      const { rows } = await schemas.admin.query(
        `SELECT name, holder, term FROM "${schema}".scheduler_locks`,
      );
      expect(rows).toEqual([{ name: "scheduler", holder: "a", term: "7" }]);
      await store.ping();
    } finally {
      await store.close();
    }
  });

  it("migrate() waits for the advisory lock the leader takes on the same schema and prefix", async () => {
    const schema = schemas.name();
    // The key both packages derive: the first 8 bytes of sha256("sched.migrate.<schema>.<prefix>").
    const key = createHash("sha256")
      .update(`sched.migrate.${schema}.scheduler_`)
      .digest()
      .readBigInt64BE(0)
      .toString();
    const holder = await schemas.admin.connect();
    const store = schemas.store(schema);
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock($1::bigint)", [key]);
      let finished = false;
      const migrating = store.migrate().then(() => {
        finished = true;
      });
      await waitFor(
        async () => {
          const { rows } = await schemas.admin.query(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event = 'advisory'",
            [store.applicationName],
          );
          return rows.length > 0;
        },
        { timeout: "5s", description: "migrate() to wait for the advisory lock" },
      );
      expect(finished).toBe(false);
      await holder.query("COMMIT");
      await migrating;
      expect(await appliedVersions(schema)).toEqual([SCHEMA_VERSION]);
    } finally {
      holder.release();
      await store.close();
    }
  });
});

describe("MIGRATION_REQUIRED", () => {
  it("a store on tables that were never created rejects with MigrationRequiredError and creates nothing", async () => {
    const schema = schemas.name();
    const store = schemas.store(schema);
    try {
      const error = await store.ping().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(MigrationRequiredError);
      expect(error).toMatchObject({
        code: "MIGRATION_REQUIRED",
        schema,
        tablePrefix: "scheduler_",
        currentVersion: 0,
        requiredVersion: SCHEMA_VERSION,
      });
      expect((error as Error).message).toMatch(/run await store\.migrate\(\)/);
      await expect(store.createJobs([newJob()])).rejects.toMatchObject({ code: "MIGRATION_REQUIRED" });
      await expect(store.claimDueJobs(claimAll())).rejects.toMatchObject({ code: "MIGRATION_REQUIRED" });
      const { rows } = await schemas.admin.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
      expect(rows).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("a migrations table behind the version the code needs is MIGRATION_REQUIRED, and the data stays", async () => {
    const schema = await schemas.migrated();
    const writer = schemas.store(schema);
    const [job] = await writer.createJobs([newJob()]);
    await writer.close();
    // As if the tables were made by an older release that had not recorded this version yet.
    await schemas.admin.query(`DELETE FROM "${schema}".scheduler_migrations WHERE version = $1`, [
      SCHEMA_VERSION,
    ]);
    const store = schemas.store(schema);
    try {
      await expect(store.getJob(job!.id)).rejects.toMatchObject({
        code: "MIGRATION_REQUIRED",
        currentVersion: SCHEMA_VERSION - 1,
      });
      const { rows } = await schemas.admin.query(`SELECT id FROM "${schema}".scheduler_jobs`);
      expect(rows).toEqual([{ id: job!.id }]);
    } finally {
      await store.close();
    }
  });

  it("the check is repeated after a failure, so a store works once another one migrated", async () => {
    const schema = schemas.name();
    const early = schemas.store(schema);
    const migrator = schemas.store(schema);
    try {
      await expect(early.ping()).rejects.toMatchObject({ code: "MIGRATION_REQUIRED" });
      await migrator.migrate();
      await early.ping();
      await early.createJobs([newJob()]);
    } finally {
      await Promise.all([early.close(), migrator.close()]);
    }
  });

  it("tables dropped after the check turn into MIGRATION_REQUIRED, not an obscure SQL error", async () => {
    const schema = await schemas.migrated();
    const store = schemas.store(schema);
    try {
      await store.ping();
      await schemas.admin.query(`DROP SCHEMA "${schema}" CASCADE`);
      await expect(store.getJob("x")).rejects.toMatchObject({ code: "MIGRATION_REQUIRED" });
    } finally {
      await store.close();
    }
  });
});

describe("the SQL files", () => {
  const folder = fileURLToPath(new URL("../migrations/", import.meta.url));

  it("are numbered from 001 without gaps, and the last one is the version the code needs", () => {
    const files = readdirSync(folder).filter((file) => file.endsWith(".sql"));
    expect(files.map((file) => Number(file.slice(0, 3)))).toEqual(
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
    for (const file of files) expect(file).toMatch(/^\d{3}_[a-z0-9_]+\.sql$/);
  });

  it("only name the schema and prefix through the quoted placeholders", () => {
    for (const file of readdirSync(folder).filter((name) => name.endsWith(".sql"))) {
      const text = readFileSync(`${folder}${file}`, "utf8").replaceAll(/--.*$/gm, "");
      const unquoted = text.replaceAll('"{{schema}}"', "").replaceAll(/"\{\{prefix\}\}[a-z_]+"/g, "");
      expect(unquoted, file).not.toMatch(/\{\{/);
    }
  });

  it("apply cleanly by hand, and a store then accepts the tables", async () => {
    const schema = schemas.name("sched_byhand");
    const client = await schemas.admin.connect();
    try {
      await client.query(`CREATE SCHEMA "${schema}"`);
      for (const migration of loadMigrations({ schema, tablePrefix: "jobs_" })) {
        await client.query("BEGIN");
        await client.query(migration.sql);
        await client.query("COMMIT");
      }
    } finally {
      client.release();
    }
    expect(await appliedVersions(schema, "jobs_")).toEqual([SCHEMA_VERSION]);
    const store = schemas.store(schema, { tablePrefix: "jobs_" });
    try {
      await store.ping();
      const [job] = await store.createJobs([newJob({ uniqueKey: "by-hand" })]);
      const [claimed] = await store.claimDueJobs(claimAll());
      expect(claimed).toMatchObject({ id: job!.id, status: "running", attempt: 1 });
      await store.migrate(); // a no-op on tables made by hand
    } finally {
      await store.close();
    }
  });

  it("loadMigrations validates the identifiers it substitutes", () => {
    expect(() => loadMigrations({ schema: 'x"; DROP TABLE users; --' })).toThrow(/schema/);
    expect(() => loadMigrations({ tablePrefix: "Bad-Prefix" })).toThrow(/tablePrefix/);
    const [first] = loadMigrations();
    expect(first?.sql).toContain('"public"."scheduler_jobs"');
    expect(first).toMatchObject({ version: 1, name: "001_init" });
  });
});

describe("migrate() failures", () => {
  it("a failed migration is a StoreError naming the operation, and is rolled back", async () => {
    const schema = schemas.name();
    // A table in the way: the migration's CREATE TABLE fails, and nothing of it remains.
    await schemas.admin.query(`CREATE SCHEMA "${schema}"`);
    await schemas.admin.query(`CREATE TABLE "${schema}".scheduler_schedules (x int)`);
    const store = new PostgresStore({ connectionString: POSTGRES_URL, schema, poolSize: 1 });
    try {
      const error = await store.migrate().catch((err: unknown) => err);
      expect(error).toMatchObject({ code: "STORE_ERROR" });
      expect((error as Error).message).toMatch(/migrate/);
      expect((error as Error).cause).toMatchObject({ code: "42P07" });
      expect(await tablesIn(schema)).toEqual(["scheduler_schedules"]);
    } finally {
      await store.close();
    }
  });
});

function claimAll() {
  return {
    queues: null,
    limit: 10,
    now: T0,
    lockedUntil: new Date(T0.getTime() + 60_000),
    workerId: "w",
  };
}
