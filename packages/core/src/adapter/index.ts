/**
 * `@sched/core/adapter`: the surface for authors of store and leader adapters, apart from the one
 * for applications (`@sched/core`). It holds the contracts ({@link Store}, {@link Leader}), the
 * records they exchange, the errors adapters throw, the lease base every leader adapter stands on
 * ({@link LeaseLeader}) and the helpers adapters share. Adapter packages import only from here; a
 * check in `pnpm lint` keeps it so (`scripts/check-adapter-imports.mjs`).
 */

export {
  type BackendEnv,
  type BackendValue,
  type BackendVariable,
  type BackendVariables,
  readBackendEnv,
} from "../config/backend-env.js";
export { type Config, configFromEnv, type StoreKind } from "../config/env-config.js";
export { type Env, EnvReader } from "../config/env-reader.js";
export * from "../errors.js";
export { decodeJobCursor, encodeJobCursor, type JobCursor } from "../jobs/cursor.js";
export {
  ACTIVE_STATUSES,
  type AttemptFailure,
  FINAL_STATUSES,
  type Job,
  type JobFilter,
  type JobPage,
  type JobSelector,
  type JobStatus,
} from "../jobs/job.js";
export type { Stats } from "../jobs/stats.js";
export type { Leader } from "../leadership/leader.js";
export {
  type LeaseBackend,
  LeaseLeader,
  type LeaseLeaderOptions,
} from "../leadership/lease-leader.js";
export { LocalLease } from "../leadership/local-lease.js";
export type { Logger } from "../logger/logger.js";
export { assertLogger, safeLogger } from "../logger/safe-logger.js";
export { SOCKET_ERROR_CODES } from "../store/socket-errors.js";
export * from "../store/store.js";
export { type BoundedWait, boundedWait } from "../time/bounded-wait.js";
export { type Clock, systemClock, type TimerHandle } from "../time/clock.js";
export { type Duration, parseDuration } from "../time/duration.js";
export { answerWithin, settlesWithin } from "../time/settle-by.js";
export {
  assertKnownFields,
  assertKnownOptions,
  type ForeignNames,
} from "../validation/option-names.js";
export { quoteText } from "../validation/quote.js";
export { type OptionsKind, readOptions } from "../validation/read-options.js";
export { redact, type SanitizeRules, sanitizedError } from "../validation/sanitized-error.js";
export { describeValue, isPlainWord, MAX_ERROR_LENGTH } from "../validation/text.js";
