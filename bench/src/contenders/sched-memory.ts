import { createScheduler, MemoryStore, type Middleware, type NewJob, type Scheduler } from "@sched/core";
import type { BenchHandler, BenchJob, BenchPayload, Contender, WorkerSettings } from "../contender.js";

const JOB_NAME = "bench_noop";

function toNewJob(job: BenchJob): NewJob<BenchPayload> {
  const payload: BenchPayload = { i: job.i };
  return job.runAt ? { name: JOB_NAME, payload, runAt: job.runAt } : { name: JOB_NAME, payload };
}

/**
 * @sched/core with its in-memory store, at its default settings except `workers`.
 * The handler is `async`, as users write them; it calls the workload's handler first.
 * `middleware` is installed with `use()` before anything is enqueued (`sched-memory-otel`).
 */
export function createContender(middleware: readonly Middleware[] = []): Contender {
  let scheduler: Scheduler | null = null;
  let store: MemoryStore | null = null;

  const started = (): Scheduler => {
    if (!scheduler) throw new Error("sched-memory: setup() was not called");
    return scheduler;
  };

  return {
    async setup(settings: WorkerSettings) {
      store = new MemoryStore();
      scheduler = createScheduler({ store, workers: settings.concurrency });
      if (middleware.length > 0) scheduler.use(...middleware);
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
      await scheduler?.stop({ timeout: "5s" });
      await store?.close();
      scheduler = null;
      store = null;
    },
  };
}
