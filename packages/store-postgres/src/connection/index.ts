/**
 * `@sched/store-postgres/connection`: the PostgreSQL plumbing of the `@sched` packages, written
 * once and shared by `@sched/store-postgres` and `@sched/leader-postgres` (and any other package
 * on the same database): checking connection options, creating pools, describing the server
 * without its password, turning driver errors into `StoreError`s, checking and quoting the schema
 * and table prefix, filling them into SQL files, and the migration of the leader lease table.
 * For adapter authors; applications import `@sched/store-postgres`.
 *
 * @packageDocumentation
 */
export { fillNames, migrationLockKey, type TableNames, tableNames } from "../identifiers.js";
export { migrateLockTable } from "../lock-table.js";
export {
  type ConnectionStringTarget,
  readConnectionString,
  type UnusableConnectionString,
} from "./connection-string.js";
export { POSTGRES_ENV_VARIABLES } from "./env-variables.js";
export {
  CLOSE_GRACE_MS,
  type ConnectionChoice,
  checkConnectionChoice,
  checkPoolMode,
  createPool,
  inTransaction,
  isPool,
  limitSettings,
  type OwnedPool,
  POOL_MODES,
  type PoolMode,
} from "./pool.js";
export { redact, redactError } from "./redact-error.js";
export type { StatementLimits } from "./statement-limits.js";
export {
  type ConnectionTarget,
  codeOf,
  connectionTarget,
  isConnectionError,
  isTimeout,
  storeError,
} from "./store-error.js";
