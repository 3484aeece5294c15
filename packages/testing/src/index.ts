export {
  type LeaderConformanceOptions,
  type LeaderFactoryOptions,
  leaderConformance,
} from "./leader-conformance.js";
export type { LeaderFailureHooks, LeaderWithConnection } from "./leader-failure-scenarios.js";
export {
  type LeaderSchedulerScenariosOptions,
  leaderSchedulerScenarios,
} from "./leader-scheduler-scenarios.js";
export { type LogLine, type RecordingLogger, recordingLogger } from "./recording-logger.js";
export { type RunUntilIdleOptions, runUntilIdle } from "./run-until-idle.js";
export { type StoreConformanceOptions, storeConformance } from "./store-conformance.js";
export {
  type StoreSchedulerScenariosOptions,
  storeSchedulerScenarios,
} from "./store-scheduler-scenarios.js";
export { createTestClock, type TestClock } from "./test-clock.js";
export { type WaitForOptions, waitFor } from "./wait-for.js";
