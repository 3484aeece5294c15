export { fromEnv } from "./from-env.js";
export { DEFAULT_KEY_PREFIX, KEY_PREFIX_PATTERN } from "./keys.js";
export { RedisStore, type RedisStoreOptions } from "./redis-store.js";
