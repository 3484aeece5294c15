import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { uuidv7Generator } from "@sched/core";
import { waitFor } from "@sched/testing";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { connectionTarget, migrateLockTable, tableNames } from "../src/connection/index.js";
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

/** Every version up to the one this package needs: what a fully migrated schema has recorded. */
const ALL_VERSIONS = Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1);

async function appliedVersions(schema: string, prefix = "scheduler_"): Promise<number[]> {
  const { rows } = await schemas.admin.query<{ version: number }>(
    `SELECT version FROM "${schema}"."${prefix}migrations" ORDER BY version`,
  );
  return rows.map((row) => row.version);
}

describe("migrate()", () => {
  it("creates the schema, the thirteen tables and records the version", async () => {
    const schema = schemas.name();
    const store = schemas.store(schema);
    try {
      await store.migrate();
      expect(await tablesIn(schema)).toEqual([
        "scheduler_dedupe_windows",
        "scheduler_group_arrivals",
        "scheduler_instances",
        "scheduler_job_count_deltas",
        "scheduler_job_counts",
        "scheduler_jobs",
        "scheduler_locks",
        "scheduler_meta",
        "scheduler_migrations",
        "scheduler_queue_groups",
        "scheduler_queues",
        "scheduler_schedules",
        "scheduler_throughput",
      ]);
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
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
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
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
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
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
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
    } finally {
      await store.close();
    }
  });
});

describe("sharing the locks table with @sched/leader-postgres", () => {
  it("migrates a schema where the leader already created the locks table, keeping its rows", async () => {
    const schema = schemas.name();
    // The lease table as PostgresLeader.migrate() creates it (sql/create-lock-table.sql).
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

  it("the lease table of migrateLockTable (PostgresLeader.migrate) is the one migration 001 creates", async () => {
    /** The columns and constraints of `<schema>.scheduler_locks`, as the catalog describes them. */
    const definition = async (schema: string) => {
      const { rows } = await schemas.admin.query(
        `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
           pg_get_expr(d.adbin, d.adrelid) AS default_value,
           (SELECT array_agg(pg_get_constraintdef(c.oid)) FROM pg_constraint AS c
             WHERE c.conrelid = a.attrelid AND a.attnum = ANY (c.conkey)) AS constraints
         FROM pg_attribute AS a LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [`"${schema}"."scheduler_locks"`],
      );
      return rows;
    };
    const byStore = await schemas.migrated("sched_locks_store");
    const byLeader = schemas.name("sched_locks_leader");
    await migrateLockTable(
      schemas.admin,
      tableNames(byLeader, "scheduler_"),
      connectionTarget({ connectionString: POSTGRES_URL }),
    );
    expect(await tablesIn(byLeader)).toEqual(["scheduler_locks"]);
    expect(await definition(byLeader)).toEqual(await definition(byStore));
    expect(await definition(byLeader)).toHaveLength(4);
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
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
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
      await schemas.drop(schema);
      await expect(store.getJob("x")).rejects.toMatchObject({ code: "MIGRATION_REQUIRED" });
    } finally {
      await store.close();
    }
  });
});

/** A schema with the tables of the release that needed migration `version`, as it left them. */
function schemaAtVersion(version: number, label: string): Promise<string> {
  return schemaMigratedByHand(label, { upTo: version });
}

/**
 * A new schema with the migrations up to `upTo` (default: all) applied by hand, each in its own
 * transaction, as a DBA applying the SQL files would.
 */
async function schemaMigratedByHand(
  label: string,
  options: { upTo?: number; tablePrefix?: string } = {},
): Promise<string> {
  const schema = schemas.name(label);
  const migrations = loadMigrations({ schema, tablePrefix: options.tablePrefix });
  const client = await schemas.admin.connect();
  try {
    await client.query(`CREATE SCHEMA "${schema}"`);
    for (const migration of migrations.slice(0, options.upTo ?? migrations.length)) {
      await client.query("BEGIN");
      await client.query(migration.sql);
      await client.query("COMMIT");
    }
  } finally {
    client.release();
  }
  return schema;
}

/** A schema with the tables of release 1 only (migration 001), as that release left them. */
function schemaAtVersion1(label = "sched_v1"): Promise<string> {
  return schemaAtVersion(1, label);
}

/** A row as release 1 wrote it, and the lost leases migration 002 should infer for it. */
interface Version1Row {
  id: string;
  status: string;
  attempt: number;
  retryCount: number;
  /** The errors of its history, oldest first. */
  errors: string[];
  expectedLostLeases: number;
  queue?: string;
  uniqueKey?: string | null;
}

const LEASE_EXPIRED_V1 = "lease expired";

/** Jobs in every status with the histories release 1 left, lease losses included. */
const VERSION_1_ROWS: Version1Row[] = [
  { id: "pending-new", status: "pending", attempt: 0, retryCount: 0, errors: [], expectedLostLeases: 0 },
  {
    id: "scheduled-new",
    status: "scheduled",
    attempt: 0,
    retryCount: 0,
    errors: [],
    expectedLostLeases: 0,
    uniqueKey: "k",
    queue: "a",
  },
  {
    id: "pending-recovered-twice",
    status: "pending",
    attempt: 2,
    retryCount: 0,
    errors: [LEASE_EXPIRED_V1, LEASE_EXPIRED_V1],
    expectedLostLeases: 2,
  },
  {
    id: "failed-after-a-lost-lease",
    status: "failed",
    attempt: 2,
    retryCount: 1,
    errors: [LEASE_EXPIRED_V1, "boom"],
    expectedLostLeases: 1,
  },
  {
    id: "running-third-attempt",
    status: "running",
    attempt: 3,
    retryCount: 1,
    errors: [LEASE_EXPIRED_V1, "boom"],
    expectedLostLeases: 1,
  },
  {
    id: "completed-after-a-failure",
    status: "completed",
    attempt: 2,
    retryCount: 1,
    errors: ["boom"],
    expectedLostLeases: 0,
  },
  {
    // Release 1 made a job dead at the claim after too many lost leases.
    id: "dead-of-lost-leases",
    status: "dead",
    attempt: 4,
    retryCount: 0,
    errors: [LEASE_EXPIRED_V1, LEASE_EXPIRED_V1, LEASE_EXPIRED_V1, "the job's lease expired 3 times"],
    expectedLostLeases: 3,
  },
  {
    id: "cancelled-after-a-lost-lease",
    status: "cancelled",
    attempt: 1,
    retryCount: 0,
    errors: [LEASE_EXPIRED_V1],
    expectedLostLeases: 1,
  },
  {
    id: "cancelled-while-running",
    status: "cancelled",
    attempt: 1,
    retryCount: 0,
    errors: [],
    expectedLostLeases: 0,
  },
  {
    // Requeued after four failures (which reset retry_count but not attempt), then one lost lease:
    // attempt - retry_count says 5, the history 1.
    id: "requeued-then-recovered",
    status: "pending",
    attempt: 5,
    retryCount: 0,
    errors: ["boom", "boom", "boom", "boom", LEASE_EXPIRED_V1],
    expectedLostLeases: 1,
  },
];

/** Inserts `rows` with release 1's columns (jsonb payload and metadata, no lost_leases). */
async function insertVersion1Rows(schema: string, rows: readonly Version1Row[]): Promise<void> {
  for (const row of rows) {
    const final = ["completed", "dead", "cancelled"].includes(row.status);
    const history = row.errors.map((error, i) => ({
      attempt: row.attempt - row.errors.length + i + 1,
      error,
      failedAt: T0.toISOString(),
    }));
    await schemas.admin.query(
      `INSERT INTO "${schema}".scheduler_jobs (id, name, queue, status, payload, metadata, max_retries,
         retry_count, attempt, timeout_ms, scheduled_at, created_at, started_at, completed_at, locked_until,
         locked_by, error, unique_key, history)
       VALUES ($1, 'v1-job', $2, $3, $4, $5, 3, $6, $7, 1000, $8, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [
        row.id,
        row.queue ?? "default",
        row.status,
        JSON.stringify({ id: row.id, nested: { b: 1, a: [true, null] } }),
        JSON.stringify({ tenant: "acme" }),
        row.retryCount,
        row.attempt,
        row.status === "scheduled" ? new Date(T0.getTime() + 3_600_000) : T0,
        row.attempt > 0 ? T0 : null,
        final ? T0 : null,
        row.status === "running" ? new Date(T0.getTime() + 60_000) : null,
        row.status === "running" ? "old-worker" : null,
        row.errors.at(-1) ?? null,
        row.uniqueKey ?? null,
        JSON.stringify(history),
      ],
    );
  }
}

describe("upgrading a schema of release 1 (migration 001 only)", () => {
  it("migrate() brings jobs in every status to version 2, counting the leases they lost, and keeps their values", async () => {
    const schema = await schemaAtVersion1();
    await insertVersion1Rows(schema, VERSION_1_ROWS);
    await schemas.admin.query(
      `INSERT INTO "${schema}".scheduler_schedules (name, definition, next_run_at, created_at, updated_at)
       VALUES ('nightly', $1, $2, $2, $2)`,
      [JSON.stringify({ kind: "cron", expression: "0 2 * * *", job: { payload: { x: 1 } } }), T0],
    );
    const store = schemas.store(schema);
    try {
      await expect(store.ping()).rejects.toMatchObject({ code: "MIGRATION_REQUIRED", currentVersion: 1 });
      await store.migrate();
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
      for (const row of VERSION_1_ROWS) {
        const job = await store.getJob(row.id);
        expect(job, row.id).toMatchObject({
          status: row.status,
          attempt: row.attempt,
          retryCount: row.retryCount,
          lostLeases: row.expectedLostLeases,
          payload: { id: row.id, nested: { a: [true, null], b: 1 } },
          metadata: { tenant: "acme" },
        });
        expect(
          job!.history.map((entry) => entry.error),
          row.id,
        ).toEqual(row.errors);
      }
      expect((await store.getSchedule("nightly"))?.definition).toEqual({
        kind: "cron",
        expression: "0 2 * * *",
        job: { payload: { x: 1 } },
      });

      // The unique key is now held per queue.
      await expect(store.createJobs([newJob({ queue: "a", uniqueKey: "k" })])).rejects.toMatchObject({
        code: "JOB_ALREADY_EXISTS",
        uniqueKey: "k",
        existingJobId: "scheduled-new",
      });
      await store.createJobs([newJob({ queue: "b", uniqueKey: "k" })]);

      // The running job of release 1 finishes under the new fencing check (its queue and holder included).
      expect(
        await store.completeJobs(
          [{ id: "running-third-attempt", queue: "default", attempt: 3, lockedBy: "old-worker" }],
          { now: T0 },
        ),
      ).toEqual([true]);
      // And the waiting ones are claimed by name.
      const claimed = await store.claimDueJobs({ ...claimAll(), names: ["v1-job"], queues: ["default"] });
      expect(claimed.map((job) => job.id).sort()).toEqual(
        [
          "failed-after-a-lost-lease",
          "pending-new",
          "pending-recovered-twice",
          "requeued-then-recovered",
        ].sort(),
      );
      await store.migrate(); // a no-op now
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
    } finally {
      await store.close();
    }
  });

  it("an empty schema of release 1 upgrades too", async () => {
    const schema = await schemaAtVersion1();
    const store = schemas.store(schema);
    try {
      await store.migrate();
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
      await store.createJobs([newJob()]);
      expect(await store.claimDueJobs(claimAll())).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it("is safe when 5 stores upgrade the same schema at once: one applies 002, all succeed", async () => {
    const schema = await schemaAtVersion1();
    await insertVersion1Rows(schema, VERSION_1_ROWS);
    const stores = Array.from({ length: 5 }, () => schemas.store(schema, { poolSize: 1 }));
    try {
      const results = await Promise.allSettled(stores.map((store) => store.migrate()));
      expect(results.map((result) => result.status)).toEqual(Array(5).fill("fulfilled"));
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
      expect((await stores[0]!.getJob("pending-recovered-twice"))?.lostLeases).toBe(2);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it("an instance of release 1 still running during a rolling deploy can enqueue and claim on the upgraded tables", async () => {
    const schema = await schemaAtVersion1();
    const store = schemas.store(schema);
    try {
      await store.migrate();
      const jobs = `"${schema}".scheduler_jobs`;
      // Release 1's insert: payload and metadata read as jsonb.
      await schemas.admin.query(
        `INSERT INTO ${jobs} (id, name, queue, status, priority, payload, metadata, max_retries, timeout_ms,
           scheduled_at, created_at, unique_key)
         SELECT id, name, queue, status, priority, payload, coalesce(metadata, '{}'), max_retries, timeout_ms,
           scheduled_at, created_at, unique_key
         FROM json_to_recordset($1::json) AS t(id text, name text, queue text, status text, priority integer,
           payload jsonb, metadata jsonb, max_retries integer, timeout_ms bigint, scheduled_at timestamptz,
           created_at timestamptz, unique_key text)`,
        [
          JSON.stringify([
            {
              id: "from-release-1",
              name: "any",
              queue: "default",
              status: "pending",
              priority: 0,
              payload: { n: 1 },
              metadata: {},
              max_retries: 0,
              timeout_ms: 1000,
              scheduled_at: T0.toISOString(),
              created_at: T0.toISOString(),
              unique_key: null,
            },
          ]),
        ],
      );
      // Release 1's claim and next-due functions (every name).
      const { rows: due } = await schemas.admin.query(
        `SELECT "${schema}".scheduler_next_due_at(NULL::text[]) AS at`,
      );
      expect(due).toEqual([{ at: T0 }]);
      const { rows: claimed } = await schemas.admin.query(
        `SELECT id, attempt, payload FROM "${schema}".scheduler_claim_jobs($1, 10, $2, 'old', NULL)`,
        [T0, new Date(T0.getTime() + 60_000)],
      );
      expect(claimed).toEqual([{ id: "from-release-1", attempt: 1, payload: { n: 1 } }]);
    } finally {
      await store.close();
    }
  });
});

describe("upgrading a schema of release 2 (migrations 001 and 002)", () => {
  /** Release 2's insert of a schedule: no definition stamp. */
  async function insertVersion2Schedule(schema: string, name: string, createdAt: Date): Promise<void> {
    await schemas.admin.query(
      `INSERT INTO "${schema}".scheduler_schedules
         (name, definition, next_run_at, last_run_at, occurrences, created_at, updated_at)
       VALUES ($1, $2, $3, NULL, 0, $3, $3)`,
      [name, JSON.stringify({ kind: "cron", expression: "0 2 * * *" }), createdAt],
    );
  }

  it("migrate() stamps existing schedules as defined at their creation by no instance, and keeps jobs and schedules", async () => {
    const schema = await schemaAtVersion(2, "sched_v2");
    await insertVersion2Schedule(schema, "nightly", T0);
    const store = schemas.store(schema);
    try {
      await expect(store.ping()).rejects.toMatchObject({ code: "MIGRATION_REQUIRED", currentVersion: 2 });
      await store.migrate();
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
      expect(await store.getSchedule("nightly")).toMatchObject({
        name: "nightly",
        definition: { kind: "cron", expression: "0 2 * * *" },
        createdAt: T0,
        definedAt: T0,
        definedBy: null,
      });
      // The stamp is compared as stored, a null holder included.
      const replacement = {
        ...(await store.getSchedule("nightly"))!,
        definedAt: new Date(T0.getTime() + 1),
        definedBy: "new-instance",
      };
      expect(
        await store.saveSchedule(replacement, { expectDefinition: { definedAt: T0, definedBy: "x" } }),
      ).toBe(false);
      expect(
        await store.saveSchedule(replacement, { expectDefinition: { definedAt: T0, definedBy: null } }),
      ).toBe(true);
      const epoch = await store.epoch();
      expect(epoch).toMatch(/^[0-9a-f-]{36}$/);
      await store.migrate(); // a no-op now
      expect(await store.epoch()).toBe(epoch);
    } finally {
      await store.close();
    }
  });

  it("an instance of release 2 still running during a rolling deploy can create and replace schedules on the upgraded tables", async () => {
    const schema = await schemaAtVersion(2, "sched_v2");
    const store = schemas.store(schema);
    try {
      await store.migrate();
      const before = new Date();
      await insertVersion2Schedule(schema, "from-release-2", T0);
      const created = await store.getSchedule("from-release-2");
      // A schedule release 2 created is stamped by the server's clock, with no instance.
      expect(created?.definedBy).toBeNull();
      expect(created!.definedAt.getTime()).toBeGreaterThanOrEqual(before.getTime() - 60_000);
      // Release 2's replace leaves the stamp as it was.
      const stamped = { ...created!, definedAt: T0, definedBy: "new-instance" };
      await store.saveSchedule(stamped);
      await schemas.admin.query(
        `INSERT INTO "${schema}".scheduler_schedules
           (name, definition, next_run_at, last_run_at, occurrences, created_at, updated_at)
         VALUES ('from-release-2', '{"kind":"cron","expression":"0 3 * * *"}', $1, NULL, 0, $1, $1)
         ON CONFLICT (name) DO UPDATE SET definition = excluded.definition`,
        [T0],
      );
      expect(await store.getSchedule("from-release-2")).toMatchObject({
        definition: { kind: "cron", expression: "0 3 * * *" },
        definedAt: T0,
        definedBy: "new-instance",
      });
    } finally {
      await store.close();
    }
  });
});

describe("upgrading a schema of release 3 (migrations 001 to 003)", () => {
  it("migrate() adds the statement functions and keeps the data; the store then runs on the tables", async () => {
    const schema = await schemaAtVersion(3, "sched_v3");
    const store = schemas.store(schema);
    try {
      await expect(store.ping()).rejects.toBeInstanceOf(MigrationRequiredError);
      await schemas.admin.query(
        `INSERT INTO "${schema}".scheduler_jobs (id, name, queue, status, scheduled_at, created_at, attempt)
         VALUES ('kept', 'migration-test', 'default', 'pending', $1, $1, 0)`,
        [T0],
      );
      await store.migrate();
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
      const [claimed] = await store.claimDueJobs({
        now: T0,
        limit: 1,
        lockedUntil: new Date(T0.getTime() + 60_000),
        workerId: "w",
        queues: null,
        names: null,
      });
      expect(claimed).toMatchObject({ id: "kept", attempt: 1, status: "running" });
      const ref = { id: "kept", queue: "default", attempt: 1, lockedBy: "w" };
      expect(await store.completeJobs([ref], { now: T0, removeOnComplete: false })).toEqual([true]);
      expect(await store.getJob("kept")).toMatchObject({ status: "completed" });
    } finally {
      await store.close();
    }
  });
});

describe("upgrading a schema of release 4 (migrations 001 to 004)", () => {
  it("migrate() adds the queue controls and keeps the jobs, which have no group", async () => {
    const schema = await schemaAtVersion(4, "sched_v4");
    const store = schemas.store(schema);
    try {
      await schemas.admin.query(
        `INSERT INTO "${schema}".scheduler_jobs (id, name, queue, status, scheduled_at, created_at, attempt)
         VALUES ('kept', 'migration-test', 'default', 'pending', $1, $1, 0)`,
        [T0],
      );
      await store.migrate();
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
      expect(await store.getJob("kept")).toMatchObject({ group: null, status: "pending" });
      await store.updateQueue("default", { concurrency: 1 }, T0);
      const claim = {
        now: T0,
        limit: 5,
        lockedUntil: new Date(T0.getTime() + 60_000),
        queues: null,
        names: null,
      };
      expect(await store.claimDueJobs({ ...claim, workerId: "w" })).toMatchObject([
        { id: "kept", group: null },
      ]);
    } finally {
      await store.close();
    }
  });

  it("an instance of release 4 still running during a rolling deploy can enqueue, and its jobs have no group", async () => {
    const schema = await schemaAtVersion(4, "sched_v4");
    const store = schemas.store(schema);
    try {
      await store.migrate();
      const job = {
        id: "from-release-4",
        name: "any",
        queue: "default",
        status: "pending",
        priority: 0,
        payload: { n: 1 },
        metadata: {},
        max_retries: 0,
        timeout_ms: 0,
        scheduled_at: T0.toISOString(),
        created_at: T0.toISOString(),
        unique_key: null,
      };
      // Release 4's insert-jobs statement.
      await schemas.admin.query(
        `INSERT INTO "${schema}".scheduler_jobs (id, name, queue, status, priority, payload, metadata,
           max_retries, timeout_ms, scheduled_at, created_at, unique_key)
         SELECT * FROM "${schema}".scheduler_new_jobs($1)`,
        [JSON.stringify([job])],
      );
      expect(await store.getJob("from-release-4")).toMatchObject({ group: null, payload: { n: 1 } });
    } finally {
      await store.close();
    }
  });
});

describe("upgrading a schema of release 5 (migrations 001 to 005)", () => {
  it("migrate() counts the jobs already there, and the counts then follow every change", async () => {
    const schema = await schemaAtVersion(5, "sched_v5");
    const store = schemas.store(schema);
    try {
      await schemas.admin.query(
        `INSERT INTO "${schema}".scheduler_jobs (id, name, queue, status, scheduled_at, created_at, completed_at)
         SELECT 'job-' || i, 'migration-test', CASE WHEN i % 3 = 0 THEN 'b' ELSE 'a' END,
           CASE WHEN i % 2 = 0 THEN 'completed' ELSE 'pending' END, $1::timestamptz,
           $1::timestamptz + i * interval '1 ms', CASE WHEN i % 2 = 0 THEN $1::timestamptz END
         FROM generate_series(1, 12) AS i`,
        [T0],
      );
      await store.migrate();
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
      const stats = await store.stats();
      // a: 1 2 4 5 7 8 10 11 (pending: 1 5 7 11; completed: 2 4 8 10); b: 3 6 9 12 (pending: 3 9).
      expect(stats).toMatchObject({ pending: 6, completed: 6 });
      expect(stats.byQueue?.a).toMatchObject({ pending: 4, completed: 4 });
      expect(stats.byQueue?.b).toMatchObject({ pending: 2, completed: 2 });
      // A statement of release 5 (which knows nothing of the counts) is counted by the triggers.
      await schemas.admin.query(
        `DELETE FROM "${schema}".scheduler_jobs WHERE queue = 'b' AND status = 'pending'`,
      );
      expect((await store.stats()).byQueue?.b).toMatchObject({ pending: 0, completed: 2 });
      const page = await store.listJobs({ queue: "a", status: "completed", limit: 3 });
      expect(page.jobs.map((job) => job.id)).toEqual(["job-2", "job-4", "job-8"]);
      expect(
        (await store.listJobs({ queue: "a", status: "completed", cursor: page.nextCursor })).jobs,
      ).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});

describe("upgrading a schema of release 6 (migrations 001 to 006)", () => {
  it("migrate() keeps jobs of every status and their counts, tunes the table's maintenance, and the store runs on it", async () => {
    const schema = await schemaAtVersion(6, "sched_v6");
    const store = schemas.store(schema);
    try {
      const statuses = ["scheduled", "pending", "running", "failed", "completed", "dead", "cancelled"];
      await schemas.admin.query(
        `INSERT INTO "${schema}".scheduler_jobs (id, name, queue, status, attempt, scheduled_at, created_at,
           started_at, completed_at, locked_until, locked_by, unique_key, group_key)
         SELECT 'job-' || s.status, 'migration-test', 'default', s.status,
           CASE WHEN s.status IN ('scheduled', 'pending') THEN 0 ELSE 1 END,
           $1::timestamptz, $1::timestamptz, $1::timestamptz,
           CASE WHEN s.status IN ('completed', 'dead', 'cancelled') THEN $1::timestamptz END,
           CASE WHEN s.status = 'running' THEN $1::timestamptz + interval '1 hour' END,
           CASE WHEN s.status = 'running' THEN 'old-worker' END,
           'key-' || s.status, CASE WHEN s.status = 'failed' THEN 'g' END
         FROM unnest($2::text[]) AS s(status)`,
        [T0, statuses],
      );
      const rowsOf = async () =>
        (
          await schemas.admin.query<{ job: unknown }>(
            `SELECT row_to_json(j) AS job FROM "${schema}".scheduler_jobs AS j ORDER BY j.id`,
          )
        ).rows.map((row) => row.job);
      const before = await rowsOf();
      expect(before).toHaveLength(statuses.length);

      await store.migrate();
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
      expect(await rowsOf()).toEqual(before);
      const stats = await store.stats();
      for (const status of statuses) expect(stats[status as keyof typeof stats]).toBe(1);
      const { rows: options } = await schemas.admin.query<{ table: string; options: string[] }>(
        `SELECT c.relname AS table, c.reloptions AS options FROM pg_class AS c
         JOIN pg_namespace AS n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname IN ('scheduler_jobs', 'scheduler_job_count_deltas') ORDER BY 1`,
        [schema],
      );
      expect(options.map((row) => row.table)).toEqual(["scheduler_job_count_deltas", "scheduler_jobs"]);
      for (const row of options) {
        expect(row.options).toEqual(
          expect.arrayContaining(["vacuum_truncate=false", "autovacuum_vacuum_cost_delay=0"]),
        );
      }

      // The functions still serve the old rows: the due jobs are claimed, the unique keys of the
      // active ones still held, and a completion and a cleanup are counted.
      const claimed = await store.claimDueJobs({
        queues: null,
        names: null,
        limit: 10,
        now: new Date(T0.getTime() + 1_000),
        lockedUntil: new Date(T0.getTime() + 60_000),
        workerId: "new-worker",
      });
      expect(claimed.map((job) => job.id).sort()).toEqual(["job-failed", "job-pending", "job-scheduled"]);
      await expect(store.createJobs([{ ...newJob({ uniqueKey: "key-running" }) }])).rejects.toMatchObject({
        code: "JOB_ALREADY_EXISTS",
      });
      const refs = claimed.map((job) => ({
        id: job.id,
        queue: job.queue,
        attempt: job.attempt,
        lockedBy: "new-worker",
      }));
      expect(await store.completeJobs(refs, { now: new Date(T0.getTime() + 2_000) })).toEqual([
        true,
        true,
        true,
      ]);
      expect(await store.stats()).toMatchObject({
        scheduled: 0,
        pending: 0,
        failed: 0,
        running: 1,
        completed: 4,
      });
      expect(
        await store.cleanup({
          completedBefore: new Date(T0.getTime() + 3_000),
          deadBefore: T0,
          cancelledBefore: T0,
        }),
      ).toBe(4);
      expect(await store.stats()).toMatchObject({ running: 1, completed: 0, dead: 1, cancelled: 1 });
    } finally {
      await store.close();
    }
  });
});

describe("upgrading a schema of release 14 while its instances claim (migration 015)", () => {
  it("migrate() goes through while claims from a controlled queue run, and neither side deadlocks", async () => {
    for (let round = 0; round < 2; round++) {
      const schema = await schemaAtVersion(14, "sched_v14_live");
      const fn = (name: string) => `"${schema}".scheduler_${name}`;
      // 20,000 grouped jobs of a controlled queue, inserted as release 14 does.
      const jobs = Array.from({ length: 20_000 }, (_, i) => ({
        id: `live-${round}-${String(i).padStart(5, "0")}`,
        name: "a",
        queue: "ctl",
        status: "pending",
        priority: 0,
        payload: {},
        metadata: {},
        max_retries: 0,
        timeout_ms: 60_000,
        scheduled_at: T0.toISOString(),
        created_at: T0.toISOString(),
        unique_key: null,
        group_key: `g${i % 200}`,
      }));
      await schemas.admin.query(`SELECT ${fn("create_jobs")}($1, NULL)`, [JSON.stringify(jobs)]);
      await schemas.admin.query(`UPDATE ${fn("queues")} SET concurrency = 100000, group_concurrency = 1000`);
      // Three instances of release 14 claim (the functions they call), one transaction each.
      let claiming = true;
      const failures: string[] = [];
      let claimed = 0;
      const claimer = async (worker: string) => {
        // A connection of its own: the test's pool stays free for its own statements.
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        try {
          while (claiming) {
            try {
              const { rowCount } = await client.query(
                `SELECT id FROM ${fn("claim_due_jobs")}($1, 20, $2, $3, ARRAY['ctl'], ARRAY['a'])`,
                [T0, new Date(T0.getTime() + 600_000), worker],
              );
              claimed += rowCount ?? 0;
            } catch (err) {
              failures.push((err as Error).message);
            }
          }
        } finally {
          await client.end();
        }
      };
      const claimers = ["w1", "w2", "w3"].map(claimer);
      await waitFor(() => claimed > 100, { timeout: "10s", description: "claims to run" });
      const store = schemas.store(schema);
      try {
        await store.migrate();
        expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
      } finally {
        claiming = false;
        await Promise.all(claimers);
        await store.close();
      }
      expect([round, failures]).toEqual([round, []]);
      // Every job claimed once at most: none lost, none doubled.
      const { rows } = await schemas.admin.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM "${schema}".scheduler_jobs GROUP BY 1 ORDER BY 1`,
      );
      const running = rows.find((row) => row.status === "running")?.n ?? 0;
      expect(running).toBe(claimed);
      expect(rows.reduce((sum, row) => sum + row.n, 0)).toBe(20_000);
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

  it("only name the schema and prefix through the quoted placeholders, as the statements do", () => {
    const statements = fileURLToPath(new URL("../sql/", import.meta.url));
    const files = [folder, statements].flatMap((dir) =>
      readdirSync(dir)
        .filter((name) => name.endsWith(".sql"))
        .map((name) => `${dir}${name}`),
    );
    expect(files.length).toBeGreaterThan(SCHEMA_VERSION + 30);
    for (const file of files) {
      const text = readFileSync(file, "utf8").replaceAll(/--.*$/gm, "");
      const unquoted = text.replaceAll('"{{schema}}"', "").replaceAll(/"\{\{prefix\}\}[a-z_]+"/g, "");
      expect(unquoted, file).not.toMatch(/\{\{/);
    }
  });

  it("apply cleanly by hand, and a store then accepts the tables", async () => {
    const schema = await schemaMigratedByHand("sched_byhand", { tablePrefix: "jobs_" });
    expect(await appliedVersions(schema, "jobs_")).toEqual(ALL_VERSIONS);
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

  it("a migration that PostgreSQL ends as a deadlock's victim runs again and goes through", async () => {
    const schema = await schemaAtVersion(14, "sched_deadlock");
    // Another session holds the jobs table (a lock migration 015's LOCK TABLE waits for) and then
    // asks for the migrations table, which the migration has read: a cycle. The migration waits
    // first, so its deadlock check (after deadlock_timeout) finds the cycle and ends it.
    const other = new pg.Client({ connectionString: POSTGRES_URL });
    await other.connect();
    const store = schemas.store(schema, { poolSize: 1 });
    try {
      await other.query("SET deadlock_timeout = '60s'");
      await other.query("BEGIN");
      await other.query(`LOCK TABLE "${schema}".scheduler_jobs IN SHARE MODE`);
      let settled = false;
      const migrating = store.migrate().finally(() => {
        settled = true;
      });
      migrating.catch(() => {});
      await waitFor(
        async () => {
          const { rows } = await schemas.admin.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_locks
             WHERE relation = '"${schema}".scheduler_jobs'::regclass AND NOT granted`,
          );
          return (rows[0]?.n ?? 0) > 0;
        },
        { timeout: "10s", description: "the migration to wait for the jobs table" },
      );
      // Granted only once the migration's transaction has ended: it was the victim.
      await other.query(`LOCK TABLE "${schema}".scheduler_migrations IN ACCESS EXCLUSIVE MODE`);
      expect(settled).toBe(false);
      await other.query("ROLLBACK");
      await migrating;
      expect(await appliedVersions(schema)).toEqual(ALL_VERSIONS);
    } finally {
      await other.end();
      await store.close();
    }
  });
});

function claimAll() {
  return {
    queues: null,
    names: null,
    limit: 10,
    now: T0,
    lockedUntil: new Date(T0.getTime() + 60_000),
    workerId: "w",
  };
}
