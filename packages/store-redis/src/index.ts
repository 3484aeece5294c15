export { fromEnv } from "./from-env.js";
export { DEFAULT_KEY_PREFIX, KEY_PREFIX_PATTERN } from "./keys.js";
export type { RedisStoreOptions } from "./options.js";
export { RedisStore } from "./redis-store.js";
