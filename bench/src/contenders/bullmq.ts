import { type BulkJobOptions, type JobsOptions, Queue, Worker } from "bullmq";
import type { BenchHandler, BenchJob, BenchPayload, Contender, WorkerSettings } from "../contender.js";
import { deleteKeys, redisUrl } from "./redis.js";

/** BullMQ's key prefix (its default is `bull`): every key of this contender starts with it. */
const PREFIX = "bench_bullmq";
/** What every key of this contender starts with: BullMQ names its keys `<prefix>:<queue>:…`. */
const KEYS = `${PREFIX}:`;
const QUEUE = "bench_noop";
const JOB_NAME = "bench_noop";
/**
 * Jobs per `addBulk` call. One call is one pipeline of one script call per job, built and parsed in
 * one go; chunks keep it from holding the event loop and the socket for all 20,000 at once. 1,000
 * was the fastest of 250…20,000 measured here (see the README).
 */
export const BULK_CHUNK = 1_000;

function optsOf(job: BenchJob): BulkJobOptions & JobsOptions {
  // BullMQ has no "run at": a job due later is given a delay from now, at enqueue time.
  return job.runAt ? { delay: Math.max(0, job.runAt.getTime() - Date.now()) } : {};
}

/**
 * BullMQ 6.7 (ioredis 6) at its best settings (PEERS.md): one `Worker` with `concurrency: 50`;
 * `Queue.addBulk` for bulk enqueue (in chunks of {@link BULK_CHUNK}), `Queue.add` for one job,
 * the `delay` option for jobs due later. Everything else at its defaults (completed jobs are kept,
 * stalled-job checks and lock renewal on). Its keys (prefix `bench_bullmq`) are deleted before and
 * after the run.
 */
export function createContender(): Contender {
  const url = redisUrl();
  // A Worker's blocking connection needs `maxRetriesPerRequest: null` (BullMQ warns otherwise).
  const connection = { url, maxRetriesPerRequest: null };
  let queue: Queue<BenchPayload> | null = null;
  let worker: Worker<BenchPayload> | null = null;
  let concurrency = 50;
  let limiter: { max: number; duration: number } | undefined;

  const started = (): Queue<BenchPayload> => {
    if (!queue) throw new Error("bullmq: setup() was not called");
    return queue;
  };

  return {
    async setup(settings: WorkerSettings) {
      concurrency = settings.concurrency;
      const controls = settings.controls ?? {};
      // Groups are a feature of BullMQ Pro, not of the open-source BullMQ measured here.
      if (controls.groupConcurrency !== undefined) throw new Error("bullmq: groups need BullMQ Pro");
      // BullMQ's rate limiter is a Worker option, counted in Redis across every worker of the queue.
      limiter = controls.rateLimit
        ? { max: controls.rateLimit.max, duration: controls.rateLimit.perMs }
        : undefined;
      await deleteKeys(url, [KEYS]);
      const q = new Queue<BenchPayload>(QUEUE, { connection, prefix: PREFIX });
      q.on("error", (err) => console.error(`bullmq queue error: ${err.message}`));
      queue = q;
      await q.waitUntilReady();
      // The queue's global concurrency, kept in Redis: every worker of the queue obeys it.
      if (controls.globalConcurrency !== undefined) await q.setGlobalConcurrency(controls.globalConcurrency);
    },
    async enqueueBulk(jobs) {
      const q = started();
      for (let start = 0; start < jobs.length; start += BULK_CHUNK) {
        await q.addBulk(
          jobs.slice(start, start + BULK_CHUNK).map((job) => ({
            name: JOB_NAME,
            data: { i: job.i },
            opts: optsOf(job),
          })),
        );
      }
    },
    async enqueueOne(job) {
      await started().add(JOB_NAME, { i: job.i }, optsOf(job));
    },
    async startWorker(handler: BenchHandler) {
      started();
      const w = new Worker<BenchPayload>(
        QUEUE,
        async (job) => {
          handler(job.data, job.processedOn);
        },
        { connection, prefix: PREFIX, concurrency, ...(limiter ? { limiter } : {}) },
      );
      w.on("error", (err) => console.error(`bullmq worker error: ${err.message}`));
      worker = w;
      await w.waitUntilReady();
    },
    async teardown() {
      try {
        await worker?.close();
        await queue?.close();
      } finally {
        worker = null;
        queue = null;
        await deleteKeys(url, [KEYS]);
      }
    },
  };
}
