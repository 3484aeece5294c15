/**
 * Flat cost on PostgreSQL: does processing stay as fast as the jobs table grows?
 *
 * Runs `FLAT_JOBS` no-op jobs (default 100,000) through a real Scheduler and worker on
 * `PostgresStore` at the default retention (completed jobs kept 24 h), in five fifths, then
 * `cleanupCompleted(0)`, then one more fifth. Each fifth enqueues its jobs in chunks of 1,000
 * (`enqueueMany`) while the worker runs, and is timed from its first enqueue to its last handler
 * start. Prints jobs/s and the claim p50/p99 (the store's `claimDueJobs` calls that returned jobs)
 * of each fifth, their ratio to the first fifth's, and the jobs table's sizes (heap, indexes, live
 * and dead rows) after the fifths, after cleanup and at the end.
 *
 * `FLAT_PREFILL=M` first inserts M completed jobs (one INSERT ... SELECT, then VACUUM ANALYZE, as
 * autovacuum would have left a table that filled over time): the same run against a table that
 * already holds many finished jobs. `FLAT_WORKERS` sets the workers (default 50),
 * `FLAT_VACUUM_EVERY` the store's `vacuumEvery` (unset: its default; 0: off), and
 * `FLAT_AFTER_MIGRATE_SQL` a file of SQL run right after `migrate()` (an experiment on the table
 * layout, such as `bench/sql/flat-cost-partitioned.sql`). The schema
 * `bench_flat` is dropped before and after the run.
 *
 * ```sh
 * npx -y pnpm@10.34.9 --filter @sched/bench build
 * FLAT_JOBS=100000 FLAT_PREFILL=200000 node bench/dist/flat-cost.js
 * ```
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createScheduler, type Job } from "@sched/core";
import { PostgresStore } from "@sched/store-postgres";
import { integerFromEnv } from "./config.js";
import { dropSchema, postgresUrl } from "./contenders/postgres.js";

const SCHEMA = "bench_flat";
const JOB_NAME = "bench_noop";
const CHUNK = 1_000;

interface PgClient {
  connect(): Promise<unknown>;
  query(sql: string): Promise<{ rows: Array<Record<string, unknown>> }>;
  end(): Promise<void>;
}
interface PgModule {
  Client: new (config: { connectionString: string; application_name?: string }) => PgClient;
}

function intFromEnv(name: string, fallback: number): number {
  return integerFromEnv(process.env, name, { min: 0, fallback });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface TableSizes {
  heapMb: number;
  indexMb: number;
  live: number;
  dead: number;
}

/** Heap and index sizes, live and dead rows of every relation whose name starts with the jobs table's. */
async function jobsTableSizes(client: PgClient): Promise<TableSizes> {
  const { rows } = await client.query(`
    SELECT coalesce(sum(pg_relation_size(c.oid)), 0)::float8 AS heap,
      coalesce(sum(pg_indexes_size(c.oid)), 0)::float8 AS indexes,
      coalesce(sum(s.n_live_tup), 0)::float8 AS live, coalesce(sum(s.n_dead_tup), 0)::float8 AS dead
    FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
    LEFT JOIN pg_stat_user_tables AS s ON s.relid = c.oid
    WHERE n.nspname = '${SCHEMA}' AND c.relkind = 'r' AND c.relname LIKE 'scheduler\\_jobs%'`);
  const row = rows[0] ?? {};
  return {
    heapMb: Number(row.heap) / 2 ** 20,
    indexMb: Number(row.indexes) / 2 ** 20,
    live: Number(row.live),
    dead: Number(row.dead),
  };
}

/** Shared buffers read or hit so far in the jobs table's heap and indexes (pg_statio_user_tables). */
async function jobsTableBuffers(client: PgClient): Promise<number> {
  const { rows } = await client.query(`
    SELECT coalesce(sum(coalesce(heap_blks_hit, 0) + coalesce(heap_blks_read, 0) + coalesce(idx_blks_hit, 0)
      + coalesce(idx_blks_read, 0)), 0)::float8 AS buffers
    FROM pg_statio_user_tables WHERE schemaname = '${SCHEMA}' AND relname LIKE 'scheduler\\_jobs%'`);
  return Number(rows[0]?.buffers ?? 0);
}

/**
 * Shared buffers read or hit so far, per relation of the jobs table: `heap` and each index by name
 * without the table's prefix (pg_statio_user_tables, pg_statio_user_indexes).
 */
async function buffersByRelation(client: PgClient): Promise<Map<string, number>> {
  const { rows } = await client.query(`
    SELECT 'heap' AS relation, (coalesce(heap_blks_hit, 0) + coalesce(heap_blks_read, 0))::float8 AS buffers
    FROM pg_statio_user_tables WHERE schemaname = '${SCHEMA}' AND relname = 'scheduler_jobs'
    UNION ALL
    SELECT substr(indexrelname, length('scheduler_jobs_') + 1), (coalesce(idx_blks_hit, 0) + coalesce(idx_blks_read, 0))::float8
    FROM pg_statio_user_indexes WHERE schemaname = '${SCHEMA}' AND relname = 'scheduler_jobs'`);
  return new Map(rows.map((row) => [String(row.relation), Number(row.buffers)]));
}

function formatSizes(label: string, sizes: TableSizes): string {
  return `${label.padEnd(16)} heap ${sizes.heapMb.toFixed(1).padStart(7)} MB  indexes ${sizes.indexMb
    .toFixed(1)
    .padStart(7)} MB  live ${String(sizes.live).padStart(8)}  dead ${String(sizes.dead).padStart(8)}`;
}

async function main(): Promise<void> {
  const jobs = intFromEnv("FLAT_JOBS", 100_000);
  const prefill = intFromEnv("FLAT_PREFILL", 0);
  const workers = intFromEnv("FLAT_WORKERS", 50);
  const vacuumEvery = process.env.FLAT_VACUUM_EVERY?.trim() ? intFromEnv("FLAT_VACUUM_EVERY", 0) : undefined;
  const fifth = Math.max(1, Math.floor(jobs / 5));
  const url = postgresUrl();
  const pg = createRequire(import.meta.url)("pg") as PgModule;

  await dropSchema(url, SCHEMA);
  const client = new pg.Client({ connectionString: url, application_name: "sched-bench-flat-cost" });
  await client.connect();
  const store = new PostgresStore({
    connectionString: url,
    schema: SCHEMA,
    ...(vacuumEvery === undefined ? {} : { vacuumEvery }),
  });
  try {
    await store.migrate();
    const layoutSql = process.env.FLAT_AFTER_MIGRATE_SQL?.trim();
    if (layoutSql) await client.query(readFileSync(layoutSql, "utf8"));
    if (prefill > 0) {
      const started = performance.now();
      await client.query(`
        INSERT INTO "${SCHEMA}".scheduler_jobs (id, name, queue, status, payload, attempt, scheduled_at,
          created_at, started_at, completed_at)
        SELECT 'prefill-' || lpad(g::text, 10, '0'), '${JOB_NAME}', 'default', 'completed', '{"i":-1}', 1,
          now() - interval '2 hours', now() - interval '2 hours', now() - interval '2 hours',
          now() - interval '1 hour'
        FROM generate_series(1, ${prefill}) AS g`);
      await client.query(`VACUUM ANALYZE "${SCHEMA}".scheduler_jobs`);
      console.log(
        `prefilled ${prefill} completed jobs in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }

    // Times every claim that returned jobs, by the phase it ran in.
    let phase = 0;
    const claimMs: number[][] = [];
    const claimDueJobs = store.claimDueJobs.bind(store);
    store.claimDueJobs = async (options) => {
      const at = performance.now();
      const claimed = await claimDueJobs(options);
      if (claimed.length > 0) {
        const times = claimMs[phase] ?? [];
        times.push(performance.now() - at);
        claimMs[phase] = times;
      }
      return claimed;
    };

    const scheduler = createScheduler({ store, workers });
    let ran = 0;
    let target = 0;
    let reached: (() => void) | null = null;
    scheduler.register<{ i: number }>(JOB_NAME, async (_job: Job<{ i: number }>) => {
      ran++;
      if (ran === target && reached) reached();
    });
    await scheduler.start();

    const runPhase = async (
      index: number,
    ): Promise<{
      perSec: number;
      enqueueMs: number;
      buffersPerJob: number;
      byRelation: Map<string, number>;
    }> => {
      phase = index;
      const buffersBefore = await jobsTableBuffers(client);
      const relationsBefore = await buffersByRelation(client);
      const done = new Promise<void>((resolve) => {
        reached = resolve;
      });
      target = ran + fifth;
      const started = performance.now();
      for (let sent = 0; sent < fifth; sent += CHUNK) {
        const size = Math.min(CHUNK, fifth - sent);
        await scheduler.enqueueMany(
          Array.from({ length: size }, (_, k) => ({ name: JOB_NAME, payload: { i: sent + k } })),
        );
      }
      const enqueueMs = performance.now() - started;
      await done;
      const perSec = fifth / ((performance.now() - started) / 1000);
      // Statistics reach the shared counters up to a second after their transaction.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const byRelation = new Map<string, number>();
      for (const [relation, buffers] of await buffersByRelation(client)) {
        byRelation.set(relation, (buffers - (relationsBefore.get(relation) ?? 0)) / fifth);
      }
      return {
        perSec,
        enqueueMs,
        buffersPerJob: ((await jobsTableBuffers(client)) - buffersBefore) / fifth,
        byRelation,
      };
    };

    const results: Array<{
      label: string;
      perSec: number;
      enqueueMs: number;
      buffersPerJob: number;
      byRelation: Map<string, number>;
      p50: number;
      p99: number;
    }> = [];
    const record = (
      label: string,
      index: number,
      outcome: { perSec: number; enqueueMs: number; buffersPerJob: number; byRelation: Map<string, number> },
    ): void => {
      const sorted = (claimMs[index] ?? []).slice().sort((a, b) => a - b);
      results.push({ label, ...outcome, p50: percentile(sorted, 50), p99: percentile(sorted, 99) });
    };

    const sizes: string[] = [formatSizes("before", await jobsTableSizes(client))];
    for (let i = 0; i < 5; i++) record(`fifth ${i + 1}`, i, await runPhase(i));
    sizes.push(formatSizes("after 5 fifths", await jobsTableSizes(client)));
    const cleanupStarted = performance.now();
    const removed = await scheduler.cleanupCompleted("0");
    const cleanupMs = performance.now() - cleanupStarted;
    sizes.push(formatSizes("after cleanup", await jobsTableSizes(client)));
    record("after cleanup", 5, await runPhase(5));
    sizes.push(formatSizes("end", await jobsTableSizes(client)));
    await scheduler.stop({ timeout: "5s" });

    const first = results[0];
    console.log(
      `\nflat cost: ${jobs} jobs in fifths of ${fifth}, ${prefill} prefilled, ${workers} workers, vacuumEvery ${vacuumEvery ?? "default"}`,
    );
    console.log(
      "phase           jobs/s   ratio  enqueue ms  claim p50 ms  claim p99 ms  p99 ratio  buffers/job",
    );
    for (const r of results) {
      console.log(
        `${r.label.padEnd(14)} ${r.perSec.toFixed(0).padStart(7)}  ${(r.perSec / (first?.perSec ?? 1)).toFixed(2).padStart(6)}  ${r.enqueueMs
          .toFixed(0)
          .padStart(10)}  ${r.p50.toFixed(2).padStart(12)}  ${r.p99.toFixed(2).padStart(12)}  ${(
          r.p99 / (first?.p99 ?? 1)
        )
          .toFixed(2)
          .padStart(9)}  ${r.buffersPerJob.toFixed(1).padStart(11)}`,
      );
    }
    // Where the buffers of each phase went: the heap and each index, per job (the store's vacuums
    // included, which read every index whole).
    const relations = [...(first?.byRelation.keys() ?? [])].filter((relation) =>
      results.some((r) => (r.byRelation.get(relation) ?? 0) >= 0.05),
    );
    console.log(`buffers/job by relation: ${["phase".padEnd(14), ...relations].join("  ")}`);
    for (const r of results) {
      const cells = relations.map((relation) =>
        (r.byRelation.get(relation) ?? 0).toFixed(1).padStart(relation.length),
      );
      console.log(
        `${" ".repeat("buffers/job by relation: ".length)}${[r.label.padEnd(14), ...cells].join("  ")}`,
      );
    }
    console.log(`cleanupCompleted removed ${removed} jobs in ${cleanupMs.toFixed(0)} ms`);
    for (const line of sizes) console.log(line);
  } finally {
    await store.close();
    await client.end();
    await dropSchema(url, SCHEMA);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
