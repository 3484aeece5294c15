import { ConfigError } from "../errors.js";
import { readOptions } from "../validation/read-options.js";
import { type Config, configFromEnv } from "./env-config.js";
import { type Env, EnvReader } from "./env-reader.js";
import { backendPrefix, type DurableStoreKind, rejectUnknownNames } from "./env-variables.js";

/** How to read one variable of a backend. */
export type BackendVariable =
  /** A URL with one of these schemes; it may hold a password, so it is never echoed. */
  | { readonly kind: "url"; readonly protocols: readonly string[] }
  /** Text matching `pattern` (any text without one); `expected` says what it should be. */
  | {
      readonly kind: "text";
      readonly pattern?: RegExp;
      readonly expected?: string;
      readonly secret?: boolean;
    }
  /** An integer of at least `min`. */
  | { readonly kind: "integer"; readonly min: number }
  /** `true`, `1`, `yes`, `on` or `false`, `0`, `no`, `off`. */
  | { readonly kind: "boolean" };

/** Every variable of a backend, by its full name (`SCHEDULER_POSTGRES_URL`). */
export type BackendVariables = Readonly<Record<string, BackendVariable>>;

/** The value a {@link BackendVariable} reads as. */
export type BackendValue<V extends BackendVariable> = V extends { kind: "integer" }
  ? number
  : V extends { kind: "boolean" }
    ? boolean
    : string;

/** What {@link readBackendEnv} read: the scheduler's configuration and the backend's settings. */
export interface BackendEnv<Vars extends BackendVariables> {
  /** The scheduler's configuration, as `configFromEnv` reads it with `SCHEDULER_STORE` = the backend. */
  readonly config: Config;
  /** The value of each backend variable that is set (and not empty), trimmed and parsed. */
  readonly settings: { readonly [Name in keyof Vars]?: BackendValue<Vars[Name]> };
}

/**
 * Reads the `SCHEDULER_*` variables an adapter's `fromEnv` needs: the scheduler's own (as
 * `configFromEnv` reads them with `SCHEDULER_STORE=<store>`, whatever `SCHEDULER_STORE` says,
 * so that another backend's settings are refused) and the backend's, declared in `variables`.
 * Every adapter reads its settings through this one function, so that they are trimmed, parsed
 * and refused alike.
 *
 * @param env - the environment, e.g. `process.env`.
 * @param store - the backend; its variables bear the prefix `SCHEDULER_<STORE>_`.
 * @param variables - every variable of the backend, by full name, including those this adapter
 *   does not read (the leader's `fromEnv` accepts the store's settings, and the other way round).
 * @returns the scheduler's configuration and the backend's settings that are set.
 * @throws ConfigError (`CONFIG_INVALID`, `field` = the variable) for what `configFromEnv` refuses;
 *   a `SCHEDULER_<STORE>_*` name not in `variables`, suggesting the closest one; a value that does
 *   not parse. The values of URLs and secret variables are never echoed.
 */
export function readBackendEnv<Vars extends BackendVariables>(
  given: Env,
  store: DurableStoreKind,
  variables: Vars,
): BackendEnv<Vars> {
  // Read once: a getter or proxy that throws is a ConfigError naming the variable.
  const env = readOptions(given, "", "option");
  const prefix = backendPrefix(store);
  const names = Object.keys(variables);
  const stray = names.find((name) => !name.startsWith(prefix));
  if (stray !== undefined) {
    // A mistake of the adapter, not of the user: its table names another backend's variable.
    throw new ConfigError(
      stray,
      `is not a variable of the ${store} backend (its names start with ${prefix})`,
    );
  }
  const config = configFromEnv({ ...env, SCHEDULER_STORE: store });
  rejectUnknownNames(env, names, prefix, `the ${store} adapter's README: ${names.join(", ")}`);
  const reader = new EnvReader(env, (name) => {
    const variable = variables[name];
    return variable?.kind === "url" || (variable?.kind === "text" && variable.secret === true);
  });
  const settings: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(variables)) {
    const value = readOne(reader, name, variable);
    if (value !== undefined) settings[name] = value;
  }
  return { config, settings: settings as BackendEnv<Vars>["settings"] };
}

function readOne(reader: EnvReader, name: string, variable: BackendVariable): unknown {
  switch (variable.kind) {
    case "url":
      return reader.url(name, variable.protocols);
    case "integer":
      return reader.integer(name, variable.min);
    case "boolean":
      return reader.boolean(name);
    case "text":
      return variable.pattern === undefined
        ? reader.text(name)
        : reader.matching(name, variable.pattern, variable.expected ?? `text matching ${variable.pattern}`);
  }
}
