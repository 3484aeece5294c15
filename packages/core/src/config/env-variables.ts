import { ConfigError } from "../errors.js";
import { closestName } from "../validation/option-names.js";

/** The stores that keep jobs outside the process, each with settings of its own. */
type DurableStoreKind = "postgres" | "redis" | "mongodb";

/** What @sched knows about one `SCHEDULER_*` variable. */
interface VariableSpec {
  /** The store whose setting it is; absent for the scheduler's own settings, read with any store. */
  readonly store?: DurableStoreKind;
  /** It may hold a password (a connection string, a password): its value is never echoed. */
  readonly secret?: boolean;
}

/**
 * Every `SCHEDULER_*` variable of @sched, the one list: `configFromEnv` rejects any other
 * `SCHEDULER_*` name, and reads only names from this list (see {@link EnvVariable}). Some store
 * settings are listed before any code reads them (Sentinel, MongoDB), so that setting them is not
 * refused as a typo.
 */
const ENV_VARIABLES = {
  SCHEDULER_STORE: {},
  SCHEDULER_WORKERS: {},
  SCHEDULER_POLL_INTERVAL: {},
  SCHEDULER_DEFAULT_TIMEOUT: {},
  SCHEDULER_RETRY_MAX_ATTEMPTS: {},
  SCHEDULER_RETRY_INITIAL_DELAY: {},
  SCHEDULER_RETRY_MAX_DELAY: {},
  SCHEDULER_RETRY_MULTIPLIER: {},
  SCHEDULER_DLQ_ENABLED: {},
  SCHEDULER_DLQ_QUEUE: {},
  SCHEDULER_DLQ_RETENTION: {},
  SCHEDULER_DISTRIBUTED: {},
  SCHEDULER_INSTANCE_ID: {},
  SCHEDULER_LOCK_TTL: {},
  SCHEDULER_LOCK_REFRESH: {},
  SCHEDULER_POSTGRES_URL: { store: "postgres", secret: true },
  SCHEDULER_POSTGRES_SCHEMA: { store: "postgres" },
  SCHEDULER_POSTGRES_TABLE_PREFIX: { store: "postgres" },
  SCHEDULER_POSTGRES_AUTO_MIGRATE: { store: "postgres" },
  SCHEDULER_REDIS_URL: { store: "redis", secret: true },
  SCHEDULER_REDIS_KEY_PREFIX: { store: "redis" },
  SCHEDULER_REDIS_DB: { store: "redis" },
  SCHEDULER_REDIS_SENTINELS: { store: "redis" },
  SCHEDULER_REDIS_SENTINEL_NAME: { store: "redis" },
  SCHEDULER_REDIS_PASSWORD: { store: "redis", secret: true },
  SCHEDULER_REDIS_SENTINEL_PASSWORD: { store: "redis", secret: true },
  SCHEDULER_MONGODB_URL: { store: "mongodb", secret: true },
  SCHEDULER_MONGODB_DATABASE: { store: "mongodb" },
  SCHEDULER_MONGODB_COLLECTION_PREFIX: { store: "mongodb" },
} as const satisfies Record<string, VariableSpec>;

/** The name of a `SCHEDULER_*` variable that @sched knows. */
export type EnvVariable = keyof typeof ENV_VARIABLES;

const KNOWN_NAMES = Object.keys(ENV_VARIABLES) as EnvVariable[];
const PREFIX = "SCHEDULER_";

function specOf(name: EnvVariable): VariableSpec {
  return ENV_VARIABLES[name];
}

function isKnown(name: string): name is EnvVariable {
  return Object.hasOwn(ENV_VARIABLES, name);
}

/** Whether the value of `name` may hold a password and must never appear in a message. */
export function isSecretVariable(name: EnvVariable): boolean {
  return specOf(name).secret === true;
}

/**
 * The known name closest to `unknown`, when it is close enough to be a typo of it: at most one
 * edit per three characters after the prefix (at least one edit, at most three), case ignored.
 */
function closestKnownName(unknown: string): EnvVariable | undefined {
  const written = unknown.toUpperCase().slice(PREFIX.length);
  const match = closestName(
    written,
    KNOWN_NAMES.map((name) => name.slice(PREFIX.length)),
  );
  return match === undefined ? undefined : (`${PREFIX}${match}` as EnvVariable);
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== "";
}

/** The `SCHEDULER_*` names set to a non-empty value in `env`, sorted. */
function setNames(env: Record<string, string | undefined>): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && isSet(env[name]))
    .sort();
}

/**
 * Rejects a `SCHEDULER_*` variable set (non-empty) in `env` whose name @sched does not know,
 * usually a typo that would otherwise be ignored in silence. Values are never echoed.
 *
 * @param env - the environment, e.g. `process.env`.
 * @throws ConfigError (`CONFIG_INVALID`, `field` = the first unknown name) suggesting the closest
 *   known name when the unknown one looks like a typo of it, and listing any other unknown names.
 */
export function rejectUnknownVariables(env: Record<string, string | undefined>): void {
  const unknown = setNames(env).filter((name) => !isKnown(name));
  if (unknown.length === 0) return;
  const [first, ...others] = unknown as [string, ...string[]];
  const closest = closestKnownName(first);
  const hint =
    closest === undefined
      ? "the known variables are listed in the environment section of the @sched/core README"
      : `did you mean ${closest}?`;
  const alsoUnknown = others.length === 0 ? "" : ` (also unknown: ${others.join(", ")})`;
  throw new ConfigError(first, `is not a variable @sched reads; ${hint}${alsoUnknown}`);
}

/**
 * Rejects a setting of one durable store (`SCHEDULER_POSTGRES_*`, `SCHEDULER_REDIS_*`,
 * `SCHEDULER_MONGODB_*`) set (non-empty) in `env` while `SCHEDULER_STORE` selects another store:
 * it would be ignored, and usually means `SCHEDULER_STORE` is missing. Values are never echoed.
 *
 * @param env - the environment, e.g. `process.env`; its names are known (see
 *   {@link rejectUnknownVariables}).
 * @param store - the store `SCHEDULER_STORE` selects, `"memory"` when it is unset.
 * @param storeIsDefault - whether `SCHEDULER_STORE` is unset, so that the message can say so.
 * @throws ConfigError (`CONFIG_INVALID`, `field` = the variable) saying which `SCHEDULER_STORE`
 *   the variable needs.
 */
export function rejectOtherStoresSettings(
  env: Record<string, string | undefined>,
  store: string,
  storeIsDefault: boolean,
): void {
  for (const name of setNames(env)) {
    const owner = isKnown(name) ? specOf(name).store : undefined;
    if (owner === undefined || owner === store) continue;
    const current = storeIsDefault ? "unset (so memory)" : store;
    throw new ConfigError(
      name,
      `is a setting of the ${owner} store and needs SCHEDULER_STORE=${owner}, but SCHEDULER_STORE is ` +
        `${current}; set SCHEDULER_STORE=${owner}, or unset ${name}`,
    );
  }
}
