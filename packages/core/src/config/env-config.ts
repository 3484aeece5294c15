import { ConfigError } from "../errors.js";
import { type Duration, parseDuration } from "../time/duration.js";
import {
  type EnvVariable,
  isSecretVariable,
  rejectOtherStoresSettings,
  rejectUnknownVariables,
} from "./env-variables.js";
import type { SchedulerOptions } from "./options.js";

/** The backends `SCHEDULER_STORE` may name. */
export type StoreKind = "memory" | "postgres" | "redis" | "mongodb";

/**
 * Configuration read from `SCHEDULER_*` environment variables by {@link configFromEnv}: the
 * scheduler's options plus the backend's connection settings. Unset variables are left out so
 * the defaults of `createScheduler` apply.
 */
export interface Config {
  store: StoreKind;
  workers?: number;
  pollInterval?: Duration;
  defaultTimeout?: Duration;
  retry?: { maxAttempts?: number; initialDelay?: Duration; maxDelay?: Duration; multiplier?: number };
  deadLetter?: { enabled?: boolean; queue?: string; retention?: Duration };
  distributed?: { enabled?: boolean; instanceId?: string; lockTTL?: Duration; lockRefresh?: Duration };
  postgres?: { url?: string; schema?: string; tablePrefix?: string; autoMigrate?: boolean };
  redis?: { url?: string; keyPrefix?: string; db?: number };
  mongodb?: { url?: string };
}

type Env = Record<string, string | undefined>;

const STORES: readonly StoreKind[] = ["memory", "postgres", "redis", "mongodb"];

function read(env: Env, name: EnvVariable): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function show(name: EnvVariable, value: string): string {
  // Connection strings may hold passwords: never echo them.
  return isSecretVariable(name) ? "the given value" : JSON.stringify(value);
}

function int(env: Env, name: EnvVariable, min: number): number | undefined {
  const v = read(env, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min) {
    throw new ConfigError(name, `expected an integer >= ${min}, got ${show(name, v)}`);
  }
  return Number(v);
}

function num(env: Env, name: EnvVariable, min: number): number | undefined {
  const v = read(env, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min)
    throw new ConfigError(name, `expected a number >= ${min}, got ${show(name, v)}`);
  return n;
}

function duration(env: Env, name: EnvVariable, positive = false): Duration | undefined {
  const v = read(env, name);
  if (v === undefined) return undefined;
  // A bare number is milliseconds to createScheduler, but people write SCHEDULER_LOCK_TTL=30
  // meaning seconds; in the environment the unit is required. Zero is zero in every unit.
  if (/^\d+(\.\d+)?$/.test(v) && Number(v) !== 0) {
    throw new ConfigError(
      name,
      `${JSON.stringify(v)} has no unit; write "${v}s" for seconds or "${v}ms" for milliseconds (or m, h, d)`,
    );
  }
  let ms: number;
  try {
    ms = parseDuration(v, name);
  } catch {
    throw new ConfigError(
      name,
      `expected a duration such as "500ms", "30s", "5m", "1h30m", got ${show(name, v)}`,
    );
  }
  if (positive && ms <= 0) throw new ConfigError(name, `expected a positive duration, got ${show(name, v)}`);
  return ms;
}

function bool(env: Env, name: EnvVariable): boolean | undefined {
  const v = read(env, name);
  if (v === undefined) return undefined;
  const lower = v.toLowerCase();
  if (["true", "1", "yes", "on"].includes(lower)) return true;
  if (["false", "0", "no", "off"].includes(lower)) return false;
  throw new ConfigError(name, `expected true or false, got ${show(name, v)}`);
}

function url(env: Env, name: EnvVariable, protocols: string[]): string | undefined {
  const v = read(env, name);
  if (v === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(
      name,
      `expected a URL such as ${protocols[0]}//host:port, and the given value does not parse`,
    );
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(
      name,
      `expected a URL starting with ${protocols.join(" or ")}, got one starting with ${parsed.protocol}`,
    );
  }
  return v;
}

function text(env: Env, name: EnvVariable, pattern: RegExp, expected: string): string | undefined {
  const v = read(env, name);
  if (v === undefined) return undefined;
  if (!pattern.test(v)) throw new ConfigError(name, `expected ${expected}, got ${show(name, v)}`);
  return v;
}

function compact<T extends object>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as T);
}

/**
 * Reads the scheduler's configuration from `SCHEDULER_*` environment variables (see the core
 * README for the list). Unset or empty variables keep their defaults. Durations need a unit
 * (`"500ms"`, `"30s"`, `"5m"`, `"1h30m"`, `"7d"`; a bare `0` is allowed) and are returned in
 * milliseconds.
 *
 * @param env - the environment to read, `process.env` by default; other names are ignored.
 * @throws ConfigError (code `CONFIG_INVALID`, `field` = the variable) for: a `SCHEDULER_*` name
 *   that @sched does not know (suggesting the closest known name); a setting of a store other
 *   than the one `SCHEDULER_STORE` selects, e.g. `SCHEDULER_POSTGRES_URL` without
 *   `SCHEDULER_STORE=postgres`; a duration without a unit; a value that does not parse or is out
 *   of range. Connection strings and passwords are never echoed.
 */
export function configFromEnv(env: Env = process.env): Config {
  const storeSetting = read(env, "SCHEDULER_STORE");
  const storeName = (storeSetting ?? "memory").toLowerCase();
  // Names first: a typo such as SCHEDULER_STOER would otherwise surface as a confusing error
  // about the settings of the store it failed to select.
  rejectUnknownVariables(env);
  if (!STORES.includes(storeName as StoreKind)) {
    throw new ConfigError(
      "SCHEDULER_STORE",
      `expected one of ${STORES.join(", ")}, got ${JSON.stringify(storeName)}`,
    );
  }
  rejectOtherStoresSettings(env, storeName, storeSetting === undefined);
  // Lowercase only, so the quoted names the stores create match unquoted names in users' SQL.
  const identifier = /^[a-z_][a-z0-9_]{0,40}$/;
  const config: Config = {
    store: storeName as StoreKind,
    workers: int(env, "SCHEDULER_WORKERS", 1),
    pollInterval: duration(env, "SCHEDULER_POLL_INTERVAL", true),
    defaultTimeout: duration(env, "SCHEDULER_DEFAULT_TIMEOUT"),
    retry: compact({
      maxAttempts: int(env, "SCHEDULER_RETRY_MAX_ATTEMPTS", 1),
      initialDelay: duration(env, "SCHEDULER_RETRY_INITIAL_DELAY"),
      maxDelay: duration(env, "SCHEDULER_RETRY_MAX_DELAY"),
      multiplier: num(env, "SCHEDULER_RETRY_MULTIPLIER", 1),
    }),
    deadLetter: compact({
      enabled: bool(env, "SCHEDULER_DLQ_ENABLED"),
      queue: text(
        env,
        "SCHEDULER_DLQ_QUEUE",
        /^[A-Za-z0-9_.:\-/]{1,200}$/,
        "a queue name (A-Z a-z 0-9 _ . : - /)",
      ),
      retention: duration(env, "SCHEDULER_DLQ_RETENTION"),
    }),
    distributed: compact({
      enabled: bool(env, "SCHEDULER_DISTRIBUTED"),
      instanceId: text(
        env,
        "SCHEDULER_INSTANCE_ID",
        /^[\x21-\x7e]{1,200}$/,
        "1-200 printable characters without spaces",
      ),
      lockTTL: duration(env, "SCHEDULER_LOCK_TTL", true),
      lockRefresh: duration(env, "SCHEDULER_LOCK_REFRESH", true),
    }),
    postgres: compact({
      url: url(env, "SCHEDULER_POSTGRES_URL", ["postgres:", "postgresql:"]),
      schema: text(env, "SCHEDULER_POSTGRES_SCHEMA", identifier, "a lowercase SQL identifier (a-z, 0-9, _)"),
      tablePrefix: text(
        env,
        "SCHEDULER_POSTGRES_TABLE_PREFIX",
        /^(?:[a-z_][a-z0-9_]{0,39})?$/,
        "a lowercase identifier start (a-z, 0-9, _)",
      ),
      autoMigrate: bool(env, "SCHEDULER_POSTGRES_AUTO_MIGRATE"),
    }),
    redis: compact({
      url: url(env, "SCHEDULER_REDIS_URL", ["redis:", "rediss:"]),
      keyPrefix: text(
        env,
        "SCHEDULER_REDIS_KEY_PREFIX",
        /^[A-Za-z0-9_.:-]{1,100}$/,
        "letters, digits and _ . : -",
      ),
      db: int(env, "SCHEDULER_REDIS_DB", 0),
    }),
    mongodb: compact({ url: url(env, "SCHEDULER_MONGODB_URL", ["mongodb:", "mongodb+srv:"]) }),
  };
  const lockTTL = config.distributed?.lockTTL as number | undefined;
  const lockRefresh = config.distributed?.lockRefresh as number | undefined;
  if (lockRefresh !== undefined && lockRefresh >= (lockTTL ?? 30_000)) {
    throw new ConfigError(
      "SCHEDULER_LOCK_REFRESH",
      `must be less than the lock TTL (${lockTTL ?? 30_000}ms), got ${lockRefresh}ms`,
    );
  }
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Config;
}

/** The scheduler options (without store or leader) that a {@link Config} sets. */
export function optionsFromConfig(config: Config): SchedulerOptions {
  const { store: _store, postgres: _pg, redis: _redis, mongodb: _mongo, ...options } = config;
  return options;
}
