import { integerFromEnv } from "../config.js";
import type { BenchHandler, BenchJob, BenchPayload, Contender } from "../contender.js";
import { distribution } from "../stats.js";
import { collectGarbage, signal, within } from "../timing.js";
import type { Metrics, Workload } from "../workloads/index.js";

/** Bulk enqueues go in chunks of this many jobs, so that a 1,000,000-job point does not build one huge batch. */
const CHUNK = 10_000;

/** One point of a growth curve: how many jobs, at what concurrency, against how many finished rows. */
export interface GrowthPoint {
  /** Jobs enqueued and processed in the measured phase. */
  jobs: number;
  /** Worker concurrency (`workers`). */
  concurrency: number;
  /** Finished jobs already in the store when the measured phase starts (run through it beforehand). */
  prefill: number;
}

type Env = Record<string, string | undefined>;

/** The point a growth child measures, from `BENCH_POINT_JOBS`, `BENCH_POINT_CONCURRENCY` and `BENCH_POINT_PREFILL`. */
export function pointFromEnv(env: Env): GrowthPoint {
  return {
    jobs: integerFromEnv(env, "BENCH_POINT_JOBS"),
    concurrency: integerFromEnv(env, "BENCH_POINT_CONCURRENCY"),
    prefill: integerFromEnv(env, "BENCH_POINT_PREFILL", { min: 0, fallback: 0 }),
  };
}

/** Enqueues jobs `from` ≤ i < `to` in chunks. */
async function enqueueRange(contender: Contender, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += CHUNK) {
    const end = Math.min(to, start + CHUNK);
    const jobs: BenchJob[] = Array.from({ length: end - start }, (_, k) => ({ i: start + k }));
    await contender.enqueueBulk(jobs);
  }
}

/**
 * A handler that checks jobs `from` ≤ i < `to` each run exactly once, and resolves `done` when all
 * have run, with the instant the last one started.
 */
function exactlyOnce(from: number, to: number) {
  const seen = new Uint8Array(to - from);
  let distinct = 0;
  let faults = 0;
  let lastStart = 0;
  const allRan = signal();
  const handler: BenchHandler = (payload: BenchPayload) => {
    const k = payload.i - from;
    if (!(k >= 0 && k < seen.length) || seen[k] === 1) {
      faults++;
      return;
    }
    seen[k] = 1;
    distinct++;
    if (distinct === seen.length) {
      lastStart = performance.now();
      allRan.resolve();
    }
  };
  return {
    handler,
    done: allRan.promise,
    progress: () => `${distinct} of ${seen.length} jobs ran`,
    lastStart: () => lastStart,
    faults: () => faults,
  };
}

/**
 * One point of the growth curves (`BENCH_MODE=growth`): runs `prefill` jobs through the store
 * first (they stay as finished rows, at the default retention) and waits until the maintenance
 * they started in the background has ended (`Contender.settle`: the PostgreSQL store's VACUUM of
 * its jobs table), then bulk-enqueues `jobs` no-op
 * jobs and times their processing from `startWorker` to the last start, as `throughput` does,
 * with every claim from the store timed. Only @sched contenders can run it (it reads their claims).
 */
export const growthPoint: Workload = {
  name: "growth-point",
  title: "one point of the growth curves",
  metrics: [
    { key: "processedPerSec", label: "processed", unit: "jobs/s", better: "higher" },
    { key: "claimP99Ms", label: "claim p99", unit: "ms", better: "lower" },
  ],
  async run(contender) {
    if (!contender.claimLatencies) throw new Error("growth curves need an @sched contender");
    const point = pointFromEnv(process.env);
    if (point.prefill > 0) {
      await contender.setup({ concurrency: point.concurrency });
      const prefill = exactlyOnce(point.jobs, point.jobs + point.prefill);
      await enqueueRange(contender, point.jobs, point.jobs + point.prefill);
      await contender.startWorker(prefill.handler);
      await within(prefill.done, 120_000 + point.prefill, prefill.progress);
      await contender.teardown({ keepData: true });
      if (prefill.faults() > 0)
        throw new Error(`${prefill.faults()} pre-fill job(s) ran twice or were unknown`);
      // A store at rest holding the finished rows: the vacuum the pre-fill started has ended.
      await contender.settle?.();
    }
    await contender.setup({ concurrency: point.concurrency, keepData: true });
    try {
      const measured = exactlyOnce(0, point.jobs);
      collectGarbage();
      const enqueueStart = performance.now();
      await enqueueRange(contender, 0, point.jobs);
      const enqueueMs = performance.now() - enqueueStart;
      collectGarbage();
      const processStart = performance.now();
      await contender.startWorker(measured.handler);
      await within(measured.done, 120_000 + point.jobs, measured.progress);
      const processMs = measured.lastStart() - processStart;
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (measured.faults() > 0) throw new Error(`${measured.faults()} job(s) ran twice or were unknown`);
      const claims = distribution(contender.claimLatencies());
      const bytes = (await contender.storeBytes?.()) ?? null;
      const metrics: Metrics = {
        jobs: point.jobs,
        concurrency: point.concurrency,
        prefill: point.prefill,
        enqueuePerSec: point.jobs / (enqueueMs / 1000),
        processedPerSec: point.jobs / (processMs / 1000),
        claims: claims.count,
        claimP50Ms: claims.p50,
        claimP99Ms: claims.p99,
        heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
      };
      if (bytes !== null) metrics.storeMiB = bytes / 2 ** 20;
      return metrics;
    } finally {
      await contender.teardown();
    }
  },
};
