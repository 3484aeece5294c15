export * from "./errors.js";
export { type Duration, parseDuration } from "./duration.js";
export { type Clock, type TimerHandle, systemClock } from "./clock.js";
export * from "./types.js";
export * from "./store.js";
export type { Leader } from "./leader.js";
export { type IdGenerator, uuidv7Generator } from "./ids.js";
export {
  retry,
  retryAfter,
  permanent,
  RetryAfterError,
  PermanentError,
  type RetryOptions,
  type RetryPolicy,
} from "./retry.js";
export { chain } from "./middleware/chain.js";
export { logging } from "./middleware/logging.js";
export { recovery } from "./middleware/recovery.js";
export { timeout } from "./middleware/timeout.js";
export { metrics, METRIC_NAMES, type MetricsCollector } from "./middleware/metrics.js";
export { typedHandler, type StandardSchemaV1, type StandardSchemaV1Result } from "./typed-handler.js";
export * from "./cron/index.js";
export * from "./memory/index.js";
export type { SchedulerOptions } from "./options.js";
export type { HandlerOptions } from "./handler-registry.js";
export type { ScheduleOptions } from "./schedules/schedule-options.js";
export { EveryBuilder, AtBuilder } from "./schedules/builder.js";
export { TICK_METADATA } from "./schedules/schedule-runner.js";
export { Scheduler, createScheduler, type SchedulerState, type StopOptions } from "./scheduler.js";
export { configFromEnv, type Config, type StoreKind } from "./env-config.js";
export { createSchedulerFromEnv, type ModuleLoader } from "./from-env.js";
