import { createScheduler, type NewJob, type Scheduler } from "@sched/core";
import { RedisStore } from "@sched/store-redis";
import type { BenchHandler, BenchJob, BenchPayload, Contender, WorkerSettings } from "../contender.js";
import { deleteKeys, redisUrl } from "./redis.js";

/** The store's key prefix. */
const KEY_PREFIX = "bench_sched:";
/**
 * What this contender's keys start with: the prefix, or (a queue's keys, hash-tagged for Redis
 * Cluster) `{` and the prefix.
 */
const KEYS = [KEY_PREFIX, `{${KEY_PREFIX}`];
const JOB_NAME = "bench_noop";

function toNewJob(job: BenchJob): NewJob<BenchPayload> {
  const payload: BenchPayload = { i: job.i };
  return job.runAt ? { name: JOB_NAME, payload, runAt: job.runAt } : { name: JOB_NAME, payload };
}

/**
 * @sched/core with `RedisStore` (`@sched/store-redis`), its keys under a prefix of their own
 * (`bench_sched:`, deleted before and after the run), at its defaults except `workers` (the
 * bench's concurrency, 50). The handler is `async`, as users write them; it calls the workload's
 * handler first.
 */
export function createContender(): Contender {
  const url = redisUrl();
  let scheduler: Scheduler | null = null;
  let store: RedisStore | null = null;

  const started = (): Scheduler => {
    if (!scheduler) throw new Error("sched-redis: setup() was not called");
    return scheduler;
  };

  return {
    async setup(settings: WorkerSettings) {
      await deleteKeys(url, KEYS);
      store = new RedisStore({ url, keyPrefix: KEY_PREFIX });
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
        await deleteKeys(url, KEYS);
      }
    },
  };
}
