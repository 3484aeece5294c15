import type { BenchJob, BenchPayload } from "../contender.js";
import { distribution } from "../stats.js";
import { collectGarbage, EpochConverter, signal, sleep, within } from "../timing.js";
import { startIdleWorker, type Workload } from "./workload.js";

/**
 * With an idle worker, bulk-enqueue `delayedJobs` jobs all due `delayMs` from now. Lateness is the
 * handler's start minus the due time, per job; a job run early fails the run.
 */
export const delayed: Workload = {
  name: "delayed",
  title: "N jobs all due at one instant 1 s ahead: handler start minus due time",
  metrics: [
    { key: "first", label: "first late", unit: "ms", better: "lower" },
    { key: "p50", label: "p50 late", unit: "ms", better: "lower" },
    { key: "p99", label: "p99 late", unit: "ms", better: "lower" },
  ],
  async run(contender, config, probe) {
    const n = config.delayedJobs;
    const clock = new EpochConverter();
    // performance.now() at each job's handler start; converted to epoch ms afterwards.
    const startedAt = new Float64Array(n).fill(Number.NaN);
    let distinct = 0;
    let repeated = 0;
    const allRan = signal();

    const handler = (payload: BenchPayload): void => {
      const at = performance.now();
      const i = payload.i;
      if (!Number.isNaN(startedAt[i] ?? 0)) {
        repeated++;
        return;
      }
      startedAt[i] = at;
      if (++distinct === n) allRan.resolve();
    };

    await contender.setup({ concurrency: config.concurrency });
    try {
      await startIdleWorker(contender, handler);
      clock.start();
      // Whole milliseconds: a `Date` holds no more.
      const dueAt = Math.ceil(clock.toEpoch(performance.now())) + config.delayMs;
      const runAt = new Date(dueAt);
      const jobs: BenchJob[] = Array.from({ length: n }, (_, i) => ({ i, runAt }));
      collectGarbage();
      await probe.begin("enqueue-and-run");
      const enqueueStart = performance.now();
      await contender.enqueueBulk(jobs);
      const enqueueMs = performance.now() - enqueueStart;
      if (clock.toEpoch(performance.now()) > dueAt) {
        throw new Error(
          `enqueueing took ${Math.round(enqueueMs)} ms, past the due time; raise BENCH_DELAY_MS`,
        );
      }
      await within(allRan.promise, config.delayMs + 120_000, () => `${distinct} of ${n} delayed jobs ran`);
      await probe.end();
      await sleep(100);
      const clockDriftMs = clock.finish();
      if (repeated > 0) throw new Error(`${repeated} delayed job(s) ran more than once`);
      const lateness = Array.from(startedAt, (at) => clock.toEpoch(at) - dueAt);
      // 1 ms of slack: the queue reads `Date.now()`, which has whole-millisecond resolution.
      const early = lateness.filter((l) => l < -1).length;
      if (early > 0) throw new Error(`${early} delayed job(s) ran more than 1 ms before they were due`);
      const d = distribution(lateness);
      return {
        first: d.min,
        p50: d.p50,
        p99: d.p99,
        max: d.max,
        enqueueMs,
        clockDriftMs,
        jobs: n,
      };
    } finally {
      await contender.teardown();
    }
  },
};
