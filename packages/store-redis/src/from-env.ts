import { type BackendVariables, ConfigError, readBackendEnv } from "@sched/core/adapter";
import type { RedisStoreOptions } from "./options.js";
import { RedisStore } from "./redis-store.js";

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
 * Builds a {@link RedisStore} from `SCHEDULER_REDIS_URL` (required), `SCHEDULER_REDIS_KEY_PREFIX`
 * and `SCHEDULER_REDIS_DB`, read with `readBackendEnv` from `@sched/core/adapter`.
 * `createSchedulerFromEnv` calls it when `SCHEDULER_STORE=redis`. `overrides` are applied on top.
 * The store owns its client.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the variable that is missing or does not parse
 *   (never echoing the URL), an unknown `SCHEDULER_REDIS_*` name (suggesting the closest one), and
 *   as `configFromEnv` read with `SCHEDULER_STORE=redis`: an unknown `SCHEDULER_*` name, another
 *   store's setting, or a duration without a unit.
 */
export function fromEnv(
  env: Record<string, string | undefined> = process.env,
  overrides: Omit<RedisStoreOptions, "url" | "client"> = {},
): RedisStore {
  // Only the Redis settings matter here, whatever SCHEDULER_STORE says.
  const { settings } = readBackendEnv(env, "redis", REDIS_VARIABLES);
  const url = settings.SCHEDULER_REDIS_URL;
  if (url === undefined) {
    throw new ConfigError("SCHEDULER_REDIS_URL", "is required for the Redis store, e.g. redis://host:6379");
  }
  const keyPrefix = settings.SCHEDULER_REDIS_KEY_PREFIX;
  const db = settings.SCHEDULER_REDIS_DB;
  return new RedisStore({
    ...(keyPrefix === undefined ? {} : { keyPrefix }),
    ...(db === undefined ? {} : { db }),
    ...overrides,
    url,
  });
}
