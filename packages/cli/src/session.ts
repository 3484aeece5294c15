import { configFromEnv, createSchedulerFromEnv, type Logger, type Store, type StoreKind } from "@sched/core";
import { isPlainWord } from "@sched/core/adapter";
import { CliError, classify, usageError } from "./exit-codes.js";
import type { Messages } from "./messages.js";
import type { OperationsScheduler } from "./operations-api.js";

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
 * The settings of one run: the environment with the connection flags applied over it, and which
 * `SCHEDULER_*` values came from a flag, so that a message about a value names where it was set.
 */
export interface Settings {
  /** The environment, each flag's value in place of its variable's. */
  readonly env: Env;
  /** The flag that set each variable it set: `SCHEDULER_POSTGRES_SCHEMA` → `--schema`. */
  readonly flagOf: ReadonlyMap<string, string>;
}

/** The stores `--store` takes, as `SCHEDULER_STORE` does. */
export const STORE_KINDS: readonly StoreKind[] = ["memory", "postgres", "redis", "mongodb"];

/**
 * The environment with the connection flags applied over it: a flag wins over its variable, and
 * is recorded in {@link Settings.flagOf}.
 *
 * @throws CliError (usage) naming the flag: a `--store` that is no store (`--store: expected one
 *   of …`), or a flag the selected store does not take (`--schema` with Redis).
 */
export function environmentWith(env: Env, flags: ConnectionFlags): Settings {
  const result: Env = { ...env };
  const flagOf = new Map<string, string>();
  const set = (variable: string, flag: string, value: string): void => {
    result[variable] = value;
    flagOf.set(variable, flag);
  };
  if (flags.store !== undefined) {
    // Named before the flags that depend on it, which would otherwise speak of a store "sqlite".
    if (!(STORE_KINDS as readonly string[]).includes(flags.store.trim().toLowerCase())) {
      // Only a plain word is echoed: a misplaced connection string must not be.
      const got = isPlainWord(flags.store)
        ? JSON.stringify(flags.store)
        : `a value of ${flags.store.length} characters`;
      throw usageError(`--store: expected one of ${STORE_KINDS.join(", ")}, got ${got}`);
    }
    set("SCHEDULER_STORE", "--store", flags.store);
  }
  const kind = (result.SCHEDULER_STORE ?? "memory").trim().toLowerCase() || "memory";
  const storeFrom = flagOf.has("SCHEDULER_STORE") ? "--store" : "SCHEDULER_STORE";
  const only = (flag: string, store: string): void => {
    if (kind !== store)
      throw usageError(`${flag}: a setting of the ${store} store, but ${storeFrom} is ${kind}`);
  };
  if (flags.url !== undefined) {
    if (kind === "memory") throw usageError("--url: needs --store postgres, redis or mongodb");
    set(`SCHEDULER_${kind.toUpperCase()}_URL`, "--url", flags.url);
  }
  if (flags.schema !== undefined) {
    only("--schema", "postgres");
    set("SCHEDULER_POSTGRES_SCHEMA", "--schema", flags.schema);
  }
  if (flags.tablePrefix !== undefined) {
    only("--table-prefix", "postgres");
    set("SCHEDULER_POSTGRES_TABLE_PREFIX", "--table-prefix", flags.tablePrefix);
  }
  if (flags.keyPrefix !== undefined) {
    only("--key-prefix", "redis");
    set("SCHEDULER_REDIS_KEY_PREFIX", "--key-prefix", flags.keyPrefix);
  }
  return { env: result, flagOf };
}

/**
 * `message` with each variable a flag set named as that flag: `SCHEDULER_POSTGRES_SCHEMA: expected
 * …` becomes `--schema: expected …` when `--schema` gave the value. `NAME=value` advice becomes
 * `--flag value`. Variables set in the environment keep their names.
 */
export function nameSources(message: string, flagOf: ReadonlyMap<string, string>): string {
  let named = message;
  for (const [variable, flag] of flagOf) {
    named = named
      .replace(new RegExp(`\\b${variable}=`, "g"), `${flag} `)
      .replace(new RegExp(`\\b${variable}\\b`, "g"), flag);
  }
  return named;
}

/**
 * The error `err` with its message naming the flags that set the values it is about (see
 * {@link nameSources}): a {@link CliError} with the exit code and `code` {@link classify} gives
 * `err`, and `err` as its cause. `err` itself when its message names no variable a flag set.
 */
export function attributeToFlags(err: unknown, flagOf: ReadonlyMap<string, string>): unknown {
  if (err instanceof CliError || !(err instanceof Error) || flagOf.size === 0) return err;
  const message = nameSources(err.message, flagOf);
  if (message === err.message) return err;
  const { exitCode, code } = classify(err);
  return new CliError(exitCode, code, message, { cause: err });
}

/** An open connection to the store, through a scheduler that is never started. */
export interface Session {
  /** The scheduler: it runs no workers, no loops; it only reads and changes the store. */
  readonly scheduler: OperationsScheduler;
  /** The store `SCHEDULER_STORE` selects. */
  readonly storeKind: StoreKind;
  /** The environment the session was opened with (flags applied). */
  readonly env: Env;
  /** The flag that set each variable a flag set (see {@link Settings.flagOf}). */
  readonly flagOf: ReadonlyMap<string, string>;
  /** Closes the store; idempotent. */
  close(): Promise<void>;
}

/**
 * The warning of a run on the memory store: it holds nothing between runs, so this process sees
 * an empty store of its own. Whether `SCHEDULER_STORE` was left unset is said only when it was;
 * a store chosen with `--store memory` or `SCHEDULER_STORE=memory` is named by where it was chosen.
 */
function memoryStoreWarning(settings: Settings): string {
  const given = settings.env.SCHEDULER_STORE;
  if (given !== undefined && given.trim() !== "") {
    const chosenBy = settings.flagOf.has("SCHEDULER_STORE") ? `--store ${given}` : `SCHEDULER_STORE=${given}`;
    return `the store is memory (${chosenBy}): it holds nothing between runs, so this process has its own empty store`;
  }
  return (
    `the store is memory (SCHEDULER_STORE is ${given === undefined ? "unset" : "empty"}): this process ` +
    "has its own empty store, which holds nothing between runs; set SCHEDULER_STORE and its URL, or " +
    "pass --store and --url"
  );
}

/** A logger that writes warnings and errors to standard error, without their fields. */
function stderrLogger(messages: Messages): Logger {
  return {
    debug() {},
    info() {},
    warn: (message) => messages.warning(message),
    error: (message) => messages.warning(message, "error"),
  };
}

/**
 * Opens the store the settings select through a scheduler that is not started: no worker,
 * no schedule loop, no leader election, no heartbeat. Leadership is left off whatever
 * `SCHEDULER_DISTRIBUTED` says, so that no leader package is needed. With `store`, that store is
 * used instead of the one the environment selects, and left open.
 *
 * @throws ConfigError (`CONFIG_INVALID`) for a bad `SCHEDULER_*` setting, or a CliError (usage,
 *   code `CONFIG_INVALID`) naming the flag when a flag gave the bad value; AdapterNotInstalledError
 *   (`ADAPTER_NOT_INSTALLED`) when the store's package is missing.
 */
export async function openSession(settings: Settings, messages: Messages, store?: Store): Promise<Session> {
  const env = settings.env;
  let storeKind: StoreKind;
  let scheduler: Awaited<ReturnType<typeof createSchedulerFromEnv>>;
  try {
    storeKind = configFromEnv(env).store;
    scheduler = await createSchedulerFromEnv(env, {
      logger: stderrLogger(messages),
      distributed: { enabled: false },
      ...(store === undefined ? {} : { store }),
    });
  } catch (err) {
    throw attributeToFlags(err, settings.flagOf);
  }
  if (storeKind === "memory" && store === undefined) messages.warning(memoryStoreWarning(settings));
  let closed: Promise<void> | null = null;
  return {
    scheduler: scheduler as unknown as OperationsScheduler,
    storeKind,
    env,
    flagOf: settings.flagOf,
    close: () => {
      closed ??= scheduler.stop({ timeout: 0 });
      return closed;
    },
  };
}
