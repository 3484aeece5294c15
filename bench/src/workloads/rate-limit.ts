import type { BenchJob } from "../contender.js";
import { enqueueAndRunAll } from "./run-all.js";
import type { Workload } from "./workload.js";

/** How many of `times` fall in each window `[k·per, (k+1)·per)` from the Unix epoch, by k. */
export function countPerWindow(times: ArrayLike<number>, per: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (let j = 0; j < times.length; j++) {
    const k = Math.floor((times[j] as number) / per);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/** The most of `times` within any span of `per` ms (`(t - per, t]`), wherever it starts. */
export function highestInSlidingWindow(times: ArrayLike<number>, per: number): number {
  const sorted = Float64Array.from(times).sort();
  let highest = 0;
  let first = 0;
  for (let j = 0; j < sorted.length; j++) {
    while ((sorted[first] as number) <= (sorted[j] as number) - per) first++;
    highest = Math.max(highest, j - first + 1);
  }
  return highest;
}

/**
 * How exactly a rate limit holds: `rateJobs` no-op jobs bulk-enqueued under a limit of `rateMax`
 * jobs per `ratePerMs`, then processed (worker concurrency 50). Each job's start is the instant the
 * library stamped it as started (its claim). Figures: the most starts in one window aligned to
 * the Unix epoch (how @sched defines its windows), the most in any span of the window's length
 * (a stricter reading, which a fixed-window limiter may exceed up to twice), and the pace over
 * the whole windows between the first and the last (how much of the limit is used).
 */
export const rateLimit: Workload = {
  name: "rate-limit",
  title: "N no-op jobs under a rate limit of M per window: starts per window against M",
  needs: "rateLimit",
  metrics: [
    { key: "limit", label: "limit per window", unit: "jobs", better: "higher", compare: false },
    { key: "highestPerWindow", label: "highest per window", unit: "jobs", better: "lower" },
    { key: "highestSliding", label: "highest per sliding window", unit: "jobs", better: "lower" },
    // Read against the limit (max ÷ per), not against a peer: above it is the limit overshot.
    { key: "startedPerSec", label: "pace (whole windows)", unit: "jobs/s", better: "higher", compare: false },
  ],
  async run(contender, config, probe) {
    const n = config.rateJobs;
    const per = config.ratePerMs;
    const jobs: BenchJob[] = Array.from({ length: n }, (_, i) => ({ i }));
    const run = await enqueueAndRunAll(
      contender,
      { concurrency: config.concurrency, controls: { rateLimit: { max: config.rateMax, perMs: per } } },
      jobs,
      probe,
      "limited",
    );
    const windows = countPerWindow(run.startedAt, per);
    const keys = [...windows.keys()].sort((a, b) => a - b);
    // The first and last windows are partial (the run starts and ends inside them): the pace is
    // read from the windows between them, empty ones included.
    const first = keys[0] ?? 0;
    const last = keys.at(-1) ?? 0;
    let inner = 0;
    for (let k = first + 1; k < last; k++) inner += windows.get(k) ?? 0;
    const innerWindows = last - first - 1;
    return {
      limit: config.rateMax,
      highestPerWindow: Math.max(...windows.values()),
      highestSliding: highestInSlidingWindow(run.startedAt, per),
      // Too few windows for whole ones between the partial ends: every window counts.
      startedPerSec:
        innerWindows > 0 ? inner / ((innerWindows * per) / 1000) : n / (((last - first + 1) * per) / 1000),
      windowsOverLimit: [...windows.values()].filter((c) => c > config.rateMax).length,
      windows: keys.length,
      jobs: n,
      perMs: per,
    };
  },
};
