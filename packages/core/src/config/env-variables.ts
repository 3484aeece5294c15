import { ConfigError } from "../errors.js";
import { closestName } from "../validation/option-names.js";
import { quoteText } from "../validation/quote.js";

const PREFIX = "SCHEDULER_";

/**
 * The scheduler's own `SCHEDULER_*` variables, the one list: `configFromEnv` rejects any other
 * `SCHEDULER_*` name outside the backends' prefixes (see {@link BACKEND_PREFIXES}), and reads only
 * names from this list (see {@link EnvVariable}). A backend's variables (`SCHEDULER_POSTGRES_URL`,
 * say) are its adapter's to know: its `fromEnv` reads them with `readBackendEnv`.
 */
const ENV_VARIABLES = [
  "SCHEDULER_STORE",
  "SCHEDULER_WORKERS",
  "SCHEDULER_POLL_INTERVAL",
  "SCHEDULER_DEFAULT_TIMEOUT",
  "SCHEDULER_RETRY_MAX_ATTEMPTS",
  "SCHEDULER_RETRY_INITIAL_DELAY",
  "SCHEDULER_RETRY_MAX_DELAY",
  "SCHEDULER_RETRY_MULTIPLIER",
  "SCHEDULER_DLQ_ENABLED",
  "SCHEDULER_DLQ_QUEUE",
  "SCHEDULER_DLQ_RETENTION",
  "SCHEDULER_DISTRIBUTED",
  "SCHEDULER_INSTANCE_ID",
  "SCHEDULER_LOCK_TTL",
  "SCHEDULER_LOCK_REFRESH",
  // Read by `sched serve` of @sched/cli, not by core; known here so that a process configured for
  // both does not fail as if they were typos.
  "SCHEDULER_HTTP_PORT",
  "SCHEDULER_HTTP_HOST",
  "SCHEDULER_HTTP_TOKENS",
  "SCHEDULER_HTTP_REDACT",
  "SCHEDULER_HTTP_HIDE_PAYLOADS",
  "SCHEDULER_HTTP_AUDIT_LOG",
] as const;

/** The backends `SCHEDULER_STORE` may name. */
export const STORE_KINDS = ["memory", "postgres", "redis", "mongodb"] as const;

/** The backends `SCHEDULER_STORE` may name. */
export type StoreKind = (typeof STORE_KINDS)[number];

/** The backends that keep jobs outside the process, each with variables of its own. */
export type DurableStoreKind = Exclude<StoreKind, "memory">;

const DURABLE_STORES: readonly DurableStoreKind[] = ["postgres", "redis", "mongodb"];

/** The prefix of the variables of a backend: `SCHEDULER_POSTGRES_` for `postgres`. */
export function backendPrefix(store: DurableStoreKind): string {
  return `${PREFIX}${store.toUpperCase()}_`;
}

/** The backend whose prefix `name` bears, or `undefined`. */
export function backendOf(name: string): DurableStoreKind | undefined {
  return DURABLE_STORES.find((store) => name.startsWith(backendPrefix(store)));
}

/** The prefixes of every backend's variables, which core leaves to the backends' adapters. */
export const BACKEND_PREFIXES: readonly string[] = DURABLE_STORES.map(backendPrefix);

/** The name of a `SCHEDULER_*` variable that @sched knows. */
export type EnvVariable = (typeof ENV_VARIABLES)[number];

const KNOWN_NAMES: readonly string[] = ENV_VARIABLES;

/**
 * The name among `known` closest to `unknown`, when it is close enough to be a typo of it: at most
 * one edit per three characters after `SCHEDULER_` (at least one edit, at most three), case
 * ignored.
 */
function closestKnownName(unknown: string, known: readonly string[]): string | undefined {
  const written = unknown.toUpperCase().slice(PREFIX.length);
  const match = closestName(
    written,
    known.map((name) => name.slice(PREFIX.length)),
  );
  return match === undefined ? undefined : `${PREFIX}${match}`;
}

/**
 * Whether a variable is set: neither unset nor empty. A value that is no string counts as set; it
 * is refused where it is read.
 */
function isSet(value: unknown): boolean {
  return value !== undefined && (typeof value !== "string" || value.trim() !== "");
}

/** The names bearing `prefix` set to a non-empty value in `env`, sorted. */
function setNames(env: Record<string, string | undefined>, prefix = PREFIX): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith(prefix) && isSet(env[name]))
    .sort();
}

/**
 * Rejects a variable bearing `prefix`, set (non-empty) in `env`, whose name is not in `known`:
 * usually a typo that would otherwise be ignored in silence. Values are never echoed.
 *
 * @param env - the environment, e.g. `process.env`.
 * @param known - the names that may be set.
 * @param prefix - the names checked: those that bear it and no prefix in `skip`.
 * @param where - where the known names are listed, for the message when no known name is close.
 * @param skip - prefixes of names that others check.
 * @throws ConfigError (`CONFIG_INVALID`, `field` = the first unknown name) suggesting the closest
 *   known name when the unknown one looks like a typo of it, and listing any other unknown names.
 */
export function rejectUnknownNames(
  env: Record<string, string | undefined>,
  known: readonly string[],
  prefix: string,
  where: string,
  skip: readonly string[] = [],
): void {
  const unknown = setNames(env, prefix).filter(
    (name) => !known.includes(name) && !skip.some((other) => name.startsWith(other)),
  );
  if (unknown.length === 0) return;
  const [first, ...others] = unknown as [string, ...string[]];
  const closest = closestKnownName(first, known);
  const hint =
    closest === undefined ? `the known variables are listed in ${where}` : `did you mean ${closest}?`;
  const alsoUnknown = others.length === 0 ? "" : ` (also unknown: ${others.map(shownName).join(", ")})`;
  throw new ConfigError(shownName(first), `is not a variable @sched reads; ${hint}${alsoUnknown}`);
}

/**
 * Rejects a `SCHEDULER_*` variable set (non-empty) in `env` whose name @sched does not know,
 * outside the backends' prefixes (their adapters check those). Values are never echoed.
 *
 * @param env - the environment, e.g. `process.env`.
 * @throws ConfigError (`CONFIG_INVALID`, `field` = the first unknown name) suggesting the closest
 *   known name when the unknown one looks like a typo of it, and listing any other unknown names.
 */
export function rejectUnknownVariables(env: Record<string, string | undefined>): void {
  rejectUnknownNames(
    env,
    KNOWN_NAMES,
    PREFIX,
    "the environment section of the @sched/core README",
    BACKEND_PREFIXES,
  );
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
    const owner = backendOf(name);
    if (owner === undefined || owner === store) continue;
    const current = storeIsDefault ? "unset (so memory)" : store;
    throw new ConfigError(
      name,
      `is a setting of the ${owner} store and needs SCHEDULER_STORE=${owner}, but SCHEDULER_STORE is ` +
        `${current}; set SCHEDULER_STORE=${owner}, or unset ${name}`,
    );
  }
}

/** A variable's name as written when it looks like one (`SCHEDULER_WORKERS`), else quoted and cut. */
function shownName(name: string): string {
  return /^[A-Za-z0-9_]{1,64}$/.test(name) ? name : quoteText(name);
}
