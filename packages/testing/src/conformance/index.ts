/**
 * `@sched/testing/conformance`: the suites for authors of store and leader adapters, apart from
 * the helpers for applications' own tests (`@sched/testing`). An adapter conforms when its test
 * files run these suites against a real backend and every test passes (a group the adapter
 * declares it cannot run is reported as skipped, with the reason).
 */
export {
  type LeaderConformanceOptions,
  type LeaderFactoryOptions,
  leaderConformance,
} from "../leader-conformance.js";
export type { LeaderFailureHooks, LeaderWithConnection } from "../leader-failure-scenarios.js";
export {
  type LeaderSchedulerScenariosOptions,
  leaderSchedulerScenarios,
} from "../leader-scheduler-scenarios.js";
export { newJob } from "../store-conformance/fixtures.js";
export {
  type ConformanceSkip,
  type ConformanceTransaction,
  type StoreConformanceOptions,
  storeConformance,
} from "../store-conformance.js";
export {
  type StoreSchedulerScenariosOptions,
  storeSchedulerScenarios,
} from "../store-scheduler-scenarios.js";
