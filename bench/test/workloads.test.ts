import { describe, expect, it } from "vitest";
import type { WorkloadConfig } from "../src/config.js";
import { CONTENDERS } from "../src/contenders/index.js";
import { noProbe } from "../src/probe.js";
import { WORKLOADS } from "../src/workloads/index.js";

// Tiny sizes: this checks that every workload runs end to end against every in-process contender
// (each job's handler called exactly once, teardown leaves nothing behind), not the figures.
const tiny: WorkloadConfig = {
  jobs: 2_000,
  concurrency: 50,
  latencySamples: 20,
  latencyWarmup: 5,
  latencyRate: 200,
  delayedJobs: 200,
  delayMs: 300,
  controlJobs: 2_000,
  groupKeys: 20,
  globalConcurrency: 5,
  rateJobs: 700,
  rateMax: 200,
  ratePerMs: 200,
};

const inProcess = ["sched-memory"];

describe.each(inProcess)("contender %s", (name) => {
  it.each(Object.keys(WORKLOADS))("runs the %s workload", async (workloadName) => {
    const contender = await CONTENDERS[name]!.create();
    const metrics = await WORKLOADS[workloadName]!.run(contender, tiny, noProbe);
    for (const spec of WORKLOADS[workloadName]!.metrics) {
      expect(Number.isFinite(metrics[spec.key]), spec.key).toBe(true);
    }
  });
});
