export type { SentinelAddress } from "./connection/index.js";
export { fromEnv } from "./from-env.js";
export { DEFAULT_KEY_PREFIX, KEY_PREFIX_PATTERN } from "./keys.js";
export type { RedisStoreOptions } from "./options.js";
export { RedisStore } from "./redis-store.js";
export type { WaitForReplicas } from "./replication.js";
