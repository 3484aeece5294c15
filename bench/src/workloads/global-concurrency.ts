import type { BenchJob } from "../contender.js";
import { enqueueAndRunAll } from "./run-all.js";
import type { Workload } from "./workload.js";

/**
 * `controlJobs` no-op jobs processed as in `throughput` (worker concurrency 50), under a global
 * concurrency limit of `globalConcurrency` on the queue, kept by the library across all workers.
 */
export const globalConcurrency: Workload = {
  name: "global-concurrency",
  title: "N no-op jobs under a global concurrency limit of the queue",
  needs: "globalConcurrency",
  metrics: [{ key: "processedPerSec", label: "processed", unit: "jobs/s", better: "higher" }],
  async run(contender, config, probe) {
    const n = config.controlJobs;
    const jobs: BenchJob[] = Array.from({ length: n }, (_, i) => ({ i }));
    const run = await enqueueAndRunAll(
      contender,
      { concurrency: config.concurrency, controls: { globalConcurrency: config.globalConcurrency } },
      jobs,
      probe,
      "limited",
    );
    return {
      processedPerSec: n / (run.processMs / 1000),
      jobs: n,
      limit: config.globalConcurrency,
    };
  },
};
