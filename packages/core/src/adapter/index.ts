/**
 * `@sched/core/adapter`: the surface for authors of store and leader adapters, apart from the one
 * for applications (`@sched/core`). It holds the contracts ({@link Store}, {@link Leader}), the
 * records they exchange, the errors adapters throw, the lease base every leader adapter stands on
 * ({@link LeaseLeader}) and the helpers adapters share. Adapter packages import only from here; a
 * check in `pnpm lint` keeps it so (`scripts/check-adapter-imports.mjs`).
 */
export { type Clock, systemClock, type TimerHandle } from "../clock.js";
export { type Duration, parseDuration } from "../duration.js";
export { type Config, configFromEnv, type StoreKind } from "../env-config.js";
export * from "../errors.js";
export type { Leader } from "../leadership/leader.js";
export {
  type LeaseBackend,
  LeaseLeader,
  type LeaseLeaderOptions,
} from "../leadership/lease-leader.js";
export { LocalLease } from "../leadership/local-lease.js";
export { settlesWithin } from "../leadership/settles-within.js";
export { assertKnownFields, assertKnownOptions } from "../option-names.js";
export * from "../store.js";
export { MAX_ERROR_LENGTH } from "../text.js";
export {
  ACTIVE_STATUSES,
  type AttemptFailure,
  FINAL_STATUSES,
  type Job,
  type JobFilter,
  type JobStatus,
  type Logger,
  type Stats,
} from "../types.js";
