import type { Workload } from "../workloads/index.js";
import { growthPoint } from "./point.js";
import { soak } from "./soak.js";

/** The workloads of `BENCH_MODE=growth` and `BENCH_MODE=soak`, run by their own orchestrators, never in the default run. */
export const GROWTH_WORKLOADS: Record<string, Workload> = {
  [growthPoint.name]: growthPoint,
  [soak.name]: soak,
};
