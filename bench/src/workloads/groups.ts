import type { BenchJob } from "../contender.js";
import { enqueueAndRunAll } from "./run-all.js";
import type { Workload } from "./workload.js";

/**
 * The cost of groups: `controlJobs` no-op jobs processed as in `throughput`, first without groups,
 * then spread round-robin over `groupKeys` group keys with a group concurrency of 1 (each key one
 * job at a time across all workers), each on a fresh setup in the same process. The quotient is
 * grouped ÷ plain processed jobs/s.
 */
export const groups: Workload = {
  name: "groups",
  title: "N no-op jobs without groups, then over K groups with group concurrency 1",
  needs: "groups",
  metrics: [
    { key: "plainPerSec", label: "processed, no groups", unit: "jobs/s", better: "higher" },
    { key: "groupedPerSec", label: "processed, groups of 1", unit: "jobs/s", better: "higher" },
    { key: "groupedShare", label: "groups ÷ no groups", unit: "x", better: "higher", compare: false },
  ],
  async run(contender, config, probe) {
    const n = config.controlJobs;
    const plainJobs: BenchJob[] = Array.from({ length: n }, (_, i) => ({ i }));
    const groupedJobs: BenchJob[] = Array.from({ length: n }, (_, i) => ({
      i,
      group: `tenant-${i % config.groupKeys}`,
    }));
    const plain = await enqueueAndRunAll(
      contender,
      { concurrency: config.concurrency },
      plainJobs,
      probe,
      "plain",
    );
    const grouped = await enqueueAndRunAll(
      contender,
      { concurrency: config.concurrency, controls: { groupConcurrency: 1 } },
      groupedJobs,
      probe,
      "grouped",
    );
    const plainPerSec = n / (plain.processMs / 1000);
    const groupedPerSec = n / (grouped.processMs / 1000);
    return {
      plainPerSec,
      groupedPerSec,
      groupedShare: groupedPerSec / plainPerSec,
      groupedEnqueuePerSec: n / (grouped.enqueueMs / 1000),
      jobs: n,
      groupKeys: config.groupKeys,
    };
  },
};
