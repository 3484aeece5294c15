// @ts-check
/**
 * A throughput check of PostgresStore under the scheduler (not a unit test; figures vary by 20%
 * or more between runs on a shared machine). In a fresh schema, dropped at the end:
 *
 *   1. bulk enqueue: `enqueueMany` of JOBS no-op jobs in batches of BATCH (jobs/s);
 *   2. processing: `createScheduler({ store, workers })`, start, and time until the last handler
 *      ran (jobs/s), checking every job ran exactly once.
 *
 * Run after building (`npx -y pnpm@10.34.9 turbo run build --filter=@sched/store-postgres...`):
 *
 *   node packages/store-postgres/scripts/throughput.mjs
 *   JOBS=20000 WORKERS=50 CLAIM_BATCH=200 node packages/store-postgres/scripts/throughput.mjs
 *
 * With JOB_GROUPS=n, job i gets the group `g<i mod n>`, and with GROUP_CONCURRENCY=c as well the
 * queue is configured with `group: { concurrency: c }` first (claims of a controlled queue):
 *
 *   JOB_GROUPS=100 GROUP_CONCURRENCY=1 node packages/store-postgres/scripts/throughput.mjs
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { createScheduler } from "@sched/core";
import pg from "pg";
import { PostgresStore } from "../dist/index.js";

const env = process.env;
const url = env.SCHED_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";
const jobs = Number(env.JOBS ?? 20_000);
const batch = Number(env.BATCH ?? jobs);
const workers = Number(env.WORKERS ?? 50);
const claimBatchSize = env.CLAIM_BATCH ? Number(env.CLAIM_BATCH) : undefined;
const poolSize = Number(env.POOL_SIZE ?? 10);
const groups = env.JOB_GROUPS ? Number(env.JOB_GROUPS) : undefined;
const groupConcurrency = env.GROUP_CONCURRENCY ? Number(env.GROUP_CONCURRENCY) : undefined;
const schema = `sched_bench_${randomBytes(4).toString("hex")}`;
const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };

const store = new PostgresStore({ connectionString: url, schema, poolSize });
const admin = new pg.Client({ connectionString: url });
await admin.connect();
try {
  await store.migrate();
  const scheduler = createScheduler({ store, workers, claimBatchSize, logger: quiet });
  const seen = new Uint8Array(jobs);
  let ran = 0;
  let lastRanAt = 0;
  /** @type {() => void} */
  let allRan = () => {};
  const done = new Promise((resolve) => {
    allRan = () => resolve(undefined);
  });
  scheduler.register("noop", async (/** @type {import("@sched/core").Job<{ i: number }>} */ job) => {
    const i = job.payload.i;
    if (seen[i]) throw new Error(`job ${i} ran twice`);
    seen[i] = 1;
    ran++;
    if (ran === jobs) {
      lastRanAt = performance.now();
      allRan();
    }
  });

  if (groupConcurrency !== undefined) {
    await scheduler.configureQueue("default", { group: { concurrency: groupConcurrency } });
  }

  const enqueueStart = performance.now();
  for (let from = 0; from < jobs; from += batch) {
    const size = Math.min(batch, jobs - from);
    await scheduler.enqueueMany(
      Array.from({ length: size }, (_, k) => ({
        name: "noop",
        payload: { i: from + k },
        ...(groups === undefined ? {} : { group: `g${(from + k) % groups}` }),
      })),
    );
  }
  const enqueueMs = performance.now() - enqueueStart;

  const processStart = performance.now();
  await scheduler.start();
  await done;
  const processMs = lastRanAt - processStart;
  await scheduler.stop();

  const stats = await store.stats();
  console.log(
    JSON.stringify({
      jobs,
      workers,
      claimBatchSize: claimBatchSize ?? "default",
      poolSize,
      groups: groups ?? null,
      groupConcurrency: groupConcurrency ?? null,
      bulkEnqueuePerSec: Math.round((jobs / enqueueMs) * 1000),
      processedPerSec: Math.round((jobs / processMs) * 1000),
      enqueueMs: Math.round(enqueueMs),
      processMs: Math.round(processMs),
      completed: stats.completed,
    }),
  );
} finally {
  await store.close();
  await admin.query("SET client_min_messages = warning");
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
