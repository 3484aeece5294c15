import { type BackendVariables, ConfigError, readBackendEnv } from "@sched/core/adapter";
import { RedisLeader } from "./redis-leader.js";

/**
 * The Redis variables: the store and the leader read the same ones, and each accepts them all
 * (the Sentinel settings are accepted before any code reads them, so that setting them is not
 * refused as a typo).
 */
const REDIS_VARIABLES = {
  SCHEDULER_REDIS_URL: { kind: "url", protocols: ["redis:", "rediss:"] },
  SCHEDULER_REDIS_KEY_PREFIX: {
    kind: "text",
    pattern: /^[A-Za-z0-9_.:-]{1,100}$/,
    expected: "letters, digits and _ . : -",
  },
  SCHEDULER_REDIS_DB: { kind: "integer", min: 0 },
  SCHEDULER_REDIS_SENTINELS: { kind: "text" },
  SCHEDULER_REDIS_SENTINEL_NAME: { kind: "text" },
  SCHEDULER_REDIS_PASSWORD: { kind: "text", secret: true },
  SCHEDULER_REDIS_SENTINEL_PASSWORD: { kind: "text", secret: true },
} as const satisfies BackendVariables;

/**
 * Creates a {@link RedisLeader} from `SCHEDULER_*` environment variables, as
 * `createSchedulerFromEnv` does: `SCHEDULER_REDIS_URL` (required), `SCHEDULER_REDIS_KEY_PREFIX`,
 * `SCHEDULER_REDIS_DB`, `SCHEDULER_INSTANCE_ID` and `SCHEDULER_LOCK_TTL`. The leader owns its
 * connection: `close()` ends it.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the bad or missing variable (the URL is never
 *   echoed), an unknown `SCHEDULER_REDIS_*` name (suggesting the closest one), and as
 *   `configFromEnv` read with `SCHEDULER_STORE=redis`: an unknown `SCHEDULER_*` name, another
 *   store's setting, or a duration without a unit.
 */
export function fromEnv(env: Record<string, string | undefined> = process.env): RedisLeader {
  // Read as createSchedulerFromEnv does with SCHEDULER_STORE=redis, whatever SCHEDULER_STORE says,
  // so the redis settings are accepted and another store's settings are refused.
  const { config, settings } = readBackendEnv(env, "redis", REDIS_VARIABLES);
  const url = settings.SCHEDULER_REDIS_URL;
  if (url === undefined) {
    throw new ConfigError(
      "SCHEDULER_REDIS_URL",
      "is required by @sched/leader-redis; set it to a URL such as redis://host:6379",
    );
  }
  return new RedisLeader({
    url,
    keyPrefix: settings.SCHEDULER_REDIS_KEY_PREFIX,
    db: settings.SCHEDULER_REDIS_DB,
    instanceId: config.distributed?.instanceId,
    ttl: config.distributed?.lockTTL,
  });
}
