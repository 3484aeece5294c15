import type { BenchJob, BenchPayload } from "../contender.js";
import { collectGarbage, signal, within } from "../timing.js";
import type { Workload } from "./workload.js";

/**
 * Bulk-enqueue `jobs` no-op jobs with no worker running (timed: bulk enqueue jobs/s), then start a
 * worker and time from just before `startWorker` until the last job's handler ran (jobs/s
 * processed). Every job must run exactly once: a missing or repeated job fails the run.
 */
export const throughput: Workload = {
  name: "throughput",
  title: "bulk enqueue N no-op jobs, then process them with one worker",
  metrics: [
    { key: "enqueuePerSec", label: "bulk enqueue", unit: "jobs/s", better: "higher" },
    { key: "processedPerSec", label: "processed", unit: "jobs/s", better: "higher" },
  ],
  async run(contender, config, probe) {
    const n = config.jobs;
    const seen = new Uint8Array(n);
    let distinct = 0;
    let repeated = 0;
    let outOfRange = 0;
    let lastStart = 0;
    const allRan = signal();

    const handler = (payload: BenchPayload): void => {
      const now = performance.now();
      const i = payload.i;
      if (!(i >= 0 && i < n)) {
        outOfRange++;
        return;
      }
      if (seen[i] === 1) {
        repeated++;
        return;
      }
      seen[i] = 1;
      distinct++;
      if (distinct === n) {
        lastStart = now;
        allRan.resolve();
      }
    };

    await contender.setup({ concurrency: config.concurrency });
    try {
      const jobs: BenchJob[] = Array.from({ length: n }, (_, i) => ({ i }));
      collectGarbage();
      await probe.begin("enqueue");
      const enqueueStart = performance.now();
      await contender.enqueueBulk(jobs);
      const enqueueEnd = performance.now();
      await probe.end();

      collectGarbage();
      await probe.begin("process");
      const processStart = performance.now();
      await contender.startWorker(handler);
      // Generous: 60 s plus 1 ms per job (1,000 jobs/s would still finish).
      await within(allRan.promise, 60_000 + n, () => `${distinct} of ${n} jobs ran`);
      await probe.end();
      const processMs = lastStart - processStart;
      // A short grace period to catch jobs that run twice (e.g. a lost acknowledgement).
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (repeated > 0 || outOfRange > 0) {
        throw new Error(`${repeated} job(s) ran more than once and ${outOfRange} had an unknown index`);
      }
      return {
        enqueuePerSec: n / ((enqueueEnd - enqueueStart) / 1000),
        processedPerSec: n / (processMs / 1000),
        enqueueMs: enqueueEnd - enqueueStart,
        processMs,
        jobs: n,
        concurrency: config.concurrency,
      };
    } finally {
      await contender.teardown();
    }
  },
};
