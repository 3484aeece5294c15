import { readBackendEnv, readOptions } from "@sched/core/adapter";
import { REDIS_VARIABLES, redisConnectionFromEnv } from "./connection/index.js";
import type { RedisStoreOptions } from "./options.js";
import { RedisStore } from "./redis-store.js";

/**
 * Builds a {@link RedisStore} from the Redis variables, read with `readBackendEnv` from
 * `@sched/core/adapter`: `SCHEDULER_REDIS_URL`, or `SCHEDULER_REDIS_SENTINELS` with
 * `SCHEDULER_REDIS_SENTINEL_NAME` (one of the two is required); `SCHEDULER_REDIS_PASSWORD`,
 * `SCHEDULER_REDIS_SENTINEL_PASSWORD`, `SCHEDULER_REDIS_KEY_PREFIX` and `SCHEDULER_REDIS_DB`.
 * `createSchedulerFromEnv` calls it when `SCHEDULER_STORE=redis`. `overrides` are applied on top.
 * The store owns its client.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the variable that is missing, does not parse or
 *   does not go with the others (see `redisConnectionFromEnv`; never echoing a URL or a
 *   password), an unknown `SCHEDULER_REDIS_*` name (suggesting the closest one), and as
 *   `configFromEnv` read with `SCHEDULER_STORE=redis`: an unknown `SCHEDULER_*` name, another
 *   store's setting, or a duration without a unit.
 */
export function fromEnv(
  env: Record<string, string | undefined> = process.env,
  overrides: Omit<
    RedisStoreOptions,
    "url" | "client" | "sentinels" | "name" | "password" | "sentinelPassword"
  > = {},
): RedisStore {
  // Only the Redis settings matter here, whatever SCHEDULER_STORE says.
  const { settings } = readBackendEnv(env, "redis", REDIS_VARIABLES);
  const { sentinelName, ...connection } = redisConnectionFromEnv(settings, "the Redis store");
  return new RedisStore({
    ...connection,
    ...(sentinelName === undefined ? {} : { name: sentinelName }),
    ...readOptions(overrides, "overrides", "option"),
  });
}
