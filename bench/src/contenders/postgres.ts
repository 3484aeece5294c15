/**
 * What the PostgreSQL contenders share: the server's URL and a way to drop a contender's schema
 * before and after its run, so that no run inherits another's tables, rows or dead tuples.
 */
import { createRequire } from "node:module";

/** The PostgreSQL every PostgreSQL contender uses (`SCHED_POSTGRES_URL`). */
export function postgresUrl(env: Record<string, string | undefined> = process.env): string {
  return env.SCHED_POSTGRES_URL?.trim() || "postgres://root@127.0.0.1:5432/test";
}

// The bench does not depend on `@types/pg` (the peers bring their own), so `pg` is loaded through
// `require` with the little of its API used here typed locally.
interface PgClient {
  connect(): Promise<unknown>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}
interface PgModule {
  Client: new (config: { connectionString: string; application_name?: string }) => PgClient;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Runs `DROP SCHEMA IF EXISTS <schema> CASCADE` on a connection of its own. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`not a plain schema name: ${JSON.stringify(schema)}`);
  const pg = createRequire(import.meta.url)("pg") as PgModule;
  const client = new pg.Client({ connectionString: url, application_name: "sched-bench-cleanup" });
  await client.connect();
  try {
    // Quiet: "schema does not exist, skipping" is a NOTICE, not an error.
    await client.query("SET client_min_messages = warning");
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** The bytes the tables of `schema` take with their indexes and TOAST (`pg_total_relation_size`). */
export async function schemaBytes(url: string, schema: string): Promise<number> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`not a plain schema name: ${JSON.stringify(schema)}`);
  const pg = createRequire(import.meta.url)("pg") as PgModule;
  const client = new pg.Client({ connectionString: url, application_name: "sched-bench-size" });
  await client.connect();
  try {
    const result = (await client.query(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = '${schema}' AND c.relkind IN ('r', 'm')`,
    )) as { rows: Array<{ bytes: string }> };
    return Number(result.rows[0]?.bytes ?? 0);
  } finally {
    await client.end();
  }
}

/**
 * Waits until no VACUUM of a table of `schema` is running (`pg_stat_progress_vacuum`), polling every
 * 100 ms, for at most `maxMs` ms: the store's own vacuum (or autovacuum) started by earlier work.
 * Returns how long it waited, in ms.
 */
export async function vacuumsEnded(url: string, schema: string, maxMs = 600_000): Promise<number> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`not a plain schema name: ${JSON.stringify(schema)}`);
  const pg = createRequire(import.meta.url)("pg") as PgModule;
  const client = new pg.Client({ connectionString: url, application_name: "sched-bench-settle" });
  await client.connect();
  const started = performance.now();
  try {
    for (;;) {
      const result = (await client.query(
        `SELECT count(*)::int AS running FROM pg_stat_progress_vacuum p
           JOIN pg_class c ON c.oid = p.relid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = '${schema}'`,
      )) as { rows: Array<{ running: number }> };
      const waited = performance.now() - started;
      if ((result.rows[0]?.running ?? 0) === 0 || waited >= maxMs) return waited;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
}
