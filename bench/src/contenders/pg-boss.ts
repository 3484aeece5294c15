import { type JobInsert, PgBoss } from "pg-boss";
import type { BenchHandler, BenchJob, BenchPayload, Contender, WorkerSettings } from "../contender.js";
import { dropSchema, postgresUrl } from "./postgres.js";

const SCHEMA = "bench_pgboss";
const QUEUE = "bench_noop";

/**
 * How often an idle worker looks for due jobs, in seconds: pg-boss's default `pollingIntervalSeconds`.
 * `notifyPollingIntervalSeconds` is set to the same value, as PEERS.md says: with NOTIFY active it
 * replaces the poll interval and defaults to 30 s, which a job due later (`startAfter`, whose
 * NOTIFY comes at insert time) would wait out.
 */
const POLL_SECONDS = 2;

function toInsert(job: BenchJob): JobInsert<BenchPayload> {
  const data: BenchPayload = { i: job.i };
  return job.runAt ? { data, startAfter: job.runAt } : { data };
}

/**
 * pg-boss 12 at its best settings (PEERS.md): `useListenNotify: true` and a queue with
 * `notify: true`; ONE `work()` loop fetching batches of `concurrency` (50) jobs with
 * `burstWhenBatchFull: true` (50 loops of batch 1 are ~4x slower); `insert()` for bulk enqueue,
 * `send()` for one job. Everything else at its defaults. The batch handler runs each job's `async`
 * handler at once (`Promise.all`), so up to 50 handlers run concurrently.
 * Its schema (`bench_pgboss`) is dropped before and after the run.
 */
export function createContender(): Contender {
  const url = postgresUrl();
  let boss: PgBoss | null = null;
  let concurrency = 50;

  const started = (): PgBoss => {
    if (!boss) throw new Error("pg-boss: setup() was not called");
    return boss;
  };

  return {
    async setup(settings: WorkerSettings) {
      concurrency = settings.concurrency;
      await dropSchema(url, SCHEMA);
      const b = new PgBoss({ connectionString: url, schema: SCHEMA, useListenNotify: true });
      b.on("error", (err) => console.error(`pg-boss error: ${err instanceof Error ? err.message : err}`));
      b.on("warning", (w) => console.error(`pg-boss warning: ${w.message}`));
      boss = b;
      await b.start();
      await b.createQueue(QUEUE, { notify: true });
    },
    async enqueueBulk(jobs) {
      await started().insert(QUEUE, jobs.map(toInsert));
    },
    async enqueueOne(job) {
      const data: BenchPayload = { i: job.i };
      await started().send(QUEUE, data, job.runAt ? { startAfter: job.runAt } : {});
    },
    async startWorker(handler: BenchHandler) {
      await started().work<BenchPayload>(
        QUEUE,
        {
          batchSize: concurrency,
          burstWhenBatchFull: true,
          pollingIntervalSeconds: POLL_SECONDS,
          notifyPollingIntervalSeconds: POLL_SECONDS,
        },
        async (jobs) => {
          await Promise.all(
            jobs.map(async (job) => {
              handler(job.data);
            }),
          );
        },
      );
    },
    async teardown() {
      try {
        await boss?.stop({ graceful: true, timeout: 5_000 });
      } finally {
        boss = null;
        await dropSchema(url, SCHEMA);
      }
    },
  };
}
