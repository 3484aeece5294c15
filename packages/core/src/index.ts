// Every name is listed: `export *` of a module that the build puts in a chunk shared with
// `@sched/core/adapter` would declare the whole chunk's names in the bundled types.
export { type Config, configFromEnv, type StoreKind } from "./config/env-config.js";
export type { QueueOptions, SchedulerOptions } from "./config/options.js";
export {
  type CronKind,
  type CronSchedule,
  Daily,
  EveryMinute,
  Hourly,
  Monthly,
  type ParseCronOptions,
  parseCron,
  validateTimezone,
  Weekly,
  Yearly,
} from "./cron/index.js";
export type { Schedule } from "./cron/schedule.js";
export { isStorableTime } from "./enqueue/job-input.js";
export {
  AdapterNotInstalledError,
  ConfigError,
  InvalidArgumentError,
  InvalidJobStateError,
  InvalidScheduleError,
  isStoreClosed,
  JobAlreadyExistsError,
  JobCancelledError,
  JobNotFoundError,
  JobTimeoutError,
  LeaseLostError,
  NotLeaderError,
  PayloadTooLargeError,
  PayloadValidationError,
  ScheduleNotFoundError,
  SchedulerError,
  type SchedulerErrorOptions,
  ShuttingDownError,
  StoreClosedError,
  StoreError,
  StoreStateLostError,
  StoreTimeoutError,
  toError,
  UnknownHandlerError,
} from "./errors.js";
export { createSchedulerFromEnv, loadInstalledModule, type ModuleLoader } from "./from-env.js";
export type { HandlerOptions } from "./handlers/handler-registry.js";
export {
  type StandardSchemaV1,
  type StandardSchemaV1Result,
  typedHandler,
} from "./handlers/typed-handler.js";
export type { Hook } from "./hooks/hook.js";
export { decodeJobCursor, encodeJobCursor, type JobCursor } from "./jobs/cursor.js";
export type { Handler, HandlerFn, JobContext } from "./jobs/handler.js";
export { type IdGenerator, uuidv7Generator } from "./jobs/ids.js";
export {
  ACTIVE_STATUSES,
  type AttemptFailure,
  FINAL_STATUSES,
  JOB_STATUSES,
  type Job,
  type JobFilter,
  type JobPage,
  type JobSelector,
  type JobStatus,
} from "./jobs/job.js";
export type {
  DedupeInput,
  JobMap,
  JobName,
  JobOptions,
  NewJob,
  NewJobInput,
  NewJobOf,
  PayloadOf,
} from "./jobs/new-job.js";
export type { Stats } from "./jobs/stats.js";
export type { Leader } from "./leadership/leader.js";
export type { Logger } from "./logger/logger.js";
export {
  MemoryLeader,
  MemoryLeaderGroup,
  type MemoryLeaderOptions,
  MemoryStore,
  type MemoryStoreOptions,
} from "./memory/index.js";
export { chain } from "./middleware/chain.js";
export { logging } from "./middleware/logging.js";
export { METRIC_NAMES, type MetricsCollector, metrics } from "./middleware/metrics.js";
export type {
  AttachedScheduler,
  EnqueueWrapper,
  FiringResult,
  Middleware,
  OutgoingJob,
  ScheduleFiring,
  TickWrapper,
} from "./middleware/middleware.js";
export { recovery } from "./middleware/recovery.js";
export { timeout } from "./middleware/timeout.js";
export type { InstanceInfo, ThroughputPoint } from "./operations/presence.js";
export type { GroupLimitsInput, QueueConfig, QueueInfo, RateLimitInput } from "./queues/queue-controls.js";
export {
  type FailureOutcome,
  failureOutcome,
  MAX_RATE_LIMITED_MS,
  PermanentError,
  permanent,
  RateLimitedError,
  type RateLimitedOptions,
  RetryAfterError,
  type RetryOptions,
  type RetryPolicy,
  rateLimited,
  retry,
  retryAfter,
} from "./retry/retry.js";
export {
  createScheduler,
  type EnqueueOptions,
  Scheduler,
  type SchedulerState,
  type StopOptions,
} from "./scheduler.js";
export { AtBuilder, EveryBuilder } from "./schedules/builder.js";
export { tickJitter } from "./schedules/jitter.js";
export type {
  OverlapPolicy,
  ScheduleControls,
  ScheduleState,
  SteeredDefinition,
} from "./schedules/schedule-controls.js";
export type { ScheduleOptions } from "./schedules/schedule-options.js";
export { TICK_METADATA } from "./schedules/schedule-runner.js";
export type { BackfillRange } from "./schedules/schedule-steering.js";
export {
  type ClaimOptions,
  type CleanupOptions,
  type CompleteOptions,
  type CreatedAndClaimed,
  type CreateJobsOptions,
  DEAD_LETTER_METADATA,
  type DeadLetterOptions,
  type DedupeOptions,
  type DedupeResult,
  type DefinitionStamp,
  deadLetterJob,
  deadLetterJobId,
  type FailOptions,
  type FireResult,
  type GroupLimits,
  type InstanceRecord,
  insertedJob,
  insertedJobFromJson,
  type JobRef,
  MAX_HISTORY,
  type MisfirePolicy,
  type NewJobRecord,
  type NextDueOptions,
  type QueuePatch,
  type QueueRecord,
  type RateLimit,
  type RateLimitJobOptions,
  type RecoveredLeases,
  type RecoverOptions,
  type ReleaseOptions,
  type RequeueResult,
  type SaveScheduleOptions,
  type ScheduleDefinition,
  type ScheduleRecord,
  type ScheduleTick,
  type Store,
  type StoreCapabilities,
  type StoreEvent,
  type ThroughputQuery,
  type ThroughputSample,
  type WaitingNamesOptions,
} from "./store/store.js";
export { type Clock, systemClock, type TimerHandle } from "./time/clock.js";
export {
  type Duration,
  formatDuration,
  MAX_JOB_TIMEOUT_MS,
  parseDuration,
  parseTimeout,
} from "./time/duration.js";
export { isValidIsoCalendar } from "./time/iso-calendar.js";
export { ManualClock } from "./time/manual-clock.js";
export { MAX_PAYLOAD_DEPTH } from "./validation/payload.js";
export { isStorable as isStorableText, MAX_ERROR_LENGTH } from "./validation/text.js";
export { CORE_VERSION } from "./version.js";
