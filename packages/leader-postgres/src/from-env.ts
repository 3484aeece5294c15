import { ConfigError, configFromEnv } from "@sched/core/adapter";
import { PostgresLeader } from "./postgres-leader.js";

/**
 * Creates a {@link PostgresLeader} from `SCHEDULER_*` environment variables, as
 * `createSchedulerFromEnv` does: `SCHEDULER_POSTGRES_URL` (required), `SCHEDULER_POSTGRES_SCHEMA`,
 * `SCHEDULER_POSTGRES_TABLE_PREFIX`, `SCHEDULER_INSTANCE_ID` and `SCHEDULER_LOCK_TTL`. The leader
 * owns its pool: `close()` ends it. Call `migrate()` (or the store's) before the first `acquire()`.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the bad or missing variable (the URL is never
 *   echoed): as `configFromEnv` read with `SCHEDULER_STORE=postgres`, also an unknown
 *   `SCHEDULER_*` name, another store's setting, or a duration without a unit.
 */
export function fromEnv(env: Record<string, string | undefined> = process.env): PostgresLeader {
  // Read as createSchedulerFromEnv does with SCHEDULER_STORE=postgres, whatever SCHEDULER_STORE says,
  // so the postgres settings are accepted and another store's settings are refused.
  const config = configFromEnv({ ...env, SCHEDULER_STORE: "postgres" });
  const url = config.postgres?.url;
  if (url === undefined) {
    throw new ConfigError(
      "SCHEDULER_POSTGRES_URL",
      "is required by @sched/leader-postgres; set it to a URL such as postgres://user@host:5432/database",
    );
  }
  try {
    return new PostgresLeader({
      connectionString: url,
      schema: config.postgres?.schema,
      tablePrefix: config.postgres?.tablePrefix,
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
