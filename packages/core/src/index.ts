export { type Clock, systemClock, type TimerHandle } from "./clock.js";
export * from "./cron/index.js";
export { type Duration, parseDuration } from "./duration.js";
export { type Config, configFromEnv, type StoreKind } from "./env-config.js";
export * from "./errors.js";
export { createSchedulerFromEnv, type ModuleLoader } from "./from-env.js";
export type { HandlerOptions } from "./handler-registry.js";
export { type IdGenerator, uuidv7Generator } from "./ids.js";
export type { Leader } from "./leadership/leader.js";
export { LeaseLeader, type LeaseLeaderOptions } from "./leadership/lease-leader.js";
export { LocalLease } from "./leadership/local-lease.js";
export { ManualClock } from "./manual-clock.js";
export * from "./memory/index.js";
export { chain } from "./middleware/chain.js";
export { logging } from "./middleware/logging.js";
export { METRIC_NAMES, type MetricsCollector, metrics } from "./middleware/metrics.js";
export { recovery } from "./middleware/recovery.js";
export { timeout } from "./middleware/timeout.js";
export { assertKnownFields, assertKnownOptions } from "./option-names.js";
export type { SchedulerOptions } from "./options.js";
export { MAX_PAYLOAD_DEPTH } from "./payload.js";
export {
  type FailureOutcome,
  failureOutcome,
  PermanentError,
  permanent,
  RetryAfterError,
  type RetryOptions,
  type RetryPolicy,
  retry,
  retryAfter,
} from "./retry.js";
export {
  createScheduler,
  type EnqueueOptions,
  Scheduler,
  type SchedulerState,
  type StopOptions,
} from "./scheduler.js";
export { AtBuilder, EveryBuilder } from "./schedules/builder.js";
export type { ScheduleOptions } from "./schedules/schedule-options.js";
export { TICK_METADATA } from "./schedules/schedule-runner.js";
export * from "./store.js";
export { MAX_ERROR_LENGTH } from "./text.js";
export { type StandardSchemaV1, type StandardSchemaV1Result, typedHandler } from "./typed-handler.js";
export * from "./types.js";
