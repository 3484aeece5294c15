import { ConfigError, readBackendEnv } from "@sched/core/adapter";
import { MONGODB_ENV_VARIABLES, MONGODB_VARIABLE_OF_OPTION } from "@sched/store-mongodb/connection";
import { MongoLeader } from "./mongo-leader.js";

/**
 * Creates a {@link MongoLeader} from `SCHEDULER_*` environment variables, as
 * `createSchedulerFromEnv` does: `SCHEDULER_MONGODB_URL` (required), `SCHEDULER_MONGODB_DATABASE`
 * (else the URL's path), `SCHEDULER_MONGODB_COLLECTION_PREFIX`, `SCHEDULER_INSTANCE_ID` and
 * `SCHEDULER_LOCK_TTL`. The leader owns its client: `close()` ends it.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the bad or missing variable (the URL is never
 *   echoed), an unknown `SCHEDULER_MONGODB_*` name (suggesting the closest one), and as
 *   `configFromEnv` read with `SCHEDULER_STORE=mongodb`: an unknown `SCHEDULER_*` name, another
 *   store's setting, or a duration without a unit.
 */
export function fromEnv(env: Record<string, string | undefined> = process.env): MongoLeader {
  // Read as createSchedulerFromEnv does with SCHEDULER_STORE=mongodb, whatever SCHEDULER_STORE says,
  // so the mongodb settings are accepted and another store's settings are refused.
  const { config, settings } = readBackendEnv(env, "mongodb", MONGODB_ENV_VARIABLES);
  const url = settings.SCHEDULER_MONGODB_URL;
  if (url === undefined) {
    throw new ConfigError(
      "SCHEDULER_MONGODB_URL",
      "is required by @sched/leader-mongodb; set it to a URL such as mongodb://host:27017/app",
    );
  }
  try {
    return new MongoLeader({
      url,
      dbName: settings.SCHEDULER_MONGODB_DATABASE,
      collectionPrefix: settings.SCHEDULER_MONGODB_COLLECTION_PREFIX,
      instanceId: config.distributed?.instanceId,
      ttl: config.distributed?.lockTTL,
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
