import { ConfigError, readBackendEnv, readOptions } from "@sched/core/adapter";
import { MONGODB_ENV_VARIABLES, MONGODB_VARIABLE_OF_OPTION } from "./connection/env-variables.js";
import { MongoStore } from "./mongo-store.js";
import type { MongoStoreOptions } from "./options.js";

/**
 * Builds a {@link MongoStore} from `SCHEDULER_MONGODB_URL` (required), `SCHEDULER_MONGODB_DATABASE`
 * (else the URL's path), `SCHEDULER_MONGODB_COLLECTION_PREFIX` and `SCHEDULER_MONGODB_AUTO_MIGRATE`,
 * read with `readBackendEnv` from `@sched/core/adapter`. `createSchedulerFromEnv` calls it when
 * `SCHEDULER_STORE=mongodb`. `overrides` are applied on top. The store owns its client: `close()`
 * closes it.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the variable that is missing or does not parse
 *   (never echoing the URL), an unknown `SCHEDULER_MONGODB_*` name (suggesting the closest one),
 *   and as `configFromEnv` read with `SCHEDULER_STORE=mongodb`: an unknown `SCHEDULER_*` name,
 *   another store's setting, or a duration without a unit.
 */
export function fromEnv(
  env: Record<string, string | undefined> = process.env,
  overrides: Omit<MongoStoreOptions, "url" | "client"> = {},
): MongoStore {
  // Only the MongoDB settings matter here, whatever SCHEDULER_STORE says.
  const { settings } = readBackendEnv(env, "mongodb", MONGODB_ENV_VARIABLES);
  const url = settings.SCHEDULER_MONGODB_URL;
  if (url === undefined) {
    throw new ConfigError(
      "SCHEDULER_MONGODB_URL",
      "is required for the MongoDB store, e.g. mongodb://host:27017/app",
    );
  }
  const dbName = settings.SCHEDULER_MONGODB_DATABASE;
  const collectionPrefix = settings.SCHEDULER_MONGODB_COLLECTION_PREFIX;
  const autoMigrate = settings.SCHEDULER_MONGODB_AUTO_MIGRATE;
  try {
    return new MongoStore({
      ...(dbName === undefined ? {} : { dbName }),
      ...(collectionPrefix === undefined ? {} : { collectionPrefix }),
      ...(autoMigrate === undefined ? {} : { autoMigrate }),
      ...readOptions(overrides, "overrides", "option"),
      url,
    });
  } catch (err) {
    // The values came from the environment: name the variable, not the option.
    const variable = err instanceof ConfigError ? MONGODB_VARIABLE_OF_OPTION[err.field] : undefined;
    if (err instanceof ConfigError && variable !== undefined) {
      throw new ConfigError(variable, err.message.replace(`${err.field}: `, ""), { cause: err });
    }
    throw err;
  }
}
