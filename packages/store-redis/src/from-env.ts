import { ConfigError, configFromEnv } from "@sched/core/adapter";
import type { RedisStoreOptions } from "./options.js";
import { RedisStore } from "./redis-store.js";

/**
 * Builds a {@link RedisStore} from `SCHEDULER_REDIS_URL` (required), `SCHEDULER_REDIS_KEY_PREFIX`
 * and `SCHEDULER_REDIS_DB`, validated by `configFromEnv` from `@sched/core`.
 * `createSchedulerFromEnv` calls it when `SCHEDULER_STORE=redis`. `overrides` are applied on top.
 * The store owns its client.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the variable that is missing or does not parse
 *   (never echoing the URL): as `configFromEnv` read with `SCHEDULER_STORE=redis`, also an
 *   unknown `SCHEDULER_*` name, another store's setting, or a duration without a unit.
 */
export function fromEnv(
  env: Record<string, string | undefined> = process.env,
  overrides: Omit<RedisStoreOptions, "url" | "client"> = {},
): RedisStore {
  // Only the Redis settings matter here, whatever SCHEDULER_STORE says.
  const config = configFromEnv({ ...env, SCHEDULER_STORE: "redis" });
  const url = config.redis?.url;
  if (url === undefined) {
    throw new ConfigError("SCHEDULER_REDIS_URL", "is required for the Redis store, e.g. redis://host:6379");
  }
  return new RedisStore({
    ...(config.redis?.keyPrefix === undefined ? {} : { keyPrefix: config.redis.keyPrefix }),
    ...(config.redis?.db === undefined ? {} : { db: config.redis.db }),
    ...overrides,
    url,
  });
}
