import { delayed } from "./delayed.js";
import { globalConcurrency } from "./global-concurrency.js";
import { groups } from "./groups.js";
import { idleLatency } from "./idle-latency.js";
import { rateLimit } from "./rate-limit.js";
import { throughput } from "./throughput.js";
import type { Workload } from "./workload.js";

export type { MetricSpec, Metrics, Workload } from "./workload.js";

/** Every workload by name, in report order. */
export const WORKLOADS: Record<string, Workload> = {
  [throughput.name]: throughput,
  [idleLatency.name]: idleLatency,
  [delayed.name]: delayed,
  [groups.name]: groups,
  [globalConcurrency.name]: globalConcurrency,
  [rateLimit.name]: rateLimit,
};
