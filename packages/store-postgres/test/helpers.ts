import { randomBytes } from "node:crypto";
import pg from "pg";
import { PostgresStore, type PostgresStoreOptions } from "../src/index.js";

/** The server the tests use: `SCHED_POSTGRES_URL`, or the local development server. */
export const POSTGRES_URL = process.env.SCHED_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";

/** A name no other test (or concurrent test run) uses: `<label>_<random>`. */
export function uniqueName(label: string): string {
  return `${label}_${randomBytes(6).toString("hex")}`;
}

/**
 * Schemas made by one test file, dropped by {@link TestSchemas.dropAll} (call it in `afterAll`).
 * Each test file (or test) works in schemas of its own, so concurrent runs never collide.
 */
export class TestSchemas {
  readonly admin = new pg.Pool({
    connectionString: POSTGRES_URL,
    max: 2,
    application_name: "sched-test-admin",
  });
  private readonly created: string[] = [];

  constructor() {
    this.admin.on("error", () => {});
  }

  /** A new schema name, remembered for dropping; nothing is created yet. */
  name(label = "sched_test"): string {
    const schema = uniqueName(label);
    this.created.push(schema);
    return schema;
  }

  /** A new schema with the store's tables, migrated by a store that is closed again. */
  async migrated(label?: string, options: PostgresStoreOptions = {}): Promise<string> {
    const schema = this.name(label);
    const store = new PostgresStore({ connectionString: POSTGRES_URL, schema, poolSize: 1, ...options });
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    return schema;
  }

  /** A store on `schema` with a small pool of its own. */
  store(schema: string, options: PostgresStoreOptions = {}): PostgresStore {
    return new PostgresStore({ connectionString: POSTGRES_URL, schema, poolSize: 4, ...options });
  }

  /**
   * Drops `schema` now, under stores that may still be running on it: see {@link TestSchemas.locking}.
   */
  drop(schema: string): Promise<void> {
    return this.locking(`DROP SCHEMA "${schema}" CASCADE`);
  }

  /**
   * Runs a statement that takes strong locks on several tables (DROP … CASCADE, TRUNCATE) under
   * stores still running on them. It locks the tables one by one, in an order a running claim or
   * lease statement can cross, so the server may pick it as a deadlock victim (40P01): it is tried
   * again then, up to ten times.
   */
  async locking(sql: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.admin.query(sql);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== "40P01" || attempt >= 10) throw error;
      }
    }
  }

  /** Drops every schema made here, and closes the admin pool. */
  async dropAll(): Promise<void> {
    try {
      await this.admin.query("SET client_min_messages = warning");
      for (const schema of this.created.splice(0)) {
        await this.admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
    } finally {
      await this.admin.end();
    }
  }
}

/** Whether the connection named `applicationName` is LISTENing (its last statement was LISTEN). */
export async function isListening(admin: pg.Pool, applicationName: string): Promise<boolean> {
  const { rows } = await admin.query<{ n: number }>(
    `SELECT count(*)::integer AS n FROM pg_stat_activity
     WHERE application_name = $1 AND state = 'idle' AND query LIKE 'LISTEN %'`,
    [applicationName],
  );
  return (rows[0]?.n ?? 0) > 0;
}

/**
 * The plans auto_explain logs (as notices, verbose) for the statements run inside the functions
 * that `calls` call, run in order on one new connection: the plans of one connection are what
 * plpgsql caches.
 */
export async function nestedPlans(calls: ReadonlyArray<readonly [string, unknown[]]>): Promise<string[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  const plans: string[] = [];
  client.on("notice", (notice) => {
    if (notice.message?.includes("Query Text:")) plans.push(notice.message);
  });
  try {
    await client.query("LOAD 'auto_explain'");
    await client.query(
      "SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET auto_explain.log_verbose = on; SET client_min_messages = log",
    );
    for (const [sql, values] of calls) await client.query(sql, values);
  } finally {
    await client.end();
  }
  return plans;
}
