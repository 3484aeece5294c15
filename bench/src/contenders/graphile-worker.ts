import {
  type AddJobsJobSpec,
  Logger,
  makeWorkerUtils,
  type Runner,
  run,
  type WorkerUtils,
} from "graphile-worker";
import type { BenchHandler, BenchJob, BenchPayload, Contender, WorkerSettings } from "../contender.js";
import { dropSchema, postgresUrl } from "./postgres.js";

const TASK = "bench_noop";

/** The two configurations PEERS.md asks to measure. */
export type GraphileVariant = "default" | "localQueue";

// Warnings and errors go to stderr (the orchestrator prefixes them); info and debug lines
// ("Worker connected and looking for jobs…") would only clutter the output.
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`graphile-worker ${level}: ${message}`);
});

function toSpec(job: BenchJob): AddJobsJobSpec {
  const payload: BenchPayload = { i: job.i };
  return job.runAt ? { identifier: TASK, payload, runAt: job.runAt } : { identifier: TASK, payload };
}

/**
 * graphile-worker 0.18 at its best settings (PEERS.md): a runner with `concurrency: 50`,
 * `maxPoolSize: 52` (concurrency + 2); `addJobs()` for bulk enqueue and `addJob()` for one job,
 * through `WorkerUtils` (a producer's pool of its own, created and migrated in `setup` so that
 * jobs can be enqueued before the worker starts). The `localQueue` variant adds
 * `preset.worker.localQueue: { size: 51 }` (concurrency + 1) and `completeJobBatchDelay: 0`.
 * Everything else at its defaults (`pollInterval` 2 s for jobs due later). Its schema
 * (`bench_graphile` / `bench_graphile_lq`) is dropped before and after the run.
 */
export function createContender(variant: GraphileVariant = "default"): Contender {
  const url = postgresUrl();
  const schema = variant === "localQueue" ? "bench_graphile_lq" : "bench_graphile";
  let utils: WorkerUtils | null = null;
  let runner: Runner | null = null;
  let concurrency = 50;

  const producer = (): WorkerUtils => {
    if (!utils) throw new Error("graphile-worker: setup() was not called");
    return utils;
  };

  return {
    async setup(settings: WorkerSettings) {
      concurrency = settings.concurrency;
      await dropSchema(url, schema);
      utils = await makeWorkerUtils({ connectionString: url, schema, logger });
      await utils.migrate();
    },
    async enqueueBulk(jobs) {
      await producer().addJobs(jobs.map(toSpec));
    },
    async enqueueOne(job) {
      const payload: BenchPayload = { i: job.i };
      await producer().addJob(TASK, payload, job.runAt ? { runAt: job.runAt } : {});
    },
    async startWorker(handler: BenchHandler) {
      runner = await run({
        connectionString: url,
        schema,
        concurrency,
        maxPoolSize: concurrency + 2,
        noHandleSignals: true,
        logger,
        taskList: {
          [TASK]: async (payload) => {
            handler(payload as BenchPayload);
          },
        },
        ...(variant === "localQueue"
          ? { preset: { worker: { localQueue: { size: concurrency + 1 }, completeJobBatchDelay: 0 } } }
          : {}),
      });
    },
    async teardown() {
      try {
        await runner?.stop();
        await utils?.release();
      } finally {
        runner = null;
        utils = null;
        await dropSchema(url, schema);
      }
    },
  };
}
