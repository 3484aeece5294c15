import { leaderSchedulerScenarios } from "@sched/testing/conformance";
import { PostgresLeader } from "../src/index.js";
import { connectionString, uniqueSchema, useLockTableSchema } from "./postgres.js";

const schema = uniqueSchema("scheduler");
const admin = useLockTableSchema(schema);

leaderSchedulerScenarios(
  "PostgresLeader",
  ({ instanceId, ttlMs, namespace }) =>
    new PostgresLeader({ connectionString, schema, name: namespace, instanceId, ttl: ttlMs }),
  {
    leaseHolder: async (namespace) => {
      const { rows } = await admin.query(`SELECT holder FROM "${schema}".scheduler_locks WHERE name = $1`, [
        namespace,
      ]);
      return rows[0].holder;
    },
  },
);
