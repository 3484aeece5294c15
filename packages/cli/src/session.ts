import { configFromEnv, createSchedulerFromEnv, type Logger, type Store, type StoreKind } from "@sched/core";
import { usageError } from "./exit-codes.js";
import type { OperationsScheduler } from "./operations-api.js";
import type { Output } from "./output.js";

/** The environment `sched` reads its `SCHEDULER_*` settings from. */
export type Env = Record<string, string | undefined>;

/** The connection flags every command takes; each sets a `SCHEDULER_*` variable for this run. */
export interface ConnectionFlags {
  /** `SCHEDULER_STORE`: memory, postgres, redis or mongodb. */
  store?: string;
  /** `SCHEDULER_POSTGRES_URL`, `SCHEDULER_REDIS_URL` or `SCHEDULER_MONGODB_URL`, by the store. */
  url?: string;
  /** `SCHEDULER_POSTGRES_SCHEMA`. */
  schema?: string;
  /** `SCHEDULER_POSTGRES_TABLE_PREFIX`. */
  tablePrefix?: string;
  /** `SCHEDULER_REDIS_KEY_PREFIX`. */
  keyPrefix?: string;
}

/**
 * The environment with the connection flags applied over it: a flag wins over its variable.
 *
 * @throws CliError (usage) for a flag the selected store does not take (`--schema` with Redis).
 */
export function environmentWith(env: Env, flags: ConnectionFlags): Env {
  const result: Env = { ...env };
  if (flags.store !== undefined) result.SCHEDULER_STORE = flags.store;
  const kind = (result.SCHEDULER_STORE ?? "memory").trim().toLowerCase() || "memory";
  const only = (flag: string, store: string): void => {
    if (kind !== store)
      throw usageError(`${flag} is a setting of the ${store} store, but the store is ${kind}`);
  };
  if (flags.url !== undefined) {
    if (kind === "memory") throw usageError("--url needs --store postgres, redis or mongodb");
    result[`SCHEDULER_${kind.toUpperCase()}_URL`] = flags.url;
  }
  if (flags.schema !== undefined) {
    only("--schema", "postgres");
    result.SCHEDULER_POSTGRES_SCHEMA = flags.schema;
  }
  if (flags.tablePrefix !== undefined) {
    only("--table-prefix", "postgres");
    result.SCHEDULER_POSTGRES_TABLE_PREFIX = flags.tablePrefix;
  }
  if (flags.keyPrefix !== undefined) {
    only("--key-prefix", "redis");
    result.SCHEDULER_REDIS_KEY_PREFIX = flags.keyPrefix;
  }
  return result;
}

/** An open connection to the store, through a scheduler that is never started. */
export interface Session {
  /** The scheduler: it runs no workers, no loops; it only reads and changes the store. */
  readonly scheduler: OperationsScheduler;
  /** The store `SCHEDULER_STORE` selects. */
  readonly storeKind: StoreKind;
  /** The environment the session was opened with (flags applied). */
  readonly env: Env;
  /** Closes the store; idempotent. */
  close(): Promise<void>;
}

/** A logger that writes warnings and errors to standard error, without their fields. */
function stderrLogger(output: Output): Logger {
  return {
    debug() {},
    info() {},
    warn: (message) => output.err(`sched: warning: ${message}`),
    error: (message) => output.err(`sched: error: ${message}`),
  };
}

/**
 * Opens the store the environment selects through a scheduler that is not started: no worker,
 * no schedule loop, no leader election, no heartbeat. Leadership is left off whatever
 * `SCHEDULER_DISTRIBUTED` says, so that no leader package is needed. With `store`, that store is
 * used instead of the one the environment selects, and left open.
 *
 * @throws ConfigError (`CONFIG_INVALID`) for a bad `SCHEDULER_*` setting; AdapterNotInstalledError
 *   (`ADAPTER_NOT_INSTALLED`) when the store's package is missing.
 */
export async function openSession(env: Env, output: Output, store?: Store): Promise<Session> {
  const storeKind = configFromEnv(env).store;
  const scheduler = await createSchedulerFromEnv(env, {
    logger: stderrLogger(output),
    distributed: { enabled: false },
    ...(store === undefined ? {} : { store }),
  });
  if (storeKind === "memory" && store === undefined) {
    output.err(
      "sched: warning: the store is memory (SCHEDULER_STORE unset?): this process has its own empty store; " +
        "set SCHEDULER_STORE and its URL, or pass --store and --url",
    );
  }
  let closed: Promise<void> | null = null;
  return {
    scheduler: scheduler as unknown as OperationsScheduler,
    storeKind,
    env,
    close: () => {
      closed ??= scheduler.stop({ timeout: 0 });
      return closed;
    },
  };
}
