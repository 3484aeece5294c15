import type { WorkloadConfig } from "../config.js";
import type { BenchHandler, Contender, Control } from "../contender.js";
import type { PhaseProbe } from "../probe.js";
import { sleep } from "../timing.js";

/** How a figure is read: which direction is better decides the ratio's orientation. */
export interface MetricSpec {
  /** Key in the workload's result. */
  key: string;
  /** Label in the report. */
  label: string;
  /** `jobs`: a count; `x`: a quotient of two figures of the same run. */
  unit: "jobs/s" | "ms" | "jobs" | "x";
  better: "higher" | "lower";
  /** `false`: no `vs <peer>` ratio (a figure neither side can be better at, or read against a limit). */
  compare?: false;
}

/** The figures one run of a workload produced, by metric key. Extra keys are kept in the JSON only. */
export type Metrics = Record<string, number>;

/** One benchmark scenario, driven through the {@link Contender} interface. */
export interface Workload {
  name: string;
  /** One line for the report. */
  title: string;
  /** The figures shown in the table, in order. */
  metrics: MetricSpec[];
  /** The queue control it needs: contenders without it (`contenders/index.ts`) do not run it. */
  needs?: Control;
  /** Runs once; `probe` marks the timed phases (for optional CPU profiling). */
  run(contender: Contender, config: WorkloadConfig, probe: PhaseProbe): Promise<Metrics>;
}

/** How long a freshly started worker is left to settle into its idle state before a workload enqueues. */
const SETTLE_MS = 500;

/** Starts the contender's worker and gives it {@link SETTLE_MS} to go idle. */
export async function startIdleWorker(contender: Contender, handler: BenchHandler): Promise<void> {
  await contender.startWorker(handler);
  await sleep(SETTLE_MS);
}
