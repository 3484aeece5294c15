import { createScheduler, type NewJob, type Scheduler } from "@sched/core";
import { PostgresStore } from "@sched/store-postgres";
import type { BenchHandler, BenchJob, BenchPayload, Contender, WorkerSettings } from "../contender.js";
import { dropSchema, postgresUrl } from "./postgres.js";

const SCHEMA = "bench_sched";
const JOB_NAME = "bench_noop";

function toNewJob(job: BenchJob): NewJob<BenchPayload> {
  const payload: BenchPayload = { i: job.i };
  return job.runAt ? { name: JOB_NAME, payload, runAt: job.runAt } : { name: JOB_NAME, payload };
}

/**
 * @sched/core with `PostgresStore`, in a schema of its own (`bench_sched`, dropped before and after
 * the run), at its defaults except `workers` (the bench's concurrency, 50). `claimBatchSize` and
 * `pollInterval` stay at their defaults (`max(workers, 50)` = 50 and 1 s): see the README for why
 * that is its best. The handler is `async`, as users write them; it calls the workload's handler first.
 */
export function createContender(): Contender {
  const url = postgresUrl();
  let scheduler: Scheduler | null = null;
  let store: PostgresStore | null = null;

  const started = (): Scheduler => {
    if (!scheduler) throw new Error("sched-postgres: setup() was not called");
    return scheduler;
  };

  return {
    async setup(settings: WorkerSettings) {
      await dropSchema(url, SCHEMA);
      store = new PostgresStore({ connectionString: url, schema: SCHEMA });
      await store.migrate();
      scheduler = createScheduler({ store, workers: settings.concurrency });
    },
    async enqueueBulk(jobs) {
      await started().enqueueMany(jobs.map(toNewJob));
    },
    async enqueueOne(job) {
      await started().enqueue(toNewJob(job));
    },
    async startWorker(handler: BenchHandler) {
      const s = started();
      s.register<BenchPayload>(JOB_NAME, async (job) => {
        handler(job.payload);
      });
      await s.start();
    },
    async teardown() {
      try {
        await scheduler?.stop({ timeout: "5s" });
        await store?.close();
      } finally {
        scheduler = null;
        store = null;
        await dropSchema(url, SCHEMA);
      }
    },
  };
}
