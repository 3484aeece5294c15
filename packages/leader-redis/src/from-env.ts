import { readBackendEnv } from "@sched/core/adapter";
import { REDIS_VARIABLES, redisConnectionFromEnv } from "@sched/store-redis/connection";
import { RedisLeader } from "./redis-leader.js";

/**
 * Creates a {@link RedisLeader} from `SCHEDULER_*` environment variables, as
 * `createSchedulerFromEnv` does: `SCHEDULER_REDIS_URL`, or `SCHEDULER_REDIS_SENTINELS` with
 * `SCHEDULER_REDIS_SENTINEL_NAME` (one of the two is required); `SCHEDULER_REDIS_PASSWORD`,
 * `SCHEDULER_REDIS_SENTINEL_PASSWORD`, `SCHEDULER_REDIS_KEY_PREFIX`, `SCHEDULER_REDIS_DB`,
 * `SCHEDULER_INSTANCE_ID` and `SCHEDULER_LOCK_TTL`. The leader owns its connection: `close()` ends it.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the bad, missing or conflicting variable (see
 *   `redisConnectionFromEnv`; a URL or a password is never echoed), an unknown `SCHEDULER_REDIS_*` name (suggesting the closest one), and as
 *   `configFromEnv` read with `SCHEDULER_STORE=redis`: an unknown `SCHEDULER_*` name, another
 *   store's setting, or a duration without a unit.
 */
export function fromEnv(env: Record<string, string | undefined> = process.env): RedisLeader {
  // Read as createSchedulerFromEnv does with SCHEDULER_STORE=redis, whatever SCHEDULER_STORE says,
  // so the redis settings are accepted and another store's settings are refused.
  const { config, settings } = readBackendEnv(env, "redis", REDIS_VARIABLES);
  return new RedisLeader({
    ...redisConnectionFromEnv(settings, "@sched/leader-redis"),
    instanceId: config.distributed?.instanceId,
    ttl: config.distributed?.lockTTL,
  });
}
