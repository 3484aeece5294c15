/**
 * `@sched/store-redis/connection`: the connection plumbing of the Redis adapters, shared by
 * `@sched/store-redis` and `@sched/leader-redis` (and open to other adapters on Redis): a client
 * made from a URL, through Sentinels or given, the checks of those options and of `commandTimeout`, the description of its server for
 * messages, driver errors turned into `StoreError`s without secrets, and bounded waits and close.
 *
 * @packageDocumentation
 */

export { answerWithin, CLOSE_STEP_MS, closeClient } from "./bounded.js";
export { isCluster, isRedisClient } from "./client-kind.js";
export { commandTimeoutOption, DEFAULT_COMMAND_TIMEOUT_MS, durationOption } from "./command-timeout.js";
export { REDIS_VARIABLES, type RedisEnvConnection, redisConnectionFromEnv } from "./env.js";
export {
  type ConnectionOptionNames,
  type ConnectionOptions,
  checkConnectionOptions,
  commandTimeoutOf,
  DEFAULT_URL,
  DISCONNECT_TIMEOUT_MS,
  type OwnedClientSettings,
  openConnection,
  type RedisConnection,
} from "./open.js";
export { redact, sanitizedError } from "./redact.js";
export {
  checkPassword,
  checkPrimaryName,
  checkSentinels,
  parseSentinelList,
  type SentinelAddress,
  sentinelAddresses,
} from "./sentinel.js";
export { describeServer, type ServerDescription } from "./server.js";
export { isConnectionError, storeError, timeoutError } from "./store-error.js";
