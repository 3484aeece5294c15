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

/**
 * Runs `run` on a connection of its own (named `applicationName`) to the server at `url`, for the
 * plain schema name `schema` (refused otherwise: it is written into the SQL), and closes it.
 */
async function onSchema<T>(
  url: string,
  schema: string,
  applicationName: string,
  run: (client: PgClient) => Promise<T>,
): Promise<T> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`not a plain schema name: ${JSON.stringify(schema)}`);
  const pg = createRequire(import.meta.url)("pg") as PgModule;
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Runs `DROP SCHEMA IF EXISTS <schema> CASCADE` on a connection of its own. */
export function dropSchema(url: string, schema: string): Promise<void> {
  return onSchema(url, schema, "sched-bench-cleanup", async (client) => {
    // Quiet: "schema does not exist, skipping" is a NOTICE, not an error.
    await client.query("SET client_min_messages = warning");
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
}

/**
 * Runs `CHECKPOINT` on the server at `url` (default {@link postgresUrl}): every dirty page is
 * written and flushed now, and the next timed checkpoint is `checkpoint_timeout` away. A role
 * that may not (neither a superuser nor, on PostgreSQL 15 and later, a member of
 * `pg_checkpoint`) gets a warning once and the bench goes on without it.
 */
export async function checkpoint(url: string = postgresUrl()): Promise<void> {
  if (checkpointRefused) return;
  const pg = createRequire(import.meta.url)("pg") as PgModule;
  const client = new pg.Client({ connectionString: url, application_name: "sched-bench-settle" });
  await client.connect();
  try {
    await client.query("CHECKPOINT");
  } catch (err) {
    checkpointRefused = true;
    console.error(
      `  (no CHECKPOINT before each PostgreSQL run: ${err instanceof Error ? err.message : String(err)})`,
    );
  } finally {
    await client.end();
  }
}

let checkpointRefused = false;

/** The bytes the tables of `schema` take with their indexes and TOAST (`pg_total_relation_size`). */
export function schemaBytes(url: string, schema: string): Promise<number> {
  return onSchema(url, schema, "sched-bench-size", async (client) => {
    const result = (await client.query(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = '${schema}' AND c.relkind IN ('r', 'm')`,
    )) as { rows: Array<{ bytes: string }> };
    return Number(result.rows[0]?.bytes ?? 0);
  });
}

/**
 * Waits until no VACUUM of a table of `schema` is running (`pg_stat_progress_vacuum`), polling every
 * 100 ms, for at most `maxMs` ms: the store's own vacuum (or autovacuum) started by earlier work.
 * Returns how long it waited, in ms.
 */
export function vacuumsEnded(url: string, schema: string, maxMs = 600_000): Promise<number> {
  return onSchema(url, schema, "sched-bench-settle", async (client) => {
    const started = performance.now();
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
  });
}
