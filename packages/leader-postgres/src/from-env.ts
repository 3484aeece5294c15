import { ConfigError, readBackendEnv } from "@sched/core/adapter";
import { POSTGRES_ENV_VARIABLES, type PoolMode } from "@sched/store-postgres/connection";
import { PostgresLeader } from "./postgres-leader.js";

/**
 * Creates a {@link PostgresLeader} from `SCHEDULER_*` environment variables, as
 * `createSchedulerFromEnv` does: `SCHEDULER_POSTGRES_URL` (required), `SCHEDULER_POSTGRES_SCHEMA`,
 * `SCHEDULER_POSTGRES_TABLE_PREFIX`, `SCHEDULER_POSTGRES_POOL_MODE` (the `poolMode` option),
 * `SCHEDULER_INSTANCE_ID` and `SCHEDULER_LOCK_TTL` (`SCHEDULER_POSTGRES_LISTEN_URL` is the
 * store's, accepted and unused: the leader never LISTENs). The leader
 * owns its pool: `close()` ends it. Call `migrate()` (or the store's) before the first `acquire()`.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the bad or missing variable (the URL is never
 *   echoed), an unknown `SCHEDULER_POSTGRES_*` name (suggesting the closest one), and as
 *   `configFromEnv` read with `SCHEDULER_STORE=postgres`: an unknown `SCHEDULER_*` name, another
 *   store's setting, or a duration without a unit.
 */
export function fromEnv(env: Record<string, string | undefined> = process.env): PostgresLeader {
  // Read as createSchedulerFromEnv does with SCHEDULER_STORE=postgres, whatever SCHEDULER_STORE says,
  // so the postgres settings are accepted and another store's settings are refused.
  const { config, settings } = readBackendEnv(env, "postgres", POSTGRES_ENV_VARIABLES);
  const url = settings.SCHEDULER_POSTGRES_URL;
  if (url === undefined) {
    throw new ConfigError(
      "SCHEDULER_POSTGRES_URL",
      "is required by @sched/leader-postgres; set it to a URL such as postgres://user@host:5432/database",
    );
  }
  try {
    return new PostgresLeader({
      connectionString: url,
      schema: settings.SCHEDULER_POSTGRES_SCHEMA,
      tablePrefix: settings.SCHEDULER_POSTGRES_TABLE_PREFIX,
      poolMode: settings.SCHEDULER_POSTGRES_POOL_MODE as PoolMode | undefined,
      instanceId: config.distributed?.instanceId,
      ttl: config.distributed?.lockTTL,
    });
  } catch (err) {
    // The URL came from the environment: name the variable, not the option.
    if (err instanceof ConfigError && err.field === "connectionString") {
      throw new ConfigError("SCHEDULER_POSTGRES_URL", err.message.replace("connectionString: ", ""), {
        cause: err,
      });
    }
    throw err;
  }
}
