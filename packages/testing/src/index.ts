/**
 * `@sched/testing`: helpers for testing code that uses @sched (a clock that moves when told to,
 * running a scheduler until it is idle, waiting for what a test cannot await, a logger that
 * records). The conformance suites for adapter authors are in `@sched/testing/conformance`.
 */
export { ManualClock } from "@sched/core";
export { type LogLine, type RecordingLogger, recordingLogger } from "./recording-logger.js";
export { type RunUntilIdleOptions, runUntilIdle } from "./run-until-idle.js";
export { createTestClock, type TestClock } from "./test-clock.js";
export { UNREADABLE_MESSAGE, unreadableOptions, unreadableRefusals } from "./unreadable-options.js";
export { type WaitForOptions, waitFor } from "./wait-for.js";
