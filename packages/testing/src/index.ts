export {
  type LeaderConformanceOptions,
  type LeaderFactoryOptions,
  leaderConformance,
} from "./leader-conformance.js";
export { type RunUntilIdleOptions, runUntilIdle } from "./run-until-idle.js";
export { type StoreConformanceOptions, storeConformance } from "./store-conformance.js";
export { createTestClock, type TestClock } from "./test-clock.js";
