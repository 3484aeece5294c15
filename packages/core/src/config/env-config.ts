import { ConfigError } from "../errors.js";
import type { Duration } from "../time/duration.js";
import { readOptions } from "../validation/read-options.js";
import { isPlainWord } from "../validation/text.js";
import { type Env, EnvReader } from "./env-reader.js";
import {
  rejectOtherStoresSettings,
  rejectUnknownVariables,
  STORE_KINDS,
  type StoreKind,
} from "./env-variables.js";
import type { SchedulerOptions } from "./options.js";

export type { StoreKind } from "./env-variables.js";

/**
 * Configuration read from `SCHEDULER_*` environment variables by {@link configFromEnv}: the
 * backend `SCHEDULER_STORE` selects and the scheduler's options. Unset variables are left out so
 * the defaults of `createScheduler` apply. The backend's own settings (`SCHEDULER_POSTGRES_URL`,
 * say) are not here: its adapter's `fromEnv` reads them.
 */
export interface Config {
  store: StoreKind;
  workers?: number;
  pollInterval?: Duration;
  defaultTimeout?: Duration;
  retry?: { maxAttempts?: number; initialDelay?: Duration; maxDelay?: Duration; multiplier?: number };
  deadLetter?: { enabled?: boolean; queue?: string; retention?: Duration };
  distributed?: { enabled?: boolean; instanceId?: string; lockTTL?: Duration; lockRefresh?: Duration };
}

function compact<T extends object>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as T);
}

/**
 * Reads the scheduler's configuration from `SCHEDULER_*` environment variables (see the core
 * README for the list): `SCHEDULER_STORE` and the scheduler's options. The variables of the
 * selected backend (`SCHEDULER_POSTGRES_*` with `SCHEDULER_STORE=postgres`) are left to its
 * adapter's `fromEnv`, which checks their names and values. Unset or empty variables keep their defaults. Durations need a unit
 * (`"500ms"`, `"30s"`, `"5m"`, `"1h30m"`, `"7d"`; a bare `0` is allowed) and are returned in
 * milliseconds.
 *
 * @param env - the environment to read, `process.env` by default; other names are ignored.
 * @throws ConfigError (code `CONFIG_INVALID`, `field` = the variable) for: a `SCHEDULER_*` name
 *   that @sched does not know outside the backends' prefixes (suggesting the closest known name);
 *   a setting of a store other than the one `SCHEDULER_STORE` selects, e.g. `SCHEDULER_POSTGRES_URL` without
 *   `SCHEDULER_STORE=postgres`; a duration without a unit; a value that does not parse or is out
 *   of range. Connection strings and passwords are never echoed.
 */
export function configFromEnv(given: Env = process.env): Config {
  // Read once: a getter or proxy that throws is a ConfigError naming the variable.
  const env = readOptions(given, "", "option");
  const vars = new EnvReader(env);
  const storeSetting = vars.text("SCHEDULER_STORE");
  const storeName = (storeSetting ?? "memory").toLowerCase();
  // Names first: a typo such as SCHEDULER_STOER would otherwise surface as a confusing error
  // about the settings of the store it failed to select.
  rejectUnknownVariables(env);
  if (!(STORE_KINDS as readonly string[]).includes(storeName)) {
    throw new ConfigError(
      "SCHEDULER_STORE",
      `expected one of ${STORE_KINDS.join(", ")}, got ${isPlainWord(storeName) ? JSON.stringify(storeName) : `a value of ${storeName.length} characters`}`,
    );
  }
  rejectOtherStoresSettings(env, storeName, storeSetting === undefined);
  const config: Config = {
    store: storeName as StoreKind,
    workers: vars.integer("SCHEDULER_WORKERS", 1),
    pollInterval: vars.duration("SCHEDULER_POLL_INTERVAL", { positive: true }),
    defaultTimeout: vars.duration("SCHEDULER_DEFAULT_TIMEOUT"),
    retry: compact({
      maxAttempts: vars.integer("SCHEDULER_RETRY_MAX_ATTEMPTS", 1),
      initialDelay: vars.duration("SCHEDULER_RETRY_INITIAL_DELAY"),
      maxDelay: vars.duration("SCHEDULER_RETRY_MAX_DELAY"),
      multiplier: vars.number("SCHEDULER_RETRY_MULTIPLIER", 1),
    }),
    deadLetter: compact({
      enabled: vars.boolean("SCHEDULER_DLQ_ENABLED"),
      queue: vars.matching(
        "SCHEDULER_DLQ_QUEUE",
        /^[A-Za-z0-9_.:\-/]{1,200}$/,
        "a queue name (A-Z a-z 0-9 _ . : - /)",
      ),
      retention: vars.duration("SCHEDULER_DLQ_RETENTION"),
    }),
    distributed: compact({
      enabled: vars.boolean("SCHEDULER_DISTRIBUTED"),
      instanceId: vars.matching(
        "SCHEDULER_INSTANCE_ID",
        /^[\x21-\x7e]{1,200}$/,
        "1-200 printable characters without spaces",
      ),
      lockTTL: vars.duration("SCHEDULER_LOCK_TTL", { positive: true }),
      lockRefresh: vars.duration("SCHEDULER_LOCK_REFRESH", { positive: true }),
    }),
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
  const { store: _store, ...options } = config;
  return options;
}
