import { ConfigError, readBackendEnv, readOptions } from "@sched/core/adapter";
import { POSTGRES_ENV_VARIABLES } from "./connection/env-variables.js";
import type { PoolMode } from "./connection/pool.js";
import { markConfiguredFromEnvironment } from "./environment-stores.js";
import { PostgresStore, type PostgresStoreOptions } from "./postgres-store.js";

/** Which environment variable each store option comes from, to name it in errors. */
const VARIABLE_OF: Record<string, string> = {
  connectionString: "SCHEDULER_POSTGRES_URL",
  schema: "SCHEDULER_POSTGRES_SCHEMA",
  tablePrefix: "SCHEDULER_POSTGRES_TABLE_PREFIX",
  poolMode: "SCHEDULER_POSTGRES_POOL_MODE",
  listenConnectionString: "SCHEDULER_POSTGRES_LISTEN_URL",
};

/**
 * Builds a {@link PostgresStore} from `SCHEDULER_POSTGRES_URL` (required),
 * `SCHEDULER_POSTGRES_SCHEMA`, `SCHEDULER_POSTGRES_TABLE_PREFIX`,
 * `SCHEDULER_POSTGRES_AUTO_MIGRATE` (migrate on first use), `SCHEDULER_POSTGRES_POOL_MODE`
 * (`session` or `transaction`: the `poolMode` option) and `SCHEDULER_POSTGRES_LISTEN_URL` (the
 * `listenConnectionString` option, a direct connection for LISTEN behind a transaction pool),
 * read with `readBackendEnv` from
 * `@sched/core/adapter`. `createSchedulerFromEnv` calls it when `SCHEDULER_STORE=postgres`.
 * `overrides` (such as `autoMigrate` or `poolSize`) are applied on top. The store owns its pool.
 * Without auto-migration, a `MigrationRequiredError` (code `MIGRATION_REQUIRED`) from the store
 * says to set `SCHEDULER_POSTGRES_AUTO_MIGRATE=true` (or to run `migrate()`).
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the variable that is missing or does not parse
 *   (never echoing the URL), an unknown `SCHEDULER_POSTGRES_*` name (suggesting the closest one), and
 *   as `configFromEnv` read with `SCHEDULER_STORE=postgres`: an unknown `SCHEDULER_*` name,
 *   another store's setting, or a duration without a unit.
 */
export function fromEnv(
  env: Record<string, string | undefined> = process.env,
  overrides: Omit<PostgresStoreOptions, "connectionString" | "pool"> = {},
): PostgresStore {
  // Only the PostgreSQL settings matter here, whatever SCHEDULER_STORE says.
  const { settings } = readBackendEnv(env, "postgres", POSTGRES_ENV_VARIABLES);
  const url = settings.SCHEDULER_POSTGRES_URL;
  if (url === undefined) {
    throw new ConfigError(
      "SCHEDULER_POSTGRES_URL",
      "is required for the PostgreSQL store, e.g. postgres://user:password@host:5432/database",
    );
  }
  const schema = settings.SCHEDULER_POSTGRES_SCHEMA;
  const tablePrefix = settings.SCHEDULER_POSTGRES_TABLE_PREFIX;
  const autoMigrate = settings.SCHEDULER_POSTGRES_AUTO_MIGRATE;
  const poolMode = settings.SCHEDULER_POSTGRES_POOL_MODE as PoolMode | undefined;
  const listenConnectionString = settings.SCHEDULER_POSTGRES_LISTEN_URL;
  let store: PostgresStore;
  try {
    store = new PostgresStore({
      ...(schema === undefined ? {} : { schema }),
      ...(tablePrefix === undefined ? {} : { tablePrefix }),
      ...(autoMigrate === undefined ? {} : { autoMigrate }),
      ...(poolMode === undefined ? {} : { poolMode }),
      ...(listenConnectionString === undefined ? {} : { listenConnectionString }),
      ...readOptions(overrides, "overrides", "option"),
      connectionString: url,
    });
  } catch (err) {
    // Name the variable, not the option, for a value that came from the environment.
    if (err instanceof ConfigError && VARIABLE_OF[err.field] !== undefined) {
      const variable = VARIABLE_OF[err.field] as string;
      throw new ConfigError(variable, err.message.replace(`${err.field}: `, ""), { cause: err });
    }
    throw err;
  }
  // Its MIGRATION_REQUIRED errors then say to set SCHEDULER_POSTGRES_AUTO_MIGRATE=true.
  markConfiguredFromEnvironment(store, "SCHEDULER_POSTGRES_AUTO_MIGRATE");
  return store;
}
