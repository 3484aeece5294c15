import { ConfigError, configFromEnv } from "@sched/core/adapter";
import { RedisLeader } from "./redis-leader.js";

/**
 * Creates a {@link RedisLeader} from `SCHEDULER_*` environment variables, as
 * `createSchedulerFromEnv` does: `SCHEDULER_REDIS_URL` (required), `SCHEDULER_REDIS_KEY_PREFIX`,
 * `SCHEDULER_REDIS_DB`, `SCHEDULER_INSTANCE_ID` and `SCHEDULER_LOCK_TTL`. The leader owns its
 * connection: `close()` ends it.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the bad or missing variable (the URL is never
 *   echoed): as `configFromEnv` read with `SCHEDULER_STORE=redis`, also an unknown
 *   `SCHEDULER_*` name, another store's setting, or a duration without a unit.
 */
export function fromEnv(env: Record<string, string | undefined> = process.env): RedisLeader {
  // Read as createSchedulerFromEnv does with SCHEDULER_STORE=redis, whatever SCHEDULER_STORE says,
  // so the redis settings are accepted and another store's settings are refused.
  const config = configFromEnv({ ...env, SCHEDULER_STORE: "redis" });
  const url = config.redis?.url;
  if (url === undefined) {
    throw new ConfigError(
      "SCHEDULER_REDIS_URL",
      "is required by @sched/leader-redis; set it to a URL such as redis://host:6379",
    );
  }
  return new RedisLeader({
    url,
    keyPrefix: config.redis?.keyPrefix,
    db: config.redis?.db,
    instanceId: config.distributed?.instanceId,
    ttl: config.distributed?.lockTTL,
  });
}
