import { type BackendEnv, type BackendVariables, ConfigError } from "@sched/core/adapter";
import { parseSentinelList } from "./sentinel.js";

/**
 * The Redis variables (`readBackendEnv`'s table): the store and the leader read the same ones.
 * The URL and the passwords are secrets, never echoed.
 */
export const REDIS_VARIABLES = {
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

/** The connection settings of the Redis variables, as the store's and the leader's options. */
export interface RedisEnvConnection {
  readonly url?: string;
  readonly sentinels?: Array<{ host: string; port: number }>;
  /** The primary's name the Sentinels monitor (`name` on the store, `sentinelName` on the leader). */
  readonly sentinelName?: string;
  readonly password?: string;
  readonly sentinelPassword?: string;
  readonly keyPrefix?: string;
  readonly db?: number;
}

/**
 * Reads the connection settings of the Redis variables (already read by `readBackendEnv`): a URL
 * (`SCHEDULER_REDIS_URL`), or Sentinels (`SCHEDULER_REDIS_SENTINELS`, `host:port` entries separated
 * by commas, and `SCHEDULER_REDIS_SENTINEL_NAME`); `SCHEDULER_REDIS_PASSWORD` for the data nodes,
 * `SCHEDULER_REDIS_SENTINEL_PASSWORD` for the Sentinels; the key prefix and the database.
 *
 * @param who - the package, for the message of a missing URL.
 * @throws ConfigError (`CONFIG_INVALID`) naming the variable: neither `SCHEDULER_REDIS_URL` nor
 *   `SCHEDULER_REDIS_SENTINELS` set, both set, Sentinels without their name or a name without
 *   them, a Sentinel password without Sentinels, or a list that does not parse. Never echoes a
 *   URL or a password.
 */
export function redisConnectionFromEnv(
  settings: BackendEnv<typeof REDIS_VARIABLES>["settings"],
  who: string,
): RedisEnvConnection {
  const url = settings.SCHEDULER_REDIS_URL;
  const sentinels = settings.SCHEDULER_REDIS_SENTINELS;
  const name = settings.SCHEDULER_REDIS_SENTINEL_NAME;
  const password = settings.SCHEDULER_REDIS_PASSWORD;
  const sentinelPassword = settings.SCHEDULER_REDIS_SENTINEL_PASSWORD;
  const keyPrefix = settings.SCHEDULER_REDIS_KEY_PREFIX;
  const db = settings.SCHEDULER_REDIS_DB;
  const common = {
    ...(keyPrefix === undefined ? {} : { keyPrefix }),
    ...(db === undefined ? {} : { db }),
    ...(password === undefined ? {} : { password }),
  };
  if (sentinels === undefined) {
    if (name !== undefined) {
      throw new ConfigError("SCHEDULER_REDIS_SENTINEL_NAME", "applies only with SCHEDULER_REDIS_SENTINELS");
    }
    if (sentinelPassword !== undefined) {
      throw new ConfigError(
        "SCHEDULER_REDIS_SENTINEL_PASSWORD",
        "applies only with SCHEDULER_REDIS_SENTINELS",
      );
    }
    if (url === undefined) {
      throw new ConfigError(
        "SCHEDULER_REDIS_URL",
        `is required by ${who}, e.g. redis://host:6379 (or SCHEDULER_REDIS_SENTINELS and SCHEDULER_REDIS_SENTINEL_NAME for Sentinel)`,
      );
    }
    return { ...common, url };
  }
  if (url !== undefined) {
    throw new ConfigError(
      "SCHEDULER_REDIS_URL",
      "set either SCHEDULER_REDIS_URL or SCHEDULER_REDIS_SENTINELS, not both (the Sentinels name the primary)",
    );
  }
  if (name === undefined) {
    throw new ConfigError(
      "SCHEDULER_REDIS_SENTINEL_NAME",
      "is required with SCHEDULER_REDIS_SENTINELS: the name the Sentinels monitor the primary under",
    );
  }
  return {
    ...common,
    sentinels: parseSentinelList(sentinels, "SCHEDULER_REDIS_SENTINELS"),
    sentinelName: name,
    ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
  };
}
